"""Pythonic tool calls (Llama 3.2, Llama 4, ToolACE): ``[get_weather(city='Paris'), now()]``.

The message is a Python list of calls with keyword arguments, optionally wrapped in
``<|python_start|>``/``<|python_end|>``. It is read character by character (brackets and string
literals tracked incrementally) and each finished keyword value is parsed once with :mod:`ast` and
converted node by node. Nothing is ever evaluated: only literals are accepted (str, int, float,
bool, None, lists, tuples and sets as lists, dicts, ``-``/``+`` on numbers, f-strings without
placeholders, and the JSON names ``true``/``false``/``null`` as vLLM does); anything else makes the
call a ``BadCall``.

Arguments stream as JSON object text, one fragment per finished keyword value: ``{"a": 1`` for the
first, ``, "b": "x"`` for each further one, ``}`` at the closing parenthesis (``{}`` when there are
none), so the fragments of a call concatenate to ``json.dumps(arguments, ensure_ascii=False)``.

As with vLLM's ``pythonic`` parser, a message that does not start with ``[`` (after whitespace and
the optional start marker) is plain text; so is one whose first list element is not ``name(``
(``[1, 2]``, ``[a link](url)``). Text after the closing ``]`` (and ``<|python_end|>``) is content,
without the whitespace that separates it from the list. A call that goes wrong after its
``CallStart`` ends with ``BadCall(raw, error, name=...)`` instead of ``CallEnd``.

Example:
    >>> p = PythonicFormat().new_parser()
    >>> p.feed("[f(a=1, b='x'), g()]") + p.close()  # doctest: +NORMALIZE_WHITESPACE
    [CallStart(name='f'), CallArgs(fragment='{"a": 1'), CallArgs(fragment=', "b": "x"'),
     CallArgs(fragment='}'), CallEnd(complete=True),
     CallStart(name='g'), CallArgs(fragment='{}'), CallEnd(complete=True)]
"""

from __future__ import annotations

import ast
import json
import math
from typing import Any

from .base import BadCall, CallArgs, CallEnd, CallStart, FormatParser, Piece, Text, ToolCallFormat

_START = "<|python_start|>"
_END = "<|python_end|>"
_JSON_NAMES = {"true": True, "false": False, "null": None}
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# raw characters that end a line inside a one-line string literal: escaped before ast.parse
_LINE_BREAKS = {"\n": "\\n", "\r": "\\r", "\x00": "\\x00"}

_CODE, _STRING, _ESCAPE = 0, 1, 2


class _PyScanner:
    """Tracks brackets and string literals of Python source, one character at a time.

    ``step`` returns ``_CODE`` for a character outside string literals, ``_STRING`` for one that
    belongs to a literal (quotes included) and ``_ESCAPE`` for a raw line break inside a one-line
    literal (which ``ast`` would reject; the caller escapes it). A closing bracket closes up to its
    matching opener; one without an opener is ignored.

    >>> s = _PyScanner()
    >>> [s.step(c) for c in "(')'"], s.stack
    ([0, 1, 1, 1], ['('])
    """

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.open_counts = {"(": 0, "[": 0, "{": 0}
        self.quote = ""  # delimiter of the literal we are in: ' " ''' """ or ""
        self.pending = ""  # quotes seen outside a literal that may still open a triple-quoted one
        self.escape = False
        self.run = 0  # consecutive closing quotes seen inside a triple-quoted literal

    def step(self, ch: str) -> int:
        if self.pending:
            q = self.pending[0]
            if ch == q:
                if len(self.pending) == 1:
                    self.pending = q * 2
                else:
                    self.pending, self.quote, self.run = "", q * 3, 0
                return _STRING
            if len(self.pending) == 1:
                self.quote = q  # a one-line literal opened and ``ch`` is its first character
            self.pending = ""  # (two quotes: an empty literal, and ``ch`` is code)
        if self.quote:
            return self._in_string(ch)
        if ch in "'\"":
            self.pending = ch
            return _STRING
        if ch in self.open_counts:
            self.stack.append(ch)
            self.open_counts[ch] += 1
        elif ch in _CLOSERS and self.open_counts[_CLOSERS[ch]]:
            opener = _CLOSERS[ch]
            while True:
                top = self.stack.pop()
                self.open_counts[top] -= 1
                if top == opener:
                    break
        return _CODE

    def _in_string(self, ch: str) -> int:
        if self.escape:
            self.escape, self.run = False, 0
            return _STRING
        if ch == "\\":
            self.escape, self.run = True, 0
            return _STRING
        if len(self.quote) == 1:
            if ch == self.quote:
                self.quote = ""
            elif ch in _LINE_BREAKS:
                return _ESCAPE
            return _STRING
        if ch == self.quote[0]:
            self.run += 1
            if self.run == 3:
                self.quote = ""
            return _STRING
        self.run = 0
        return _ESCAPE if ch == "\x00" else _STRING


class _NotLiteral(ValueError):
    """An argument value that is not a plain literal."""


def literal_value(node: ast.AST) -> Any:
    """The JSON-compatible value of a literal syntax tree, never evaluating anything.

    >>> literal_value(ast.parse("{'a': [1, -2.5, (None, true)]}", mode="eval").body)
    {'a': [1, -2.5, [None, True]]}
    >>> literal_value(ast.parse("open('x')", mode="eval").body)
    Traceback (most recent call last):
    ...
    vllm_native.formats.pythonic._NotLiteral: Call is not a literal
    """
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, (str, int)):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        raise _NotLiteral(f"{type(value).__name__} constant has no JSON form")
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [literal_value(item) for item in node.elts]
    if isinstance(node, ast.Dict):
        result = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                raise _NotLiteral("'**' in a dict is not a literal")
            key = literal_value(key_node)
            if isinstance(key, (list, dict)):
                raise _NotLiteral("dict keys must be strings or numbers")
            result[key] = literal_value(value_node)
        return result
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = literal_value(node.operand)
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
        raise _NotLiteral("unary minus or plus on a non-number")
    if isinstance(node, ast.Name) and node.id in _JSON_NAMES:
        return _JSON_NAMES[node.id]
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values)  # type: ignore[attr-defined]
    raise _NotLiteral(f"{type(node).__name__} is not a literal")


def _is_name_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_"


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class PythonicParser(FormatParser):
    """Incremental parser for the pythonic format; see the module docstring for the rules."""

    def __init__(self) -> None:
        self.state = "prefix"
        self.handlers = {
            "prefix": self._prefix,
            "element": self._element,
            "name": self._name,
            "args": self._args,
            "keyword": self._keyword,
            "value": self._value,
            "after_call": self._after_call,
            "bad": self._bad,
            "tail": self._tail,
        }
        self.undecided: list[str] | None = []  # all text while the message may still be plain
        self.scanner = _PyScanner()
        self.marker_matched = 0  # characters of the start / end marker matched so far
        self.start_seen = False  # <|python_start|> was read
        self.end_seen = False  # <|python_end|> was read
        self.element: list[str] = []  # text of the current list element, for BadCall
        self.word: list[str] = []  # the call name or keyword being read
        self.word_done = False  # whitespace followed the word
        self.call_name: str | None = None  # set between CallStart and the call's end
        self.keys: set[str] = set()
        self.keyword = ""
        self.value: list[str] = []
        self.error = ""
        self.tail_held = ""

    def feed(self, text: str) -> list[Piece]:
        out: list[Piece] = []
        for i, ch in enumerate(text):
            if self.state == "text":
                rest = text[i:]
                if out and isinstance(out[-1], Text):  # the held text just released
                    out[-1] = Text(out[-1].text + rest)
                else:
                    out.append(Text(rest))
                break
            if self.undecided is not None:
                self.undecided.append(ch)
            self.handlers[self.state](ch, out)
        return out

    def close(self) -> list[Piece]:
        out: list[Piece] = []
        if self.undecided:
            out.append(Text("".join(self.undecided)))
        elif self.state == "name":
            raw = "".join(self.element).strip()
            out.append(BadCall(raw, "call cut off before its '('"))
        elif self.state in ("args", "keyword", "value"):
            out.append(CallEnd(complete=False, raw="".join(self.element).strip()))
        elif self.state == "after_call":
            out.append(CallEnd())
        elif self.state == "bad":
            self._emit_bad(out, "".join(self.element))
        elif self.state == "tail" and self.tail_held:
            out.append(Text(self.tail_held))
        self.state, self.undecided = "text", None
        return out

    # -- helpers ----------------------------------------------------------------------------
    def _plain_text(self, out: list[Piece]) -> None:
        """The message turned out not to be a call list: everything held is text."""
        out.append(Text("".join(self.undecided or ())))
        self.undecided = None
        self.state = "text"

    def _go_bad(self, out: list[Piece], ch: str, code: int, error: str) -> None:
        """The current element cannot be a valid call; collect it up to its end."""
        self.error = error
        self.state = "bad"
        self._bad_end(out, ch, code)

    def _bad(self, ch: str, out: list[Piece]) -> None:
        code = self.scanner.step(ch)
        self.element.append(ch)
        self._bad_end(out, ch, code)

    def _bad_end(self, out: list[Piece], ch: str, code: int) -> None:
        depth = len(self.scanner.stack)
        if code == _CODE and (depth == 0 or (ch == "," and depth == 1)):
            self._emit_bad(out, "".join(self.element[:-1]))
            self.state = "tail" if depth == 0 else "element"

    def _emit_bad(self, out: list[Piece], raw: str) -> None:
        out.append(BadCall(raw.strip(), self.error, name=self.call_name))
        self.call_name = None

    def _end_call(self, out: list[Piece], ch: str) -> None:
        out.append(CallEnd())
        self.call_name = None
        self.state = "tail" if ch == "]" else "element"

    # -- states -----------------------------------------------------------------------------
    def _prefix(self, ch: str, out: list[Piece]) -> None:
        if self.marker_matched:
            if ch != _START[self.marker_matched]:
                self._plain_text(out)
                return
            self.marker_matched = (self.marker_matched + 1) % len(_START)
            self.start_seen = not self.marker_matched
        elif ch == "[":
            self.scanner.step(ch)
            self.state = "element"
        elif ch == "<" and not self.start_seen:
            self.marker_matched = 1
        elif not ch.isspace():
            self._plain_text(out)

    def _element(self, ch: str, out: list[Piece]) -> None:
        code = self.scanner.step(ch)
        first = self.undecided is not None
        if ch.isspace() or (ch == "," and not first and len(self.scanner.stack) == 1):
            return  # a stray comma between calls carries nothing
        if _is_name_start(ch):
            self.element, self.word, self.word_done = [ch], [ch], False
            self.state = "name"
        elif first:
            self._plain_text(out)
        elif code == _CODE and not self.scanner.stack:
            self.state = "tail"  # ``]`` after a trailing comma
        else:
            self.element = [ch]
            self._go_bad(out, ch, code, "list element is not a function call")

    def _name(self, ch: str, out: list[Piece]) -> None:
        code = self.scanner.step(ch)
        self.element.append(ch)
        # a dotted name may have whitespace around its dots, as in Python (``a . b(``)
        if ch == "." or (_is_name_char(ch) and (not self.word_done or self.word[-1] == ".")):
            self.word.append(ch)
            self.word_done = False
            return
        if ch.isspace():
            self.word_done = True
            return
        name = "".join(self.word)
        if ch == "(" and all(part.isidentifier() for part in name.split(".")):
            out.append(CallStart(name))
            self.undecided = None
            self.call_name = name
            self.keys = set()
            self.state = "args"
        elif self.undecided is not None:
            self._plain_text(out)
        else:
            self._go_bad(out, ch, code, "list element is not a function call")

    def _args(self, ch: str, out: list[Piece]) -> None:
        code = self.scanner.step(ch)
        self.element.append(ch)
        if ch.isspace():
            return
        if code == _CODE and ch == ")" and len(self.scanner.stack) == 1:
            out.append(CallArgs("}" if self.keys else "{}"))
            self.state = "after_call"
        elif _is_name_start(ch):
            self.word, self.word_done = [ch], False
            self.state = "keyword"
        else:
            self._go_bad(out, ch, code, "arguments must be written name=value")

    def _keyword(self, ch: str, out: list[Piece]) -> None:
        code = self.scanner.step(ch)
        self.element.append(ch)
        if _is_name_char(ch) and not self.word_done:
            self.word.append(ch)
        elif ch.isspace():
            self.word_done = True
        elif ch == "=":
            self.keyword = "".join(self.word)
            if self.keyword in self.keys:
                self._go_bad(out, ch, code, f"argument {self.keyword!r} given twice")
            elif not self.keyword.isidentifier():
                self._go_bad(out, ch, code, f"{self.keyword!r} is not an argument name")
            else:
                self.value = []
                self.state = "value"
        else:
            self._go_bad(out, ch, code, "arguments must be written name=value")

    def _value(self, ch: str, out: list[Piece]) -> None:
        code = self.scanner.step(ch)
        self.element.append(ch)
        depth = len(self.scanner.stack)
        closes_call = code == _CODE and ch == ")" and depth == 1
        if (code == _CODE and ch == "," and depth == 2) or closes_call:
            self._finish_value(out, ch, code, closes_call)
        elif depth < 2:
            self._go_bad(out, ch, code, "unbalanced brackets in the arguments")
        else:
            self.value.append(_LINE_BREAKS[ch] if code == _ESCAPE else ch)

    def _finish_value(self, out: list[Piece], ch: str, code: int, closes_call: bool) -> None:
        # parenthesised, as inside the call: line breaks between tokens are allowed
        source = "(" + "".join(self.value) + "\n)"
        try:
            value = literal_value(ast.parse(source, mode="eval").body)
            text = json.dumps(value, ensure_ascii=False)
        except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError) as exc:
            self._go_bad(out, ch, code, f"argument {self.keyword!r} is not a literal: {exc}")
            return
        opening = ", " if self.keys else "{"
        self.keys.add(self.keyword)
        out.append(CallArgs(f"{opening}{json.dumps(self.keyword, ensure_ascii=False)}: {text}"))
        if closes_call:
            out.append(CallArgs("}"))
            self.state = "after_call"
        else:
            self.state = "args"

    def _after_call(self, ch: str, out: list[Piece]) -> None:
        code = self.scanner.step(ch)
        self.element.append(ch)
        if ch.isspace():
            return
        depth = len(self.scanner.stack)
        if code == _CODE and (depth == 0 or (ch == "," and depth == 1)):
            self._end_call(out, ch)
        else:
            self._go_bad(out, ch, code, "unexpected text after the call")

    def _tail(self, ch: str, out: list[Piece]) -> None:
        if self.marker_matched:
            self.tail_held += ch
            if ch != _END[self.marker_matched]:
                out.append(Text(self.tail_held))
                self.state, self.tail_held = "text", ""
                return
            self.marker_matched = (self.marker_matched + 1) % len(_END)
            if not self.marker_matched:
                self.tail_held, self.end_seen = "", True
        elif ch == "<" and not self.end_seen:
            self.marker_matched, self.tail_held = 1, ch
        elif not ch.isspace():
            out.append(Text(ch))
            self.state = "text"


def python_literal(value: Any) -> str:
    """Python source for a JSON-compatible value (how a pythonic model writes it).

    >>> python_literal({"a": [1, None, True, "x"]})
    "{'a': [1, None, True, 'x']}"
    """
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no JSON form")
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as a pythonic argument")


class PythonicFormat(ToolCallFormat):
    """``[f(a=1), g(b='x')]`` (vLLM's ``pythonic``: Llama 3.2, Llama 4, ToolACE).

    >>> PythonicFormat().render_call("f", {"city": "Paris", "days": 2})
    "[f(city='Paris', days=2)]"
    """

    name = "pythonic"
    special_markers = (_START, _END)

    def new_parser(self) -> FormatParser:
        return PythonicParser()

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        bad = [key for key in arguments if not key.isidentifier()]
        if bad:
            raise ValueError(f"pythonic calls need identifier argument names, not {bad}")
        args = ", ".join(f"{key}={python_literal(value)}" for key, value in arguments.items())
        return f"[{name}({args})]"
