"""DeepSeek tool calls: V3 / R1 (``deepseek_v3``) and V3.1 / V3.2-Exp (``deepseek_v31``).

Both put the calls in a section ``<｜tool▁calls▁begin｜> ... <｜tool▁calls▁end｜>`` with one
``<｜tool▁call▁begin｜> ... <｜tool▁call▁end｜>`` per call (the bars are U+FF5C, the low lines
U+2581, as in DeepSeek's tokenizer). Inside a call:

- V3: ``function<｜tool▁sep｜>NAME``, a newline, then the arguments in a ```json fenced block;
- V3.1: ``NAME<｜tool▁sep｜>{...}``.

Text before and after the section is content; anything inside the section that is not a call
becomes a ``BadCall``. The end of a call is looked for only once its arguments JSON is complete,
so marker text inside a JSON string never ends a call.

Example:
    >>> p = DeepSeekV31Format().new_parser()
    >>> p.feed(DeepSeekV31Format().render_call("f", {"a": 1})) + p.close()
    [CallStart(name='f'), CallArgs(fragment='{"a": 1}'), CallEnd(complete=True)]
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
from .hermes import MarkedJsonParser

CALLS_BEGIN = "<｜tool▁calls▁begin｜>"
CALLS_END = "<｜tool▁calls▁end｜>"
CALL_BEGIN = "<｜tool▁call▁begin｜>"
CALL_END = "<｜tool▁call▁end｜>"
SEP = "<｜tool▁sep｜>"
FENCE = "```"

_V3_HEADER = regex.compile(
    rf"\s*(?P<type>[^<\n]*){regex.escape(SEP)}(?P<name>[^<\n`]*)\s*{FENCE}json"
)
_V31_HEADER = regex.compile(rf"\s*(?P<name>[^<\n]*){regex.escape(SEP)}")
_HEADER_LIMIT = 512  # a header longer than this is not a call header
_SECTION_BEGIN = regex.compile(f"{regex.escape(CALLS_BEGIN)}|{regex.escape(CALL_BEGIN)}")
_JUNK_END = regex.compile("|".join(regex.escape(m) for m in (CALL_END, CALL_BEGIN, CALLS_END)))
_NOT_A_CALL = "text in the tool-call section is not a tool call"


class DeepSeekParser(MarkedJsonParser):
    """Incremental parser for the DeepSeek formats (one response).

    ``header`` matches a call's text from after ``<｜tool▁call▁begin｜>`` up to its arguments and
    captures ``name``; ``fence`` is the text allowed between the arguments and
    ``<｜tool▁call▁end｜>`` (besides whitespace). Reuses Hermes's streaming of the arguments.
    """

    def __init__(self, header: regex.Pattern[str], fence: str) -> None:
        super().__init__(begin=CALLS_BEGIN, end=CALL_END)
        self.header, self.fence = header, fence
        # text | section | header | args | after_args | junk
        self.section_empty = True  # nothing read yet in the current tool-call section
        self.junk: list[str] = []  # text that is not a call, in pieces
        self.junk_error = ""

    def _step_text(self, out: list[Piece]) -> None:
        match = _SECTION_BEGIN.search(self.held)
        if match:
            if match.start():
                out.append(Text(self.held[: match.start()]))
            self.held = self.held[match.end() :]
            self.section_empty = True
            # a call written without the section marker is accepted as a section of its own
            self.state = "section" if match.group() == CALLS_BEGIN else "header"
            return
        keep = partial_marker_suffix(self.held, (CALLS_BEGIN, CALL_BEGIN))
        if len(self.held) > keep:
            out.append(Text(self.held[: len(self.held) - keep]))
            self.held = self.held[len(self.held) - keep :]

    def _step_section(self, out: list[Piece]) -> None:
        """Between calls: the next call, the end of the section, or junk."""
        stripped = self.held.lstrip()
        if stripped.startswith(CALL_BEGIN):
            self.held = stripped[len(CALL_BEGIN) :]
            self.state = "header"
        elif stripped.startswith(CALLS_END):
            self.held = stripped[len(CALLS_END) :]
            self.state = "text"
        elif CALL_BEGIN.startswith(stripped) or CALLS_END.startswith(stripped):
            self.held = stripped  # empty, or maybe the start of a marker
        else:
            self._to_junk(stripped, _NOT_A_CALL)

    def _step_header(self, out: list[Piece]) -> None:
        match = self.header.match(self.held)
        if match:
            out.append(CallStart(match.group("name").strip()))
            self.section_empty = False
            self.held = self.held[match.end() :]
            self.scanner = JsonValueScanner()
            self.state = "args"
        elif self.header.match(self.held, partial=True) is None or len(self.held) > _HEADER_LIMIT:
            self._to_junk(self.held, "tool call does not start with its name and separator")

    def _step_after_args(self, out: list[Piece]) -> None:
        """After the arguments JSON: the closing fence (V3) and ``<｜tool▁call▁end｜>``."""
        rest = self.held.lstrip()
        if self.fence and rest.startswith(self.fence):
            rest = rest[len(self.fence) :].lstrip()
        if rest.startswith(CALL_END):
            self.held = rest[len(CALL_END) :]
            self.state = "section"
        elif not (CALL_END.startswith(rest) or self.fence.startswith(self.held.lstrip())):
            self.held = rest  # no call end: let the section decide what this is
            self.state = "section"

    def _to_junk(self, text: str, error: str) -> None:
        self.section_empty = False
        self.held = text
        self.junk = []
        self.junk_error = error
        self.state = "junk"

    def _step_junk(self, out: list[Piece]) -> None:
        """Text that is not a call, up to the next call marker: one ``BadCall``."""
        match = _JUNK_END.search(self.held)
        if match:
            raw = "".join([*self.junk, self.held[: match.start()]]).strip()
            out.append(BadCall(raw, self.junk_error))
            end = match.end() if match.group() == CALL_END else match.start()
            self.held = self.held[end:]
            self.state = "section"
            return
        keep = partial_marker_suffix(self.held, (CALL_END, CALL_BEGIN, CALLS_END))
        self.junk.append(self.held[: len(self.held) - keep])
        self.held = self.held[len(self.held) - keep :]

    def close(self) -> list[Piece]:
        out: list[Piece] = []
        raw = self.held.strip()
        if self.state == "section" and self.section_empty:
            out.append(BadCall(raw, "tool calls cut off"))  # (a call's partial marker, if any)
        elif self.state == "header":
            out.append(BadCall(raw, "tool call cut off before its arguments"))
        elif self.state == "junk":
            out.append(BadCall("".join([*self.junk, self.held]).strip(), self.junk_error))
        elif self.state in ("text", "args"):
            return super().close()
        self.held = ""
        self.state = "text"
        return out


class DeepSeekV3Format(ToolCallFormat):
    """DeepSeek V3 / R1 tool calls, vLLM's ``deepseek_v3``: the arguments in a ```json block.

    >>> DeepSeekV3Format().render_call("f", {}).count("```")
    2
    """

    name = "deepseek_v3"
    special_markers = (CALLS_BEGIN, CALLS_END, CALL_BEGIN, CALL_END, SEP)

    def new_parser(self) -> FormatParser:
        return DeepSeekParser(_V3_HEADER, FENCE)

    def call_structure(self, name: str) -> tuple[str, str]:
        return (
            f"{CALLS_BEGIN}{CALL_BEGIN}function{SEP}{name}\n{FENCE}json\n",
            f"\n{FENCE}{CALL_END}{CALLS_END}",
        )

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        begin, end = self.call_structure(name)
        return begin + json.dumps(arguments, ensure_ascii=False) + end


class DeepSeekV31Format(ToolCallFormat):
    """DeepSeek V3.1 / V3.2-Exp tool calls, vLLM's ``deepseek_v31``: ``NAME<｜tool▁sep｜>{...}``.

    >>> DeepSeekV31Format().call_structure("f")[0].endswith("f<｜tool▁sep｜>")
    True
    """

    name = "deepseek_v31"
    special_markers = (CALLS_BEGIN, CALLS_END, CALL_BEGIN, CALL_END, SEP)

    def new_parser(self) -> FormatParser:
        return DeepSeekParser(_V31_HEADER, "")

    def call_structure(self, name: str) -> tuple[str, str]:
        return f"{CALLS_BEGIN}{CALL_BEGIN}{name}{SEP}", f"{CALL_END}{CALLS_END}"

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        begin, end = self.call_structure(name)
        return begin + json.dumps(arguments, ensure_ascii=False) + end
