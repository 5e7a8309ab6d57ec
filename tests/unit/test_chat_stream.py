"""The core chat path on the scripted engine: events, invariants, finish reasons, tool_choice."""

from __future__ import annotations

import asyncio
import json

import pytest
from format_helpers import WEATHER
from hypothesis import given, settings
from hypothesis import strategies as st

from vllm_native.chat import ChatClient
from vllm_native.testing import ScriptedEngine
from vllm_native.types import (
    ChatRequest,
    Finish,
    ReasoningDelta,
    SamplingOptions,
    TextDelta,
    ToolCallDelta,
)

ADD = {
    "type": "function",
    "function": {
        "name": "add",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        },
    },
}
USER = [{"role": "user", "content": "What is the weather in Paris?"}]


def call(name: str, args: dict) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>"


def run(text, *, tools=(WEATHER, ADD), finish="stop", **engine_kw):
    engine = ScriptedEngine([(text, finish)], **engine_kw)
    client = ChatClient(engine=engine, tool_parser="hermes")
    request = ChatRequest(USER, tools=list(tools) or None)
    return list(client.stream(request)), engine


def check_invariants(events):
    finishes = [e for e in events if isinstance(e, Finish)]
    assert len(finishes) == 1 and events[-1] is finishes[0]
    message = finishes[0].message
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == message.content
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == message.reasoning
    by_index: dict[int, list[ToolCallDelta]] = {}
    for e in events:
        if isinstance(e, ToolCallDelta):
            by_index.setdefault(e.index, []).append(e)
    for index, deltas in by_index.items():
        assert deltas[0].id and deltas[0].name
        assert all(d.id is None and d.name is None for d in deltas[1:])
        args = "".join(d.arguments for d in deltas)
        final = [c for c in message.tool_calls if c.index == index]
        if final:
            assert json.loads(args) == final[0].arguments
            assert final[0].id == deltas[0].id and final[0].name == deltas[0].name
    return message


SAMPLE = (
    "Let me check. "
    + call("get_weather", {"city": 'Paris "la belle" é'})
    + "\n"
    + call("add", {"a": 1, "b": 2})
    + " Done."
)


@pytest.mark.parametrize("chunks", [1, 2, 3, 7, None])
def test_stream_matches_non_stream(chunks):
    events, _ = run(SAMPLE, chunks=chunks)
    message = check_invariants(events)
    whole, _ = run(SAMPLE, chunks=len(SAMPLE))
    assert message.content == whole[-1].message.content == "Let me check. Done."
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("get_weather", {"city": 'Paris "la belle" é'}),
        ("add", {"a": 1, "b": 2}),
    ]
    assert message.finish_reason == "function_call"


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_random_splits_keep_invariants(seed):
    events, _ = run(SAMPLE, seed=seed)
    message = check_invariants(events)
    assert len(message.tool_calls) == 2 and not message.invalid_tool_calls


def test_text_and_tool_deltas_are_separate_events():
    events, _ = run(SAMPLE, chunks=len(SAMPLE))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "TextDelta" and "ToolCallDelta" in kinds


def test_plain_text_finishes_with_stop():
    events, _ = run("The capital of France is Paris.")
    message = check_invariants(events)
    assert message.content == "The capital of France is Paris."
    assert message.finish_reason == "stop" and not message.tool_calls


def test_length_keeps_complete_calls_and_invalidates_the_cut_one():
    text = call("add", {"a": 1, "b": 2}) + '<tool_call>{"name": "get_weather", "arguments": {"ci'
    events, _ = run(text, finish="length", chunks=5)
    message = check_invariants(events)
    assert message.finish_reason == "length"
    assert [c.name for c in message.tool_calls] == ["add"]
    (cut,) = message.invalid_tool_calls
    assert cut.name == "get_weather" and cut.arguments == '{"ci' and "cut off" in cut.error


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('<tool_call>{"name": "nope", "arguments": {}}</tool_call>', "unknown tool"),
        ('<tool_call>{"name": "add", "arguments": "x"}</tool_call>', "JSON object"),
        ('<tool_call>{"name": "add", "arguments": [1]}</tool_call>', "JSON object"),
        ('<tool_call>{"name": "add", "arguments": {"a": 1,,}}</tool_call>', "not valid JSON"),
        ("<tool_call>not json at all</tool_call>", "not valid JSON"),
        ("<tool_call>", "cut off"),
    ],
)
def test_malformed_calls_become_invalid_calls(text, error):
    events, _ = run("Before " + text + " after", chunks=3)
    message = check_invariants(events)
    assert message.finish_reason == "stop"
    (bad,) = message.invalid_tool_calls
    assert error in bad.error
    assert message.content.startswith("Before")


def test_unknown_tool_is_not_streamed():
    events, _ = run('<tool_call>{"name": "nope", "arguments": {}}</tool_call>')
    assert not [e for e in events if isinstance(e, ToolCallDelta)]


def test_markers_inside_strings_and_prose_stay_intact():
    text = "a < b and <tools> are prose. " + call("get_weather", {"city": "</tool_call>"})
    events, _ = run(text, chunks=1)
    message = check_invariants(events)
    assert message.content == "a < b and <tools> are prose."
    assert message.tool_calls[0].arguments == {"city": "</tool_call>"}


def test_no_tools_means_no_parsing():
    events, _ = run(call("add", {"a": 1}), tools=())
    message = check_invariants(events)
    assert message.content.startswith("<tool_call>") and not message.tool_calls


def test_tool_choice_none_gives_no_calls_and_no_constraint():
    engine = ScriptedEngine([call("add", {"a": 1})])
    client = ChatClient(engine=engine, tool_parser="hermes")
    message = client.chat(ChatRequest(USER, tools=[ADD], tool_choice="none"))
    assert not message.tool_calls and message.finish_reason == "stop"
    assert engine.requests[0].sampling_params.structured_outputs is None


def test_required_is_enforced_with_the_schema_of_every_tool():
    engine = ScriptedEngine(['[{"name": "add", "arguments": {"a": 1, "b": 2}}]'], chunks=2)
    client = ChatClient(engine=engine, tool_parser="hermes")
    message = client.chat(ChatRequest(USER, tools=[WEATHER, ADD], tool_choice="any"))
    assert message.tool_calls[0].arguments == {"a": 1, "b": 2}
    assert message.finish_reason == "function_call"
    schema = engine.requests[0].sampling_params.structured_outputs.json
    assert schema["minItems"] == 1
    arg_schemas = [item["properties"]["arguments"] for item in schema["items"]["anyOf"]]
    assert arg_schemas == [WEATHER["function"]["parameters"], ADD["function"]["parameters"]]


def test_named_tool_is_enforced_with_its_arguments_schema():
    engine = ScriptedEngine(['{"city": "Paris"}'], chunks=3)
    client = ChatClient(engine=engine, tool_parser="hermes")
    choice = {"type": "function", "function": {"name": "get_weather"}}
    message = client.chat(ChatRequest(USER, tools=[WEATHER, ADD], tool_choice=choice))
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert (
        engine.requests[0].sampling_params.structured_outputs.json
        == WEATHER["function"]["parameters"]
    )


def test_parallel_tool_calls_false_limits_to_one():
    text = call("add", {"a": 1}) + call("add", {"a": 2})
    engine = ScriptedEngine([text, '[{"name": "add", "arguments": {}}]'])
    client = ChatClient(engine=engine, tool_parser="hermes")
    message = client.chat(ChatRequest(USER, tools=[ADD], parallel_tool_calls=False))
    assert len(message.tool_calls) == 1 and len(message.invalid_tool_calls) == 1
    client.chat(
        ChatRequest(USER, tools=[WEATHER, ADD], tool_choice="required", parallel_tool_calls=False)
    )
    assert engine.requests[1].sampling_params.structured_outputs.json["maxItems"] == 1


def test_tool_finish_reason_option():
    engine = ScriptedEngine([call("add", {"a": 1})])
    client = ChatClient(engine=engine, tool_parser="hermes")
    message = client.chat(ChatRequest(USER, tools=[ADD], tool_finish_reason="tool_calls"))
    assert message.finish_reason == "tool_calls"


def test_strict_auto_uses_a_structural_tag():
    engine = ScriptedEngine(["hi"])
    client = ChatClient(engine=engine, tool_parser="hermes")
    client.chat(ChatRequest(USER, tools=[ADD], strict=True))
    tag = json.loads(engine.requests[0].sampling_params.structured_outputs.structural_tag)
    assert tag["structures"][0]["schema"] == ADD["function"]["parameters"]
    assert tag["triggers"] == ['<tool_call>\n{"name": "add", "arguments": ']


def test_reasoning_is_kept_out_of_content():
    engine = ScriptedEngine(["<think>Paris is in France.</think>\n\nParis."], chunks=2)
    client = ChatClient(engine=engine, tool_parser="hermes", reasoning_parser="deepseek_r1")
    events = list(client.stream(ChatRequest(USER)))
    message = check_invariants(events)
    assert message.reasoning == "Paris is in France." and message.content == "Paris."


def test_usage_and_model_name():
    engine = ScriptedEngine(["one two three"], model_name="tiny")
    message = ChatClient(engine=engine).chat(ChatRequest(USER))
    assert message.usage.completion_tokens == 3 and message.usage.prompt_tokens > 0
    assert message.model_name == "tiny"


def test_async_stream_equals_sync():
    sync = ChatClient(engine=ScriptedEngine([SAMPLE], chunks=4), tool_parser="hermes")
    expected = sync.chat(ChatRequest(USER, tools=[WEATHER, ADD]))

    async def main():
        client = ChatClient(engine=ScriptedEngine([SAMPLE], chunks=4), tool_parser="hermes")
        return [e async for e in client.astream(ChatRequest(USER, tools=[WEATHER, ADD]))]

    events = asyncio.run(main())
    message = check_invariants(events)
    assert message.content == expected.content
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        (c.name, c.arguments) for c in expected.tool_calls
    ]


def test_batch_keeps_request_order():
    engine = ScriptedEngine([f"answer {i}" for i in range(6)])
    client = ChatClient(engine=engine)
    requests = [ChatRequest([{"role": "user", "content": f"q{i}"}]) for i in range(6)]
    assert [m.content for m in client.chat_batch(requests)] == [f"answer {i}" for i in range(6)]
    assert [r.messages[0]["content"] for r in engine.requests] == [f"q{i}" for i in range(6)]


def test_completion_stream():
    client = ChatClient(engine=ScriptedEngine([("Paris and", "length")]))
    events = list(client.complete_stream("The capital", SamplingOptions(max_tokens=2)))
    assert events[-1].reason == "length" and events[-1].message.content == "Paris and"


@pytest.mark.parametrize(
    ("request_kwargs", "match"),
    [
        ({"messages": []}, "messages is empty"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "unknown role"),
        ({"messages": USER, "tools": [ADD], "tool_choice": "nope"}, "not among the bound tools"),
        ({"messages": USER, "tool_choice": "required"}, "needs at least one bound tool"),
        ({"messages": USER, "tools": [ADD, ADD]}, "unique"),
        (
            {
                "messages": USER,
                "tools": [
                    {"type": "function", "function": {"name": "x", "parameters": {"type": 5}}}
                ],
            },
            "invalid JSON Schema",
        ),
        ({"messages": USER, "sampling": SamplingOptions(n=2)}, "several generations"),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
                ]
            },
            "text-only",
        ),
    ],
)
def test_bad_requests_fail_early_with_a_clear_message(request_kwargs, match):
    engine = ScriptedEngine(["unused"])
    with pytest.raises(ValueError, match=match):
        ChatClient(engine=engine, tool_parser="hermes").chat(ChatRequest(**request_kwargs))
    assert engine.remaining == 1  # nothing reached the engine


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_tokens": 0}, r"max_tokens=0: must be at least 1"),
        ({"temperature": -1}, r"temperature=-1: must be in \[0, 2\]"),
        ({"top_p": 0.0}, r"top_p=0.0: must be in \(0, 1\]"),
        ({"top_k": 2.5}, "top_k=2.5: must be an integer"),
        ({"presence_penalty": 3}, "presence_penalty=3"),
        ({"stop": ("a", 1)}, "must be strings"),
        ({"extra": {"n": 2}}, "'n': pass n= as its own option"),
        ({"extra": {"no_such": 1}}, "'no_such' is not a vllm.SamplingParams field"),
        ({"extra": {"structured_outputs": {}}}, "is set by vllm-native"),
        ({"extra": {"gpu_memory_utilization": 0.5}}, "engine_args=.'gpu_memory_utilization'"),
    ],
)
def test_bad_sampling_values_fail_when_the_options_are_built(options, match):
    with pytest.raises(ValueError, match=match):
        SamplingOptions(**options)


def test_one_rule_per_option_with_one_message():
    with pytest.raises(ValueError, match="tool_finish_reason='bogus' is not supported"):
        ChatRequest(USER, tool_finish_reason="bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown reasoning_parser 'deepseek_r2'.*deepseek_r1"):
        ChatClient(engine=ScriptedEngine([]), reasoning_parser="deepseek_r2")
    assert ChatClient(engine=ScriptedEngine([]), reasoning_parser="Off").reasoning_parser == "none"


def test_required_with_a_single_tool_and_no_parallel_calls_forces_that_tool_by_name():
    engine = ScriptedEngine(
        [
            '{"a": 1}',
            '[{"name": "add", "arguments": {"a": 1}}, {"name": "add", "arguments": {"a": 2}}]',
        ]
    )
    client = ChatClient(engine=engine, tool_parser="hermes")
    request = ChatRequest(USER, tools=[ADD], tool_choice="required", parallel_tool_calls=False)
    message = client.chat(request)
    assert [(c.name, c.arguments) for c in message.tool_calls] == [("add", {"a": 1})]
    assert (
        engine.requests[0].sampling_params.structured_outputs.json == ADD["function"]["parameters"]
    )
    # with parallel calls the one tool may be called several times
    message = client.chat(ChatRequest(USER, tools=[ADD], tool_choice="required"))
    assert [c.arguments for c in message.tool_calls] == [{"a": 1}, {"a": 2}]
    assert engine.requests[1].sampling_params.structured_outputs.json["type"] == "array"


def test_prompt_longer_than_context_says_the_lengths():
    engine = ScriptedEngine(["unused"], max_model_len=5)
    with pytest.raises(ValueError, match=r"is \d+ tokens long.*max_model_len\) is 5"):
        ChatClient(engine=engine).chat(ChatRequest(USER))


def test_unknown_tool_parser_is_rejected_at_construction():
    with pytest.raises(ValueError, match="Unknown tool_parser"):
        ChatClient(engine=ScriptedEngine([]), tool_parser="nonsense")


def test_a_vllm_registry_parser_works_through_the_adapter():
    """A name that is not ours (``phi4_mini_json``) runs vLLM's own parser, same invariants."""
    from transformers import AutoTokenizer

    from vllm_native.models import default_model_path

    tokenizer = AutoTokenizer.from_pretrained(default_model_path())
    text = 'functools[{"name": "add", "arguments": {"a": 1, "b": 2}}]'
    engine = ScriptedEngine([text], tokenizer=tokenizer, chunks=3)
    client = ChatClient(engine=engine, tool_parser="phi4_mini_json")
    events = list(client.stream(ChatRequest(USER, tools=[WEATHER, ADD])))
    message = check_invariants(events)
    assert [(c.name, c.arguments) for c in message.tool_calls] == [("add", {"a": 1, "b": 2})]
    assert message.finish_reason == "function_call"
