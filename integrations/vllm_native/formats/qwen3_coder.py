"""Qwen3-Coder / Qwen3.5 XML tool calls (vLLM's ``qwen3_coder`` and ``qwen3_xml``)::

    <tool_call>
    <function=get_weather>
    <parameter=city>
    Paris
    </parameter>
    </function>
    </tool_call>

Parameter values are raw text. One leading and one trailing newline (the template's markup) are
removed, then the value is converted without a schema, since a parser knows none: text that is a
JSON number, ``true``/``false``, ``null``, object or array becomes that value, anything else stays a
string (``Paris``, ``"quoted"``, ``NaN`` and numbers too large for JSON stay strings). vLLM keeps
every value a string when it has no schema and converts by schema otherwise; the JSON rule gives the
schema-typed result for the usual cases (a string parameter whose value looks like a number is the
exception). Arguments stream as JSON object text, one fragment per finished parameter (``{"a": 1``,
``, "b": "x"``, then ``}``; ``{}`` for none), so they concatenate to
``json.dumps(arguments, ensure_ascii=False)``.

Like vLLM, a ``<function=`` without ``<tool_call>`` also starts a call, a missing ``</parameter>``
ends at the next ``<parameter=`` or ``</function>``, a missing ``</function>`` at ``</tool_call>``,
and stray text between parameters is ignored. A parameter given twice, or a malformed parameter tag,
turns the call into ``BadCall(raw, error, name=...)`` after its ``CallStart``.

Example:
    >>> p = Qwen3CoderFormat().new_parser()
    >>> p.feed("<tool_call>\\n<function=f>\\n<parameter=n>\\n5\\n</parameter>\\n</function>\\n</tool_call>")
    [CallStart(name='f'), CallArgs(fragment='{"n": 5'), CallArgs(fragment='}'), CallEnd(complete=True)]
"""

from __future__ import annotations

import json
import math
from typing import Any

from .base import (
    BadCall,
    CallArgs,
    CallEnd,
    CallStart,
    FormatParser,
    Piece,
    StateMachine,
    Text,
    ToolCallFormat,
    partial_marker_suffix,
)

TOOL_START, TOOL_END = "<tool_call>", "</tool_call>"
FUNC_START, FUNC_END = "<function=", "</function>"
PARAM_START, PARAM_END = "<parameter=", "</parameter>"
_NAME_LIMIT = 256  # a function or parameter name longer than this is not a name

_TEXT_MARKERS = (TOOL_START, FUNC_START)
_ARGS_MARKERS = (PARAM_START, FUNC_END, TOOL_END, FUNC_START, TOOL_START)
_VALUE_MARKERS = (PARAM_END, PARAM_START, FUNC_END, TOOL_END)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} has no JSON form")
    return value


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} has no JSON form")


def parameter_value(raw: str) -> Any:
    """The value of one parameter from its raw text, by the rule in the module docstring.

    >>> [parameter_value(v) for v in ["\\n5\\n", "Paris", "[1, 2]", "true", '"x"', "1e999"]]
    [5, 'Paris', [1, 2], True, '"x"', '1e999']
    """
    if raw.startswith("\n"):
        raw = raw[1:]
    if raw.endswith("\n"):
        raw = raw[:-1]
    try:
        value = json.loads(raw, parse_float=_finite_float, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return raw
    return raw if isinstance(value, str) else value


def _find_first(text: str, markers: tuple[str, ...]) -> tuple[int, str]:
    """Position and text of the earliest marker in ``text``; ``(-1, "")`` when none."""
    best, found = -1, ""
    for marker in markers:
        pos = text.find(marker, 0, best + len(marker) if best >= 0 else len(text))
        if pos >= 0 and (best < 0 or pos < best):
            best, found = pos, marker
    return best, found


def _valid_name(name: str) -> bool:
    return bool(name) and "<" not in name and "\n" not in name


class Qwen3CoderParser(StateMachine, FormatParser):
    """Incremental parser for the Qwen3-Coder XML format; see the module docstring."""

    def __init__(self) -> None:
        self.state = "text"
        self.held = ""  # text not yet consumed
        self.raw: list[str] = []  # the current call's text after <tool_call>, for BadCall
        self.word: list[str] = []  # the function or parameter name being read
        self.value: list[str] = []
        self.call_name: str | None = None  # set between CallStart and the call's end
        self.param = ""
        self.keys: set[str] = set()
        self.error = ""

    def feed(self, text: str) -> list[Piece]:
        out: list[Piece] = []
        self.run_steps(text, out)
        return out

    def close(self) -> list[Piece]:
        out: list[Piece] = []
        raw = ("".join(self.raw) + self.held).strip()
        if self.state == "text" and self.held:
            out.append(Text(self.held))
        elif self.state in ("preamble", "name"):
            out.append(BadCall(raw, "tool call cut off before its name"))
        elif self.state == "junk":
            out.append(BadCall(raw, self.error, name=self.call_name))
        elif self.state in ("args", "param_name", "value"):
            out.append(CallEnd(complete=False, raw=raw))
        # after_function holds only whitespace or part of </tool_call>: nothing to say
        self.state, self.held, self.raw, self.call_name = "text", "", [], None
        return out

    # -- helpers ----------------------------------------------------------------------------
    def _consume(self, n: int) -> str:
        """Move ``n`` characters of held text into the call's raw text and return them."""
        taken, self.held = self.held[:n], self.held[n:]
        self.raw.append(taken)
        return taken

    def _start_name(self) -> None:
        self.word = []
        self.state = "name"

    def _read_name(self) -> str | None:
        """Consume a name up to ``>``: the name, ``""`` if malformed, ``None`` if not over yet."""
        pos = self.held.find(">")
        lt = self.held.find("<")
        if lt >= 0 and (pos < 0 or lt < pos):  # a marker starts before the name ended
            self.word.append(self._consume(lt))
            return ""
        part = self.held if pos < 0 else self.held[:pos]
        self.word.append(self._consume(len(part)))
        name = "".join(self.word)
        if pos < 0:
            return "" if len(name) > _NAME_LIMIT else None
        self._consume(1)
        name = name.strip()
        return name if _valid_name(name) else ""

    def _close_call(self, out: list[Piece], marker: str) -> None:
        """The call ends at ``marker``; continue with what the marker starts."""
        out.append(CallArgs("}" if self.keys else "{}"))
        out.append(CallEnd())
        self.call_name = None
        self._after_call(marker)

    def _after_call(self, marker: str) -> None:
        self.raw = []
        if marker == FUNC_END:
            self.state = "after_function"
        elif marker == FUNC_START:
            self.raw = [FUNC_START]
            self._start_name()
        else:
            self.state = "preamble" if marker == TOOL_START else "text"

    def _go_bad(self, error: str) -> None:
        """The call cannot be understood: collect it up to its end."""
        self.error = error
        self.state = "junk"

    # -- states -----------------------------------------------------------------------------
    def _step_text(self, out: list[Piece]) -> None:
        pos, marker = _find_first(self.held, _TEXT_MARKERS)
        if pos < 0:
            keep = partial_marker_suffix(self.held, _TEXT_MARKERS)
            if len(self.held) > keep:
                out.append(Text(self.held[: len(self.held) - keep]))
                self.held = self.held[len(self.held) - keep :]
            return
        if pos:
            out.append(Text(self.held[:pos]))
        self.held = self.held[pos + len(marker) :]
        self.raw = []
        if marker == FUNC_START:
            self.raw = [FUNC_START]
            self._start_name()
        else:
            self.state = "preamble"

    def _step_preamble(self, out: list[Piece]) -> None:
        stripped = self.held.lstrip()
        self._consume(len(self.held) - len(stripped))
        if stripped.startswith(FUNC_START):
            self._consume(len(FUNC_START))
            self._start_name()
        elif stripped.startswith(TOOL_END):
            out.append(BadCall("", "tool call has no <function=...>"))
            self.held = self.held[len(TOOL_END) :]
            self.state = "text"
        elif stripped and not FUNC_START.startswith(stripped) and not TOOL_END.startswith(stripped):
            self._go_bad("expected <function=NAME> after <tool_call>")

    def _step_name(self, out: list[Piece]) -> None:
        name = self._read_name()
        if name:
            out.append(CallStart(name))
            self.call_name = name
            self.keys = set()
            self.state = "args"
        elif name is not None:
            self._go_bad("malformed function name")

    def _step_args(self, out: list[Piece]) -> None:
        pos, marker = _find_first(self.held, _ARGS_MARKERS)
        if pos < 0:  # text between parameters is ignored, as vLLM does
            self._consume(len(self.held) - partial_marker_suffix(self.held, _ARGS_MARKERS))
            return
        self._consume(pos + len(marker))
        if marker == PARAM_START:
            self.word = []
            self.state = "param_name"
        else:
            self._close_call(out, marker)

    def _step_param_name(self, out: list[Piece]) -> None:
        name = self._read_name()
        if name:
            self.param = name
            self.value = []
            self.state = "value"
        elif name is not None:
            self._go_bad("malformed parameter name")

    def _step_value(self, out: list[Piece]) -> None:
        pos, marker = _find_first(self.held, _VALUE_MARKERS)
        if pos < 0:
            keep = partial_marker_suffix(self.held, _VALUE_MARKERS)
            self.value.append(self._consume(len(self.held) - keep))
            return
        self.value.append(self._consume(pos))
        self._consume(len(marker))
        if self.param in self.keys:
            self.error = f"parameter {self.param!r} given twice"
            if marker in (FUNC_END, TOOL_END):
                out.append(BadCall("".join(self.raw).strip(), self.error, name=self.call_name))
                self.call_name = None
                self._after_call(marker)
            else:
                self.state = "junk"
            return
        text = json.dumps(parameter_value("".join(self.value)), ensure_ascii=False)
        opening = ", " if self.keys else "{"
        self.keys.add(self.param)
        out.append(CallArgs(f"{opening}{json.dumps(self.param, ensure_ascii=False)}: {text}"))
        if marker == PARAM_END:
            self.state = "args"
        elif marker == PARAM_START:
            self.word = []
            self.state = "param_name"
        else:
            self._close_call(out, marker)

    def _step_junk(self, out: list[Piece]) -> None:
        # a call whose name is known ends at </function>, any call at </tool_call>
        ends = (FUNC_END, TOOL_END) if self.call_name is not None else (TOOL_END,)
        pos, marker = _find_first(self.held, ends)
        if pos < 0:
            self._consume(len(self.held) - partial_marker_suffix(self.held, ends))
            return
        self._consume(pos)
        self.held = self.held[len(marker) :]
        out.append(BadCall("".join(self.raw).strip(), self.error, name=self.call_name))
        self.call_name = None
        self._after_call(marker)

    def _step_after_function(self, out: list[Piece]) -> None:
        stripped = self.held.lstrip()
        if stripped.startswith(TOOL_END):
            self.held = stripped[len(TOOL_END) :]
            self.state = "text"
        elif stripped and not TOOL_END.startswith(stripped):
            self.held = stripped  # no </tool_call>: what follows is text again
            self.state = "text"
        else:
            self.held = stripped  # whitespace between </function> and </tool_call> is markup


class Qwen3CoderFormat(ToolCallFormat):
    """``<tool_call><function=f><parameter=p>value</parameter></function></tool_call>``
    (Qwen3-Coder, Qwen3.5; vLLM's ``qwen3_coder`` and ``qwen3_xml``).

    >>> print(Qwen3CoderFormat().render_call("f", {"city": "Paris", "days": 2}))
    <tool_call>
    <function=f>
    <parameter=city>
    Paris
    </parameter>
    <parameter=days>
    2
    </parameter>
    </function>
    </tool_call>
    """

    name = "qwen3_coder"
    special_markers = (TOOL_START, TOOL_END)

    def new_parser(self) -> FormatParser:
        return Qwen3CoderParser()

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        lines = [TOOL_START, f"{FUNC_START}{name}>"]
        for key, value in arguments.items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines += [f"{PARAM_START}{key}>", text, PARAM_END]
        lines += [FUNC_END, TOOL_END]
        return "\n".join(lines)
