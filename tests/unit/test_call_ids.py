"""Tool-call ids in each family's shape: new calls, and ids from other providers in the history."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vllm_native.chat import ChatClient
from vllm_native.formats import get_format
from vllm_native.formats.call_ids import call_ids, family_call_ids
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest, ToolCallDelta

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    for name in ("get_weather", "get_time")
]
MISTRAL_ID = re.compile(r"[a-zA-Z0-9]{9}")


def history(*ids: str | None) -> list[dict]:
    """A user question, one assistant turn calling get_weather once per id, and the results."""
    calls = [
        {"id": i, "type": "function", "function": {"name": "get_weather", "arguments": {}}}
        for i in ids
    ]
    results = [{"role": "tool", "content": f"r{k}", "tool_call_id": i} for k, i in enumerate(ids)]
    return [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": "", "tool_calls": calls},
        *results,
    ]


def rendered_ids(messages: list[dict]) -> tuple[list[str], list[str]]:
    calls = [c["id"] for m in messages for c in m.get("tool_calls") or ()]
    answers = [m["tool_call_id"] for m in messages if m["role"] == "tool"]
    return calls, answers


def test_formats_choose_their_id_style():
    assert get_format("mistral").call_ids == "mistral"
    assert get_format("hermes").call_ids == "openai"
    assert family_call_ids("openai", "mistral").name == "mistral"  # mistral_common validates
    assert family_call_ids("kimi_k2").name == "kimi_k2"
    with pytest.raises(ValueError, match="unknown tool-call id style 'uuid'"):
        call_ids("uuid")


def test_new_ids_have_the_family_shape():
    assert re.fullmatch(r"call_[0-9a-f]{24}", call_ids("openai").new_id("f", 0))
    assert all(MISTRAL_ID.fullmatch(call_ids("mistral").new_id("f", k)) for k in range(50))
    new = call_ids("kimi_k2").new_id_factory(history("functions.get_weather:0", "x"))
    assert [new("get_time", 0), new("get_weather", 1)] == [
        "functions.get_time:2",
        "functions.get_weather:3",
    ]


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4, unique=True))
def test_foreign_ids_become_mistral_ids_that_still_pair_up(ids):
    calls, answers = rendered_ids(call_ids("mistral").normalize(history(*ids)))
    assert all(MISTRAL_ID.fullmatch(i) for i in calls)
    assert calls == answers  # each result still answers its own call
    assert len(set(calls)) == len(calls)
    again, _ = rendered_ids(call_ids("mistral").normalize(history(*ids)))
    assert again == calls  # the same on every turn: nothing to remember between turns


def test_valid_ids_are_kept_and_openai_style_changes_nothing():
    kept = history("abcDEF123", "functions.get_weather:1")
    assert rendered_ids(call_ids("mistral").normalize(kept))[0][0] == "abcDEF123"
    assert call_ids("kimi_k2").normalize(kept)[1]["tool_calls"][1]["id"] == (
        "functions.get_weather:1"
    )
    foreign = history("toolu_01-x", None)
    assert call_ids("openai").normalize(foreign) == foreign


def test_kimi_ids_are_numbered_by_position_and_results_follow():
    messages = history("call_a", "toolu_b") + [
        {"role": "user", "content": "And Rome?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "x-1", "function": {"name": "get_time", "arguments": {}}}],
        },
        {"role": "tool", "content": "noon", "tool_call_id": "x-1"},
    ]
    calls, answers = rendered_ids(call_ids("kimi_k2").normalize(messages))
    assert calls == ["functions.get_weather:0", "functions.get_weather:1", "functions.get_time:2"]
    assert answers == calls


def test_a_kimi_id_naming_another_tool_is_renumbered():
    calls, _ = rendered_ids(call_ids("kimi_k2").normalize(history("functions.get_time:0")))
    assert calls == ["functions.get_weather:0"]


def test_streamed_and_final_ids_agree_in_the_family_shape():
    engine = ScriptedEngine(
        ['[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]nope[ARGS]{}'], seed=3
    )
    client = ChatClient(engine=engine, tool_parser="mistral")
    events = list(client.stream(ChatRequest([{"role": "user", "content": "?"}], tools=TOOLS)))
    first = [e.id for e in events if isinstance(e, ToolCallDelta) and e.id]
    message = events[-1].message
    assert first == [message.tool_calls[0].id]
    assert MISTRAL_ID.fullmatch(message.tool_calls[0].id)
    assert MISTRAL_ID.fullmatch(message.invalid_tool_calls[0].id)  # unknown tool: still a shape


def test_kimi_parser_numbers_new_calls_after_the_history():
    """vLLM's kimi_k2 parser through our adapter; ids continue the history's count."""
    from transformers import AutoTokenizer

    from vllm_native.models import model_path

    tokenizer = AutoTokenizer.from_pretrained(model_path())
    markers = [
        "<|tool_calls_section_begin|>",
        "<|tool_calls_section_end|>",
        "<|tool_call_begin|>",
        "<|tool_call_argument_begin|>",
        "<|tool_call_end|>",
    ]
    tokenizer.add_special_tokens({"additional_special_tokens": markers})
    reply = (
        "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:2"
        '<|tool_call_argument_begin|>{"city": "Rome"}<|tool_call_end|><|tool_calls_section_end|>'
    )
    engine = ScriptedEngine([reply], tokenizer=tokenizer)
    client = ChatClient(engine=engine, tool_parser="kimi_k2")
    message = client.chat(ChatRequest(history("call_1", "call_2"), tools=TOOLS))
    assert [(c.id, c.arguments) for c in message.tool_calls] == [
        ("functions.get_weather:2", {"city": "Rome"})
    ]
    calls, answers = rendered_ids(engine.requests[0].messages)
    assert calls == answers == ["functions.get_weather:0", "functions.get_weather:1"]
