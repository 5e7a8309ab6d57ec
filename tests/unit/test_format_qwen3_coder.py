"""The Qwen3-Coder XML format: ``<tool_call><function=f><parameter=p>v</parameter>...``."""

from __future__ import annotations

import json

import pytest
from format_helpers import (
    ParsedCall,
    assert_split_invariant,
    calls_of,
    chunk_sizes,
    feed_all,
    merge_pieces,
    text_of,
    tool_names,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from vllm_native.formats.base import BadCall, CallArgs, CallEnd, CallStart, Text
from vllm_native.formats.qwen3_coder import Qwen3CoderFormat, parameter_value

FMT = Qwen3CoderFormat()
MARKERS = [
    "<tool_call>",
    "</tool_call>",
    "<function=",
    "</function>",
    "<parameter=",
    "</parameter>",
]
VALUE_ENDS = ["</parameter>", "<parameter=", "</function>", "</tool_call>"]

param_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_ -]{0,12}[A-Za-z0-9_]|[A-Za-z_]", fullmatch=True)
strings = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['"', "\\", "\n", "\n\n", "  padded  ", "é 中文 😀", "<", ">", "<b>x</b>"]),
    st.sampled_from(["x = 1\nif x:\n    print('<tag>')\n", "[not json", "{'python': 1}"]),
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        strings,
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(strings, inner, max_size=4),
    max_leaves=10,
)


def survives_rendering(value) -> bool:
    """Values the format can carry: no value-ending marker, and a top-level string must not
    read as another JSON value (``"5"`` comes back as ``5``: the format has no quoting)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if any(marker in text for marker in VALUE_ENDS):
        return False
    return not isinstance(value, str) or parameter_value(value) == value


arguments = st.dictionaries(param_names, json_values.filter(survives_rendering), max_size=4)
calls = st.lists(st.tuples(tool_names, arguments), min_size=1, max_size=3)


def expected_calls(items: list[tuple[str, dict]]) -> list[ParsedCall]:
    return [ParsedCall(name, json.dumps(args, ensure_ascii=False), True) for name, args in items]


def test_parameters_stream_as_json_object_fragments():
    text = "Let me look.\n" + FMT.render_call("f", {"city": "Paris", "days": 2})
    assert feed_all(FMT, text) == [
        Text("Let me look.\n"),
        CallStart("f"),
        CallArgs('{"city": "Paris"'),
        CallArgs(', "days": 2'),
        CallArgs("}"),
        CallEnd(),
    ]


def test_one_fragment_per_finished_parameter():
    parser = FMT.new_parser()
    assert parser.feed("<tool_call>\n<function=get_weather>\n<parameter=ci") == [
        CallStart("get_weather")
    ]
    assert parser.feed("ty>\nPar") == []
    assert parser.feed("is\n</param") == []
    assert parser.feed("eter>\n</function>\n</tool_call>") == [
        CallArgs('{"city": "Paris"'),
        CallArgs("}"),
        CallEnd(),
    ]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("\n5\n", 5),
        ("-2.5e3", -2500.0),
        ("true", True),
        ("null", None),
        ('{"a": [1, "x"]}', {"a": [1, "x"]}),
        ("[1, 2]", [1, 2]),
        ("\nParis\n", "Paris"),
        ("\n\nline\n\n", "\nline\n"),
        ('"quoted"', '"quoted"'),
        ("True", "True"),
        ("NaN", "NaN"),
        ("1e999", "1e999"),
        ("[1, 2", "[1, 2"),
        ("", ""),
    ],
)
def test_value_conversion_without_a_schema(raw, value):
    assert parameter_value(raw) == value
    assert type(parameter_value(raw)) is type(value)


@settings(deadline=None)
@given(calls, st.sampled_from(["", "\n", "\n\n"]), chunk_sizes)
def test_generated_calls_parse_back(items, between, sizes):
    text = between.join(FMT.render_call(name, args) for name, args in items)
    pieces = assert_split_invariant(FMT, text, sizes)
    assert_split_invariant(FMT, text, [1])
    assert calls_of(pieces) == expected_calls(items)
    assert text_of(pieces) == between * (len(items) - 1)
    for call, (_, args) in zip(calls_of(pieces), items, strict=True):
        assert json.loads(call.arguments) == args


def test_text_around_calls_is_content():
    text = "Before.\n" + FMT.render_call("f", {}) + "\nAfter."
    pieces = merge_pieces(feed_all(FMT, text))
    assert pieces == [
        Text("Before.\n"),
        CallStart("f"),
        CallArgs("{}"),
        CallEnd(),
        Text("\nAfter."),
    ]


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        # no <tool_call>: a bare <function= still starts a call
        ("<function=f>\n<parameter=a>\n1\n</parameter>\n</function>", [("f", '{"a": 1}')]),
        # missing </parameter>: ends at the next <parameter= or at </function>
        (
            "<tool_call>\n<function=f>\n<parameter=a>\nx\n<parameter=b>\n2\n</function>\n</tool_call>",
            [("f", '{"a": "x", "b": 2}')],
        ),
        # missing </function>
        ("<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n</tool_call>", [("f", '{"a": 1}')]),
        # two calls in one <tool_call>, the second without its own opening
        (
            "<tool_call>\n<function=f>\n</function>\n<function=g>\n</function>\n</tool_call>",
            [("f", "{}"), ("g", "{}")],
        ),
        # stray text between parameters is ignored, as vLLM does
        (
            "<tool_call><function=f>note<parameter=a>1</parameter>more</function></tool_call>",
            [("f", '{"a": 1}')],
        ),
        # a name with surrounding spaces
        ("<tool_call><function= f >\n<parameter= a >1</parameter></function></tool_call>", [("f", '{"a": 1}')]),
    ],
)  # fmt: skip
def test_lenient_like_vllm(text, calls):
    pieces = assert_split_invariant(FMT, text, [1])
    assert calls_of(pieces) == [ParsedCall(name, args, True) for name, args in calls]


@pytest.mark.parametrize(
    ("text", "raw", "name"),
    [
        ('<tool_call>{"name": "g", "arguments": {}}</tool_call>', '{"name": "g", "arguments": {}}', None),
        ("<tool_call>\n</tool_call>", "", None),
        ("<tool_call><function=a<b></function></tool_call>", "<function=a<b></function>", None),
        (
            "<tool_call><function=g><parameter=a>1</parameter><parameter=a>2</parameter></function></tool_call>",
            "<function=g><parameter=a>1</parameter><parameter=a>2</parameter>",
            "g",
        ),
        (
            "<tool_call><function=g><parameter=a\nb>1</parameter></function></tool_call>",
            "<function=g><parameter=a\nb>1</parameter>",
            "g",
        ),
    ],
)  # fmt: skip
def test_garbage_becomes_a_bad_call_and_other_calls_survive(text, raw, name):
    good = FMT.render_call("f", {"a": 1})
    pieces = assert_split_invariant(FMT, f"{good}\n{text}\n{good}", [1])
    assert calls_of(pieces) == [
        ParsedCall("f", '{"a": 1}', True),
        BadCall(raw, calls_of(pieces)[1].error, name=name),
        ParsedCall("f", '{"a": 1}', True),
    ]


@settings(max_examples=30, deadline=None)
@given(calls)
def test_every_truncation_is_handled(items):
    before = "Sure.\n"
    text = before + "\n".join(FMT.render_call(name, args) for name, args in items)
    final = expected_calls(items)
    for n in range(len(text) + 1):
        prefix = text[:n]
        pieces = assert_split_invariant(FMT, prefix, [1])
        got = calls_of(pieces)
        if n < len(before) + len("<tool_call>"):
            assert pieces == ([Text(prefix)] if prefix else [])
            continue
        *done, last = got
        assert done == final[: len(done)]
        target = final[len(done)]
        if isinstance(last, BadCall):  # cut off before the call's name was complete
            assert last.name is None and last.error == "tool call cut off before its name"
            continue
        assert last.name == target.name and target.arguments.startswith(last.arguments)
        assert last.complete == (last.arguments == target.arguments)


fuzz_pieces = st.sampled_from([*MARKERS, ">", "<", "</", "\n", " ", "a", "1", "{", "}", '"', "é"])


@settings(deadline=None)
@given(st.lists(fuzz_pieces, max_size=30).map("".join), chunk_sizes)
def test_arbitrary_text_never_raises_and_split_does_not_matter(text, sizes):
    assert_split_invariant(FMT, text, sizes)
    assert_split_invariant(FMT, text, [1])


def test_structure():
    assert FMT.call_structure("f") is None
    assert FMT.name == "qwen3_coder"
