"""The Llama 3 JSON tool-call format (``llama3_json``): examples, then properties over splits."""

from __future__ import annotations

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
from vllm_native.formats.llama3_json import PYTHON_TAG, Llama3JsonFormat

FMT = Llama3JsonFormat()

MESSAGES = [
    '{"name": "get_weather", "parameters": {"city": "Paris"}}',
    PYTHON_TAG + '{"name": "f", "arguments": {"a": 1}}',
    '{"name": "f", "parameters": {"a": {"b": [1, {"c": null}]}}}; {"name": "g", "parameters": {}}',
    '{"name": "f", "parameters": {"q": "say \\"hi\\" \\\\ {"}}',
    '{"name": "f", "parameters": {"t": "<|python_tag|>{\\"name\\": \\"x\\"}; }"}}',
    '{"name": "météo", "parameters": {"ville": "Zürich 😀"}}',
    '\n {"name": "f", "parameters": {}}\n',
    '{"name": "f", "parameters": {}}; Done.',
    '{"parameters": {"a": 1}, "name": "f"}',
    '{"name": "f", "parameters": {"a": 1}, "id": "x"}; {"name": "g", "parameters": [1]}',
    '{"name": "f", "parameters": {}}\n' + PYTHON_TAG + '{"name": "g", "parameters": {}}',
    '{"name": "f", "parameters": 5}',
    '{"name": "f", "parameters": {"a": 1}}; {"nom": "g"}',
    "The answer is {}.",
    '{"answer": 42} is what I found',
    PYTHON_TAG + 'brave_search.call(query="x")',
    "{not json at all",
    "<|python",
    'Let me check. {"name": "f", "parameters": {"a": 1}}',
    'Sure: {"name": "nobody", "parameters": {"x": {"name": "f", "parameters": {}}}} ok',
    'I will use {city} and {"name": "f", "arguments": {}} then.',
    "Okay <|python_tag|>" + '{"name": "g", "parameters": {}}',
    'Text {"name": "f", "parameters": {"t": "}"}}; {"name": "g", "parameters": {}} end',
]
BOUND = Llama3JsonFormat(["f", "g"])


def test_a_call() -> None:
    pieces = feed_all(FMT, '{"name": "get_weather", "parameters": {"city": "Paris"}}')
    assert pieces == [
        CallStart("get_weather"),
        CallArgs('{"city": "Paris"}'),
        CallEnd(complete=True),
    ]


def test_parallel_calls_after_the_python_tag() -> None:
    text = PYTHON_TAG + '{"name": "f", "arguments": {}}; {"name": "g", "parameters": {"x": [1]}}'
    assert merge_pieces(feed_all(FMT, text)) == [
        CallStart("f"),
        CallArgs("{}"),
        CallEnd(),
        CallStart("g"),
        CallArgs('{"x": [1]}'),
        CallEnd(),
    ]


def test_text_after_the_calls_is_content() -> None:
    pieces = merge_pieces(feed_all(FMT, '{"name": "f", "parameters": {}}; All done.'))
    assert pieces == [CallStart("f"), CallArgs("{}"), CallEnd(), Text("All done.")]


def test_a_call_after_leading_text_is_a_call_when_it_names_a_bound_tool() -> None:
    """vLLM's non-streaming llama3_json parser finds calls anywhere in the output."""
    text = 'Let me call {"name": "f", "parameters": {"a": 1}} now.'
    assert merge_pieces(feed_all(Llama3JsonFormat(["f"]), text)) == [
        Text("Let me call "),
        CallStart("f"),
        CallArgs('{"a": 1}'),
        CallEnd(),
        Text("now."),  # separators after a call are not content
    ]
    assert merge_pieces(feed_all(Llama3JsonFormat(["g"]), text)) == [Text(text)]


def test_json_in_prose_that_is_not_a_call_is_content_whole() -> None:
    text = 'Data: {"name": "x", "parameters": {"inner": {"name": "f", "parameters": {}}}}.'
    assert merge_pieces(feed_all(BOUND, text)) == [Text(text)]
    text = 'Shape: {"parameters": {}, "name": "f"} (not the usual header)'
    assert merge_pieces(feed_all(BOUND, text)) == [Text(text)]


def test_a_json_answer_is_text() -> None:
    assert merge_pieces(feed_all(FMT, '{"answer": 42}')) == [Text('{"answer": 42}')]


def test_key_order_does_not_matter() -> None:
    pieces = merge_pieces(feed_all(FMT, '{"parameters": {"a": 1}, "name": "f"}'))
    assert pieces == [CallStart("f"), CallArgs('{"a": 1}'), CallEnd()]


def test_garbage_after_the_python_tag_is_a_bad_call() -> None:
    [bad] = feed_all(FMT, PYTHON_TAG + 'brave_search.call(query="x")')
    assert isinstance(bad, BadCall) and bad.raw == 'brave_search.call(query="x")'


def test_text_is_not_held_back() -> None:
    parser = BOUND.new_parser()
    assert parser.feed("Hello") == [Text("Hello")]
    assert parser.feed(" {") == [Text(" ")]  # "{" may still start a call
    assert parser.feed("x} and") == [Text("{x}"), Text(" and")]


def test_a_call_is_streamed_before_it_ends() -> None:
    parser = FMT.new_parser()
    assert parser.feed('{"name": "f", "parameters": {"a": "x') == [
        CallStart("f"),
        CallArgs('{"a": "x'),
    ]
    assert parser.close() == [CallEnd(complete=False)]


def test_call_structure_matches_render_call() -> None:
    begin, end = FMT.call_structure("f")
    assert begin + '{"a": 1}' + end == FMT.render_call("f", {"a": 1})


@pytest.mark.parametrize("fmt", [FMT, BOUND], ids=["any-name", "bound"])
@pytest.mark.parametrize("text", MESSAGES)
def test_one_character_deltas_give_the_same_pieces(text: str, fmt: Llama3JsonFormat) -> None:
    assert_split_invariant(fmt, text, [1])


@given(st.sampled_from(MESSAGES), chunk_sizes, st.sampled_from([FMT, BOUND]))
def test_random_splits_give_the_same_pieces(
    text: str, sizes: list[int], fmt: Llama3JsonFormat
) -> None:
    assert_split_invariant(fmt, text, sizes)


@pytest.mark.parametrize("text", MESSAGES)
def test_every_prefix_parses(text: str) -> None:
    for n in range(len(text) + 1):
        assert_split_invariant(BOUND, text[:n], [1])


@pytest.mark.parametrize(
    "arguments", [{}, {"city": "Paris", "n": [1, 2]}, {"t": 'a "}" <|python_tag|>'}]
)
def test_truncation_leaves_an_unfinished_call(arguments: dict) -> None:
    assert_truncations(FMT, "", "get_weather", arguments, opening=1)


@settings(max_examples=60)
@given(
    calls=st.lists(
        st.tuples(tool_names, json_arguments([PYTHON_TAG, ";"])), min_size=1, max_size=3
    ),
    tagged=st.booleans(),
    after=st.from_regex(r"[A-Za-zé][A-Za-zé ,.!]{0,20}", fullmatch=True),
    sizes=chunk_sizes,
)
def test_generated_calls_round_trip(
    calls: list[tuple[str, dict]], tagged: bool, after: str, sizes: list[int]
) -> None:
    body = "; ".join(FMT.render_call(name, args) for name, args in calls)
    text = (PYTHON_TAG if tagged else "") + body + " " + after
    pieces = assert_split_invariant(FMT, text, sizes)
    assert_calls_round_trip(pieces, calls)
    assert text_of(pieces) == after


@settings(max_examples=60)
@given(
    before=st.from_regex(r"[A-Za-zé][A-Za-zé ,.!:]{0,20} ", fullmatch=True),
    name=tool_names,
    arguments=json_arguments([PYTHON_TAG, ";", "{", "}"]),
    bound=st.booleans(),
    sizes=chunk_sizes,
)
def test_generated_calls_after_text(
    before: str, name: str, arguments: dict, bound: bool, sizes: list[int]
) -> None:
    fmt = Llama3JsonFormat([name] if bound else [name + "_other"])
    call = FMT.render_call(name, arguments)
    pieces = assert_split_invariant(fmt, before + call, sizes)
    if bound:
        assert_calls_round_trip(pieces, [(name, arguments)])
        assert text_of(pieces) == before
    else:
        assert pieces == [Text(before + call)]
