"""Hermes / Qwen2.5 / Qwen3 tool calls: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``.

Example:
    >>> p = HermesFormat().new_parser()
    >>> p.feed('<tool_call>\\n{"name": "f", "arguments": {}}\\n</tool_call>')
    [CallStart(name='f'), CallArgs(fragment='{}'), CallEnd(complete=True)]
"""

from __future__ import annotations

import json
from typing import Any

import regex

from .base import (
    BadCall,
    CallArgs,
    CallEnd,
    CallStart,
    FormatParser,
    JsonValueScanner,
    Piece,
    StateMachine,
    Text,
    ToolCallFormat,
    partial_marker_suffix,
)

_HEADER = regex.compile(
    r'\s*\{\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"(?:arguments|parameters)"\s*:\s*'
)
_HEADER_LIMIT = (
    512  # a header longer than this is not the usual shape: parse the whole call at its end
)


class MarkedJsonParser(StateMachine, FormatParser):
    """Parser for formats that wrap one JSON call object in ``begin``/``end`` markers."""

    def __init__(self, begin: str, end: str) -> None:
        self.begin, self.end = begin, end
        self.state = "text"  # text | header | args | after_args | whole
        self.held = ""  # undecided text (text state) or call text being read
        self.scanner = JsonValueScanner()

    def feed(self, text: str) -> list[Piece]:
        out: list[Piece] = []
        self.run_steps(text, out)
        return out

    # -- states -----------------------------------------------------------------------------
    def _step_text(self, out: list[Piece]) -> None:
        pos = self.held.find(self.begin)
        if pos >= 0:
            if pos:
                out.append(Text(self.held[:pos]))
            self.held = self.held[pos + len(self.begin) :]
            self.state = "header"
            return
        keep = partial_marker_suffix(self.held, (self.begin,))
        if len(self.held) > keep:
            out.append(Text(self.held[: len(self.held) - keep]))
            self.held = self.held[len(self.held) - keep :]

    def _step_header(self, out: list[Piece]) -> None:
        match = _HEADER.match(self.held)
        if match:
            out.append(CallStart(json.loads(f'"{match.group(1)}"')))
            self.held = self.held[match.end() :]
            self.scanner = JsonValueScanner()
            self.state = "args"
            return
        stripped = self.held.lstrip()
        could_be_header = _HEADER.match(self.held, partial=True) is not None
        if not could_be_header or len(self.held) > _HEADER_LIMIT:
            self.state = "whole"
            self.scanner = JsonValueScanner()
            self.whole = ""
            self.whole_is_json = stripped.startswith("{")

    def _step_args(self, out: list[Piece]) -> None:
        used = self.scanner.feed(self.held)
        if used is None:
            fragment = self.held if self.scanner.started else ""
            if fragment:
                out.append(CallArgs(fragment.lstrip() if not self._args_emitted else fragment))
                self._args_emitted = True
            self.held = ""
            return
        fragment = self.held[:used]
        if fragment.strip():
            out.append(CallArgs(fragment.lstrip() if not self._args_emitted else fragment))
        out.append(CallEnd())
        self._args_emitted = False
        self.held = self.held[used:]
        self.state = "after_args"
        self.tail_scanner = JsonValueScanner()
        self.tail_scanner.feed("{")  # we are inside the call object, after its arguments

    _args_emitted = False

    def _step_after_args(self, out: list[Piece]) -> None:
        # skip the rest of the call object (normally just "}") and the end marker
        used = self.tail_scanner.feed(self.held) if self.tail_scanner.depth else 0
        if used is None:
            self.held = ""
            return
        rest = self.held[used:]
        stripped = rest.lstrip()
        if stripped.startswith(self.end):
            self.held = stripped[len(self.end) :]
            self.state = "text"
        elif self.end.startswith(stripped):
            self.held = rest  # wait for more
            self.tail_scanner.depth = 0
        else:  # no end marker: the call ended with its object
            self.held = rest
            self.state = "text"

    def _step_whole(self, out: list[Piece]) -> None:
        if self.whole_is_json:
            used = self.scanner.feed(self.held)
            if used is None:
                self.whole += self.held
                self.held = ""
                return
            self.whole += self.held[:used]
            self.held = self.held[used:]
            self.whole_is_json = False  # now look for the end marker
            self._json_done = True
            return
        pos = self.held.find(self.end)
        if pos >= 0:
            self.whole += self.held[:pos]
            self.held = self.held[pos + len(self.end) :]
            out.extend(_pieces_from_whole(self.whole))
            self.state = "text"
            self._json_done = False
            return
        keep = partial_marker_suffix(self.held, (self.end,))
        self.whole += self.held[: len(self.held) - keep]
        self.held = self.held[len(self.held) - keep :]

    _json_done = False

    def close(self) -> list[Piece]:
        out: list[Piece] = []
        if self.state == "text":
            if self.held:
                out.append(Text(self.held))
        elif self.state == "header":
            out.append(BadCall(self.held.strip(), "tool call cut off before its name"))
        elif self.state == "args":
            out.append(CallEnd(complete=self.scanner.done_possible))
        elif self.state == "whole":
            raw = (self.whole + self.held).strip()
            if self._json_done:
                out.extend(_pieces_from_whole(raw))
            else:
                out.append(BadCall(raw, "tool call cut off before its end"))
        self.held = ""
        self.state = "text"
        return out


def _pieces_from_whole(raw: str) -> list[Piece]:
    """A call whose whole text is known: ``{"name":..., "arguments":...}`` in any key order."""
    raw = raw.strip()
    try:
        obj: Any = json.loads(raw)
    except ValueError as exc:
        return [BadCall(raw, f"tool call is not valid JSON: {exc}")]
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        return [BadCall(raw, "tool call has no string 'name'")]
    args = obj.get("arguments", obj.get("parameters", {}))
    return [CallStart(obj["name"]), CallArgs(json.dumps(args, ensure_ascii=False)), CallEnd()]


class HermesFormat(ToolCallFormat):
    """``<tool_call>{"name": ..., "arguments": ...}</tool_call>`` (Hermes 2/3, Qwen2.5, Qwen3)."""

    name = "hermes"
    special_markers = ("<tool_call>", "</tool_call>")

    def new_parser(self) -> FormatParser:
        return MarkedJsonParser("<tool_call>", "</tool_call>")

    def call_structure(self, name: str) -> tuple[str, str]:
        return f'<tool_call>\n{{"name": {json.dumps(name)}, "arguments": ', "}\n</tool_call>"

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        payload = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
        return f"<tool_call>\n{payload}\n</tool_call>"
