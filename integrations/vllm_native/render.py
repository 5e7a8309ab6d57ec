"""Neutral messages + tools -> a prompt, checked first, then rendered by the engine.

Rendering itself is vLLM's chat-template renderer (sandboxed Jinja, the model's own template);
this module makes sure what reaches it is well formed and says what to fix when it is not:
assistant tool-call arguments become dicts (templates expect them), tools are validated
(function shape, unique names, valid JSON Schema, wild type names such as ``float`` normalised
with one warning), and the prompt must fit ``max_model_len``.

Example:
    >>> normalize_messages([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
    [{'role': 'user', 'content': 'Hi'}]
"""

from __future__ import annotations

import json
import threading
import warnings
from collections import OrderedDict
from typing import Any

from .engine import Engine, RenderedPrompt
from .formats.call_ids import CallIds
from .history import HistoryPolicy, apply_history_policy
from .media import IMAGE_PART_TYPES, OTHER_MEDIA_TYPES, image_part
from .tool_schemas import normalize_type_names
from .types import ChatRequest, Message, ToolSpec

ROLES = ("system", "developer", "user", "assistant", "tool")


def normalize_messages(
    messages: list[Message], *, allow_images: bool = False, fetch_remote_images: bool = False
) -> list[Message]:
    """Validated copies of ``messages`` in the shape chat templates expect. With
    ``allow_images`` (a multimodal model) image parts become ``image_url`` parts with data URLs
    (see :mod:`vllm_native.media`); otherwise they are refused."""
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages is empty: pass at least one message (e.g. a user message)")
    images = (allow_images, fetch_remote_images)
    return [_normalize_message(i, m, images) for i, m in enumerate(messages)]


def has_media(messages: list[Message]) -> bool:
    """True when some message has a content part other than text."""
    return any(
        isinstance(part, dict) and part.get("type") != "text"
        for m in messages
        if isinstance(m, dict) and isinstance(m.get("content"), list)
        for part in m["content"]
    )


def _normalize_message(i: int, message: Message, images: tuple[bool, bool]) -> Message:
    if not isinstance(message, dict):
        raise TypeError(
            f"message {i} must be a dict in OpenAI chat format, got {type(message).__name__}"
        )
    role = message.get("role")
    if role not in ROLES:
        raise ValueError(f"message {i} has unknown role {role!r}; expected one of {ROLES}")
    out = dict(message)
    out["content"] = _content_text(i, message.get("content"), images)
    if role == "assistant" and message.get("tool_calls"):
        out["tool_calls"] = [_template_tool_call(i, c) for c in message["tool_calls"]]
    elif "tool_calls" in out:
        del out["tool_calls"]
    return out


def _content_text(i: int, content: Any, images: tuple[bool, bool]) -> Any:
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        raise TypeError(f"message {i} content must be a string or a list of parts")
    allow_images, fetch_remote = images
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if isinstance(part, str) or kind == "text":
            text = part if isinstance(part, str) else str(part.get("text", ""))
            parts.append({"type": "text", "text": text})
        elif kind in IMAGE_PART_TYPES and allow_images:
            parts.append(image_part(i, part, fetch_remote=fetch_remote))
        elif kind in OTHER_MEDIA_TYPES and allow_images:
            raise ValueError(
                f"message {i} contains {kind!r} content; vllm-native sends text and images only"
            )
        elif kind in IMAGE_PART_TYPES or kind in OTHER_MEDIA_TYPES:
            raise ValueError(
                f"message {i} contains {kind!r} content, but this model is text-only; "
                "send text, or use a multimodal model"
            )
        else:
            raise ValueError(f"message {i} has a content part of unknown type {kind!r}")
    if all(part["type"] == "text" for part in parts):
        return "\n".join(part["text"] for part in parts)  # as vLLM's OpenAI server joins them
    return parts


def _template_tool_call(i: int, call: Any) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ValueError(f"message {i} has a tool call without function.name: {call!r}")
    arguments = function.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            pass  # history with broken arguments is rendered as the model wrote it
    return {
        "id": call.get("id"),
        "type": "function",
        "function": {"name": function["name"], "arguments": arguments},
    }


def validate_tools(tools: list[ToolSpec] | None) -> list[ToolSpec] | None:
    """Checked tools: OpenAI function shape, unique names, a valid JSON Schema for parameters.

    Type names used in the wild (``float``, ``int``, ``dict``, ``list``, ``tuple``, ``bool``,
    ``str``, ``any``, ...) are replaced by JSON Schema's own in the returned copies, with one
    warning for the whole tool set; a schema that is still invalid raises ``ValueError``.

    >>> import warnings
    >>> tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "dict"}}}
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     validate_tools([tool])[0]["function"]["parameters"], len(caught)
    ({'type': 'object'}, 1)
    """
    if not tools:
        return None
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    seen: set[str] = set()
    checked: list[ToolSpec] = []
    renamed: list[str] = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise ValueError(
                "each tool must be {'type': 'function', 'function': {'name': ..., 'parameters': "
                f"{{...}}}}; got {tool!r}"
            )
        name = function["name"]
        if name in seen:
            raise ValueError(f"two tools are named {name!r}; tool names must be unique")
        seen.add(name)
        params = function.get("parameters")
        if params is None:
            checked.append(tool)
            continue
        if not isinstance(params, dict):
            raise ValueError(f"tool {name!r}: parameters must be a JSON Schema object")
        params, changes = normalize_type_names(params)
        try:
            validator_for(params).check_schema(params)
        except SchemaError as exc:
            raise ValueError(f"tool {name!r} has an invalid JSON Schema: {exc.message}") from None
        if changes:
            renamed.append(f"{name} ({', '.join(changes)})")
            tool = {**tool, "function": {**function, "parameters": params}}
        checked.append(tool)
    if renamed:
        warnings.warn(
            "tool schemas use type names that are not JSON Schema's; normalised: "
            + "; ".join(renamed),
            UserWarning,
            stacklevel=3,
        )
        return checked
    return tools


_CHECKED_TOOLS: OrderedDict[str, list[ToolSpec]] = OrderedDict()
_CHECKED_TOOLS_MAX = 256
_CHECKED_TOOLS_LOCK = threading.Lock()


def checked_tools(tools: list[ToolSpec] | None) -> list[ToolSpec] | None:
    """:func:`validate_tools`, remembered per tool set: agents send the same tools with every
    request, and checking their JSON Schemas again each time was most of the CPU a request cost
    (0.65 ms of 1.7 ms with two tools). The key is the tools' canonical JSON, so a changed tool
    is checked again; only tool sets that passed are remembered (the last 256), with their
    normalised copies (wild type names replaced), so the warning about those comes once.

    >>> tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    >>> first = checked_tools(tools)
    >>> first == tools, checked_tools(tools) is first  # the second time, nothing is checked
    (True, True)
    """
    if not tools:
        return None
    try:
        key = json.dumps(tools, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return validate_tools(tools)  # not JSON: validate_tools says what is wrong
    with _CHECKED_TOOLS_LOCK:
        if key in _CHECKED_TOOLS:
            _CHECKED_TOOLS.move_to_end(key)
            return _CHECKED_TOOLS[key]
    checked = validate_tools(tools) or tools
    with _CHECKED_TOOLS_LOCK:
        _CHECKED_TOOLS[key] = checked
        if len(_CHECKED_TOOLS) > _CHECKED_TOOLS_MAX:
            _CHECKED_TOOLS.popitem(last=False)
    return checked


def render_request(
    engine: Engine,
    request: ChatRequest,
    call_ids: CallIds | None = None,
    history: HistoryPolicy | None = None,
    *,
    check_length: bool = True,
) -> RenderedPrompt:
    """Validate ``request`` and render it with the engine's chat template; the prompt must leave
    room for at least one generated token (unless ``check_length=False``, for counting).
    ``call_ids`` rewrites history call ids that the model's family would reject (see
    :mod:`vllm_native.formats.call_ids`); ``history`` sends or drops earlier reasoning and maps
    the ``developer`` role (see :mod:`vllm_native.history`)."""
    images = has_media(request.messages) and engine.is_multimodal
    messages = normalize_messages(
        request.messages, allow_images=images, fetch_remote_images=request.fetch_remote_images
    )
    if call_ids is not None:
        messages = call_ids.normalize(messages)
    if history is not None:
        messages = apply_history_policy(messages, history)
    tools = checked_tools(request.tools)
    prompt = engine.render(messages, tools, request.chat_template_kwargs)
    if check_length:
        check_prompt_length(prompt, engine.max_model_len)
    return prompt


def check_prompt_length(prompt: RenderedPrompt, max_model_len: int) -> None:
    if prompt.num_tokens >= max_model_len:
        raise ValueError(
            f"the prompt is {prompt.num_tokens} tokens long, but the model's context "
            f"(max_model_len) is {max_model_len} tokens; shorten the conversation or start the "
            "engine with a larger max_model_len"
        )
