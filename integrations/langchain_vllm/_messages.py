"""LangChain message history -> OpenAI chat dicts, the message format of ``ChatRequest``.

Assistant tool calls keep their arguments as dicts (the core renders them for the chat
template); Anthropic-style ``tool_use`` and v1 ``tool_call`` content blocks become tool calls too.
An assistant turn's reasoning (``additional_kwargs["reasoning_content"]``, where ChatVLLM puts it,
or ``reasoning``/``thinking`` content blocks) goes to the core as ``reasoning``, which sends it back
or drops it as the model family expects (``history_reasoning``). Lists of text blocks are joined with newlines,
as vLLM's OpenAI server does; image and other data blocks become OpenAI content parts, which the
core accepts only for multimodal models (a text-only model gets a clear error).

Example:
    >>> from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
    >>> to_openai_messages([
    ...     HumanMessage("Weather in Paris?"),
    ...     AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "1"}]),
    ...     ToolMessage("Sunny", tool_call_id="1"),
    ... ])  # doctest: +NORMALIZE_WHITESPACE
    [{'role': 'user', 'content': 'Weather in Paris?'},
     {'role': 'assistant', 'content': '',
      'tool_calls': [{'id': '1', 'type': 'function',
                      'function': {'name': 'get_weather', 'arguments': {'city': 'Paris'}}}]},
     {'role': 'tool', 'content': 'Sunny', 'tool_call_id': '1'}]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_openai_data_block,
    is_data_content_block,
)

# Assistant content blocks that are not text to send back: earlier reasoning, and tool calls
# (sent as ``tool_calls``, see ``_assistant_tool_calls``).
_ASSISTANT_SKIPPED = frozenset(
    {
        "reasoning",
        "thinking",
        "redacted_thinking",
        "tool_call",
        "tool_call_chunk",
        "invalid_tool_call",
        "tool_use",
    }
)


def to_openai_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """OpenAI chat dicts for ``messages``; raises ``ValueError`` for what cannot be sent."""
    return [_to_openai(i, message) for i, message in enumerate(messages)]


def _to_openai(i: int, message: BaseMessage) -> dict[str, Any]:
    if isinstance(message, SystemMessage):
        role = message.additional_kwargs.get("__openai_role__", "system")
    elif isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, AIMessage):
        role = "assistant"
    elif isinstance(message, ToolMessage):
        role = "tool"
    elif isinstance(message, ChatMessage):
        role = message.role
    else:
        raise ValueError(
            f"message {i} is a {type(message).__name__}, which ChatVLLM cannot send; use "
            "SystemMessage, HumanMessage, AIMessage (with tool_calls) or ToolMessage"
        )
    out: dict[str, Any] = {
        "role": role,
        "content": _content(i, message.content, assistant=role == "assistant"),
    }
    if message.name:
        out["name"] = message.name
    if isinstance(message, AIMessage) and (calls := _assistant_tool_calls(message)):
        out["tool_calls"] = calls
    if isinstance(message, AIMessage) and (reasoning := _reasoning(message)):
        out["reasoning"] = reasoning
    if isinstance(message, ToolMessage):
        out["tool_call_id"] = message.tool_call_id
    return out


def _content(i: int, content: str | list[Any], *, assistant: bool) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
            continue
        kind = block.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": block["text"]})
        elif kind == "image_url":
            parts.append({"type": "image_url", "image_url": block["image_url"]})
        elif is_data_content_block(block):
            parts.append(convert_to_openai_data_block(block))
        elif not (assistant and kind in _ASSISTANT_SKIPPED):
            raise ValueError(
                f"message {i} has a content block of type {kind!r}, which ChatVLLM cannot "
                "send; use text blocks (or image blocks with a multimodal model)"
            )
    if all(part["type"] == "text" for part in parts):
        return "\n".join(part["text"] for part in parts)
    return parts


def _reasoning(message: AIMessage) -> str:
    """The turn's reasoning: ``additional_kwargs["reasoning_content"]``, else its reasoning
    (LangChain v1) and thinking (Anthropic) content blocks."""
    given = message.additional_kwargs.get("reasoning_content")
    if isinstance(given, str) and given:
        return given
    blocks = message.content if isinstance(message.content, list) else []
    return "".join(
        str(block.get(kind) or "")
        for block in blocks
        if isinstance(block, dict) and (kind := block.get("type")) in ("reasoning", "thinking")
    )


def _assistant_tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    calls = [(c["id"], c["name"], c["args"]) for c in message.tool_calls]
    known = {call_id for call_id, _, _ in calls}
    if isinstance(message.content, list):
        for block in message.content:
            if not isinstance(block, dict) or block.get("id") in known:
                continue
            if block.get("type") == "tool_use":
                calls.append((block["id"], block["name"], block.get("input") or {}))
            elif block.get("type") == "tool_call":
                calls.append((block["id"], block["name"], block.get("args") or {}))
    return [
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}
        for call_id, name, args in calls
    ]
