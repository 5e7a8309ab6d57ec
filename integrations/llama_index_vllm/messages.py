"""Translation between LlamaIndex messages and the core's OpenAI-format messages.

LlamaIndex -> core: ``ChatMessage`` objects become OpenAI chat dicts (assistant tool calls from
``ToolCallBlock``s and/or ``additional_kwargs["tool_calls"]``, tool results with their
``tool_call_id``), and ``BaseTool``s become OpenAI function specs.

Core -> LlamaIndex: a finished core message becomes an assistant ``ChatMessage`` with a
``ThinkingBlock`` (reasoning), a ``TextBlock`` and one ``ToolCallBlock`` per valid call; the calls
are also in ``additional_kwargs["tool_calls"]`` in OpenAI form. ``tool_selections`` reads calls
back as ``ToolSelection``s, tolerating the partial arguments of a message still being streamed.

Example:
    >>> from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
    >>> msg = ChatMessage(role="assistant", blocks=[ToolCallBlock(
    ...     tool_call_id="c1", tool_name="get_weather", tool_kwargs='{"city": "Pa')])
    >>> tool_selections(msg)[0].tool_kwargs
    {'city': 'Pa'}
    >>> to_openai_messages([msg])[0]["tool_calls"][0]["function"]
    {'name': 'get_weather', 'arguments': '{"city": "Pa'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.llm import ToolSelection
from pydantic_core import from_json

from vllm_native import types as core

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

_UNFINISHED_NUMBER = re.compile(r"[-+.eE0-9]+$")

_ROLES = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "developer",  # the core maps it for the family
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}


def to_openai_tools(tools: Sequence[BaseTool]) -> list[core.ToolSpec]:
    """OpenAI function specs of LlamaIndex tools (name, description, JSON schema)."""
    return [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]


def to_openai_messages(messages: Sequence[ChatMessage]) -> list[core.Message]:
    """OpenAI chat dicts for LlamaIndex messages, as the core's renderer expects them."""
    return [_to_openai_message(message) for message in messages]


def _to_openai_message(message: ChatMessage) -> core.Message:
    role = _ROLES[MessageRole(message.role)]
    parts: list[dict[str, Any]] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            url = str(block.url) if block.url is not None else block.inline_url()
            parts.append({"type": "image_url", "image_url": {"url": url}})
        elif isinstance(block, ThinkingBlock):
            reasoning.append(block.content or "")
        elif isinstance(block, ToolCallBlock):
            calls.append(openai_tool_call(block.tool_call_id, block.tool_name, block.tool_kwargs))
        elif not isinstance(block, CachePoint):
            raise ValueError(
                f"Vllm sends text and images to the model; a {type(block).__name__} in a "
                f"{role} message is not supported. Convert it to text (a TextBlock) first."
            )
    out: core.Message = {"role": role, "content": _content(parts)}
    kwargs = message.additional_kwargs
    if role == "assistant":
        calls += _extra_calls(kwargs.get("tool_calls") or (), {c["id"] for c in calls})
        if calls:
            out["tool_calls"] = calls
        if reasoning:
            out["reasoning"] = "".join(reasoning)
    elif role == "tool":
        if kwargs.get("tool_call_id") is not None:
            out["tool_call_id"] = str(kwargs["tool_call_id"])
        if isinstance(kwargs.get("name"), str):
            out["name"] = kwargs["name"]
    return out


def _content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Text parts joined as one string; with an image, the OpenAI list of parts."""
    if all(part["type"] == "text" for part in parts):
        return "\n".join(part["text"] for part in parts)
    return parts


def _extra_calls(raw_calls: Iterable[Any], seen: set[str | None]) -> list[dict[str, Any]]:
    """Calls from ``additional_kwargs["tool_calls"]`` (OpenAI dicts or SDK objects) that no
    ``ToolCallBlock`` already carries."""
    calls = []
    for raw in raw_calls:
        call = raw if isinstance(raw, dict) else raw.model_dump()
        function = call.get("function") or {}
        if call.get("id") in seen:
            continue
        calls.append(
            openai_tool_call(call.get("id"), function.get("name"), function.get("arguments"))
        )
    return calls


def openai_tool_call(call_id: str | None, name: str | None, arguments: Any) -> dict[str, Any]:
    """One OpenAI tool call dict; ``arguments`` is kept as JSON text (dicts are serialised)."""
    if arguments is None:
        arguments = "{}"
    elif not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def from_core_message(message: core.ChatMessage) -> ChatMessage:
    """The LlamaIndex assistant message of a finished core message (valid calls only; invalid
    ones are reported in ``additional_kwargs["invalid_tool_calls"]``)."""
    calls = [(c.id, c.name, c.arguments) for c in message.tool_calls]
    kwargs: dict[str, Any] = {}
    if message.invalid_tool_calls:
        kwargs["invalid_tool_calls"] = [
            {"id": c.id, "name": c.name, "arguments": c.arguments, "error": c.error}
            for c in message.invalid_tool_calls
        ]
    return assistant_message(message.content, message.reasoning, calls, kwargs)


def assistant_message(
    content: str,
    reasoning: str,
    calls: Sequence[tuple[str | None, str, dict[str, Any] | str]],
    additional_kwargs: dict[str, Any] | None = None,
) -> ChatMessage:
    """An assistant message with thinking, text and ``(id, name, arguments)`` tool calls, which
    appear both as ``ToolCallBlock``s and in ``additional_kwargs["tool_calls"]``."""
    blocks: list[Any] = []
    if reasoning:
        blocks.append(ThinkingBlock(content=reasoning))
    if content or not calls:
        blocks.append(TextBlock(text=content))
    blocks += [ToolCallBlock(tool_call_id=i, tool_name=n, tool_kwargs=a) for i, n, a in calls]
    kwargs = dict(additional_kwargs or {})
    if calls:
        kwargs["tool_calls"] = [openai_tool_call(i, n, a) for i, n, a in calls]
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)


def tool_selections(message: ChatMessage) -> list[ToolSelection]:
    """The tool calls of ``message`` (its ``ToolCallBlock``s, else ``additional_kwargs``'s
    OpenAI ``tool_calls``). Partial argument JSON, as seen mid-stream, is parsed as far as it
    goes; arguments that are not a JSON object read as ``{}``."""
    blocks = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    found: list[tuple[Any, Any, Any]] = [
        (b.tool_call_id, b.tool_name, b.tool_kwargs) for b in blocks
    ]
    if not found:
        for raw in message.additional_kwargs.get("tool_calls") or ():
            call = raw if isinstance(raw, dict) else raw.model_dump()
            function = call.get("function") or {}
            found.append((call.get("id"), function.get("name", ""), function.get("arguments")))
    return [
        ToolSelection(tool_id=call_id or name, tool_name=name, tool_kwargs=parse_arguments(args))
        for call_id, name, args in found
    ]


def parse_arguments(arguments: Any) -> dict[str, Any]:
    """Arguments as a dict: dicts pass through, JSON text (complete or a prefix) is parsed.

    Of a prefix, only what cannot change is kept: a trailing number is dropped (``{"n": 3``
    may still become ``{"n": 36}``); a trailing string is kept as far as it goes.

    >>> parse_arguments('{"city": "San Fr'), parse_arguments('{"n": 3'), parse_arguments('[1]')
    ({'city': 'San Fr'}, {}, {})
    """
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str):
        return {}
    try:
        parsed = from_json(arguments)
    except ValueError:
        try:
            parsed = from_json(
                _UNFINISHED_NUMBER.sub("", arguments), allow_partial="trailing-strings"
            )
        except ValueError:
            return {}
    return parsed if isinstance(parsed, dict) else {}
