"""Mistral tool calls, after a ``[TOOL_CALLS]`` marker, in either of Mistral's two shapes.

- Tokenizers before v11 (Mistral 7B v0.3, Mixtral 8x22B, Mistral Nemo): a JSON array of call
  objects, ``[TOOL_CALLS] [{"name": "f", "arguments": {...}}, ...]`` (a bare object is accepted).
- v11 and later (Mistral Small 3.x, Magistral, Devstral, ...): ``[TOOL_CALLS]f[ARGS]{...}``, the
  marker repeated for each parallel call. v11 may put ``[CALL_ID]id`` before ``[ARGS]``; a ``{``
  right after the name is accepted in place of ``[ARGS]`` (as vLLM does).

Text before the marker, and after a call, is content. Text between the marker and a pre-v11
array (``[TOOL_CALLS] Sure! [{...}]``, a code fence) does not lose the calls: vLLM's parser
falls back to the first ``[{...}]`` in what follows the marker when it does not start with JSON
(``tool_call_regex`` in ``_legacy_extract_tool_calls``, ``vllm/parser/mistral.py``); here that
text stays content (nothing is dropped) and the array's calls are calls.

Example:
    >>> p = MistralFormat().new_parser()
    >>> p.feed('Sure.[TOOL_CALLS]f[ARGS]{"a": 1}') + p.close()
    [Text(text='Sure.'), CallStart(name='f'), CallArgs(fragment='{"a": 1}'), CallEnd(complete=True)]
"""

from __future__ import annotations

import json
from typing import Any

import regex

from .base import (
    BadCall,
    CallStart,
    FormatParser,
    JsonValueScanner,
    Piece,
    Text,
    ToolCallFormat,
    partial_marker_suffix,
)
from .json_calls import JsonCallsParser

TOOL_CALLS = "[TOOL_CALLS]"
ARGS = "[ARGS]"
CALL_ID = "[CALL_ID]"
_NAME_LIMIT = 256  # a name (or call id) longer than this means the text is not a call
_NOT_A_CALL = f"text after {TOOL_CALLS} is not a tool call"
_NAME_END = regex.compile("|".join(regex.escape(m) for m in (ARGS, CALL_ID, "{", TOOL_CALLS)))
_CALL_ID_END = regex.compile("|".join(regex.escape(m) for m in (ARGS, "{")))


class MistralParser(JsonCallsParser):
    """Incremental parser for :class:`MistralFormat` (one response)."""

    def __init__(self) -> None:
        super().__init__()
        # text | marker | name | call_id | junk | between | (MarkedJsonParser's states)
        self.state = "text"
        self.in_array = False  # inside a pre-v11 JSON array of calls
        self.v11 = False  # the current call is name[ARGS]json, not a JSON object
        self.name = ""
        self.junk: list[str] = []  # text that is not a call, in pieces

    def _step_text(self, out: list[Piece]) -> None:
        pos = self.held.find(TOOL_CALLS)
        if pos >= 0:
            if pos:
                out.append(Text(self.held[:pos]))
            self.held = self.held[pos + len(TOOL_CALLS) :]
            self.state = "marker"
            return
        keep = partial_marker_suffix(self.held, (TOOL_CALLS,))
        if len(self.held) > keep:
            out.append(Text(self.held[: len(self.held) - keep]))
            self.held = self.held[len(self.held) - keep :]

    def _step_marker(self, out: list[Piece]) -> None:
        """Right after ``[TOOL_CALLS]``: decide between the array, an object and ``name[ARGS]``."""
        stripped = self.held.lstrip()
        if stripped.startswith(TOOL_CALLS):  # a repeated marker counts once
            self.held = stripped[len(TOOL_CALLS) :]
        elif any(m.startswith(stripped) for m in (TOOL_CALLS, ARGS, CALL_ID)):
            self.held = stripped  # empty or undecided: wait
        elif stripped.startswith("[") and not stripped.startswith((ARGS, CALL_ID)):
            self.in_array = True
            self.held = stripped[1:]
            self.state = "between"
        elif stripped.startswith("{"):
            self.in_array = False
            self._enter_object(stripped)
        else:
            self.held = stripped
            self.state = "name"

    def _step_name(self, out: list[Piece]) -> None:
        match = _NAME_END.search(self.held)
        if match is None:
            if len(self.held) > _NAME_LIMIT:
                self._to_junk()
            return
        pos, marker = match.start(), match.group()
        self.name = self.held[:pos].strip()
        before = self.held[:pos].rstrip()
        if marker == "{" and before.endswith("["):  # junk, then a pre-v11 array
            if before[:-1].strip():
                out.append(Text(before[:-1]))
            self.in_array = True
            self._enter_object(self.held[pos:])
        elif marker == TOOL_CALLS:
            out.append(BadCall(self.name, "tool call has no arguments", name=self.name or None))
            self.held = self.held[pos:]
            self.state = "text"
        elif marker == CALL_ID:
            self.held = self.held[pos + len(CALL_ID) :]
            self.state = "call_id"
        else:
            self._start_v11_args(out, self.held[pos + len(ARGS) if marker == ARGS else pos :])

    def _step_call_id(self, out: list[Piece]) -> None:
        match = _CALL_ID_END.search(self.held)
        if match is None:
            if len(self.held) > _NAME_LIMIT:
                self.held = f"{self.name}{CALL_ID}{self.held}"
                self._to_junk()
            return
        pos, marker = match.start(), match.group()
        self._start_v11_args(out, self.held[pos + len(ARGS) if marker == ARGS else pos :])

    def _start_v11_args(self, out: list[Piece], rest: str) -> None:
        out.append(CallStart(self.name))
        self.v11 = True
        self.held = rest
        self.scanner = JsonValueScanner()
        self.state = "args"

    def _step_after_args(self, out: list[Piece]) -> None:
        if self.v11:  # the arguments were the whole call
            self.v11 = False
            self.state = "text"
        else:
            super()._step_after_args(out)

    def _step_between(self, out: list[Piece]) -> None:
        if not self.in_array:  # a bare call object ends the calls
            self.state = "text"
            return
        stripped = self.held.lstrip(" \t\r\n,")
        if stripped.startswith("{"):
            self._enter_object(stripped)
        elif stripped.startswith("]"):
            self.in_array = False
            self.held = stripped[1:]
            self.state = "text"
        elif stripped:
            self.held = stripped
            self._to_junk()
        else:
            self.held = ""

    def _to_junk(self) -> None:
        self.junk = []
        self.in_array = False
        self.state = "junk"

    def _step_junk(self, out: list[Piece]) -> None:
        """Text that is not a call, up to the next ``[TOOL_CALLS]``: one ``BadCall``."""
        pos = self.held.find(TOOL_CALLS)
        if pos >= 0:
            out.append(BadCall("".join([*self.junk, self.held[:pos]]).strip(), _NOT_A_CALL))
            self.held = self.held[pos:]
            self.state = "text"
            return
        keep = partial_marker_suffix(self.held, (TOOL_CALLS,))
        self.junk.append(self.held[: len(self.held) - keep])
        self.held = self.held[len(self.held) - keep :]

    def close(self) -> list[Piece]:
        out: list[Piece]
        if self.state == "marker":
            out = [BadCall(self.held.strip(), f"tool call cut off after {TOOL_CALLS}")]
        elif self.state == "name":
            out = [BadCall(self.held.strip(), "tool call cut off before its arguments")]
        elif self.state == "call_id":
            raw = f"{self.name}{CALL_ID}{self.held}".strip()
            out = [BadCall(raw, "tool call cut off before its arguments", name=self.name or None)]
        elif self.state == "junk":
            out = [BadCall("".join([*self.junk, self.held]).strip(), _NOT_A_CALL)]
        elif self.state == "between":
            out = []  # an array cut off between complete calls
        else:
            return super().close()
        self.held = ""
        self.state = "text"
        return out


class MistralFormat(ToolCallFormat):
    """Mistral tool calls, vLLM's ``mistral``: ``[TOOL_CALLS]`` then a JSON array (tokenizers
    before v11) or ``name[ARGS]{...}`` per call (v11+). Renders and constrains the v11+ shape.

    >>> MistralFormat().render_call("f", {"a": 1})
    '[TOOL_CALLS]f[ARGS]{"a": 1}'
    """

    name = "mistral"
    special_markers = (TOOL_CALLS, ARGS, CALL_ID)
    call_ids = "mistral"

    def new_parser(self) -> FormatParser:
        return MistralParser()

    def call_structure(self, name: str) -> tuple[str, str]:
        return f"{TOOL_CALLS}{name}{ARGS}", ""

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        return f"{TOOL_CALLS}{name}{ARGS}{json.dumps(arguments, ensure_ascii=False)}"
