"""The neutral vocabulary every layer speaks: requests, stream events and the final message.

Nothing here imports LangChain or LlamaIndex (nor vLLM, except to list its reasoning parsers
when a name is checked). Messages and tools use the OpenAI chat format
(plain dicts), which is what vLLM's chat-template renderer consumes.

The request rules live here too, once: ``tool_choice``, the tool finish reason, reasoning-parser
names and the sampling options (names, types, defaults, checks); the adapters call them.

Example:
    >>> req = ChatRequest(messages=[{"role": "user", "content": "Hi"}])
    >>> req.tool_choice
    'auto'
    >>> resolve_tool_choice("any", ["get_weather", "add"])
    'required'
    >>> resolve_tool_choice("required", ["get_weather"])  # may call it several times
    'required'
    >>> resolve_tool_choice("required", ["get_weather"], parallel_tool_calls=False)
    'get_weather'
    >>> resolve_tool_choice("multiply", ["add"])
    Traceback (most recent call last):
    ValueError: tool_choice names 'multiply', which is not among the bound tools ['add']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, cast, get_type_hints

from .options import ENGINE_KWARGS_ALIAS as ENGINE_KWARGS_ALIAS
from .options import SAMPLING_KWARGS as SAMPLING_KWARGS
from .options import check_keywords as check_keywords
from .options import check_sampling_extra
from .options import constructor_keywords as constructor_keywords
from .options import copy_keywords as copy_keywords
from .options import merge_engine_kwargs as merge_engine_kwargs

Message = dict[str, Any]
"""An OpenAI chat message: ``{"role": ..., "content": ..., "tool_calls": [...], ...}``."""

ToolSpec = dict[str, Any]
"""An OpenAI function tool: ``{"type": "function", "function": {"name", "description", "parameters"}}``."""

ToolChoice = Literal["auto", "none", "required"] | str | dict[str, Any]
"""``"auto"``, ``"none"``, ``"required"`` (alias ``"any"``), a tool name, or the OpenAI dict
``{"type": "function", "function": {"name": ...}}``."""

FinishReason = Literal["stop", "length", "function_call", "tool_calls"]

HistoryReasoning = Literal["drop", "resend"]
"""Whether earlier turns' reasoning is sent back to the model (see ``vllm_native.history``)."""


# ---------------------------------------------------------------------------------------------
# The request rules, once: adapters and the core's own layers call these, so every path accepts
# the same values and says the same thing about a bad one.
# ---------------------------------------------------------------------------------------------

ToolFinishReason = Literal["function_call", "tool_calls"]
TOOL_FINISH_REASONS: tuple[ToolFinishReason, ...] = ("function_call", "tool_calls")
"""Finish reasons a turn that called tools can report (``function_call`` is the default)."""

REASONING_OFF = ("none", "off")
"""``reasoning_parser`` values that turn ``<think>`` splitting off."""

_CHOICE_HELP = (
    "use 'auto', 'none', 'required' (or 'any', True), a tool name or "
    "{'type': 'function', 'function': {'name': ...}}"
)


def resolve_tool_choice(
    tool_choice: Any, tool_names: Sequence[str], *, parallel_tool_calls: bool = True
) -> str:
    """``"auto"``, ``"none"``, ``"required"`` or the name of one of ``tool_names``.

    ``None`` is ``"auto"``; ``"any"`` and ``True`` are ``"required"``; the OpenAI dict names a
    tool. ``"required"`` with exactly one bound tool and ``parallel_tool_calls=False`` becomes
    that tool's name, so vLLM enforces exactly its parameter schema; with parallel calls it stays
    ``"required"``: one tool may be called several times ("weather in Paris and in Rome",
    BFCL's parallel category). Raises ``ValueError`` for anything else, for a forced choice
    without tools and for a name that is not bound.
    """
    choice: Any
    if tool_choice is None:
        choice = "auto"
    elif tool_choice is True or tool_choice in ("any", "required"):
        choice = "required"
    elif isinstance(tool_choice, str) and tool_choice:
        choice = tool_choice
    elif isinstance(tool_choice, dict) and isinstance(tool_choice.get("function"), dict):
        choice = tool_choice["function"].get("name")
    else:
        choice = None
    if not isinstance(choice, str) or not choice:
        raise ValueError(f"tool_choice={tool_choice!r} is not supported; {_CHOICE_HELP}")
    if choice in ("auto", "none"):
        return choice
    names = list(tool_names)
    if not names:
        raise ValueError(f"tool_choice={tool_choice!r} needs at least one bound tool")
    if choice == "required":
        return names[0] if len(names) == 1 and not parallel_tool_calls else choice
    if choice not in names:
        raise ValueError(
            f"tool_choice names {choice!r}, which is not among the bound tools {names}"
        )
    return choice


def check_tool_finish_reason(value: Any) -> ToolFinishReason:
    """``value`` if it is one of :data:`TOOL_FINISH_REASONS`, else ``ValueError``."""
    if value not in TOOL_FINISH_REASONS:
        raise ValueError(
            f"tool_finish_reason={value!r} is not supported; use 'function_call' or 'tool_calls'"
        )
    return cast(ToolFinishReason, value)


REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
"""``reasoning_effort`` values, as vLLM's OpenAI server takes them; which ones a model honours is
its chat template's business (``vllm_native.reasoning_controls``): gpt-oss knows ``low``,
``medium`` and ``high``; ``none`` is thinking off."""


def check_reasoning_controls(thinking: Any, reasoning_effort: Any) -> None:
    """``ValueError`` unless ``thinking`` is a bool or ``None`` and ``reasoning_effort`` one of
    :data:`REASONING_EFFORTS` or ``None``.

    >>> check_reasoning_controls(None, "hihg")
    Traceback (most recent call last):
    ValueError: reasoning_effort='hihg' is not supported; use one of ('none', 'minimal', \
'low', 'medium', 'high', 'xhigh', 'max') or None (the model's default)
    """
    if thinking is not None and not isinstance(thinking, bool):
        raise ValueError(
            f"thinking on/off must be True, False or None (the model's default), got {thinking!r}"
        )
    if reasoning_effort is not None and reasoning_effort not in REASONING_EFFORTS:
        raise ValueError(
            f"reasoning_effort={reasoning_effort!r} is not supported; use one of "
            f"{REASONING_EFFORTS} or None (the model's default)"
        )


def check_reasoning_parser(name: str | None) -> str | None:
    """The reasoning-parser setting: ``None`` (detected from the chat template), ``"none"``
    (off; ``"off"`` too, any case) or a name in vLLM's reasoning-parser registry (on).

    >>> check_reasoning_parser("OFF")
    'none'
    """
    if name is None:
        return None
    if not isinstance(name, str):
        raise ValueError(f"reasoning_parser must be a string or None, got {name!r}")
    if name.strip().lower() in (*REASONING_OFF, ""):
        return "none"
    names = reasoning_parser_names()
    if name not in names:
        raise ValueError(
            f"Unknown reasoning_parser {name!r}; use None (detected from the chat template), "
            f"'none' (off) or one of vLLM's reasoning parsers: {names}"
        )
    return name


def reasoning_parser_names() -> list[str]:
    """Every name in vLLM's reasoning-parser registry (``--reasoning-parser``)."""
    from vllm.reasoning import ReasoningParserManager

    return list(ReasoningParserManager.list_registered())


# ---------------------------------------------------------------------------------------------
# Sampling options: the one list of names, types, defaults and checks.
# ---------------------------------------------------------------------------------------------


def _number(low: float, high: float, *, low_open: bool = False) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
            return f"must be in {'(' if low_open else '['}{low:g}, {high:g}]"
        return None

    return check


def _integer(low: int, what: str, high: int | None = None) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        fits = value >= low and (high is None or value <= high)
        return None if fits else f"must be {what}"

    return check


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be True or False"


def _option(doc: str, check: Callable[[Any], str | None] | None = None) -> Any:
    return field(default=None, metadata={"doc": doc, "check": check})


@dataclass(frozen=True)
class SamplingOptions:
    """Sampling options in neutral form; ``extra`` passes any other ``vllm.SamplingParams`` field
    (the adapters' ``sampling_kwargs``; checked here: see ``vllm_native.options``).

    These fields are the one list of sampling options: both adapters derive their constructor
    fields and per-call keywords from :func:`sampling_option_fields`. Values are checked here, with
    the ranges vLLM's ``SamplingParams`` enforces, so a bad value fails when a model object is
    built, without importing vLLM.

    >>> SamplingOptions(max_tokens=0)
    Traceback (most recent call last):
    ValueError: max_tokens=0: must be at least 1
    """

    temperature: float | None = _option(
        "Sampling temperature (0 is greedy); None: the model's default.", _number(0, 2)
    )
    top_p: float | None = _option(
        "Nucleus sampling probability mass.", _number(0, 1, low_open=True)
    )
    top_k: int | None = _option(
        "Sample from the k most likely tokens (0 or -1: all).", _integer(-1, "-1, 0 or at least 1")
    )
    max_tokens: int | None = _option(
        "Most tokens to generate; None lets the answer use the rest of the context.",
        _integer(1, "at least 1"),
    )
    stop: tuple[str, ...] | None = None
    seed: int | None = _option(
        "Random seed, for reproducible sampling.", _integer(-(2**63), "an integer")
    )
    presence_penalty: float | None = _option(
        "Penalty for tokens already present in the output.", _number(-2, 2)
    )
    frequency_penalty: float | None = _option(
        "Penalty growing with how often a token already appeared.", _number(-2, 2)
    )
    logprobs: bool | None = _option(
        "Report each generated token's log probability (OpenAI's logprobs).", _boolean
    )
    top_logprobs: int | None = _option(
        "Also report the k most likely tokens at each position, 0 to 20 (implies logprobs).",
        _integer(0, "between 0 and 20", high=20),
    )
    n: int | None = _option(
        "Generations per prompt (generate/batch; streaming needs 1); None: 1.",
        _integer(1, "at least 1"),
    )
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in fields(self):
            check = f.metadata.get("check")
            value = getattr(self, f.name)
            if check is not None and value is not None and (problem := check(value)):
                raise ValueError(f"{f.name}={value!r}: {problem}")
        if self.stop is not None and not all(isinstance(s, str) for s in self.stop):
            raise ValueError(f"stop={self.stop!r}: must be strings")
        check_sampling_extra(self.extra, (*SAMPLING_OPTION_NAMES, "stop"))


@dataclass(frozen=True)
class SamplingField:
    """One sampling option as an adapter declares it: name, type, default and description."""

    name: str
    annotation: Any
    default: Any
    doc: str


def sampling_option_fields() -> list[SamplingField]:
    """The sampling options every adapter accepts by name at construction and per call
    (``stop`` and ``extra`` are excluded: each framework merges those its own way).

    >>> [f.name for f in sampling_option_fields()][:3]
    ['temperature', 'top_p', 'top_k']
    """
    hints = get_type_hints(SamplingOptions)
    return [
        SamplingField(f.name, hints[f.name], f.default, f.metadata["doc"])
        for f in fields(SamplingOptions)
        if "doc" in f.metadata
    ]


SAMPLING_OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in sampling_option_fields())
"""Names of :func:`sampling_option_fields`."""


def sampling_fields_model(exclude: Sequence[str] = ()) -> Any:
    """A pydantic model with one field per sampling option (name, type, default, description),
    and ``sampling_kwargs`` for the other ``SamplingParams`` fields, for an adapter class to
    inherit, so both frameworks declare the same fields.

    >>> sorted(sampling_fields_model(exclude=["max_tokens"]).model_fields)[:2]
    ['frequency_penalty', 'logprobs']
    """
    from pydantic import Field, create_model

    declared: dict[str, Any] = {
        f.name: (f.annotation, Field(default=f.default, description=f.doc))
        for f in sampling_option_fields()
        if f.name not in exclude
    }
    declared[SAMPLING_KWARGS] = (
        dict[str, Any],
        Field(
            default_factory=dict,
            description="Any other vllm.SamplingParams field (min_tokens, repetition_penalty, "
            "min_p, ...); a call's own sampling_kwargs are merged over these.",
        ),
    )
    return create_model("_SamplingFields", **declared)


@dataclass(frozen=True)
class ChatRequest:
    """One chat turn to generate.

    ``response_format`` is ``{"type": "json_object"}`` or
    ``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}`` (OpenAI shape).
    ``tool_finish_reason`` selects the finish reason reported when the turn called a tool
    (checked here: :func:`check_tool_finish_reason`). ``structured_outputs`` constrains the reply with vLLM beyond JSON: exactly one of
    ``{"regex": ...}``, ``{"choice": [...]}`` or ``{"grammar": ...}`` (EBNF/Lark, as vLLM's server
    takes it). ``lora`` names a LoRA adapter (a folder, a shipped adapter name or a hub id) applied
    to this request. ``fetch_remote_images`` lets vLLM download ``http(s)`` image URLs; without it
    only data URLs and local files are sent. ``history_reasoning`` sends earlier turns' reasoning
    back (``"resend"``) or not (``"drop"``); ``None`` is the family's default. ``thinking``
    turns the model's thinking on or off and ``reasoning_effort`` sets its level (one of
    :data:`REASONING_EFFORTS`), both through the variables its chat template reads (see
    :mod:`vllm_native.reasoning_controls`); ``None`` leaves the model's default.
    """

    messages: list[Message]
    tools: list[ToolSpec] | None = None
    tool_choice: ToolChoice = "auto"
    parallel_tool_calls: bool = True
    strict: bool = False
    response_format: dict[str, Any] | None = None
    sampling: SamplingOptions = field(default_factory=SamplingOptions)
    tool_finish_reason: ToolFinishReason = "function_call"
    chat_template_kwargs: dict[str, Any] = field(default_factory=dict)
    structured_outputs: dict[str, Any] | None = None
    lora: str | None = None
    fetch_remote_images: bool = False
    history_reasoning: HistoryReasoning | None = None
    thinking: bool | None = None
    reasoning_effort: str | None = None

    def __post_init__(self) -> None:
        check_tool_finish_reason(self.tool_finish_reason)
        check_reasoning_controls(self.thinking, self.reasoning_effort)


REQUEST_OPTION_NAMES: tuple[str, ...] = tuple(
    f.name for f in fields(ChatRequest) if f.name not in ("messages", "sampling")
)
"""Per-call request options (``tools``, ``tool_choice``, ...): every :class:`ChatRequest` field
except the messages and the sampling options."""


@dataclass(frozen=True)
class Usage:
    """Token counts of one response. ``cached_tokens``: prompt tokens vLLM's prefix cache served
    (``RequestOutput.num_cached_tokens``); ``reasoning_tokens``: tokens of the reasoning part,
    for a model that reasons. ``None`` where the engine or the model has no such count."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None

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


def logprobs_to_openai(tokens: Iterable[TokenLogprob]) -> dict[str, list[dict[str, Any]]]:
    """OpenAI's chat ``logprobs`` object, as ``ChatOpenAI`` puts it in ``response_metadata``:
    ``{"content": [{"token", "bytes", "logprob", "top_logprobs": [...]}, ...]}``.

    >>> logprobs_to_openai([TokenLogprob("Hi", -0.5, (72, 105))])
    {'content': [{'token': 'Hi', 'bytes': [72, 105], 'logprob': -0.5, 'top_logprobs': []}]}
    """
    return {
        "content": [
            {
                **_logprob_entry(t.token, t.bytes, t.logprob),
                "top_logprobs": [
                    _logprob_entry(x.token, x.bytes, x.logprob) for x in t.top_logprobs
                ],
            }
            for t in tokens
        ]
    }


def _logprob_entry(token: str, raw: tuple[int, ...] | None, logprob: float) -> dict[str, Any]:
    return {"token": token, "bytes": list(raw) if raw is not None else None, "logprob": logprob}


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
    reasoning_only: bool = False
    """The turn ended after thinking with neither content nor a tool call (the model stopped, or
    ``max_tokens`` cut it, inside its thought): not an empty success."""


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
