"""ChatVLLM on the scripted engine: invoke vs stream, chunk invariants, reasoning, history,
bind_tools, structured output, sampling options, batching and an agent loop."""

from __future__ import annotations

import doctest
import json
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

import langchain_vllm
from langchain_vllm import ChatVLLM, _messages, _output, _settings, _tools, chat_models
from vllm_native.formats import available_formats, get_format
from vllm_native.testing import ScriptedEngine


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Person(BaseModel):
    """A person."""

    name: str = Field(description="The name")
    age: int


class PersonDict(TypedDict):
    """A person."""

    name: str
    age: int


PERSON_SCHEMA = {
    "title": "Person",
    "description": "A person.",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}
HERMES = get_format("hermes")


def hermes_call(name: str, args: dict[str, Any]) -> str:
    return HERMES.render_call(name, args)


def model_for(responses: list[Any], **kwargs: Any) -> tuple[ChatVLLM, ScriptedEngine]:
    """``chunks`` and ``split_seed`` set how the scripted engine splits its responses."""
    engine = ScriptedEngine(
        responses, chunks=kwargs.pop("chunks", None), seed=kwargs.pop("split_seed", None)
    )
    kwargs.setdefault("tool_parser", "hermes")
    return ChatVLLM(engine=engine, **kwargs), engine


def merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def calls(message: AIMessage) -> list[tuple[str, dict[str, Any]]]:
    return [(c["name"], c["args"]) for c in message.tool_calls]


def summary(message: AIMessage) -> dict[str, Any]:
    """What must agree between invoke and the merged stream (ids are fresh per request)."""
    return {
        "content": message.content,
        "reasoning": message.additional_kwargs.get("reasoning_content"),
        "tool_calls": calls(message),
        "finish_reason": message.response_metadata["finish_reason"],
        "model_name": message.response_metadata["model_name"],
        "model_provider": message.response_metadata["model_provider"],
        "usage": message.usage_metadata,
    }


def distinct_formats() -> list[str]:
    seen: dict[type, str] = {}
    for name in available_formats():
        seen.setdefault(type(get_format(name)), name)
    return sorted(seen.values())


SAMPLE = (
    "Let me check. "
    + hermes_call("get_weather", {"city": 'Paris "la belle" é'})
    + "\n"
    + hermes_call("add", {"a": 1, "b": 2})
)
CHUNKINGS = [{"chunks": 1}, {"chunks": 3}, {"chunks": 1000}, {"split_seed": 7}, {}]


# -- invoke -------------------------------------------------------------------------------------
def test_invoke_returns_content_finish_reason_usage_and_metadata():
    model, _ = model_for(["The capital of France is Paris."])
    message = model.invoke("Capital of France?")
    assert isinstance(message, AIMessage)
    assert message.content == "The capital of France is Paris."
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["model_name"] == "scripted"
    assert message.response_metadata["model_provider"] == "vllm"
    assert message.usage_metadata["output_tokens"] == 6
    assert message.usage_metadata["total_tokens"] == (
        message.usage_metadata["input_tokens"] + message.usage_metadata["output_tokens"]
    )
    assert message.additional_kwargs == {} and not message.tool_calls


def test_tool_finish_reason_option():
    model, _ = model_for([hermes_call("add", {"a": 1, "b": 2})], tool_finish_reason="tool_calls")
    message = model.bind_tools([add]).invoke("1+2?")
    assert message.response_metadata["finish_reason"] == "tool_calls"


# -- invoke vs stream ---------------------------------------------------------------------------
@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize(
    ("text", "finish", "options"),
    [
        ("Plain answer, no tools at all.", "stop", {}),
        (SAMPLE, "stop", {}),
        (
            "<think>First think.\nThen act.</think>" + SAMPLE,
            "stop",
            {"reasoning_parser": "deepseek_r1"},
        ),
        ("A long answer that was cut", "length", {}),
    ],
)
def test_invoke_equals_merged_stream(text, finish, options, chunking):
    model, _ = model_for([(text, finish), (text, finish)], **chunking, **options)
    bound = model.bind_tools([get_weather, add])
    invoked = bound.invoke("Weather in Paris, and 1+2?")
    chunks = list(bound.stream("Weather in Paris, and 1+2?"))
    assert summary(merge(chunks)) == summary(invoked)
    assert invoked.response_metadata["finish_reason"] == (
        "function_call" if "tool_call" in text else finish
    )


@pytest.mark.parametrize("fmt", distinct_formats())
@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_every_format_streams_the_same_call_as_invoke(fmt, chunking):
    try:
        text = get_format(fmt).render_call("get_weather", {"city": "Paris", "days": [1, 2]})
    except NotImplementedError:
        pytest.skip(f"{fmt} cannot render calls")
    model, _ = model_for([text, text], tool_parser=fmt, **chunking)
    bound = model.bind_tools([get_weather])
    invoked = bound.invoke("Weather?")
    merged = merge(list(bound.stream("Weather?")))
    assert calls(invoked) == [("get_weather", {"city": "Paris", "days": [1, 2]})]
    assert summary(merged) == summary(invoked)
    assert merged.response_metadata["finish_reason"] == "function_call"


async def test_async_invoke_and_stream_match_sync():
    model, _ = model_for([SAMPLE] * 3, split_seed=3)
    bound = model.bind_tools([get_weather, add])
    invoked = bound.invoke("Weather?")
    ainvoked = await bound.ainvoke("Weather?")
    achunks = [chunk async for chunk in bound.astream("Weather?")]
    assert summary(ainvoked) == summary(invoked) == summary(merge(achunks))
    assert achunks[-1].chunk_position == "last"


# -- chunk invariants ---------------------------------------------------------------------------
@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_stream_chunk_invariants(chunking):
    model, _ = model_for(
        ["<think>Plan.</think>" + SAMPLE], reasoning_parser="deepseek_r1", **chunking
    )
    chunks = list(model.bind_tools([get_weather, add]).stream("Weather?"))
    final = merge(chunks)

    for chunk in chunks:  # text, reasoning and tool-call deltas never share a chunk
        kinds = [
            bool(chunk.content),
            bool(chunk.tool_call_chunks),
            "reasoning_content" in chunk.additional_kwargs,
        ]
        assert sum(kinds) <= 1
        assert "<think>" not in chunk.content and "Plan" not in chunk.content

    fragments: dict[int, list[dict[str, Any]]] = {}
    for chunk in chunks:
        for piece in chunk.tool_call_chunks:
            fragments.setdefault(piece["index"], []).append(piece)
    assert sorted(fragments) == [0, 1]
    for index, pieces in fragments.items():
        assert pieces[0]["id"] and pieces[0]["name"]
        assert all(p["id"] is None and p["name"] is None for p in pieces[1:])
        args = json.loads("".join(p["args"] for p in pieces))
        assert final.tool_calls[index]["args"] == args
        assert final.tool_calls[index]["id"] == pieces[0]["id"]

    with_metadata = [i for i, c in enumerate(chunks) if c.response_metadata]
    with_usage = [i for i, c in enumerate(chunks) if c.usage_metadata]
    last = len(chunks) - 1
    assert with_metadata == with_usage == [last]
    assert [c.chunk_position for c in chunks] == [None] * last + ["last"]
    assert chunks[-1].response_metadata == {
        "finish_reason": "function_call",
        "model_name": "scripted",
        "model_provider": "vllm",
    }
    assert final.response_metadata["finish_reason"] == "function_call"
    assert final.additional_kwargs["reasoning_content"] == "Plan."
    assert final.content == "Let me check."


def test_stream_reports_each_token_to_callbacks():
    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.tokens.append(token)

    handler = Tokens()
    model, _ = model_for(["one two three"])
    chunks = list(model.stream("Count", config={"callbacks": [handler]}))
    assert handler.tokens == [c.content for c in chunks] == ["one", " two", " three", ""]


def test_invoke_with_streaming_true_streams_into_callbacks():
    class Chunks(BaseCallbackHandler):
        def __init__(self) -> None:
            self.count = 0

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.count += 1

    handler = Chunks()
    model, _ = model_for(["one two three"], streaming=True)
    assert model.invoke("Count", config={"callbacks": [handler]}).content == "one two three"
    assert handler.count == 4


async def test_astream_events_yields_chunks_and_end():
    model, _ = model_for([SAMPLE], chunks=5)
    bound = model.bind_tools([get_weather, add])
    events = [e async for e in bound.astream_events("Weather?", version="v2")]
    streamed = [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]
    (end,) = [e["data"]["output"] for e in events if e["event"] == "on_chat_model_end"]
    assert merge(streamed).content == end.content == "Let me check."
    assert (
        calls(end)
        == calls(merge(streamed))
        == [
            ("get_weather", {"city": 'Paris "la belle" é'}),
            ("add", {"a": 1, "b": 2}),
        ]
    )


def test_stream_events_v3_assembles_the_message():
    model, _ = model_for(
        ["<think>Plan.</think>" + SAMPLE], reasoning_parser="deepseek_r1", chunks=4
    )
    stream = model.bind_tools([get_weather, add]).stream_events("Weather?", version="v3")
    list(stream)
    message = stream.output
    kinds = [block["type"] for block in message.content_blocks]
    assert kinds == ["reasoning", "text", "tool_call", "tool_call"]
    assert [b["args"] for b in message.content_blocks if b["type"] == "tool_call"] == [
        {"city": 'Paris "la belle" é'},
        {"a": 1, "b": 2},
    ]
    assert message.text == "Let me check."


# -- output_version="v1" ------------------------------------------------------------------------
@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_v1_content_blocks_do_not_collide(chunking):
    text = "<think>Plan.</think>" + SAMPLE
    model, _ = model_for(
        [text, text], reasoning_parser="deepseek_r1", output_version="v1", **chunking
    )
    bound = model.bind_tools([get_weather, add])
    invoked = bound.invoke("Weather?")
    chunks = list(bound.stream("Weather?"))
    merged = merge(chunks)

    def shape(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in block.items() if k != "id"} for block in content]

    assert (
        shape(merged.content)
        == shape(invoked.content)
        == [
            {"type": "reasoning", "reasoning": "Plan.", "index": 0},
            {"type": "text", "text": "Let me check.", "index": 1},
            {"type": "tool_call", "name": "get_weather", "args": {"city": 'Paris "la belle" é'}},
            {"type": "tool_call", "name": "add", "args": {"a": 1, "b": 2}},
        ]
    )
    assert [b["id"] for b in merged.content[2:]] == [c["id"] for c in merged.tool_calls]
    assert summary(merged) | {"content": None} == summary(invoked) | {"content": None}
    assert merged.text == invoked.text == "Let me check."


# -- invalid tool calls -------------------------------------------------------------------------
def test_invalid_calls_reach_invoke_and_the_last_chunk_but_never_tool_calls():
    text = "Trying. " + hermes_call("nope", {"x": 1}) + hermes_call("add", {"a": 1, "b": 2})
    model, _ = model_for([text, text], chunks=4)
    bound = model.bind_tools([add])
    invoked = bound.invoke("1+2?")
    chunks = list(bound.stream("1+2?"))
    merged = merge(chunks)

    def invalid(message: AIMessage) -> list[tuple[Any, ...]]:
        return [(c["name"], c["args"], c["error"]) for c in message.invalid_tool_calls]

    assert invalid(invoked) == [("nope", '{"x": 1}', "unknown tool 'nope'")]
    assert invalid(chunks[-1]) == invalid(invoked)
    assert calls(invoked) == calls(merged) == [("add", {"a": 1, "b": 2})]
    # The call was never streamed; the last chunk adds it, so the merge keeps it, as invalid
    # (langchain-core's merge drops error messages and the closer keeps the call unparseable).
    assert [(c["name"], c["args"], c["error"]) for c in merged.invalid_tool_calls] == [
        ("nope", '{"x": 1}]', None)
    ]


def test_truncated_call_is_invalid_on_invoke():
    text = hermes_call("add", {"a": 1, "b": 2}) + '<tool_call>{"name": "add", "arguments": {"a'
    model, _ = model_for([(text, "length"), (text, "length")], chunks=3)
    bound = model.bind_tools([add])
    invoked = bound.invoke("1+2?")
    chunks = list(bound.stream("1+2?"))
    assert invoked.response_metadata["finish_reason"] == "length"
    assert calls(invoked) == [("add", {"a": 1, "b": 2})]
    assert [(c["name"], c["args"]) for c in invoked.invalid_tool_calls] == [("add", '{"a')]
    last = chunks[-1].invalid_tool_calls
    assert [(c["name"], c["args"], c["error"]) for c in last] == [
        (c["name"], c["args"], c["error"]) for c in invoked.invalid_tool_calls
    ]
    # The cut call's fragments were streamed; the last chunk closes them with text no JSON
    # parser accepts, so the merge, which re-parses fragments leniently, keeps it invalid.
    merged = merge(chunks)
    assert calls(merged) == [("add", {"a": 1, "b": 2})]
    assert [(c["name"], c["args"]) for c in merged.invalid_tool_calls] == [("add", '{"a"]')]
    assert merged.response_metadata["finish_reason"] == "length"


# -- reasoning ----------------------------------------------------------------------------------
@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_reasoning_is_streamed_per_chunk_and_never_in_content(chunking):
    text = "<think>Two plus two.\nThat is four.</think>\n\nThe answer is 4."
    model, _ = model_for([text, text], reasoning_parser="deepseek_r1", **chunking)
    invoked = model.invoke("2+2?")
    chunks = list(model.stream("2+2?"))
    pieces = [c.additional_kwargs["reasoning_content"] for c in chunks if c.additional_kwargs]
    assert "".join(pieces) == invoked.additional_kwargs["reasoning_content"]
    assert invoked.additional_kwargs["reasoning_content"] == "Two plus two.\nThat is four."
    assert merge(chunks).content == invoked.content == "The answer is 4."
    if chunking.get("chunks") == 1:
        assert len(pieces) > 1


# -- history ------------------------------------------------------------------------------------
def sent(history: list[Any], **kwargs: Any) -> list[dict[str, Any]]:
    """The messages that reached the engine for ``history``."""
    model, engine = model_for(["ok"], **kwargs)
    model.invoke(history)
    return engine.requests[0].messages


def test_history_round_trip_with_tool_calls_and_results():
    history = [
        SystemMessage("Be brief."),
        HumanMessage("Weather in Paris?", name="alice"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}]),
        ToolMessage("Sunny", tool_call_id="c1", name="get_weather"),
        ToolMessage([{"type": "text", "text": "line 1"}, "line 2"], tool_call_id="c2"),
        ToolMessage("boom", tool_call_id="c3", status="error"),
        AIMessage("It is sunny."),
    ]
    assert sent(history) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?", "name": "alice"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
                }
            ],
        },
        {"role": "tool", "content": "Sunny", "name": "get_weather", "tool_call_id": "c1"},
        {"role": "tool", "content": "line 1\nline 2", "tool_call_id": "c2"},
        {"role": "tool", "content": "boom", "tool_call_id": "c3"},
        {"role": "assistant", "content": "It is sunny."},
    ]


def test_history_with_anthropic_tool_use_and_v1_blocks():
    anthropic = AIMessage(
        [
            {"type": "thinking", "thinking": "hmm", "signature": "x"},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Rome"}},
        ]
    )
    v1 = AIMessage(
        [
            {"type": "reasoning", "reasoning": "plan"},
            {"type": "text", "text": "Adding."},
            {"type": "tool_call", "id": "t2", "name": "add", "args": {"a": 1}},
        ],
        tool_calls=[{"name": "add", "args": {"a": 1}, "id": "t2"}],
    )
    cached = HumanMessage([{"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral"}}])
    messages = sent([cached, anthropic, v1, HumanMessage("more"), HumanMessage("x")])
    assert messages[0] == {"role": "user", "content": "Hi"}
    assert messages[1] == {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {
                "id": "t1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": {"city": "Rome"}},
            }
        ],
    }
    assert messages[2]["content"] == "Adding."
    assert [c["function"]["arguments"] for c in messages[2]["tool_calls"]] == [{"a": 1}]
    assert [m["role"] for m in messages] == ["user", "assistant", "assistant", "user", "user"]


def test_list_content_text_blocks_are_joined():
    content = [{"type": "text", "text": "Hello"}, "world"]
    assert sent([SystemMessage(content), HumanMessage(content)]) == [
        {"role": "system", "content": "Hello\nworld"},
        {"role": "user", "content": "Hello\nworld"},
    ]


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "image", "url": "https://example.com/cat.png"},
        {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"},
    ],
)
def test_images_are_refused_by_a_text_only_model(block):
    model, _ = model_for(["never"])
    with pytest.raises(ValueError, match="text-only"):
        model.invoke([HumanMessage([{"type": "text", "text": "What is this?"}, block])])


def test_unsupported_messages_and_blocks_are_clear_errors():
    model, _ = model_for(["never", "never"])
    with pytest.raises(ValueError, match="FunctionMessage"):
        model.invoke([FunctionMessage("x", name="f")])
    with pytest.raises(ValueError, match="'weird'"):
        model.invoke([HumanMessage([{"type": "weird", "x": 1}])])


# -- bind_tools ---------------------------------------------------------------------------------
def test_bind_tools_accepts_every_tool_kind():
    json_tool = {
        "type": "function",
        "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
    }
    anthropic_tool = {
        "name": "color_picker",
        "description": "Pick a color.",
        "input_schema": {"type": "object", "properties": {"color": {"type": "string"}}},
        "cache_control": {"type": "ephemeral"},
    }
    model, engine = model_for(["ok"])
    tools = [get_weather, add, Person, PersonDict, PERSON_SCHEMA | {"title": "PersonSchema"}]
    model.bind_tools([*tools, json_tool, anthropic_tool]).invoke("hi")
    sent_tools = engine.requests[0].tools
    assert [t["function"]["name"] for t in sent_tools] == [
        "get_weather",
        "add",
        "Person",
        "PersonDict",
        "PersonSchema",
        "lookup",
        "color_picker",
    ]
    assert sent_tools[1]["function"]["parameters"]["properties"] == {
        "a": {"type": "integer"},
        "b": {"type": "integer"},
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        ("auto", None),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        ("add", "named"),
        ({"type": "function", "function": {"name": "add"}}, "named"),
    ],
)
def test_tool_choice_variants_reach_the_engine(choice, expected):
    response = '{"a": 1, "b": 2}' if expected == "named" else hermes_call("add", {"a": 1, "b": 2})
    if expected == "required":
        response = '[{"name": "add", "arguments": {"a": 1, "b": 2}}]'
    model, engine = model_for([response, response], chunks=2)
    bound = model.bind_tools([get_weather, add], tool_choice=choice)
    message = bound.invoke("1+2?")
    assert calls(message) == [("add", {"a": 1, "b": 2})]
    assert summary(merge(list(bound.stream("1+2?")))) == summary(message)
    structured = engine.requests[0].sampling_params.structured_outputs
    if expected is None:
        assert structured is None
    elif expected == "required":
        assert structured.json["minItems"] == 1
    else:
        assert structured.json == add_schema()


def add_schema() -> dict[str, Any]:
    return _tools.format_tools([add])[0]["function"]["parameters"]


def test_tool_choice_none_makes_calls_plain_text():
    model, engine = model_for([hermes_call("add", {"a": 1})])
    message = model.bind_tools([add], tool_choice="none").invoke("1+2?")
    assert not message.tool_calls and message.content.startswith("<tool_call>")


def test_parallel_tool_calls_false_allows_one_call():
    model, _ = model_for([SAMPLE])
    message = model.bind_tools([get_weather, add], parallel_tool_calls=False).invoke("Weather?")
    assert [c[0] for c in calls(message)] == ["get_weather"]
    assert [c["name"] for c in message.invalid_tool_calls] == ["add"]


def test_strict_tools_are_enforced_with_a_structural_tag():
    model, engine = model_for([hermes_call("add", {"a": 1, "b": 2})])
    model.bind_tools([add], strict=True).invoke("1+2?")
    assert "structural_tag" in str(engine.requests[0].sampling_params.structured_outputs)


@pytest.mark.parametrize(
    ("tools", "kwargs", "message"),
    [
        ([add], {"tool_choice": "multiply"}, "not among the bound tools"),
        ([add], {"tool_choice": {"type": "function", "function": {"name": "x"}}}, "not among"),
        ([add], {"tool_choice": {"type": "function", "function": {}}}, "is not supported"),
        ([add], {"tool_choice": {"type": "tool"}}, "is not supported"),
        ([add], {"tool_choice": False}, "is not supported"),
        ([add], {"tool_choice": 3}, "is not supported"),
        ([], {"tool_choice": "any"}, "needs at least one bound tool"),
        ([], {"tool_choice": "add"}, "needs at least one bound tool"),
        ([42], {}, r"tools\[0\] \(42\) is not a tool"),
        ([{"type": "object", "properties": {}}], {}, "is not a tool"),
        ([add], {"temprature": 0}, "(?s)bind_tools got call options.*did you mean temperature="),
    ],
)
def test_bind_tools_rejects_bad_input_at_bind_time(tools, kwargs, message):
    model, _ = model_for([])
    with pytest.raises(ValueError, match=message):
        model.bind_tools(tools, **kwargs)


def test_bad_tools_are_refused_at_bind_time_and_duplicates_when_called():
    model, engine = model_for(["never"])
    bad_schema = {"type": "function", "function": {"name": "f", "parameters": {"type": "bogus"}}}
    with pytest.raises(ValueError, match="tool 'f' has an invalid JSON Schema"):
        model.bind_tools([add, bad_schema])
    bound = model.bind_tools([add, add])  # langchain-tests binds a model next to its schema
    with pytest.raises(ValueError, match="unique"):
        bound.invoke("1+2?")
    assert engine.remaining == 1


def test_empty_tools_and_agent_kwargs_are_accepted():
    model, engine = model_for(["plain", '{"name": "Ann", "age": 3}'])
    assert model.bind_tools([]).invoke("hi").content == "plain"
    assert engine.requests[0].tools is None
    response_format = {"type": "json_schema", "json_schema": {"name": "P", "schema": PERSON_SCHEMA}}
    message = model.bind_tools([], response_format=response_format, strict=True).invoke("hi")
    assert json.loads(message.content) == {"name": "Ann", "age": 3}
    assert engine.requests[1].sampling_params.structured_outputs.json == PERSON_SCHEMA


# -- structured output --------------------------------------------------------------------------
PERSON_JSON = '{"name": "Ann", "age": 31}'


@pytest.mark.parametrize("schema", [Person, PersonDict, PERSON_SCHEMA])
@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
def test_with_structured_output(schema, method):
    model, engine = model_for([PERSON_JSON], chunks=4)
    result = model.with_structured_output(schema, method=method).invoke("Who?")
    expected = {"name": "Ann", "age": 31}
    assert (result.model_dump() if schema is Person else result) == expected
    structured = engine.requests[0].sampling_params.structured_outputs
    assert structured.json["properties"]["age"] == {"type": "integer"}  # json_mode too
    if method == "function_calling":
        assert [t["function"]["name"] for t in engine.requests[0].tools] == [
            "Person" if schema is not PersonDict else "PersonDict"
        ]
    else:
        assert engine.requests[0].tools is None


def test_structured_output_streams_and_batches():
    model, _ = model_for([PERSON_JSON] * 3, chunks=2)
    structured = model.with_structured_output(Person)
    assert list(structured.stream("Who?"))[-1] == Person(name="Ann", age=31)
    assert structured.batch(["Who?", "Who?"]) == [Person(name="Ann", age=31)] * 2


def test_structured_output_include_raw():
    model, _ = model_for([PERSON_JSON, '{"name": "Ann"}'])
    structured = model.with_structured_output(Person, method="json_schema", include_raw=True)
    good = structured.invoke("Who?")
    assert good["parsed"] == Person(name="Ann", age=31) and good["parsing_error"] is None
    assert isinstance(good["raw"], AIMessage) and good["raw"].content == PERSON_JSON
    bad = structured.invoke("Who?")
    assert bad["parsed"] is None and bad["parsing_error"] is not None
    assert bad["raw"].content == '{"name": "Ann"}'


def test_structured_output_json_mode_without_schema_and_strict():
    model, engine = model_for(['{"any": [1]}', PERSON_JSON])
    assert model.with_structured_output(method="json_mode").invoke("JSON!") == {"any": [1]}
    assert engine.requests[0].sampling_params.structured_outputs.json_object is True
    model.with_structured_output(Person, method="json_schema", strict=True).invoke("Who?")
    assert (
        engine.requests[1].sampling_params.structured_outputs.json["additionalProperties"] is False
    )


@pytest.mark.parametrize(
    ("schema", "kwargs", "message"),
    [
        (Person, {"method": "xml"}, "not supported"),
        (None, {"method": "function_calling"}, "needs a schema"),
        (Person, {"foo": 1}, "unsupported arguments"),
    ],
)
def test_structured_output_errors(schema, kwargs, message):
    model, _ = model_for([])
    with pytest.raises(ValueError, match=message):
        model.with_structured_output(schema, **kwargs)


# -- sampling options ---------------------------------------------------------------------------
def test_sampling_options_from_constructor_and_call():
    model, engine = model_for(
        ["a", "b"],
        temperature=0.3,
        top_p=0.9,
        top_k=20,
        max_tokens=7,
        stop=["END"],
        seed=5,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        sampling_kwargs={"min_tokens": 1, "repetition_penalty": 1.1},
    )
    model.invoke("x")
    model.invoke(
        "x", stop=["STOP"], temperature=0.0, max_tokens=3, sampling_kwargs={"min_tokens": 2}
    )
    first, second = (r.sampling_params for r in engine.requests)
    assert (first.temperature, first.top_p, first.top_k, first.max_tokens) == (0.3, 0.9, 20, 7)
    assert (first.seed, first.presence_penalty, first.frequency_penalty) == (5, 0.1, 0.2)
    assert (first.stop, first.min_tokens, first.repetition_penalty) == (["END"], 1, 1.1)
    assert (second.temperature, second.max_tokens, second.stop) == (0.0, 3, ["END", "STOP"])
    assert (second.min_tokens, second.repetition_penalty) == (2, 1.1)


def test_chat_template_kwargs_reach_the_renderer(monkeypatch):
    model, engine = model_for(["a"], chat_template_kwargs={"enable_thinking": False})
    seen: list[Any] = []
    render = engine.render

    def spy(messages, tools=None, chat_template_kwargs=None):
        seen.append(dict(chat_template_kwargs or {}))
        return render(messages, tools, chat_template_kwargs)

    monkeypatch.setattr(engine, "render", spy)
    model.invoke("x", chat_template_kwargs={"custom": 1})
    assert seen == [{"enable_thinking": False, "custom": 1}]


def test_bad_call_options_are_clear_errors():
    model, _ = model_for(["a", "b"])
    with pytest.raises(
        ValueError, match="(?s)call options it does not take.*did you mean temperature"
    ):
        model.invoke("x", temprature=0)
    with pytest.raises(ValueError, match="tool_finish_reason='done'"):
        model.invoke("x", tool_finish_reason="done")
    with pytest.raises(ValueError, match="cannot switch"):
        model.invoke("x", model="another-model")
    assert model.invoke("x", model="scripted").content == "a"


# -- construction and metadata ------------------------------------------------------------------
def test_construction_is_instant_and_lazy():
    model = ChatVLLM(model="/no/such/model", engine_args={"max_model_len": 512})
    assert model._client.model_name == "/no/such/model"
    params = model._identifying_params
    assert json.loads(json.dumps(params))["engine_args"] == {"max_model_len": 512}
    assert model._llm_type == "vllm-native-chat"


def test_identifying_and_langsmith_params():
    model, _ = model_for([], temperature=0.5, max_tokens=9, stop=["x"])
    assert json.dumps(model._identifying_params)
    assert model._identifying_params["engine"] == "ScriptedEngine"
    assert model._get_ls_params(stop=["y"]) == {
        "ls_provider": "vllm",
        "ls_model_name": "scripted",
        "ls_model_type": "chat",
        "ls_temperature": 0.5,
        "ls_max_tokens": 9,
        "ls_stop": ["x", "y"],
    }
    assert model._get_ls_params(model="other")["ls_model_name"] == "other"


def test_engine_and_model_together_is_an_error():
    with pytest.raises(ValueError, match="either engine= or model="):
        ChatVLLM(model="m", engine=ScriptedEngine([]))


def test_close_closes_the_engine():
    model, engine = model_for([])
    model.close()
    assert engine.closed


# -- batching -----------------------------------------------------------------------------------
def test_batch_is_one_engine_batch(monkeypatch):
    model, engine = model_for(["one", "two", "three"])
    batches: list[int] = []
    choices_batch = model._client.choices_batch

    def spy(requests):
        batches.append(len(requests))
        return choices_batch(requests)

    monkeypatch.setattr(model._client, "choices_batch", spy)
    results = model.bind_tools([add]).batch(["a", "b", "c"], stop=["zz"])
    assert [r.content for r in results] == ["one", "two", "three"]
    assert batches == [3]
    assert all(r.id and r.response_metadata["model_provider"] == "vllm" for r in results)
    assert [r.sampling_params.stop for r in engine.requests] == [["zz"]] * 3
    assert all(r.tools for r in engine.requests)


async def test_abatch_is_one_engine_batch(monkeypatch):
    model, _ = model_for(["one", "two"], output_version="v1")
    batches: list[int] = []
    achoices_batch = model._client.achoices_batch

    async def spy(requests):
        batches.append(len(requests))
        return await achoices_batch(requests)

    monkeypatch.setattr(model._client, "achoices_batch", spy)
    results = await model.abatch(["a", "b"])
    assert [r.text for r in results] == ["one", "two"] and batches == [2]
    assert results[0].content == [{"type": "text", "text": "one", "index": 0}]


def test_batch_with_callbacks_goes_through_invoke():
    class Starts(BaseCallbackHandler):
        def __init__(self) -> None:
            self.starts = 0

        def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
            self.starts += 1

    handler = Starts()
    model, _ = model_for(["one", "two"])
    results = model.batch(["a", "b"], config={"callbacks": [handler]})
    assert sorted(r.content for r in results) == ["one", "two"] and handler.starts == 2


def test_batch_return_exceptions():
    model, _ = model_for(["one"])
    results = model.batch(
        [[HumanMessage("a")], [FunctionMessage("x", name="f")]], return_exceptions=True
    )
    assert isinstance(results[0], AIMessage) and isinstance(results[1], ValueError)


# -- agents -------------------------------------------------------------------------------------
def test_create_agent_loop():
    from langchain.agents import create_agent

    model, engine = model_for(
        [hermes_call("get_weather", {"city": "Paris"}), "It is sunny in Paris."], split_seed=11
    )
    agent = create_agent(model, tools=[get_weather])
    result = agent.invoke({"messages": [("user", "Weather in Paris?")]})
    kinds = [type(m).__name__ for m in result["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    call_message, tool_message, answer = result["messages"][1:]
    assert calls(call_message) == [("get_weather", {"city": "Paris"})]
    assert tool_message.content == "Sunny in Paris"
    assert tool_message.tool_call_id == call_message.tool_calls[0]["id"]
    assert answer.content == "It is sunny in Paris."
    second = engine.requests[1].messages
    assert second[-1] == {
        "role": "tool",
        "content": "Sunny in Paris",
        "name": "get_weather",
        "tool_call_id": call_message.tool_calls[0]["id"],
    }


def test_create_agent_with_response_format_uses_forced_tool_calls():
    from langchain.agents import create_agent

    model, engine = model_for(
        [
            '[{"name": "get_weather", "arguments": {"city": "Paris"}}]',
            '[{"name": "Person", "arguments": {"name": "Ann", "age": 31}}]',
        ]
    )
    agent = create_agent(model, tools=[get_weather], response_format=Person)
    result = agent.invoke({"messages": [("user", "Who lives in Paris?")]})
    assert result["structured_response"] == Person(name="Ann", age=31)
    assert [m.content for m in result["messages"] if isinstance(m, ToolMessage)][0] == (
        "Sunny in Paris"
    )
    schema = engine.requests[0].sampling_params.structured_outputs.json
    names = [item["properties"]["name"]["enum"] for item in schema["items"]["anyOf"]]
    assert names == [["get_weather"], ["Person"]]


async def test_langgraph_react_agent_streams_messages():
    from langgraph.prebuilt import create_react_agent

    model, _ = model_for([hermes_call("get_weather", {"city": "Oslo"}), "Sunny."], chunks=3)
    agent = create_react_agent(model, tools=[get_weather])
    chunks = []
    async for message, _meta in agent.astream(
        {"messages": [("user", "Weather in Oslo?")]}, stream_mode="messages"
    ):
        chunks.append(message)
    ai_chunks = [c for c in chunks if isinstance(c, AIMessageChunk)]
    assert any(c.tool_call_chunks for c in ai_chunks)
    tool_results = [c for c in chunks if isinstance(c, ToolMessage)]
    assert [t.content for t in tool_results] == ["Sunny in Oslo"]


# -- docs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "module", [langchain_vllm, chat_models, _messages, _output, _settings, _tools]
)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
