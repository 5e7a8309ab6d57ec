"""gpt-oss harmony output (``vllm_native/formats/harmony.py``), parsed from the text the engine
produces with special tokens kept.

The outputs are vLLM 0.33.0's own harmony parser tests (tests/parser/test_harmony.py, which
encode them with ``openai_harmony``): what vLLM's server makes of each is checked here too, except
where vLLM drops text (built-in tool calls), which here stays visible as an invalid call.
"""

from __future__ import annotations

import json

import pytest
from format_helpers import (
    assert_split_invariant,
    calls_of,
    chunk_sizes,
    json_arguments,
    merge_pieces,
    text_of,
    tool_names,
)
from hypothesis import given
from hypothesis import strategies as st

from vllm_native.formats import get_format
from vllm_native.formats.base import BadCall, CallArgs, CallEnd, CallStart, Reasoning, Text
from vllm_native.formats.harmony import MARKERS, HarmonyFormat, HarmonyParser

FMT = HarmonyFormat()
NEXT = "<|start|>assistant"


def reasoning_of(pieces) -> str:
    return "".join(p.text for p in pieces if isinstance(p, Reasoning))


def parsed(text: str):
    """Merged pieces, the same for every split of ``text`` (checked on a few)."""
    whole = assert_split_invariant(FMT, text, [1])
    for sizes in ([2], [3, 1], [7], [5, 11, 2]):
        assert merge_pieces(_chunked(text, sizes)) == whole
    return whole


def _chunked(text: str, sizes: list[int]):
    parser = FMT.new_parser()
    pieces, pos, i = [], 0, 0
    while pos < len(text):
        pieces += parser.feed(text[pos : pos + sizes[i % len(sizes)]])
        pos, i = pos + sizes[i % len(sizes)], i + 1
    return pieces + parser.close()


def call_tuples(pieces) -> list[tuple[str, dict]]:
    calls = calls_of(pieces)
    assert all(not isinstance(c, BadCall) and c.complete for c in calls), calls
    return [(c.name, json.loads(c.arguments)) for c in calls]


def test_vllms_name_is_our_format():
    assert isinstance(get_format("openai"), HarmonyFormat)
    assert set(FMT.special_markers) == set(MARKERS)


@pytest.mark.parametrize(
    "output",
    [
        # function recipient before the channel (what gpt-oss writes; vLLM's server prompts it)
        "<|channel|>analysis<|message|>Check weather<|end|>"
        f"{NEXT} to=functions.get_weather<|channel|>commentary"
        '<|constrain|>json<|message|>{"location": "Paris"}',
        # after the channel, with a space before <|constrain|> (vLLM's structural tag form)
        "<|channel|>analysis<|message|>Check weather<|end|>"
        f"{NEXT}<|channel|>commentary to=functions.get_weather"
        ' <|constrain|>json<|message|>{"location": "Paris"}<|call|>',
        # plain "json" content type, the <|call|> stop token kept
        "<|channel|>analysis<|message|>Check weather<|end|>"
        f'{NEXT} to=functions.get_weather<|channel|>commentary json<|message|>{{"location": '
        '"Paris"}<|call|>',
    ],
    ids=["recipient-first", "channel-first", "json-type"],
)
def test_a_call_after_analysis(output):
    pieces = parsed(output)
    assert reasoning_of(pieces) == "Check weather"
    assert call_tuples(pieces) == [("get_weather", {"location": "Paris"})]
    assert text_of(pieces) == ""


def test_commentary_preamble_is_content_and_the_call_has_no_content_type():
    pieces = parsed(
        "<|channel|>commentary<|message|>Let me check the weather.<|end|>"
        f'{NEXT} to=functions.get_weather<|channel|>commentary<|message|>{{"location": "SF"}}'
        "<|end|>"
    )
    assert text_of(pieces) == "Let me check the weather."
    assert call_tuples(pieces) == [("get_weather", {"location": "SF"})]


def test_reasoning_then_final_answer():
    pieces = parsed(
        f"<|channel|>analysis<|message|>I'm thinking.<|end|>{NEXT}<|channel|>final<|message|>"
        "The answer is 42.<|return|>"
    )
    assert (reasoning_of(pieces), text_of(pieces)) == ("I'm thinking.", "The answer is 42.")
    assert calls_of(pieces) == []


def test_several_calls_and_content_between_them():
    pieces = parsed(
        "<|channel|>analysis<|message|>Plan<|end|>"
        f'{NEXT} to=functions.tool_a<|channel|>commentary<|constrain|>json<|message|>{{"a": 1}}'
        f"<|call|>{NEXT} to=functions.tool_b<|channel|>commentary<|constrain|>json<|message|>"
        f'{{"b": 2}}<|call|>{NEXT}<|channel|>final<|message|>Done<|end|>'
        f'{NEXT} to=functions.tool_c<|channel|>commentary<|constrain|>json<|message|>{{"c": 3}}'
    )
    assert call_tuples(pieces) == [("tool_a", {"a": 1}), ("tool_b", {"b": 2}), ("tool_c", {"c": 3})]
    assert (reasoning_of(pieces), text_of(pieces)) == ("Plan", "Done")


def test_messages_of_one_kind_are_joined_by_a_newline_as_vllm_joins_them():
    pieces = parsed(
        f"<|channel|>analysis<|message|>One<|end|>{NEXT}<|channel|>analysis<|message|>Two<|end|>"
        f"{NEXT}<|channel|>commentary<|message|>Three<|end|>{NEXT}<|channel|>final<|message|>Four"
    )
    assert (reasoning_of(pieces), text_of(pieces)) == ("One\nTwo", "Three\nFour")


def test_a_dotted_function_name_is_a_call_as_in_vllm():
    pieces = parsed(
        f"<|channel|>analysis<|message|>Compute this<|end|>{NEXT} to=math.sum"
        '<|channel|>commentary<|constrain|>json<|message|>{"a": 2, "b": 3}'
    )
    assert call_tuples(pieces) == [("math.sum", {"a": 2, "b": 3})]


@pytest.mark.parametrize("recipient", ["python", "browser.search", "container.exec", "assistant"])
def test_built_in_tool_calls_are_invalid_calls_not_dropped(recipient):
    # vLLM's server skips these messages; only bound function tools run here, so the call is
    # invalid, with its text
    pieces = parsed(
        f"<|channel|>analysis<|message|>Run it<|end|>{NEXT} to={recipient}<|channel|>commentary"
        " code<|message|>print(1)<|call|>"
    )
    [bad] = calls_of(pieces)
    assert isinstance(bad, BadCall) and bad.name == recipient and bad.raw == "print(1)"
    assert text_of(pieces) == ""


def test_a_stray_return_between_messages_is_no_text():
    # vLLM's test_malformed_token_does_not_raise
    pieces = parsed(
        "<|channel|>analysis<|message|>think<|end|><|return|>"
        f"{NEXT}<|channel|>final<|message|>answer<|return|>"
    )
    assert (reasoning_of(pieces), text_of(pieces)) == ("think", "answer")


def test_final_json_content_type_is_content():
    pieces = parsed('<|channel|>final <|constrain|>json<|message|>{"result":true}<|end|>')
    assert text_of(pieces) == '{"result":true}' and calls_of(pieces) == []


def test_text_that_is_not_harmony_is_content():
    assert parsed("Paris is the capital.<|return|>") == [Text("Paris is the capital.")]
    pieces = parsed(f"assistant says hi{NEXT}<|channel|>final<|message|>Bye")
    assert text_of(pieces) == "assistant says hi\nBye"


def test_markers_inside_a_json_string_are_arguments():
    args = {"note": "ends with <|call|> then <|start|>assistant <|end|>"}
    pieces = parsed(FMT.render_call("f", args))
    assert call_tuples(pieces) == [("f", args)]


def test_whitespace_around_arguments_is_not_streamed():
    pieces = parsed(
        '<|channel|>commentary to=functions.f <|constrain|>json<|message|> \n{"a": "x y "} \n'
        "<|call|>"
    )
    assert [p for p in pieces if isinstance(p, CallArgs)] == [CallArgs('{"a": "x y "}')]


def test_calls_off_make_every_call_an_invalid_call():
    parser = HarmonyParser(calls=False)
    pieces = parser.feed(FMT.render_call("get_weather", {"city": "Paris"})) + parser.close()
    [bad] = pieces
    assert isinstance(bad, BadCall) and bad.name == "get_weather"
    assert json.loads(bad.raw) == {"city": "Paris"} and "tool_choice='none'" in bad.error


def _tokens(text: str) -> list[str]:
    """``text`` split the way the engine emits it: markers are single tokens, other text comes
    one character at a time (a cut never falls inside a special token)."""
    out: list[str] = []
    while text:
        marker = next((m for m in MARKERS if text.startswith(m)), None)
        out.append(marker or text[0])
        text = text[len(marker or text[0]) :]
    return out


def test_cut_off_anywhere_the_call_is_invalid_and_no_markup_is_content():
    output = (
        f"<|channel|>analysis<|message|>Plan<|end|>{NEXT}<|channel|>commentary "
        'to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris"}'
    )
    tokens = _tokens(output)
    args_start = len(_tokens(output.split("<|message|>{")[0])) + 1
    for n in range(len(tokens) + 1):
        pieces = parsed("".join(tokens[:n]))
        assert "<|" not in text_of(pieces), tokens[:n]
        calls = calls_of(pieces)
        if n == len(tokens):
            assert call_tuples(pieces) == [("get_weather", {"city": "Paris"})]
        elif n >= args_start:
            [call] = calls
            assert not isinstance(call, BadCall) and not call.complete
        elif calls:
            [bad] = calls
            assert isinstance(bad, BadCall) and bad.name in (None, "get_weather")  # name cut?


_messages = st.lists(
    st.one_of(
        st.tuples(st.just("analysis"), st.text(max_size=20)),
        st.tuples(st.just("final"), st.text(max_size=20)),
        st.tuples(st.just("commentary"), st.text(max_size=20)),
        st.tuples(tool_names, json_arguments(MARKERS)),
    ),
    min_size=1,
    max_size=5,
)


@given(messages=_messages, sizes=chunk_sizes)
def test_any_split_gives_the_same_pieces_and_calls_round_trip(messages, sizes):
    parts, calls = [], []
    for kind, body in messages:
        if isinstance(body, dict):
            parts.append(FMT.render_call(kind, body))
            calls.append((kind, body))
        else:
            body = body.replace("<|", "< |")  # a body has no marker text (the engine's are tokens)
            parts.append(f"<|channel|>{kind}<|message|>{body}<|end|>")
    text = NEXT.join(parts)
    whole = assert_split_invariant(FMT, text, sizes)
    assert call_tuples(whole) == calls
    assert "<|" not in text_of(whole) and "<|" not in reasoning_of(whole)


def test_forced_calls_follow_vllms_harmony_structural_tag():
    from grammar_helpers import CompiledConstraint

    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    grammar = CompiledConstraint(FMT.forced_calls([("get_weather", schema)]), "xgrammar")
    assert grammar.accepts(
        f"<|channel|>analysis<|message|>Need it.<|end|>{NEXT}<|channel|>commentary "
        'to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris"}'
    )
    assert grammar.accepts(
        ' to=functions.get_weather<|channel|>commentary json<|message|>{"city": "Paris"}'
    )
    assert not grammar.accepts(f"<|channel|>analysis<|message|>No.<|end|>{NEXT}<|channel|>final")
    assert not grammar.accepts(
        ' to=functions.get_weather<|channel|>commentary json<|message|>{"town": "Paris"}'
    )


def test_pieces_are_the_documented_kinds():
    pieces = parsed(FMT.render_call("f", {}))
    assert pieces == [CallStart("f"), CallArgs("{}"), CallEnd(complete=True)]
