"""What every tool-call format provides: an incremental parser that turns model text into pieces.

A format parser is fed the model's visible text (reasoning already split off) delta by delta and
returns only *pieces that can no longer change*: text that might still turn into a marker is held
back until it is decided. The stream assembler (``vllm_native.stream``) turns pieces into events,
assigns call ids and validates the finished calls; a parser never raises on model output.

Pieces, in order, for one call: ``CallStart(name)``, any number of ``CallArgs(fragment)``, then
``CallEnd()``. The fragments of one call concatenate to the raw arguments JSON text exactly as the
model wrote it (stripped of surrounding whitespace). A call region that cannot be understood at all
is a single ``BadCall(raw, error)``; it is never dropped.

Example (with the Hermes format):
    >>> from vllm_native.formats import get_format
    >>> p = get_format("hermes").new_parser()
    >>> p.feed('Hi <tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>') + p.close()
    [Text(text='Hi '), CallStart(name='f'), CallArgs(fragment='{"a": 1}'), CallEnd(complete=True)]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Text:
    """Visible content."""

    text: str


@dataclass(frozen=True)
class Reasoning:
    """Reasoning text, for formats whose parser tells it from content itself (harmony's
    analysis channel); other formats' reasoning is split off before they see the text."""

    text: str


@dataclass(frozen=True)
class CallStart:
    """A new tool call begins; its name is known."""

    name: str


@dataclass(frozen=True)
class CallArgs:
    """The next fragment of the current call's arguments JSON text."""

    fragment: str


@dataclass(frozen=True)
class CallEnd:
    """The current call is over. ``complete=False`` when the stream ended inside it (truncation).

    ``raw``: the text the model wrote for an unfinished call, where it differs from the argument
    fragments (formats that translate their syntax to JSON, e.g. pythonic, Qwen3-Coder XML); the
    invalid call keeps it as its arguments.
    """

    complete: bool = True
    raw: str | None = field(default=None, repr=False)  # out of repr: examples stay short


@dataclass(frozen=True)
class BadCall:
    """A call region that could not be parsed: kept with its raw text, never dropped."""

    raw: str
    error: str
    name: str | None = None


Piece = Text | Reasoning | CallStart | CallArgs | CallEnd | BadCall


class FormatParser(ABC):
    """Incremental parser for one response. Feed deltas, then ``close()`` once.

    Cost per fed character must not grow with the length of the message (no re-parsing of the
    whole text on every delta).
    """

    @abstractmethod
    def feed(self, text: str) -> list[Piece]:
        """Consume ``text`` and return the pieces that are now final."""

    @abstractmethod
    def close(self) -> list[Piece]:
        """End of stream: flush held-back text; an unfinished call ends with ``CallEnd(False)``
        (or becomes a ``BadCall`` when its name was never known)."""


class StateMachine:
    """Drives a parser written as states: each ``_step_<state>(out)`` consumes from ``held``
    (and may change ``state``); steps repeat until one makes no progress. Shared by the
    incremental parsers so each only writes its states."""

    state: str
    held: str

    def run_steps(self, text: str, out: list[Any]) -> None:
        """Append ``text`` to the held text and step until nothing more can be decided."""
        self.held += text
        while self.held:
            before = (self.state, len(self.held))
            getattr(self, f"_step_{self.state}")(out)
            if (self.state, len(self.held)) == before:
                break


class ToolCallFormat(ABC):
    """A tool-call format: its name (as vLLM's ``--tool-call-parser``) and a parser factory."""

    name: ClassVar[str]
    special_markers: ClassVar[tuple[str, ...]] = ()
    """Markers that are special tokens in the models using this format; when present, generation
    must keep special tokens (``skip_special_tokens=False``) so the markers survive detokenisation."""
    call_ids: ClassVar[str] = "openai"
    """The shape of the family's call ids, a style of :mod:`vllm_native.formats.call_ids`."""
    splits_reasoning: ClassVar[bool] = False
    """The parser itself tells reasoning from content (``Reasoning`` pieces: harmony's
    channels), so no ``<think>`` splitter runs before it."""

    @abstractmethod
    def new_parser(self) -> FormatParser:
        """A fresh parser for one response."""

    def for_tools(self, tool_names: Collection[str]) -> ToolCallFormat:
        """This format for a turn with these bound tools (formats whose parsing depends on
        the names return a new one; most return themselves)."""
        return self

    def call_structure(self, name: str) -> tuple[str, str] | None:
        """``(begin, end)`` text around one call's arguments JSON for ``name``, for structured
        outputs (vLLM structural tags) that force the arguments to match the tool's schema.
        ``None`` when the format cannot be expressed that way."""
        return None

    def plain_parser_factory(self) -> Callable[[], FormatParser] | None:
        """A parser for turns where no call may come out (no tools, ``tool_choice="none"``, a
        response format); ``None`` where such output is plain text. Harmony output still has
        channels to read."""
        return None

    def forced_calls(
        self, tools: Sequence[tuple[str, dict[str, Any]]], *, answer: bool = False
    ) -> dict[str, Any] | None:
        """Structured-outputs arguments that force one call to one of ``tools`` (``(name,
        parameters schema)`` pairs) in the format's own syntax, parsed by :meth:`new_parser`
        (``answer=True``, for ``strict=True``: or a plain answer instead); ``None``: forced calls
        are the generic JSON of :mod:`vllm_native.tool_choice`, strict ones the structural tag
        of :meth:`call_structure`. For families whose model must keep its syntax around a
        forced call (harmony)."""
        return None

    def render_call(self, name: str, arguments: dict[str, Any]) -> str:
        """The text the model writes for one call (used by tests and the scripted engine)."""
        raise NotImplementedError(f"{self.name} cannot render calls")


class JsonValueScanner:
    """Finds where one JSON value ends in a stream of characters, in O(1) per character.

    Feed text; ``feed`` returns how many characters of it belong to the value, or ``None`` when
    all of them do and the value is not over yet. Tracks strings and escapes, so ``}`` or a
    closing marker inside a string never ends the value.

    >>> s = JsonValueScanner()
    >>> s.feed('{"a": "}"')  is None
    True
    >>> s.feed('} tail')
    1
    """

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.escape = False
        self.started = False
        self.scalar = False

    def feed(self, text: str) -> int | None:
        for i, ch in enumerate(text):
            if not self.started:
                if ch.isspace():
                    continue
                self.started = True
                if ch in "{[":
                    self.depth = 1
                elif ch == '"':
                    self.in_string = True
                    self.scalar = True
                else:
                    self.scalar = True
                continue
            if self.in_string:
                if self.escape:
                    self.escape = False
                elif ch == "\\":
                    self.escape = True
                elif ch == '"':
                    self.in_string = False
                    if self.scalar and self.depth == 0:
                        return i + 1
                continue
            if self.scalar and self.depth == 0:
                # a bare scalar (number, true, null...) ends at a delimiter
                if ch in ",}] \t\r\n<":
                    return i
                continue
            if ch == '"':
                self.in_string = True
            elif ch in "{[":
                self.depth += 1
            elif ch in "}]":
                self.depth -= 1
                if self.depth == 0:
                    return i + 1
        return None

    @property
    def done_possible(self) -> bool:
        """True when the value is a bare scalar that could end right here."""
        return self.scalar and self.depth == 0 and not self.in_string


def partial_marker_suffix(text: str, markers: tuple[str, ...]) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of one of ``markers``:
    the part that must be held back because it may still become a marker.

    >>> partial_marker_suffix("abc <tool", ("<tool_call>",))
    5
    """
    best = 0
    for marker in markers:
        for k in range(min(len(marker) - 1, len(text)), best, -1):
            if marker.startswith(text[-k:]):
                best = k
                break
    return best
