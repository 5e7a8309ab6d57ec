"""Shared parsing for formats whose calls are bare JSON objects written one after another.

Llama 3 JSON (``{...}; {...}``) and Mistral's pre-v11 array (``[TOOL_CALLS] [{...}, {...}]``) write
each call as ``{"name": ..., "arguments": ...}`` with no marker of its own around it. This module
extends Hermes's :class:`~vllm_native.formats.hermes.MarkedJsonParser` (header, streamed arguments,
whole-object fallback) so that a call ends with its object and the parser then moves to a
``between`` state, which each format defines (separators, the end of the list, plain text).

Example (the Llama 3 JSON format is built on it):
    >>> from vllm_native.formats.llama3_json import Llama3JsonFormat
    >>> p = Llama3JsonFormat().new_parser()
    >>> p.feed('{"name": "f", "parameters": {}}; {"name": "g", "parameters": {"a": 1}}')[3:]
    [CallStart(name='g'), CallArgs(fragment='{"a": 1}'), CallEnd(complete=True)]
"""

from __future__ import annotations

from .base import Piece
from .hermes import MarkedJsonParser, _pieces_from_whole


class JsonCallsParser(MarkedJsonParser):
    """A :class:`MarkedJsonParser` whose calls are not wrapped in markers: each call object ends
    the call, then the subclass's ``_step_between`` decides what follows.

    Subclasses enter a call by putting the text that starts with ``{`` in ``held`` and setting
    ``state = "header"``; they implement ``_step_text`` and ``_step_between`` (and any state of
    their own), and may override :meth:`_whole_pieces` for objects that did not start with the
    usual ``{"name": ..., "arguments": ...`` header.
    """

    def __init__(self) -> None:
        super().__init__(begin="", end="")  # calls carry no markers; subclasses find them
        self.whole_parts: list[str] = []  # the object read as a whole, in pieces (no O(n) +=)

    def _step_header(self, out: list[Piece]) -> None:
        super()._step_header(out)
        if self.state == "whole":
            self.whole_parts = []

    def _step_after_args(self, out: list[Piece]) -> None:
        # skip the rest of the call object (normally just "}")
        used = self.tail_scanner.feed(self.held)
        if used is None:
            self.held = ""
            return
        self.held = self.held[used:]
        self.state = "between"

    def _step_whole(self, out: list[Piece]) -> None:
        used = self.scanner.feed(self.held)
        if used is None:
            self.whole_parts.append(self.held)
            self.held = ""
            return
        raw = "".join(self.whole_parts) + self.held[:used]
        self.held = self.held[used:]
        self.state = "between"
        out.extend(self._whole_pieces(raw))

    def _whole_pieces(self, raw: str) -> list[Piece]:
        """Pieces for a complete call object read as a whole (any key order); may set ``state``."""
        return _pieces_from_whole(raw)

    def close(self) -> list[Piece]:
        self.whole = "".join(self.whole_parts)
        return super().close()

    def _enter_object(self, text: str) -> None:
        """Start reading a call object; ``text`` begins with ``{``."""
        self.held = text
        self.state = "header"
