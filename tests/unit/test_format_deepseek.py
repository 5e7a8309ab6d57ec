"""The DeepSeek tool-call formats (``deepseek_v3``, ``deepseek_v31``): examples, then properties."""

from __future__ import annotations

import json
from collections.abc import Callable

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

from vllm_native.formats.base import BadCall, CallArgs, CallEnd, CallStart, Text, ToolCallFormat
from vllm_native.formats.deepseek import (
    CALL_BEGIN,
    CALL_END,
    CALLS_BEGIN,
    CALLS_END,
    SEP,
    DeepSeekV3Format,
    DeepSeekV31Format,
)

V3, V31 = DeepSeekV3Format(), DeepSeekV31Format()
MARKERS = [CALLS_BEGIN, CALLS_END, CALL_BEGIN, CALL_END, SEP]
WriteCall = Callable[[str, str], str]
"""Writes one call in a version's syntax from its name and arguments text."""


def v3_call(name: str, args: str) -> str:
    return f"{CALL_BEGIN}function{SEP}{name}\n```json\n{args}\n```{CALL_END}"


def v31_call(name: str, args: str) -> str:
    return f"{CALL_BEGIN}{name}{SEP}{args}{CALL_END}"


def section(*calls: str, sep: str = "") -> str:
    return CALLS_BEGIN + sep.join(calls) + CALLS_END


def messages(call: WriteCall) -> list[str]:
    """The same cases for both versions, ``call(name, args_text)`` writing one call."""
    return [
        section(call("get_weather", '{"city": "Paris"}')),
        "Let me check. "
        + section(call("f", '{"a": {"b": [1, {"c": null}]}}'), call("g", "{}"), sep="\n")
        + " Done.",
        section(call("f", '{"q": "say \\"hi\\" \\\\ {"}')),
        section(
            call(
                "f", json.dumps({"t": f"```{CALL_END}{CALLS_END}{CALL_BEGIN}"}, ensure_ascii=False)
            )
        ),
        section(call("météo", '{"ville": "Zürich 😀"}')),
        section(call("f", "[1, 2]")) + " between " + section(call("g", "5")),
        call("f", "{}"),
        CALLS_BEGIN + "garbage" + CALLS_END + "after",
        section(call("f", "{}"), "stray text", call("g", "{}")),
        section(f"{CALL_BEGIN}no separator here{CALL_END}", call("g", "{}")),
        section(call("f", '{"a": 1} trailing')),
        CALLS_BEGIN,
        "plain text <｜tool▁ca",
    ]


CASES = [(V3, m) for m in messages(v3_call)] + [(V31, m) for m in messages(v31_call)]
IDS = [f"{fmt.name}-{i}" for i, (fmt, _) in enumerate(CASES)]


@pytest.mark.parametrize(
    ("fmt", "call"), [(V3, v3_call), (V31, v31_call)], ids=["deepseek_v3", "deepseek_v31"]
)
def test_parallel_calls_between_text(fmt: ToolCallFormat, call: WriteCall) -> None:
    text = "Hi " + section(call("f", '{"a": 1}'), call("g", "{}"), sep="\n") + " bye"
    assert merge_pieces(feed_all(fmt, text)) == [
        Text("Hi "),
        CallStart("f"),
        CallArgs('{"a": 1}'),
        CallEnd(complete=True),
        CallStart("g"),
        CallArgs("{}"),
        CallEnd(complete=True),
        Text(" bye"),
    ]


def test_v3_exact_text() -> None:
    text = (
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        '```json\n{"city": "Paris"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>'
    )
    assert V3.render_call("get_weather", {"city": "Paris"}) == text
    assert merge_pieces(feed_all(V3, text)) == [
        CallStart("get_weather"),
        CallArgs('{"city": "Paris"}'),
        CallEnd(),
    ]


def test_v31_exact_text() -> None:
    text = (
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>"
        '{"city": "Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>'
    )
    assert V31.render_call("get_weather", {"city": "Paris"}) == text
    assert merge_pieces(feed_all(V31, text)) == [
        CallStart("get_weather"),
        CallArgs('{"city": "Paris"}'),
        CallEnd(),
    ]


def test_garbage_in_the_section_is_a_bad_call() -> None:
    [bad, after] = merge_pieces(feed_all(V31, CALLS_BEGIN + "garbage" + CALLS_END + "after"))
    assert isinstance(bad, BadCall) and bad.raw == "garbage" and after == Text("after")


def test_a_call_without_its_header_is_a_bad_call() -> None:
    [bad] = feed_all(V3, section(f"{CALL_BEGIN}get_weather {{}}{CALL_END}"))
    assert isinstance(bad, BadCall) and bad.raw == "get_weather {}"


def test_text_after_the_arguments_is_a_bad_call() -> None:
    pieces = merge_pieces(feed_all(V31, section(v31_call("f", '{"a": 1} oops'))))
    assert pieces[:3] == [CallStart("f"), CallArgs('{"a": 1}'), CallEnd()]
    assert isinstance(pieces[3], BadCall) and pieces[3].raw == "oops"


def test_text_is_held_back_only_while_it_may_be_a_marker() -> None:
    parser = V3.new_parser()
    assert parser.feed("Hi <｜tool") == [Text("Hi ")]
    assert parser.feed("box｜>") == [Text("<｜toolbox｜>")]


@pytest.mark.parametrize("fmt", [V3, V31], ids=["deepseek_v3", "deepseek_v31"])
def test_call_structure_matches_render_call(fmt: ToolCallFormat) -> None:
    begin, end = fmt.call_structure("f")
    assert begin + '{"a": 1}' + end == fmt.render_call("f", {"a": 1})


@pytest.mark.parametrize(("fmt", "text"), CASES, ids=IDS)
def test_one_character_deltas_give_the_same_pieces(fmt: ToolCallFormat, text: str) -> None:
    assert_split_invariant(fmt, text, [1])


@given(st.sampled_from(CASES), chunk_sizes)
def test_random_splits_give_the_same_pieces(
    case: tuple[ToolCallFormat, str], sizes: list[int]
) -> None:
    assert_split_invariant(*case, sizes)


@pytest.mark.parametrize(("fmt", "text"), CASES, ids=IDS)
def test_every_prefix_parses(fmt: ToolCallFormat, text: str) -> None:
    for n in range(len(text) + 1):
        assert_split_invariant(fmt, text[:n], [1])


@pytest.mark.parametrize("fmt", [V3, V31], ids=["deepseek_v3", "deepseek_v31"])
@pytest.mark.parametrize("arguments", [{}, {"city": "Paris", "n": [1]}, {"t": f'"}}{CALL_END}'}])
def test_truncation_leaves_an_unfinished_call(fmt: ToolCallFormat, arguments: dict) -> None:
    assert_truncations(fmt, "Sure. ", "get_weather", arguments, opening=len(CALLS_BEGIN))


_CONTENT = st.text(max_size=20).filter(lambda s: CALLS_BEGIN not in s and CALL_BEGIN not in s)


@settings(max_examples=60)
@given(
    fmt_call=st.sampled_from([(V3, v3_call), (V31, v31_call)]),
    calls=st.lists(st.tuples(tool_names, json_arguments(MARKERS)), min_size=1, max_size=3),
    separator=st.sampled_from(["", "\n"]),
    before=_CONTENT,
    after=_CONTENT,
    sizes=chunk_sizes,
)
def test_generated_calls_round_trip(
    fmt_call: tuple[ToolCallFormat, WriteCall],
    calls: list[tuple[str, dict]],
    separator: str,
    before: str,
    after: str,
    sizes: list[int],
) -> None:
    fmt, call = fmt_call
    written = [call(name, json.dumps(args, ensure_ascii=False)) for name, args in calls]
    text = before + section(*written, sep=separator) + after
    pieces = assert_split_invariant(fmt, text, sizes)
    assert_calls_round_trip(pieces, calls)
    assert text_of(pieces) == before + after
