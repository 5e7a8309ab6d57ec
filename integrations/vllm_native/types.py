"""The neutral vocabulary every layer speaks: requests, stream events and the final message.

Nothing here imports vLLM, LangChain or LlamaIndex. Messages and tools use the OpenAI chat format
(plain dicts), which is what vLLM's chat-template renderer consumes.

Example:
    >>> req = ChatRequest(messages=[{"role": "user", "content": "Hi"}])
    >>> req.tool_choice
    'auto'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Message = dict[str, Any]
"""An OpenAI chat message: ``{"role": ..., "content": ..., "tool_calls": [...], ...}``."""

ToolSpec = dict[str, Any]
"""An OpenAI function tool: ``{"type": "function", "function": {"name", "description", "parameters"}}``."""

ToolChoice = Literal["auto", "none", "required"] | str | dict[str, Any]
"""``"auto"``, ``"none"``, ``"required"`` (alias ``"any"``), a tool name, or the OpenAI dict
``{"type": "function", "function": {"name": ...}}``."""

FinishReason = Literal["stop", "length", "function_call", "tool_calls"]


@dataclass(frozen=True)
class SamplingOptions:
    """Sampling options in neutral form; ``extra`` passes any other ``vllm.SamplingParams`` field."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logprobs: bool = False
    """Report the log probability of each generated token (``ChatMessage.logprobs``)."""
    top_logprobs: int | None = None
    """Also report the ``k`` most likely tokens at each position (implies ``logprobs``)."""
    n: int = 1
    """Number of generations per prompt (``ChatClient.choices``); streaming needs ``n == 1``."""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatRequest:
    """One chat turn to generate.

    ``response_format`` is ``{"type": "json_object"}`` or
    ``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}`` (OpenAI shape).
    ``tool_finish_reason`` selects the finish reason reported when the turn called a tool.
    ``structured_outputs`` constrains the reply with vLLM beyond JSON: exactly one of
    ``{"regex": ...}``, ``{"choice": [...]}`` or ``{"grammar": ...}`` (EBNF/Lark, as vLLM's server
    takes it). ``lora`` names a LoRA adapter (a folder, a shipped adapter name or a hub id) applied
    to this request. ``fetch_remote_images`` lets vLLM download ``http(s)`` image URLs; without it
    only data URLs and local files are sent.
    """

    messages: list[Message]
    tools: list[ToolSpec] | None = None
    tool_choice: ToolChoice = "auto"
    parallel_tool_calls: bool = True
    strict: bool = False
    response_format: dict[str, Any] | None = None
    sampling: SamplingOptions = field(default_factory=SamplingOptions)
    tool_finish_reason: Literal["function_call", "tool_calls"] = "function_call"
    chat_template_kwargs: dict[str, Any] = field(default_factory=dict)
    structured_outputs: dict[str, Any] | None = None
    lora: str | None = None
    fetch_remote_images: bool = False


@dataclass(frozen=True)
class Usage:
    """Token counts of one response."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# ---------------------------------------------------------------------------------------------
# Stream events. A stream is: any number of TextDelta / ReasoningDelta / ToolCallDelta, then
# exactly one Finish, last.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextDelta:
    """A piece of visible content that can no longer change."""

    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """A piece of reasoning (``<think>...</think>``) text, never part of content."""

    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A fragment of tool call ``index``. ``id`` and ``name`` are set on its first fragment only;
    the ``arguments`` fragments of one call concatenate to its final arguments JSON text."""

    index: int
    arguments: str = ""
    id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ToolCall:
    """A valid call: a known tool name and a JSON object of arguments."""

    id: str
    name: str
    arguments: dict[str, Any]
    index: int = 0


@dataclass(frozen=True)
class InvalidToolCall:
    """A call the model tried to make but got wrong; ``arguments`` holds the raw text."""

    id: str
    name: str | None
    arguments: str | None
    error: str
    index: int = 0


@dataclass(frozen=True)
class TopLogprob:
    """One of the most likely tokens at a position, in OpenAI's shape (``bytes``: UTF-8)."""

    token: str
    logprob: float
    bytes: tuple[int, ...] | None = None


@dataclass(frozen=True)
class TokenLogprob:
    """A generated token with its log probability and the ``top_logprobs`` most likely tokens at
    its position, most likely first."""

    token: str
    logprob: float
    bytes: tuple[int, ...] | None = None
    top_logprobs: tuple[TopLogprob, ...] = ()


@dataclass(frozen=True)
class ChatMessage:
    """The final assistant message of one turn (``logprobs``: one entry per generated token, when
    asked for)."""

    content: str = ""
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    invalid_tool_calls: tuple[InvalidToolCall, ...] = ()
    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)
    model_name: str = ""
    logprobs: tuple[TokenLogprob, ...] | None = None


@dataclass(frozen=True)
class LogprobsDelta:
    """Log probabilities of the tokens generated since the previous one (only when asked for);
    concatenated, they are the final message's ``logprobs``."""

    tokens: tuple[TokenLogprob, ...]


@dataclass(frozen=True)
class Finish:
    """The last event of every stream: the finish reason, usage and the whole final message."""

    reason: FinishReason
    usage: Usage
    message: ChatMessage


ChatEvent = TextDelta | ReasoningDelta | ToolCallDelta | LogprobsDelta | Finish
