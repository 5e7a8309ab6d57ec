"""Llama 3.x JSON tool calls: ``{"name": ..., "parameters": {...}}``, several joined by ``;``.

A message (after leading whitespace) that starts with ``{`` or ``<|python_tag|>`` starts with
calls, as in vLLM's streaming ``llama3_json`` parser. The arguments may be called
``"parameters"`` (Llama's own prompt) or ``"arguments"``. A message that starts with a JSON object
that is not a call (no ``"name"`` and ``"parameters"``/``"arguments"``) is content, e.g. a JSON
answer. Text after the calls is content as well.

After leading text, a call is recognised too ("Let me look that up. {"name": ...}"), as vLLM's
non-streaming ``extract_tool_calls`` does (it decodes every ``{`` of the output with
``raw_decode`` and keeps the objects with a ``name`` and ``arguments``/``parameters``). To keep
prose with JSON in it prose, such a mid-text object is a call only when it has the usual header
(``{"name": ..., "parameters"|"arguments": ``) and names a bound tool; any other ``{...}`` there
is content, whole. A ``<|python_tag|>`` after text starts calls as at the start.

``<|eom_id|>`` needs no handling: it is one of Llama's end-of-sequence tokens, which vLLM never
puts in the output text.

Example:
    >>> p = Llama3JsonFormat().new_parser()
    >>> p.feed('{"name": "f", "parameters": {"a": 1}}') + p.close()
    [CallStart(name='f'), CallArgs(fragment='{"a": 1}'), CallEnd(complete=True)]
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from .base import (
    BadCall,
    FormatParser,
    JsonValueScanner,
    Piece,
    Text,
    ToolCallFormat,
    partial_marker_suffix,
)
from .hermes import _HEADER, _HEADER_LIMIT
from .json_calls import JsonCallsParser

PYTHON_TAG = "<|python_tag|>"
_SEPARATORS = " \t\r\n;"


class Llama3JsonParser(JsonCallsParser):
    """Incremental parser for :class:`Llama3JsonFormat` (one response); ``tool_names`` are the
    bound tools a call after leading text must name (``None``: any name)."""

    def __init__(self, tool_names: Collection[str] | None = None) -> None:
        super().__init__()
        # start | text | maybe_call | json_text | tagged | junk | between | (MarkedJsonParser's)
        self.state = "start"
        self.opening = False  # the first object of an untagged message: may be a JSON answer
        self.junk: list[str] = []
        self.tool_names = None if tool_names is None else frozenset(tool_names)
        self.text_scanner = JsonValueScanner()

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
        found = [p for p in (self.held.find("{"), self.held.find(PYTHON_TAG)) if p >= 0]
        if not found:
            keep = partial_marker_suffix(self.held, (PYTHON_TAG,))
            if len(self.held) > keep:
                out.append(Text(self.held[: len(self.held) - keep]))
                self.held = self.held[len(self.held) - keep :]
            return
        pos = min(found)
        if pos:
            out.append(Text(self.held[:pos]))
        self.held = self.held[pos:]
        if self.held.startswith(PYTHON_TAG):
            self.held = self.held[len(PYTHON_TAG) :]
            self.state = "tagged"
        else:
            self.state = "maybe_call"

    def _step_maybe_call(self, out: list[Piece]) -> None:
        """A ``{`` after text: a call only with the usual header naming a bound tool."""
        match = _HEADER.match(self.held)
        if match is not None:
            name = json.loads(f'"{match.group(1)}"')
            if self.tool_names is None or name in self.tool_names:
                self.opening = False
                self._enter_object(self.held)
                return
        elif _HEADER.match(self.held, partial=True) is not None and len(self.held) < _HEADER_LIMIT:
            return  # may still become a call header
        self.text_scanner = JsonValueScanner()
        self.state = "json_text"

    def _step_json_text(self, out: list[Piece]) -> None:
        """A ``{...}`` in prose that is not a call: content up to its end (calls inside it are
        the object's data, not calls)."""
        used = self.text_scanner.feed(self.held)
        cut = len(self.held) if used is None else used
        out.append(Text(self.held[:cut]))
        self.held = self.held[cut:]
        if used is not None:
            self.state = "text"

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
        if self.state in ("start", "between", "maybe_call", "json_text"):
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

    def __init__(self, tool_names: Collection[str] | None = None) -> None:
        self.tool_names = tool_names

    def new_parser(self) -> FormatParser:
        return Llama3JsonParser(self.tool_names)

    def for_tools(self, tool_names: Collection[str]) -> Llama3JsonFormat:
        return Llama3JsonFormat(tool_names)

    def call_structure(self, name: str) -> tuple[str, str]:
        return f'{{"name": {json.dumps(name)}, "parameters": ', "}"

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        return json.dumps({"name": name, "parameters": arguments}, ensure_ascii=False)
