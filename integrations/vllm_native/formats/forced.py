"""Parsers for output forced by structured outputs when ``tool_choice`` is required or named.

With a named tool the grammar makes the model write only the arguments object; with
``required`` it writes a JSON array ``[{"name": ..., "arguments": {...}}, ...]`` (the shape vLLM's
own server uses). Either way the output no longer depends on the model's native format.

Example:
    >>> p = NamedToolParser("f")
    >>> p.feed('{"a": 1}') + p.close()
    [CallStart(name='f'), CallArgs(fragment='{"a": 1}'), CallEnd(complete=True)]
"""

from __future__ import annotations

from .base import CallArgs, CallEnd, CallStart, FormatParser, JsonValueScanner, Piece, Text
from .hermes import MarkedJsonParser


class NamedToolParser(FormatParser):
    """The whole output is the arguments JSON of one known tool."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.scanner = JsonValueScanner()
        self.started = False
        self.ended = False

    def feed(self, text: str) -> list[Piece]:
        out: list[Piece] = []
        if not self.started:
            out.append(CallStart(self.name))
            self.started = True
        if self.ended:
            return out
        used = self.scanner.feed(text)
        fragment = text if used is None else text[:used]
        if not self.scanner.started:
            return out
        if not self._emitted:
            fragment = fragment.lstrip()
        if fragment:
            out.append(CallArgs(fragment))
            self._emitted = True
        if used is not None:
            self.ended = True
            out.append(CallEnd())
        return out

    _emitted = False

    def close(self) -> list[Piece]:
        out: list[Piece] = []
        if not self.started:  # nothing after the thought (think-first): no call at all
            self.ended = True
            return out
        if not self.ended:
            out.append(CallEnd(complete=self.scanner.done_possible))
        self.ended = True
        return out


class JsonArrayParser(MarkedJsonParser):
    """``[{"name": ..., "arguments": {...}}, ...]``: the output of ``tool_choice="required"``."""

    def __init__(self) -> None:
        super().__init__(begin="", end="")

    def _step_text(self, out: list[Piece]) -> None:
        rest = self.held.lstrip(" \t\r\n[,]")
        if rest.startswith("{"):
            self.held = rest
            self.state = "header"
        elif rest:
            out.append(Text(rest))
            self.held = ""
        else:
            self.held = ""
