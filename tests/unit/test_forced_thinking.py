"""Forced calls on reasoning models: think first, then the forced call (Qwen3, Qwen3.5 templates).

The constraint is a vLLM structural tag (free text up to ``</think>``, then the forced JSON),
compiled here by vLLM's xgrammar backend; the scripted model's output follows it.
"""

from __future__ import annotations

import json

import pytest
from grammar_helpers import CompiledConstraint
from hypothesis import given, settings
from hypothesis import strategies as st
from test_calls_in_reasoning import FAMILIES, USER, WEATHER, thought, tokenizer
from test_chat_stream import check_invariants

from vllm_native.chat import ChatClient
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest

ARRAY = '[{"name": "get_weather", "arguments": {"city": "Paris"}}]'
NAMED = {"type": "function", "function": {"name": "get_weather"}}


def run(family, output, choice="required", *, finish="stop", seed=None, chunks=None, **req):
    template, parser, _ = FAMILIES[family]
    tok = tokenizer(template)
    engine = ScriptedEngine(
        [(output, finish)], tokenizer=tok, chat_template=tok.chat_template, seed=seed, chunks=chunks
    )
    client = ChatClient(engine=engine, tool_parser=parser)
    events = list(client.stream(ChatRequest(USER, tools=[WEATHER], tool_choice=choice, **req)))
    return events, engine.requests[0].sampling_params.structured_outputs


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("choice", ["required", NAMED], ids=["required", "named"])
def test_the_model_thinks_then_the_call_is_forced(family, choice):
    payload = ARRAY if choice == "required" else '{"city": "Paris"}'
    output = thought(family, "Paris is a city.</think>\n\n" + payload)
    events, constraint = run(family, output, choice, chunks=3)
    message = check_invariants(events)
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert message.reasoning == "Paris is a city." and message.finish_reason == "function_call"
    assert constraint.json is None and constraint.structural_tag
    grammar = CompiledConstraint({"structural_tag": constraint.structural_tag}, "xgrammar")
    compact = json.dumps(json.loads(payload), separators=(",", ":"))
    assert grammar.accepts(output.replace(payload, compact))
    assert not grammar.accepts(thought(family, "Paris.</think>\n\nIt is sunny."))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("choice", ["required", NAMED], ids=["required", "named"])
def test_no_call_when_the_model_never_stops_thinking(family, choice):
    events, _ = run(family, thought(family, "Let me think about Paris"), choice, finish="length")
    message = check_invariants(events)
    assert not message.tool_calls and not message.invalid_tool_calls
    assert message.finish_reason == "length" and message.reasoning_only


def test_thinking_turned_off_in_the_prompt_forces_json_from_the_first_token():
    events, constraint = run(
        "qwen3", ARRAY, chat_template_kwargs={"enable_thinking": False}, chunks=4
    )
    assert check_invariants(events).tool_calls[0].arguments == {"city": "Paris"}
    assert constraint.structural_tag is None and constraint.json["type"] == "array"


@settings(max_examples=30, deadline=None)
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    reasoning=st.text(alphabet="ab <>/thinkol\n", max_size=20).filter(
        lambda t: "</think>" not in t
    ),
    seed=st.integers(0, 10_000),
)
def test_random_splits_equal_the_whole_message(family, reasoning, seed):
    output = thought(family, reasoning + "</think>\n\n" + ARRAY)
    streamed = check_invariants(run(family, output, seed=seed)[0])
    whole = check_invariants(run(family, output, chunks=len(output))[0])
    assert (
        [(c.name, c.arguments) for c in streamed.tool_calls]
        == [(c.name, c.arguments) for c in whole.tool_calls]
        == [("get_weather", {"city": "Paris"})]
    )
    assert (streamed.reasoning, streamed.content) == (whole.reasoning, whole.content)
