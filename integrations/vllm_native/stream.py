"""The stream assembler: engine text deltas -> typed events, with the stream invariants enforced.

Raw text goes through the reasoning splitter (``<think>``), the visible part through the turn's
tool-call parser; the pieces become events. Invariants (property-tested):

1. concatenated ``TextDelta`` texts == final content; a call's ``ToolCallDelta`` arguments
   concatenate to its final arguments JSON;
2. each call has a stable index, its id and name appear once, on its first delta;
3. exactly one ``Finish`` event, last;
4. streaming and non-streaming (one big delta) give the same final message.

Example:
    >>> from vllm_native.formats import get_format
    >>> a = StreamAssembler(get_format("hermes").new_parser(), tool_names={"f"})
    >>> events = a.feed('<tool_call>{"name": "f", "arguments": {}}</tool_call>')
    >>> a.finish("stop", Usage(3, 9))[-1].reason
    'function_call'
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection
from typing import Any

from .formats.base import (
    BadCall,
    CallArgs,
    CallEnd,
    CallStart,
    FormatParser,
    Piece,
    Reasoning,
    Text,
)
from .formats.call_ids import CallIds, NewId
from .formats.json_string import JsonStringDecoder
from .formats.reasoning import ReasoningSplitter
from .types import (
    ChatEvent,
    ChatMessage,
    Finish,
    FinishReason,
    InvalidToolCall,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

new_call_id: NewId = CallIds().new_id
"""A fresh OpenAI-style tool call id, ``call_<24 hex>``."""


class _OpenCall:
    __slots__ = ("id", "name", "index", "streamed", "args", "error", "decoder", "args_seen")

    def __init__(self, call_id: str, name: str, index: int | None) -> None:
        self.id, self.name, self.index = call_id, name, index
        self.streamed = index is not None
        self.args: list[str] = []
        self.error = ""
        self.decoder: JsonStringDecoder | None = None
        self.args_seen = False  # a non-blank fragment arrived (decides the decoder)

    def stream_fragment(self, fragment: str) -> str:
        """The text to stream for ``fragment``: itself, or, when the arguments are a JSON string
        (double-encoded), its decoded text, so the streamed pieces still concatenate to the
        final arguments JSON."""
        if not self.args_seen and fragment.strip():
            self.args_seen = True
            if fragment.lstrip().startswith('"'):
                self.decoder = JsonStringDecoder()
        return self.decoder.feed(fragment) if self.decoder else fragment


class StreamAssembler:
    """Assembles one response. ``parser=None`` means tool calls are off: all text is content.

    ``tool_names`` are the bound tools; a call to any other name is an invalid call (not
    streamed). ``None`` accepts any name. Calls beyond ``max_calls`` (``parallel_tool_calls=False``
    gives 1) are invalid calls too. ``new_id(name, index)`` makes call ids (the family's shape,
    see :mod:`vllm_native.formats.call_ids`). ``tidy_whitespace=False`` keeps content exactly as
    generated (raw completions).
    """

    def __init__(
        self,
        parser: FormatParser | None,
        *,
        tool_names: Collection[str] | None = None,
        max_calls: int | None = None,
        reasoning: ReasoningSplitter | None = None,
        tool_finish_reason: FinishReason = "function_call",
        model_name: str = "",
        new_id: NewId = new_call_id,
        tidy_whitespace: bool = True,
    ) -> None:
        self.parser = parser
        self.tool_names = None if tool_names is None else frozenset(tool_names)
        self.max_calls = max_calls
        self.reasoning = reasoning
        self.tool_finish_reason = tool_finish_reason
        self.model_name = model_name
        self.new_id = new_id
        self.tidy_whitespace = tidy_whitespace
        self.content: list[str] = []
        self.reasoning_text: list[str] = []
        self.pending_ws = ""
        self.calls: list[ToolCall] = []
        self.invalid: list[InvalidToolCall] = []
        self.open: _OpenCall | None = None
        self.next_index = 0
        self.finished = False

    # -- input --------------------------------------------------------------------------------
    def feed(self, text: str) -> list[ChatEvent]:
        """Consume one engine text delta; return the events that are now final."""
        events: list[ChatEvent] = []
        if not text:
            return events
        parts = self.reasoning.feed(text) if self.reasoning else [(False, text)]
        self._route(parts, events)
        return events

    def finish(self, engine_reason: str | None, usage: Usage) -> list[ChatEvent]:
        """End of the engine stream: flush, classify calls, and emit the single ``Finish``."""
        if self.finished:
            raise RuntimeError("finish() called twice")
        self.finished = True
        events: list[ChatEvent] = []
        if self.reasoning:
            self._route(self.reasoning.close(), events)
        if self.parser:
            self._pieces(self.parser.close(), events)
        if self.open is not None:  # a parser that forgot to end its call
            self._end_call(complete=False)
        if self.pending_ws and not (self.calls or self.invalid):
            events.append(TextDelta(self.pending_ws))
            self.content.append(self.pending_ws)
        self.pending_ws = ""
        reason: FinishReason
        if engine_reason == "length":
            reason = "length"
        elif self.calls:
            reason = self.tool_finish_reason
        else:
            reason = "stop"
        message = ChatMessage(
            content="".join(self.content),
            reasoning="".join(self.reasoning_text),
            tool_calls=tuple(self.calls),
            invalid_tool_calls=tuple(self.invalid),
            finish_reason=reason,
            usage=usage,
            model_name=self.model_name,
            reasoning_only=bool(self.reasoning_text)
            and not (self.content or self.calls or self.invalid),
        )
        events.append(Finish(reason, usage, message))
        return events

    # -- routing ------------------------------------------------------------------------------
    def _route(self, parts: list[tuple[bool, str]], events: list[ChatEvent]) -> None:
        for is_reasoning, chunk in parts:
            if not chunk:
                continue
            if is_reasoning:
                self.reasoning_text.append(chunk)
                events.append(ReasoningDelta(chunk))
            elif self.parser:
                self._pieces(self.parser.feed(chunk), events)
            else:
                self._text(chunk, events)

    def _pieces(self, pieces: list[Piece], events: list[ChatEvent]) -> None:
        for piece in pieces:
            if isinstance(piece, Text):
                self._text(piece.text, events)
            elif isinstance(piece, Reasoning):
                self._route([(True, piece.text)], events)
            elif isinstance(piece, CallStart):
                self._start_call(piece.name, events)
            elif isinstance(piece, CallArgs):
                self._args(piece.fragment, events)
            elif isinstance(piece, CallEnd):
                self._end_call(piece.complete, piece.raw)
            elif isinstance(piece, BadCall):
                call, self.open = self.open, None
                if call is None:
                    self._invalid(piece.name, piece.raw, piece.error)
                else:  # the open call turned out malformed
                    index = call.index if call.index is not None else self._next_invalid_index()
                    self._invalid(call.name, piece.raw, piece.error, call.id, index)

    def _text(self, text: str, events: list[ChatEvent]) -> None:
        """Content text. Leading whitespace of the content and whitespace-only gaps around
        tool calls are dropped; trailing whitespace is held until more text follows.
        Raw completions (``tidy_whitespace=False``) pass through untouched."""
        if not self.tidy_whitespace:
            self.content.append(text)
            events.append(TextDelta(text))
            return
        if not self.content:
            text = (self.pending_ws + text).lstrip()
            self.pending_ws = ""
        else:
            text = self.pending_ws + text
            self.pending_ws = ""
        body = text.rstrip()
        self.pending_ws = text[len(body) :]
        if body:
            self.content.append(body)
            events.append(TextDelta(body))

    def _start_call(self, name: str, events: list[ChatEvent]) -> None:
        if self.open is not None:
            self._end_call(complete=False)
        if self.pending_ws and self.content:
            self.pending_ws = ""  # whitespace before a call is not content
        known = self.tool_names is None or name in self.tool_names
        allowed = self.max_calls is None or self.next_index < self.max_calls
        index = self.next_index if known and allowed else None
        call_id = self.new_id(name, self._next_invalid_index() if index is None else index)
        call = _OpenCall(call_id, name, index)
        call.error = (
            f"unknown tool {name!r}"
            if not known
            else f"only {self.max_calls} tool call(s) allowed (parallel_tool_calls=False)"
        )
        if call.streamed:
            self.next_index += 1
            events.append(ToolCallDelta(index=call.index or 0, id=call.id, name=name))
        self.open = call

    def _args(self, fragment: str, events: list[ChatEvent]) -> None:
        call = self.open
        if call is None:  # arguments without a call: keep them visible, never drop text
            self._text(fragment, events)
            return
        call.args.append(fragment)
        text = call.stream_fragment(fragment) if call.streamed else ""
        if text:
            events.append(ToolCallDelta(index=call.index or 0, arguments=text))

    def _end_call(self, complete: bool, model_text: str | None = None) -> None:
        call, self.open = self.open, None
        if call is None:
            return
        raw = "".join(call.args)
        index = call.index if call.index is not None else self._next_invalid_index()
        if not call.streamed:
            self._invalid(call.name, raw, call.error, call.id, index)
            return
        if not complete:
            kept = raw if model_text is None else model_text
            self._invalid(call.name, kept, "tool call was cut off", call.id, index)
            return
        args: Any
        try:
            args = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            self._invalid(call.name, raw, f"arguments are not valid JSON: {exc}", call.id, index)
            return
        if isinstance(args, str) and call.decoder is not None:  # double-encoded
            with contextlib.suppress(ValueError):
                args = json.loads(args)
        if not isinstance(args, dict):
            self._invalid(
                call.name,
                raw,
                f"arguments must be a JSON object, got {type(args).__name__}",
                call.id,
                index,
            )
            return
        self.calls.append(ToolCall(id=call.id, name=call.name, arguments=args, index=index))

    def _next_invalid_index(self) -> int:
        return self.next_index + len(self.invalid)

    def _invalid(
        self,
        name: str | None,
        raw: str | None,
        error: str,
        call_id: str | None = None,
        index: int | None = None,
    ) -> None:
        if index is None:
            index = self._next_invalid_index()
        self.invalid.append(
            InvalidToolCall(
                id=call_id or self.new_id(name, index),
                name=name,
                arguments=raw,
                error=error,
                index=index,
            )
        )
