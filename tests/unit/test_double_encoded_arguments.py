"""Arguments double-encoded as a JSON string: a valid call when the string holds an object.

The streamed fragments are the decoded text, so they still concatenate to the final arguments
JSON; checked over random splits for each format that writes JSON arguments, with the stream
invariants of DESIGN.md.
"""

from __future__ import annotations

import json

import pytest
from format_helpers import chunk_sizes, json_arguments
from hypothesis import given, settings
from hypothesis import strategies as st
from test_chat_stream import check_invariants

from vllm_native.chat import ChatClient
from vllm_native.formats.json_string import JsonStringDecoder
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest

USER = [{"role": "user", "content": "Weather?"}]
TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object"}},
}


def double(arguments: dict, ensure_ascii: bool = False) -> str:
    return json.dumps(json.dumps(arguments, ensure_ascii=ensure_ascii), ensure_ascii=ensure_ascii)


CALLS = {  # each format's call with its arguments JSON replaced by ``{}``
    "hermes": '<tool_call>{"name": "get_weather", "arguments": {}}</tool_call>',
    "llama3_json": '{"name": "get_weather", "parameters": {}}',
    "mistral": '[TOOL_CALLS] [{"name": "get_weather", "arguments": {}}]',
}


def comparable(message):
    """A message without its call ids (fresh for every run)."""
    return (
        message.content,
        message.reasoning,
        [(c.index, c.name, c.arguments) for c in message.tool_calls],
        [(c.index, c.name, c.arguments, c.error) for c in message.invalid_tool_calls],
        message.finish_reason,
    )


def stream(parser: str, text: str, *, seed: int | None = None, chunks=None):
    engine = ScriptedEngine([text], seed=seed, chunks=chunks)
    client = ChatClient(engine=engine, tool_parser=parser)
    return list(client.stream(ChatRequest(USER, tools=[TOOL])))


@pytest.mark.parametrize("parser", sorted(CALLS))
def test_a_double_encoded_object_is_a_valid_call(parser):
    arguments = {"city": 'Paris "centre"', "days": [1, 2], "unit": "é"}
    text = CALLS[parser].replace("{}}", double(arguments) + "}", 1)
    for chunks in (1, 3, None):
        events = stream(parser, text, chunks=chunks)
        message = check_invariants(events)
        assert [(c.name, c.arguments) for c in message.tool_calls] == [("get_weather", arguments)]
        assert not message.invalid_tool_calls and message.finish_reason == "function_call"


@pytest.mark.parametrize(
    ("encoded", "error"),
    [('"not an object"', "got str"), ('"{broken"', "got str"), ('"[1, 2]"', "got list")],
)
def test_a_string_that_is_not_an_object_is_an_invalid_call_with_its_raw_text(encoded, error):
    text = CALLS["hermes"].replace("{}}", encoded + "}", 1)
    message = check_invariants(stream("hermes", text, chunks=2))
    assert not message.tool_calls
    [bad] = message.invalid_tool_calls
    assert bad.arguments == encoded and error in bad.error and bad.name == "get_weather"


@settings(max_examples=25, deadline=None)
@given(
    parser=st.sampled_from(sorted(CALLS)),
    arguments=json_arguments(["<tool_call>", "</tool_call>", "[TOOL_CALLS]", "\\u", "\\"]),
    ensure_ascii=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_random_splits_keep_the_invariants_and_equal_the_whole_message(
    parser, arguments, ensure_ascii, seed
):
    text = CALLS[parser].replace("{}}", double(arguments, ensure_ascii) + "}", 1)
    streamed = check_invariants(stream(parser, text, seed=seed))
    whole = check_invariants(stream(parser, text, chunks=len(text)))
    assert comparable(streamed) == comparable(whole)
    assert [(c.name, c.arguments) for c in streamed.tool_calls] == [("get_weather", arguments)]


@given(st.text(), st.booleans(), chunk_sizes)
def test_the_decoder_gives_json_loads_over_any_split(value, ensure_ascii, sizes):
    literal = json.dumps(value, ensure_ascii=ensure_ascii) + ' tail "ignored"'
    decoder = JsonStringDecoder()
    out, pos, i = [], 0, 0
    while pos < len(literal):
        out.append(decoder.feed(literal[pos : pos + sizes[i % len(sizes)]]))
        pos, i = pos + sizes[i % len(sizes)], i + 1
    assert "".join(out) == value and decoder.done and decoder.close() == ""
