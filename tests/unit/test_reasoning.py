"""ReasoningSplitter: <think> splitting over any split of the text into deltas."""

from __future__ import annotations

from format_helpers import chunk_sizes
from hypothesis import given
from hypothesis import strategies as st

from vllm_native.formats.reasoning import ReasoningSplitter

START, END = "<think>", "</think>"


def split(text: str, sizes: list[int] | None = None, **kwargs) -> list[tuple[bool, str]]:
    """Feed ``text`` in deltas of ``sizes`` (cyclically; whole when None) and merge the parts."""
    splitter = ReasoningSplitter(**kwargs)
    parts: list[tuple[bool, str]] = []
    pos, i = 0, 0
    while pos < len(text):
        size = sizes[i % len(sizes)] if sizes else len(text)
        parts += splitter.feed(text[pos : pos + size])
        pos, i = pos + size, i + 1
    parts += splitter.close()
    merged: list[tuple[bool, str]] = []
    for is_reasoning, chunk in parts:
        assert chunk, "empty parts are never returned"
        if merged and merged[-1][0] == is_reasoning:
            merged[-1] = (is_reasoning, merged[-1][1] + chunk)
        else:
            merged.append((is_reasoning, chunk))
    return merged


def reference(text: str, starts_in_reasoning: bool) -> list[tuple[bool, str]]:
    """The documented rules, applied to the whole text at once."""
    if not starts_in_reasoning:
        stripped = text.lstrip()
        if not stripped.startswith(START):
            content = text.replace(END, "")
            return [(False, content)] if content else []
        text = stripped[len(START) :]
    pos = text.find(END)
    if pos < 0:
        reasoning, content = text.replace(START, ""), ""
    else:
        reasoning = text[:pos].replace(START, "")
        content = text[pos + len(END) :].lstrip().replace(END, "")
    return [(flag, part) for flag, part in ((True, reasoning), (False, content)) if part]


# texts made of marker pieces, so markers, partial markers and near-misses are common
pieces = st.sampled_from(
    [START, END, "<", "</", "<th", "</thi", "think>", ">", " ", "\n", "\n\n", "a", "é😀", "x y"]
)
texts = st.lists(pieces, max_size=14).map("".join)


@given(texts, chunk_sizes, st.booleans())
def test_any_split_gives_the_documented_result(text, sizes, starts_in_reasoning):
    expected = reference(text, starts_in_reasoning)
    assert split(text, None, starts_in_reasoning=starts_in_reasoning) == expected
    assert split(text, sizes, starts_in_reasoning=starts_in_reasoning) == expected
    assert split(text, [1], starts_in_reasoning=starts_in_reasoning) == expected


@given(
    st.text(max_size=30).filter(lambda s: "<" not in s),
    st.text(max_size=30).filter(lambda s: "<" not in s and not s[:1].isspace()),
    st.sampled_from(["", "\n", "\n\n", " \n "]),
    chunk_sizes,
)
def test_reasoning_and_content_reconstruct_the_text(reasoning, content, gap, sizes):
    text = f"{START}{reasoning}{END}{gap}{content}"
    parts = split(text, sizes)
    assert "".join(p for is_r, p in parts if is_r) == reasoning
    assert "".join(p for is_r, p in parts if not is_r) == content
    assert [is_r for is_r, _ in parts] == [
        flag for flag, p in ((True, reasoning), (False, content)) if p
    ]


def test_response_that_begins_with_think():
    assert split("\n<think>\nplan\n</think>\n\nHello") == [(True, "\nplan\n"), (False, "Hello")]


def test_template_opened_think_so_output_has_only_the_end_marker():
    assert split("plan</think>\n\nHello", starts_in_reasoning=True) == [
        (True, "plan"),
        (False, "Hello"),
    ]
    # a model that repeats the opening marker anyway
    assert split("<think>plan</think>Hi", starts_in_reasoning=True) == [
        (True, "plan"),
        (False, "Hi"),
    ]


def test_no_end_marker_means_everything_is_reasoning():
    assert split("<think>still thinking") == [(True, "still thinking")]
    assert split("thinking, cut off</thi", starts_in_reasoning=True) == [
        (True, "thinking, cut off</thi")
    ]


def test_text_without_think_at_the_start_is_content():
    assert split("Answer: use <think> tags") == [(False, "Answer: use <think> tags")]
    assert split("  Hello") == [(False, "  Hello")]


def test_stray_end_marker_in_content_is_dropped():
    assert split("<think>a</think>b</think>c") == [(True, "a"), (False, "bc")]


def test_partial_markers_are_held_back_until_decided():
    splitter = ReasoningSplitter()
    assert splitter.feed("<thi") == []
    assert splitter.feed("nk>plan</") == [(True, "plan")]
    assert splitter.feed("think>") == []
    assert splitter.feed("\n\n") == []  # whitespace after </think> may all be dropped
    assert splitter.feed("Hi <") == [(False, "Hi ")]
    assert splitter.close() == [(False, "<")]


def test_other_markers():
    splitter = ReasoningSplitter("<seed:think>", "</seed:think>")
    parts = splitter.feed("<seed:think>x</seed:think>y") + splitter.close()
    assert parts == [(True, "x"), (False, "y")]
