"""Llama 3.x JSON tool calls: ``{"name": ..., "parameters": {...}}``, several joined by ``;``.

As vLLM's ``llama3_json`` parser does, calls are recognised only when the message (after leading
whitespace) starts with ``{`` or with ``<|python_tag|>``; any other message is plain text. The
arguments may be called ``"parameters"`` (Llama's own prompt) or ``"arguments"``. A message that
starts with a JSON object that is not a call (no ``"name"`` and ``"parameters"``/``"arguments"``)
is content, e.g. a JSON answer. Text after the calls is content as well.

``<|eom_id|>`` needs no handling: it is one of Llama's end-of-sequence tokens, which vLLM never
puts in the output text.

Example:
    >>> p = Llama3JsonFormat().new_parser()
    >>> p.feed('{"name": "f", "parameters": {"a": 1}}') + p.close()
    [CallStart(name='f'), CallArgs(fragment='{"a": 1}'), CallEnd(complete=True)]
"""

from __future__ import annotations

import json
from typing import Any

from .base import BadCall, FormatParser, Piece, Text, ToolCallFormat
from .json_calls import JsonCallsParser

PYTHON_TAG = "<|python_tag|>"
_SEPARATORS = " \t\r\n;"


class Llama3JsonParser(JsonCallsParser):
    """Incremental parser for :class:`Llama3JsonFormat` (one response)."""

    def __init__(self) -> None:
        super().__init__()
        self.state = "start"  # start | text | tagged | junk | between | (MarkedJsonParser's)
        self.opening = False  # the first object of an untagged message: may be a JSON answer
        self.junk: list[str] = []

    def _step_start(self, out: list[Piece]) -> None:
        stripped = self.held.lstrip()
        if len(stripped) < len(self.held):
            out.append(Text(self.held[: len(self.held) - len(stripped)]))
            self.held = stripped
        if not stripped:
            return
        if stripped.startswith(PYTHON_TAG):
            self.held = stripped[len(PYTHON_TAG) :]
            self.state = "tagged"
        elif stripped.startswith("{"):
            self.opening = True
            self._enter_object(stripped)
        elif not PYTHON_TAG.startswith(stripped):
            self.state = "text"

    def _step_text(self, out: list[Piece]) -> None:
        out.append(Text(self.held))
        self.held = ""

    def _step_tagged(self, out: list[Piece]) -> None:
        stripped = self.held.lstrip()
        if stripped.startswith("{"):
            self._enter_object(stripped)
        elif stripped:
            self.held = stripped
            self.state = "junk"
        else:
            self.held = ""

    def _step_junk(self, out: list[Piece]) -> None:
        self.junk.append(self.held)
        self.held = ""

    def _step_between(self, out: list[Piece]) -> None:
        self.opening = False
        stripped = self.held.lstrip(_SEPARATORS)
        if stripped.startswith("{"):
            self._enter_object(stripped)
        elif stripped.startswith(PYTHON_TAG):
            self.held = stripped[len(PYTHON_TAG) :]
            self.state = "tagged"
        elif PYTHON_TAG.startswith(stripped):
            self.held = stripped  # empty, or maybe the start of another tag
        else:
            self.held = stripped
            self.state = "text"

    def _whole_pieces(self, raw: str) -> list[Piece]:
        if self.opening and not _is_call_object(raw):
            self.state = "text"
            return [Text(raw)]
        return super()._whole_pieces(raw)

    def close(self) -> list[Piece]:
        out: list[Piece]
        if self.state in ("start", "between"):
            out = [Text(self.held)] if self.held else []
        elif self.state in ("tagged", "junk"):
            raw = "".join([*self.junk, self.held]).strip()
            out = [BadCall(raw, f"text after {PYTHON_TAG} is not a JSON tool call")]
        elif self.state == "whole" and self.opening:
            out = [Text("".join([*self.whole_parts, self.held]))]
        else:
            return super().close()
        self.held = ""
        self.state = "text"
        return out


def _is_call_object(raw: str) -> bool:
    try:
        obj = json.loads(raw)
    except ValueError:
        return False
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("name"), str)
        and ("parameters" in obj or "arguments" in obj)
    )


class Llama3JsonFormat(ToolCallFormat):
    """Llama 3.1 / 3.2 / 3.3 (and Llama 4 in JSON mode) tool calls, vLLM's ``llama3_json``.

    >>> Llama3JsonFormat().render_call("f", {"a": 1})
    '{"name": "f", "parameters": {"a": 1}}'
    """

    name = "llama3_json"
    special_markers = (PYTHON_TAG,)

    def new_parser(self) -> FormatParser:
        return Llama3JsonParser()

    def call_structure(self, name: str) -> tuple[str, str]:
        return f'{{"name": {json.dumps(name)}, "parameters": ', "}"

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        return json.dumps({"name": name, "parameters": arguments}, ensure_ascii=False)
