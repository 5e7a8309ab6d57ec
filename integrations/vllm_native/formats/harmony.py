"""gpt-oss's harmony output: channels for reasoning, content and tool calls (vLLM's ``openai``).

vLLM parses harmony only inside its OpenAI server (``vllm/parser/harmony.py`` over
``openai_harmony``, which downloads its vocabulary at first use); in-process its ``openai`` tool
parser is a stub. This parser reads the text the engine produces with special tokens kept. The
prompt ends with ``<|start|>assistant``, so the output is a sequence of messages, each a header,
``<|message|>``, a body and an end marker, the later ones opened by ``<|start|>assistant``::

    <|channel|>analysis<|message|>Need the weather.<|end|>
    <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris"}<|call|>

A header names its channel (``<|channel|>analysis``), may name a recipient (``to=...``, before or
after the channel) and a content type (``<|constrain|>json`` or ``json``). What a message is
follows vLLM's ``_SegmentType.from_channel_and_recipient``:

- a function recipient (``functions.NAME``, or any dotted name that is not one of gpt-oss's
  built-in tools): a tool call, its body the arguments;
- a built-in tool recipient (``python``, ``browser.*``, ``container.*``): vLLM drops these; here
  the call is an invalid tool call with its text (never dropped), since only bound function tools
  run;
- channel ``analysis``: reasoning;
- anything else (``final``, ``commentary`` without recipient): content. Separate content (or
  reasoning) messages are joined with a newline, as vLLM joins them.

``<|call|>`` and ``<|return|>`` are stop tokens, so the engine usually leaves them out: a call
whose stream ends after a complete arguments JSON is complete. Text that is not harmony at all
is content; a header that cannot be read stays content with its text.

Example:
    >>> p = HarmonyFormat().new_parser()
    >>> p.feed("<|channel|>analysis<|message|>Hm.<|end|><|start|>assistant<|channel|>final"
    ...        "<|message|>Hi!") + p.close()
    [Reasoning(text='Hm.'), Text(text='Hi!')]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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
    Reasoning,
    StateMachine,
    Text,
    ToolCallFormat,
    partial_marker_suffix,
)

START, MESSAGE, CHANNEL, CONSTRAIN = "<|start|>", "<|message|>", "<|channel|>", "<|constrain|>"
END, CALL, RETURN = "<|end|>", "<|call|>", "<|return|>"
ENDS = (END, CALL, RETURN)
"""Markers that end a message (``<|call|>`` a tool call, ``<|return|>`` the turn)."""
MARKERS = (START, MESSAGE, CHANNEL, CONSTRAIN, *ENDS)

BUILTIN_RECIPIENTS = ("python", "browser", "container")
"""gpt-oss's built-in tools (vLLM's ``BUILTIN_TOOL_TO_MCP_SERVER_LABEL``): not function calls."""

# One message header, up to its <|message|>: optional <|start|> and role, the recipient before or
# after the channel, then the content type. Matched partially while the header is still arriving.
_HEADER = regex.compile(
    r"\s*(?:<\|start\|>)?\s*(?:assistant)?"
    r"(?:\s*to=(?P<before>[^\s<]+))?"
    r"(?:\s*<\|channel\|>(?P<channel>[^\s<]+))?"
    r"(?:\s*to=(?P<after>[^\s<]+))?"
    r"(?:\s*(?:<\|constrain\|>)?(?P<type>[^\s<]+))?"
    r"\s*<\|message\|>"
)
_RECIPIENT = regex.compile(r"to=([^\s<]+)")
_HEADER_LIMIT = 256  # a longer header is not one: its text stays content

_FUNCTION_CALL_BEGINS = (
    " to=functions.{name}{channel}{constrain}<|message|>",
    "{channel} to=functions.{name}{constrain}<|message|>",
)
_CALL_CHANNELS = ("<|channel|>commentary", "<|channel|>analysis", "<|channel|>final")
_JSON_CONSTRAINS = (" json", " <|constrain|>json")
_END_TAG = [END, ""]  # "": a stop token (<|call|>); xgrammar may not force stop tokens


def message_kind(channel: str | None, recipient: str | None) -> str:
    """``call``, ``builtin``, ``reasoning`` or ``content`` for a message header.

    >>> message_kind("commentary", "functions.f"), message_kind("analysis", None)
    ('call', 'reasoning')
    >>> message_kind("commentary", "browser.search"), message_kind("commentary", None)
    ('builtin', 'content')
    """
    if recipient:
        first = recipient.split(".", 1)[0]
        if recipient.startswith("<|") or recipient == "assistant" or first in BUILTIN_RECIPIENTS:
            return "builtin"
        return "call"
    return "reasoning" if channel == "analysis" else "content"


class HarmonyParser(StateMachine, FormatParser):
    """Incremental parser for one harmony response. ``calls=False`` (no tool may be called this
    turn) makes every call message an invalid call with its text."""

    def __init__(self, calls: bool = True) -> None:
        self.calls = calls
        self.state = "header"  # header | reasoning | content | call | builtin | plain
        self.held = ""
        self.started: set[str] = set()  # kinds of message that already had text (separators)
        self.fresh = True  # the current message has had no text yet
        self.body: list[str] = []  # text of a call that is not streamed (builtin, calls off)
        self.name = ""
        self.scanner = JsonValueScanner()

    def feed(self, text: str) -> list[Piece]:
        out: list[Piece] = []
        self.run_steps(text, out)
        return out

    def close(self) -> list[Piece]:
        out: list[Piece] = []
        held, self.held = self.held, ""
        if self.state == "header":
            out.extend(self._cut_header(held))
        elif self.state == "call":
            self._call_text(held, out)
            self.space = ""
            out.append(CallEnd(complete=self._args_done or self.scanner.done_possible))
        elif self.state == "builtin":
            out.append(self._bad_call("".join([*self.body, held])))
        elif held:
            self._emit("reasoning" if self.state == "reasoning" else "content", held, out)
        self.state = "header"
        return out

    # -- states -----------------------------------------------------------------------------
    def _step_header(self, out: list[Piece]) -> None:
        match = _HEADER.match(self.held, partial=True)
        if match is not None and not match.partial and match.end() <= _HEADER_LIMIT:
            self.held = self.held[match.end() :]
            self._open(match.group("channel"), match.group("before") or match.group("after"), out)
            return
        if match is not None and match.partial and len(self.held) <= _HEADER_LIMIT:
            return  # may still become a header
        self.state, self.bad_header = "plain", True  # not a header: its text is content

    bad_header = False

    def _step_plain(self, out: list[Piece]) -> None:
        """Text outside any message (after a header that was none): content up to the next
        ``<|start|>``; end markers are dropped."""
        pos = self.held.find(START, 1 if self.bad_header else 0)
        self.bad_header = False
        text = self.held if pos < 0 else self.held[:pos]
        keep = partial_marker_suffix(text, MARKERS) if pos < 0 else 0
        text, rest = text[: len(text) - keep], self.held[len(text) - keep :]
        for marker in ENDS:
            text = text.replace(marker, "")
        self._emit("content", text, out)
        self.held = rest
        if pos >= 0:
            self.state = "header"

    def _step_reasoning(self, out: list[Piece]) -> None:
        self._body(out, lambda text: self._emit("reasoning", text, out))

    def _step_content(self, out: list[Piece]) -> None:
        self._body(out, lambda text: self._emit("content", text, out))

    def _step_call(self, out: list[Piece]) -> None:
        """Arguments up to the end marker; a marker inside a JSON string is argument text."""
        found = _first_marker(self.held, (*ENDS, START))
        if found is None:
            cut = len(self.held) - partial_marker_suffix(self.held, (*ENDS, START))
            self._call_text(self.held[:cut], out)
            self.held = self.held[cut:]
            return
        pos, marker = found
        self._call_text(self.held[:pos], out)
        if self.scanner.in_string and not self._args_done:
            self._call_text(marker, out)
            self.held = self.held[pos + len(marker) :]
            return
        self.held = self.held[pos + (0 if marker == START else len(marker)) :]
        self.state, self.space = "header", ""
        out.append(CallEnd())

    def _step_builtin(self, out: list[Piece]) -> None:
        if self._body(out, self.body.append):
            out.append(self._bad_call("".join(self.body)))

    # -- helpers ----------------------------------------------------------------------------
    def _cut_header(self, held: str) -> list[Piece]:
        """The stream ended inside a header: a call's header is a call cut off before its
        arguments; any other header is only markup (nothing the model said)."""
        if _HEADER.match(held, partial=True) is None:
            return [Text(held)] if held.strip() else []
        recipient = _RECIPIENT.search(held)  # (a partial match captures no groups)
        if recipient and message_kind(None, recipient.group(1)) == "call" and self.calls:
            whole = recipient.end() < len(held.rstrip())  # else the name itself may be cut
            name = recipient.group(1).removeprefix("functions.") if whole else None
            return [BadCall(held.strip(), "tool call cut off before its arguments", name=name)]
        return []

    def _open(self, channel: str | None, recipient: str | None, out: list[Piece]) -> None:
        kind = message_kind(channel, recipient)
        if kind == "call" and not self.calls:
            kind = "builtin"
        self.state, self.fresh = kind, True
        self.name = (recipient or "").removeprefix("functions.")
        self.body = []
        if kind == "call":
            self.scanner = JsonValueScanner()
            self._args_done = False
            out.append(CallStart(self.name))

    def _body(self, out: list[Piece], take: Callable[[str], Any]) -> bool:
        """Give the message's text to ``take`` up to its end marker; True when it ended (the
        next message's header follows). A ``<|start|>`` also ends a message that never closed."""
        found = _first_marker(self.held, (*ENDS, START))
        if found is not None:
            pos, marker = found
            if pos:
                take(self.held[:pos])
            self.held = self.held[pos + (0 if marker == START else len(marker)) :]
            self.state = "header"
            return True
        cut = len(self.held) - partial_marker_suffix(self.held, (*ENDS, START))
        if cut:
            take(self.held[:cut])
            self.held = self.held[cut:]
        return False

    _args_done = False
    space = ""  # trailing whitespace of the arguments so far: streamed once more text follows

    def _call_text(self, text: str, out: list[Piece]) -> None:
        """Stream argument text without the whitespace around the arguments."""
        text = self.space + text
        if self.fresh:
            text = text.lstrip()
        body = text.rstrip()
        self.space = text[len(body) :]
        if not body:
            return
        self.fresh = False
        if not self._args_done and self.scanner.feed(body) is not None:
            self._args_done = True
        out.append(CallArgs(body))

    def _emit(self, kind: str, text: str, out: list[Piece]) -> None:
        if not text:
            return
        if self.fresh and kind in self.started:
            text = "\n" + text  # a new message of the same kind: joined by a newline
        self.fresh = False
        self.started.add(kind)
        out.append(Reasoning(text) if kind == "reasoning" else Text(text))

    def _bad_call(self, raw: str) -> BadCall:
        self.state = "header"
        if self.calls:
            error = f"{self.name!r} is one of gpt-oss's built-in tools, not a bound function tool"
        else:
            error = "tool calls are off for this turn (no tools, or tool_choice='none')"
        return BadCall(raw.strip(), error, name=self.name)


class HarmonyFormat(ToolCallFormat):
    """gpt-oss's harmony messages (vLLM's ``openai`` tool parser, ``openai_gptoss`` reasoning).

    >>> HarmonyFormat().render_call("f", {"a": 1})
    '<|channel|>commentary to=functions.f <|constrain|>json<|message|>{"a": 1}<|call|>'
    """

    name = "openai"
    special_markers = MARKERS
    splits_reasoning = True

    def new_parser(self) -> FormatParser:
        return HarmonyParser()

    def plain_parser_factory(self) -> Callable[[], FormatParser]:
        return lambda: HarmonyParser(calls=False)

    def forced_calls(
        self, tools: Sequence[tuple[str, dict[str, Any]]], *, answer: bool = False
    ) -> dict[str, Any]:
        """vLLM's harmony structural tag (``get_harmony_structural_tag``): an optional analysis
        and commentary message, then one call to one of ``tools`` whose arguments follow the
        tool's schema, in any of the header orders gpt-oss writes; ``answer=True`` (``strict``
        auto mode) also allows a final-channel answer instead of the call.

        >>> tag = json.loads(HarmonyFormat().forced_calls([("f", {"type": "object"})])[
        ...     "structural_tag"])
        >>> [e["type"] for e in tag["format"]["elements"]], len(tag["format"]["elements"][2][
        ...     "elements"])
        (['optional', 'optional', 'or'], 12)
        """
        calls = [
            {
                "type": "tag",
                "begin": pattern.format(name=name, channel=channel, constrain=constrain),
                "content": {"type": "json_schema", "json_schema": schema},
                "end": _END_TAG,
            }
            for name, schema in tools
            for pattern in _FUNCTION_CALL_BEGINS
            for constrain in _JSON_CONSTRAINS
            for channel in _CALL_CHANNELS
        ]
        if answer:
            calls += [
                {
                    "type": "tag",
                    "begin": f"{CHANNEL}final{constrain}{MESSAGE}",
                    "content": {"type": "any_text"},
                    "end": _END_TAG,
                }
                for constrain in (*_JSON_CONSTRAINS, "")
            ]
        elements = [
            _optional_message("analysis"),
            _optional_message("commentary"),
            {"type": "or", "elements": calls},
        ]
        tag = {"type": "structural_tag", "format": {"type": "sequence", "elements": elements}}
        return {"structural_tag": json.dumps(tag)}

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        payload = json.dumps(arguments, ensure_ascii=False)
        return f"{CHANNEL}commentary to=functions.{name} {CONSTRAIN}json{MESSAGE}{payload}{CALL}"


def _first_marker(text: str, markers: tuple[str, ...]) -> tuple[int, str] | None:
    """``(position, marker)`` of the first of ``markers`` in ``text``."""
    found = [(pos, m) for m in markers if (pos := text.find(m)) >= 0]
    return min(found) if found else None


def _optional_message(channel: str) -> dict[str, Any]:
    """A whole ``channel`` message the model may write first, then the next message's start."""
    message = {
        "type": "tag",
        "begin": f"{CHANNEL}{channel}{MESSAGE}",
        "content": {"type": "any_text"},
        "end": END,
    }
    opening = {"type": "const_string", "value": f"{START}assistant"}
    return {"type": "optional", "content": {"type": "sequence", "elements": [message, opening]}}
