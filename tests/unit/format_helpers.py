"""Helpers shared by the tool-call format tests: feed text whole or in chunks, compare pieces.

A format's parser must give the same pieces whatever the split of the text into deltas, once
adjacent ``Text`` (``Reasoning``, ``CallArgs``) pieces are merged (how much is emitted at a time
may differ, what is emitted may not).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from vllm_native.formats.base import (
    BadCall,
    CallArgs,
    CallEnd,
    CallStart,
    Piece,
    Reasoning,
    Text,
    ToolCallFormat,
)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
"""The OpenAI-shaped weather tool the format, family and rendering tests bind."""


def feed_all(fmt: ToolCallFormat, text: str) -> list[Piece]:
    """The pieces for ``text`` fed in one delta, then closed."""
    parser = fmt.new_parser()
    return parser.feed(text) + parser.close()


def feed_in_chunks(fmt: ToolCallFormat, text: str, sizes: Sequence[int]) -> list[Piece]:
    """The pieces for ``text`` fed in deltas of the given sizes (repeated cyclically), then closed.

    >>> from vllm_native.formats.hermes import HermesFormat
    >>> feed_in_chunks(HermesFormat(), "Hi", [1])
    [Text(text='H'), Text(text='i')]
    """
    if not sizes or min(sizes) < 1:
        raise ValueError("chunk sizes must be positive")
    parser = fmt.new_parser()
    pieces: list[Piece] = []
    pos, i = 0, 0
    while pos < len(text):
        size = sizes[i % len(sizes)]
        pieces += parser.feed(text[pos : pos + size])
        pos, i = pos + size, i + 1
    return pieces + parser.close()


def merge_pieces(pieces: Sequence[Piece]) -> list[Piece]:
    """Merge adjacent ``Text``, ``Reasoning`` and ``CallArgs`` pieces.

    >>> merge_pieces([Text("a"), Text("b"), CallStart("f"), CallArgs("{"), CallArgs("}")])
    [Text(text='ab'), CallStart(name='f'), CallArgs(fragment='{}')]
    """
    merged: list[Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if isinstance(piece, Text) and isinstance(last, Text):
            merged[-1] = Text(last.text + piece.text)
        elif isinstance(piece, Reasoning) and isinstance(last, Reasoning):
            merged[-1] = Reasoning(last.text + piece.text)
        elif isinstance(piece, CallArgs) and isinstance(last, CallArgs):
            merged[-1] = CallArgs(last.fragment + piece.fragment)
        else:
            merged.append(piece)
    return merged


@dataclass(frozen=True)
class ParsedCall:
    """One call read back from pieces: its name, its arguments text and how it ended."""

    name: str
    arguments: str
    complete: bool


def calls_of(pieces: Sequence[Piece]) -> list[ParsedCall | BadCall]:
    """The calls in ``pieces`` in order, checking that the pieces are well formed: every
    ``CallStart`` is followed by ``CallArgs`` pieces and one ``CallEnd``, nothing else inside,
    or by a ``BadCall`` carrying the same name (the call turned out malformed)."""
    calls: list[ParsedCall | BadCall] = []
    current: tuple[str, list[str]] | None = None
    for piece in pieces:
        if current is not None:
            if isinstance(piece, CallArgs):
                current[1].append(piece.fragment)
                continue
            if isinstance(piece, BadCall):
                assert piece.name == current[0], f"{piece} ends call {current[0]!r}"
                calls.append(piece)
                current = None
                continue
            assert isinstance(piece, CallEnd), f"{piece} inside a call"
            calls.append(ParsedCall(current[0], "".join(current[1]), piece.complete))
            current = None
        elif isinstance(piece, CallStart):
            current = (piece.name, [])
        elif isinstance(piece, BadCall):
            calls.append(piece)
        else:
            assert isinstance(piece, Text | Reasoning), f"{piece} outside a call"
    assert current is None, "a call without CallEnd"
    return calls


def text_of(pieces: Sequence[Piece]) -> str:
    """The content: all ``Text`` pieces joined."""
    return "".join(p.text for p in pieces if isinstance(p, Text))


def assert_split_invariant(fmt: ToolCallFormat, text: str, sizes: Sequence[int]) -> list[Piece]:
    """Check that feeding ``text`` in chunks gives the same merged pieces as feeding it whole,
    and that they are well formed; return the merged pieces."""
    whole = merge_pieces(feed_all(fmt, text))
    assert merge_pieces(feed_in_chunks(fmt, text, sizes)) == whole
    calls_of(whole)
    return whole


chunk_sizes = st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=16)
"""Delta sizes for :func:`feed_in_chunks`."""

tool_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,30}", fullmatch=True)
"""Tool names as OpenAI allows them."""


def json_arguments(
    tricky: Sequence[str] = (), *, floats: st.SearchStrategy[float] | None = None
) -> st.SearchStrategy[dict]:
    """Argument dicts with nested values, unicode, quotes and backslashes; strings are sometimes
    one of ``tricky`` (a format's marker texts), alone or inside other text. ``floats`` replaces
    the default (any finite float)."""
    strings = st.one_of(
        st.text(max_size=20),
        st.sampled_from(['"', "\\", '\\"', "{", "}", "[", "]", "\n", "é ü 中文 😀", *tricky]),
        st.builds(
            "{}{}{}".format,
            st.text(max_size=5),
            st.sampled_from(tricky or [""]),
            st.text(max_size=5),
        ),
    )
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        floats if floats is not None else st.floats(allow_nan=False, allow_infinity=False),
        strings,
    )
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(strings, inner, max_size=4),
        max_leaves=12,
    )
    return st.dictionaries(strings, values, max_size=5)


def assert_truncations(
    fmt: ToolCallFormat, before: str, name: str, arguments: dict, opening: int
) -> None:
    """Cut ``before + fmt.render_call(name, arguments)`` at every length and check the pieces.

    ``opening`` is the length of the text that starts a call region (a marker, or ``{``): a prefix
    shorter than ``before`` plus that is only text; a prefix that ends inside the call before its
    arguments are complete ends with an unfinished call (``CallEnd(complete=False)``) or a
    ``BadCall``; a longer one holds the complete call. Every prefix is also fed one character at
    a time and must give the same pieces.
    """
    begin, _ = fmt.call_structure(name)
    args_json = json.dumps(arguments, ensure_ascii=False)
    text = before + fmt.render_call(name, arguments)
    args_end = len(before) + len(begin) + len(args_json)
    assert text[args_end - len(args_json) : args_end] == args_json
    for n in range(len(text) + 1):
        pieces = assert_split_invariant(fmt, text[:n], [1])
        calls = calls_of(pieces)
        if n < len(before) + opening:
            assert calls == [] and text_of(pieces) == text[:n]
        elif n < args_end:
            assert len(calls) == 1, (text[:n], calls)
            last = calls[0]
            assert isinstance(last, BadCall) or not last.complete, (text[:n], last)
        else:
            assert calls == [ParsedCall(name, args_json, True)], (text[:n], calls)


def assert_calls_round_trip(pieces: Sequence[Piece], calls: Sequence[tuple[str, dict]]) -> None:
    """Check that ``pieces`` hold exactly ``calls`` (name, arguments), each complete."""
    parsed = [c for c in calls_of(pieces) if isinstance(c, ParsedCall) and c.complete]
    assert len(parsed) == len(calls_of(pieces)), calls_of(pieces)
    assert [(c.name, json.loads(c.arguments)) for c in parsed] == list(calls)
