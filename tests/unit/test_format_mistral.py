"""The Mistral tool-call format (``mistral``): both shapes, examples, then split properties."""

from __future__ import annotations

import json

import pytest
from format_helpers import (
    assert_calls_round_trip,
    assert_split_invariant,
    assert_truncations,
    chunk_sizes,
    feed_all,
    json_arguments,
    merge_pieces,
    text_of,
    tool_names,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from vllm_native.formats.base import BadCall, CallArgs, CallEnd, CallStart, Text
from vllm_native.formats.mistral import ARGS, CALL_ID, TOOL_CALLS, MistralFormat

FMT = MistralFormat()

MESSAGES = [
    # v11+
    '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}',
    'Let me look.[TOOL_CALLS]f[ARGS]{"a": {"b": [1, {"c": null}]}}[TOOL_CALLS]g[ARGS]{}',
    '[TOOL_CALLS]f[ARGS]{"q": "say \\"hi\\" \\\\ ["}',
    '[TOOL_CALLS]f[ARGS]{"t": "[TOOL_CALLS]g[ARGS]{}"} and some text after',
    '[TOOL_CALLS]météo[ARGS]{"ville": "Zürich 😀"}',
    '[TOOL_CALLS]f[CALL_ID]a1b2c3d4e[ARGS]{"a": 1}',
    '[TOOL_CALLS]f{"a": 1}',
    "[TOOL_CALLS]f[ARGS]5",
    "[TOOL_CALLS]Sorry, I cannot call a tool here.",
    "[TOOL_CALLS]f[TOOL_CALLS]g[ARGS]{}",
    # before v11
    '[TOOL_CALLS] [{"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": {}}]',
    'Sure. [TOOL_CALLS] [{"arguments": {"a": 1}, "name": "f", "id": "abc123def"}] Done.',
    '[TOOL_CALLS] {"name": "f", "arguments": {"t": "]}[TOOL_CALLS]"}}',
    '[TOOL_CALLS][TOOL_CALLS] [{"name": "f", "arguments": {}}]',
    '[TOOL_CALLS] [{"name": "f", "arguments": {}}, oops] later[TOOL_CALLS]g[ARGS]{}',
    "[TOOL_CALLS] []",
    "no calls at all [TOOL_",
    '[TOOL_CALLS] Sure! [{"name": "f", "arguments": {"a": 1}}] ok',
    '[TOOL_CALLS]```json\n[ {"name": "f", "arguments": {}}, {"name": "g", "arguments": {}}]\n```',
]


def test_v11_call_after_text() -> None:
    pieces = merge_pieces(feed_all(FMT, 'Checking.[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}'))
    assert pieces == [
        Text("Checking."),
        CallStart("get_weather"),
        CallArgs('{"city": "Paris"}'),
        CallEnd(complete=True),
    ]


def test_v11_parallel_calls_and_call_id() -> None:
    text = '[TOOL_CALLS]f[CALL_ID]a1b2c3d4e[ARGS]{"a": 1}[TOOL_CALLS]g{}'
    assert merge_pieces(feed_all(FMT, text)) == [
        CallStart("f"),
        CallArgs('{"a": 1}'),
        CallEnd(),
        CallStart("g"),
        CallArgs("{}"),
        CallEnd(),
    ]


def test_pre_v11_array() -> None:
    text = '[TOOL_CALLS] [{"name": "f", "arguments": {"a": 1}}, {"arguments": {}, "name": "g"}]'
    assert merge_pieces(feed_all(FMT, text)) == [
        CallStart("f"),
        CallArgs('{"a": 1}'),
        CallEnd(),
        CallStart("g"),
        CallArgs("{}"),
        CallEnd(),
    ]


def test_text_after_a_call_is_content() -> None:
    pieces = merge_pieces(feed_all(FMT, "[TOOL_CALLS]f[ARGS]{} Done."))
    assert pieces == [CallStart("f"), CallArgs("{}"), CallEnd(), Text(" Done.")]


def test_text_without_arguments_after_the_marker_is_a_bad_call() -> None:
    [bad] = feed_all(FMT, "[TOOL_CALLS]Sorry, I cannot.")
    assert isinstance(bad, BadCall) and bad.raw == "Sorry, I cannot."


def test_junk_before_a_pre_v11_array_does_not_lose_the_calls() -> None:
    """vLLM falls back to the first ``[{...}]`` after the marker; the junk stays content here."""
    text = '[TOOL_CALLS]```json\n[{"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": {}}]\n```'
    assert merge_pieces(feed_all(FMT, text)) == [
        Text("```json\n"),
        CallStart("f"),
        CallArgs('{"a": 1}'),
        CallEnd(),
        CallStart("g"),
        CallArgs("{}"),
        CallEnd(),
        Text("\n```"),
    ]


def test_garbage_in_the_array_is_a_bad_call() -> None:
    pieces = merge_pieces(feed_all(FMT, '[TOOL_CALLS] [{"name": "f", "arguments": {}}, oops]'))
    assert pieces[:3] == [CallStart("f"), CallArgs("{}"), CallEnd()]
    assert isinstance(pieces[3], BadCall) and pieces[3].raw == "oops]"


def test_text_is_held_back_only_while_it_may_be_the_marker() -> None:
    parser = FMT.new_parser()
    assert parser.feed("Hi [TOOL") == [Text("Hi ")]
    assert parser.feed("S]") == [Text("[TOOLS]")]


def test_call_structure_matches_render_call() -> None:
    begin, end = FMT.call_structure("f")
    assert begin + '{"a": 1}' + end == FMT.render_call("f", {"a": 1})


@pytest.mark.parametrize("text", MESSAGES)
def test_one_character_deltas_give_the_same_pieces(text: str) -> None:
    assert_split_invariant(FMT, text, [1])


@given(st.sampled_from(MESSAGES), chunk_sizes)
def test_random_splits_give_the_same_pieces(text: str, sizes: list[int]) -> None:
    assert_split_invariant(FMT, text, sizes)


@pytest.mark.parametrize("text", MESSAGES)
def test_every_prefix_parses(text: str) -> None:
    for n in range(len(text) + 1):
        assert_split_invariant(FMT, text[:n], [1])


@pytest.mark.parametrize("arguments", [{}, {"city": "Paris", "n": [1, 2]}, {"t": 'a "}" [ARGS]'}])
def test_truncation_leaves_an_unfinished_call(arguments: dict) -> None:
    assert_truncations(FMT, "Sure. ", "get_weather", arguments, opening=len(TOOL_CALLS))


_TRICKY = [TOOL_CALLS, ARGS, CALL_ID, "]"]
_CONTENT = st.text(max_size=20).filter(lambda s: TOOL_CALLS not in s)


@settings(max_examples=60)
@given(
    calls=st.lists(st.tuples(tool_names, json_arguments(_TRICKY)), min_size=1, max_size=3),
    before=_CONTENT,
    after=_CONTENT,
    sizes=chunk_sizes,
)
def test_generated_v11_calls_round_trip(
    calls: list[tuple[str, dict]], before: str, after: str, sizes: list[int]
) -> None:
    text = before + "".join(FMT.render_call(name, args) for name, args in calls) + after
    pieces = assert_split_invariant(FMT, text, sizes)
    assert_calls_round_trip(pieces, calls)
    assert text_of(pieces) == before + after


@settings(max_examples=60)
@given(
    calls=st.lists(st.tuples(tool_names, json_arguments(_TRICKY)), min_size=1, max_size=3),
    sizes=chunk_sizes,
)
def test_generated_pre_v11_arrays_round_trip(
    calls: list[tuple[str, dict]], sizes: list[int]
) -> None:
    array = json.dumps([{"name": n, "arguments": a} for n, a in calls], ensure_ascii=False)
    pieces = assert_split_invariant(FMT, f"{TOOL_CALLS} {array}", sizes)
    assert_calls_round_trip(pieces, calls)
    assert text_of(pieces) == ""


@settings(max_examples=60)
@given(
    calls=st.lists(st.tuples(tool_names, json_arguments(_TRICKY)), min_size=1, max_size=3),
    junk=st.from_regex(r"[A-Za-z`!:. \n]{0,12}[A-Za-z`!:.]", fullmatch=True),
    sizes=chunk_sizes,
)
def test_generated_pre_v11_arrays_after_junk_round_trip(
    calls: list[tuple[str, dict]], junk: str, sizes: list[int]
) -> None:
    array = json.dumps([{"name": n, "arguments": a} for n, a in calls], ensure_ascii=False)
    pieces = assert_split_invariant(FMT, f"{TOOL_CALLS}{junk} {array}", sizes)
    assert_calls_round_trip(pieces, calls)
    assert text_of(pieces) == junk.lstrip() + " "  # whitespace after the marker is not kept
