"""The pythonic format: ``[f(a=1), g(b='x')]``, parsed incrementally and never evaluated."""

from __future__ import annotations

import ast
import builtins
import json
import keyword

import pytest
from format_helpers import (
    ParsedCall,
    assert_split_invariant,
    calls_of,
    chunk_sizes,
    feed_all,
    merge_pieces,
    text_of,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from vllm_native.formats.base import BadCall, CallArgs, CallEnd, CallStart, Text
from vllm_native.formats.pythonic import PythonicFormat, literal_value, python_literal

FMT = PythonicFormat()

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda word: not keyword.iskeyword(word)  # Python's own parser, the reference, rejects them
)
names = st.one_of(identifiers, st.builds("{}.{}".format, identifiers, identifiers))
strings = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["'", '"', "'''", '"""', "\\", "\\'", "it's", 'say "hi"', "\n", "\r\n"]),
    st.sampled_from([")", "]", "}", "(", ",", "a=1", "<|python_end|>", "é 中文 😀", "#"]),
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
arguments = st.dictionaries(identifiers, json_values, max_size=4)
calls = st.lists(st.tuples(names, arguments), min_size=1, max_size=3)


def render_list(items: list[tuple[str, dict]], sep: str = ", ") -> str:
    """Several calls in one list, as a model writes parallel calls."""
    return "[" + sep.join(FMT.render_call(name, args)[1:-1] for name, args in items) + "]"


def expected_calls(items: list[tuple[str, dict]]) -> list[ParsedCall]:
    return [ParsedCall(name, json.dumps(args, ensure_ascii=False), True) for name, args in items]


def reference_calls(text: str) -> list[ParsedCall] | None:
    """What the whole text means when read as one Python expression (None: not a call list)."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(tree, ast.List) or not all(isinstance(e, ast.Call) for e in tree.elts):
        return None
    result = []
    for call in tree.elts:
        if call.args or any(k.arg is None for k in call.keywords):
            return None
        try:
            args = {k.arg: literal_value(k.value) for k in call.keywords}
            name = ast.unparse(call.func)
        except ValueError:
            return None
        result.append(ParsedCall(name, json.dumps(args, ensure_ascii=False), True))
    return result


def test_calls_stream_as_json_object_fragments():
    assert feed_all(FMT, "[f(a=1, b='x'), g()]") == [
        CallStart("f"),
        CallArgs('{"a": 1'),
        CallArgs(', "b": "x"'),
        CallArgs("}"),
        CallEnd(),
        CallStart("g"),
        CallArgs("{}"),
        CallEnd(),
    ]


def test_call_starts_as_soon_as_its_name_and_parenthesis_are_seen():
    parser = FMT.new_parser()
    assert parser.feed("[get_weather") == []
    assert parser.feed("(city='Par") == [CallStart("get_weather")]
    assert parser.feed("is', days=") == [CallArgs('{"city": "Paris"')]
    assert parser.feed("2)") == [CallArgs(', "days": 2'), CallArgs("}")]
    assert parser.feed("]") == [CallEnd()]
    assert parser.close() == []


@settings(deadline=None)
@given(calls, chunk_sizes)
def test_generated_calls_parse_back(items, sizes):
    text = render_list(items)
    pieces = assert_split_invariant(FMT, text, sizes)
    assert_split_invariant(FMT, text, [1])
    assert calls_of(pieces) == expected_calls(items) == reference_calls(text)
    for call, (_, args) in zip(calls_of(pieces), items, strict=True):
        assert json.loads(call.arguments) == args


@settings(deadline=None)
@given(
    st.lists(st.tuples(names, arguments), min_size=1, max_size=3),
    st.sampled_from([", ", ",", " ,\n  ", ",\n"]),
    st.sampled_from(["", " ", "\n", "<|python_start|>", " <|python_start|>\n"]),
    st.sampled_from(["", ",", ", "]),
    st.sampled_from(["", "<|python_end|>", "\n<|python_end|>\n"]),
    chunk_sizes,
)
def test_layout_variations_give_the_same_calls(items, sep, before, trailing_comma, after, sizes):
    text = before + render_list(items, sep)[:-1] + trailing_comma + "]" + after
    pieces = assert_split_invariant(FMT, text, sizes)
    assert calls_of(pieces) == expected_calls(items)
    assert text_of(pieces) == ""


def test_values_python_writes_in_many_ways():
    text = (
        "[f(a = -1, b=+2.5, c=(1, 2), d={3}, e=true, f=null, g=None, h=f'x', i='x' \"y\","
        " j='''it's''', k=\"\"\"two\nlines\"\"\", l='raw\nnewline', m={'k': [False]}, n=(7),)]"
    )
    [call] = calls_of(feed_all(FMT, text))
    assert json.loads(call.arguments) == {
        "a": -1,
        "b": 2.5,
        "c": [1, 2],
        "d": [3],
        "e": True,
        "f": None,
        "g": None,
        "h": "x",
        "i": "xy",
        "j": "it's",
        "k": "two\nlines",
        "l": "raw\nnewline",
        "m": {"k": [False]},
        "n": 7,
    }


def test_escaped_quotes_and_brackets_inside_strings():
    text = r"""[f(a='it\'s )]', b="say \"hi\" ([", c='\\')]"""
    [call] = calls_of(feed_all(FMT, text))
    assert json.loads(call.arguments) == {"a": "it's )]", "b": 'say "hi" ([', "c": "\\"}


@pytest.mark.parametrize(
    "text",
    [
        "Hello",
        "Sure: [f(a=1)]",
        "[1, 2] are numbers",
        "[link](https://example.com)",
        "[]",
        "['f(a=1)']",
        "[f, g]",
        "  \n",
        "<|python_start|>hello",
    ],
)
def test_messages_that_are_not_call_lists_are_text(text):
    pieces = assert_split_invariant(FMT, text, [1])
    assert pieces == ([Text(text)] if text else [])


def test_text_after_the_list_is_content():
    pieces = merge_pieces(feed_all(FMT, "<|python_start|>[f()]<|python_end|>\n\nDone [x]."))
    assert pieces == [CallStart("f"), CallArgs("{}"), CallEnd(), Text("Done [x].")]


@pytest.mark.parametrize(
    ("text", "raw", "name"),
    [
        ("[f(a=1), 5]", "5", None),
        ("[f(a=1), 'g(a=1)']", "'g(a=1)'", None),
        ("[f(a=1), g(1)]", "g(1)", "g"),
        ("[f(a=1), g(a=x)]", "g(a=x)", "g"),
        ("[f(a=1), g(a=1, a=2)]", "g(a=1, a=2)", "g"),
        ("[f(a=1), g(a=1).x]", "g(a=1).x", "g"),
        ("[f(a=1), g(a=1)(b=2)]", "g(a=1)(b=2)", "g"),
        ("[f(a=1), g(**{'a': 1})]", "g(**{'a': 1})", "g"),
        ("[f(a=1), g(a=[1, 2)]", "g(a=[1, 2)", "g"),
        ("[f(a=1), g(a=b'x')]", "g(a=b'x')", "g"),
        ("[f(a=1), g(a=1e999)]", "g(a=1e999)", "g"),
        ("[f(a=1), g(a=1 if 2 else 3)]", "g(a=1 if 2 else 3)", "g"),
        ("[f(a=1), g(a=1]", "g(a=1", "g"),
        ("[f(a=1), g(a=", "g(a=", None),  # cut off: an unfinished call, see below
    ],
)
def test_garbage_becomes_a_bad_call_and_other_calls_survive(text, raw, name):
    pieces = assert_split_invariant(FMT, text, [1])
    first, *rest = calls_of(pieces)
    assert first == ParsedCall("f", '{"a": 1}', True)
    if text.endswith("="):
        assert rest == [ParsedCall("g", "", False)]
    else:
        assert rest == [BadCall(raw, rest[0].error, name=name)]
        assert rest[0].error


PAYLOADS = [
    "[__import__('pathlib').Path({path!r}).touch()]",
    "[f(a=open({path!r}, 'w'))]",
    "[f(a=__import__('pathlib').Path({path!r}).write_text('x'))]",
    "[f(a=[__import__('pathlib').Path({path!r}).touch() for _ in [1]])]",
    "[f(a=(lambda: __import__('pathlib').Path({path!r}).touch())())]",
    "[f(a=eval(\"__import__('pathlib').Path({path!r}).touch()\"))]",
    "[f(a=exec(\"open({path!r}, 'w')\"))]",
    "[f(a={{**__import__('os').environ}})]",
    "[f(a=f'{{__import__(\"pathlib\").Path({path!r}).touch()}}')]",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_code_in_a_call_is_never_executed(payload, tmp_path, monkeypatch):
    sentinel = tmp_path / "ran"
    text = payload.format(path=str(sentinel))
    ran: list[str] = []

    def forbidden(name):
        return lambda *args, **kwargs: ran.append(name)

    for name in ("eval", "exec", "open"):
        monkeypatch.setattr(builtins, name, forbidden(name))
    pieces = assert_split_invariant(FMT, text, [1, 3, 7])
    monkeypatch.undo()
    [bad] = calls_of(pieces)
    assert isinstance(bad, BadCall), bad
    assert bad.raw == text[1:-1]
    assert not sentinel.exists() and ran == []


@settings(max_examples=25, deadline=None)
@given(calls, st.data())
def test_every_truncation_is_handled(items, data):
    before = data.draw(st.sampled_from(["", "<|python_start|>"]))
    text = before + render_list(items)
    first_paren = text.index("(")
    final = expected_calls(items)
    for n in range(len(text) + 1):
        prefix = text[:n]
        pieces = assert_split_invariant(FMT, prefix, [1])
        got = calls_of(pieces)
        if n <= first_paren:
            assert pieces == ([Text(prefix)] if prefix else [])
            continue
        assert text_of(pieces) == ""
        *done, last = got
        assert done == final[: len(done)]
        target = final[len(done)]
        if isinstance(last, BadCall):  # cut off inside a later call's name
            assert last.name is None and target.name.startswith(last.raw)
            continue
        assert last.name == target.name and target.arguments.startswith(last.arguments)
        assert last.complete == (last.arguments == target.arguments)


fuzz_pieces = st.sampled_from(
    ["[", "]", "(", ")", "{", "}", "'", '"', "'''", "\\", ",", "=", " ", "\n", "f", "a", "1", ".",
     "<|python_start|>", "<|python_end|>", "<|", "é"]
)  # fmt: skip


@settings(deadline=None)
@given(st.lists(fuzz_pieces, max_size=30).map("".join), chunk_sizes)
def test_arbitrary_text_never_raises_and_split_does_not_matter(text, sizes):
    assert_split_invariant(FMT, text, sizes)
    assert_split_invariant(FMT, text, [1])


@settings(deadline=None)
@given(calls, st.integers(min_value=0, max_value=200), fuzz_pieces, chunk_sizes)
def test_corrupted_calls_never_raise_and_match_python_when_valid(items, where, inserted, sizes):
    text = render_list(items)
    where %= len(text) + 1
    text = text[:where] + inserted + text[where:]
    pieces = assert_split_invariant(FMT, text, sizes)
    reference = reference_calls(text)
    if reference is not None and text.startswith("["):
        assert calls_of(pieces) == reference


def test_render_call_writes_python_literals():
    assert FMT.render_call("f", {"a": [1, None, True], "b": {"k": "it's"}}) == (
        """[f(a=[1, None, True], b={'k': "it's"})]"""
    )
    assert python_literal(-0.5) == "-0.5"
    with pytest.raises(ValueError):
        FMT.render_call("f", {"not an identifier": 1})
    assert FMT.call_structure("f") is None


def test_whitespace_around_the_dots_of_a_name_is_python():
    pieces = feed_all(FMT, "[A .A(), b. c(x=1)]")
    assert [(c.name, c.arguments) for c in calls_of(pieces)] == [("A.A", "{}"), ("b.c", '{"x": 1}')]
