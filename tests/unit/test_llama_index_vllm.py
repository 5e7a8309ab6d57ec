"""LlamaIndex ``Vllm`` on the scripted engine: chat/complete variants, tools, agents, structure."""

from __future__ import annotations

import json

import pytest
from llama_index.core.agent.workflow import (
    AgentStream,
    AgentWorkflow,
    FunctionAgent,
    ToolCallResult,
)
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.program.function_program import get_function_tool
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_vllm import Vllm
from vllm_native.testing import ScriptedEngine
from vllm_native.tool_choice import MAX_FORCED_CALLS


def call_text(city: str, name: str = "get_weather") -> str:
    """A Hermes tool call, as the model writes it."""
    return f'<tool_call>{{"name": "{name}", "arguments": {{"city": "{city}"}}}}</tool_call>'


def make_llm(*responses, chunks=3, **kwargs) -> tuple[Vllm, ScriptedEngine]:
    engine = ScriptedEngine(list(responses), chunks=chunks)
    return Vllm(engine=engine, tool_parser="hermes", **kwargs), engine


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def weather_tool(calls: list[str] | None = None) -> FunctionTool:
    def get_weather(city: str) -> str:
        """Current weather in a city."""
        if calls is not None:
            calls.append(city)
        return f"Sunny in {city}"

    return FunctionTool.from_defaults(get_weather)


def time_tool() -> FunctionTool:
    def get_time(city: str) -> str:
        """Local time in a city."""
        return "12:00"

    return FunctionTool.from_defaults(get_time)


def structured(engine: ScriptedEngine, k: int = 0) -> dict | None:
    """The JSON schema vLLM's structured outputs enforced for request ``k`` (None: none)."""
    params = engine.requests[k].sampling_params.structured_outputs
    return None if params is None else params.json


class Person(BaseModel):
    """A person."""

    name: str
    age: int


# -- construction and metadata ------------------------------------------------------------------
def test_construction_starts_nothing_and_metadata_is_real():
    lazy = Vllm(model="/no/such/model", engine_args={"max_model_len": 1024})
    assert lazy.client.model_name == "/no/such/model"  # built without starting an engine

    engine = ScriptedEngine([], max_model_len=2048, model_name="tiny")
    meta = Vllm(engine=engine, max_new_tokens=77).metadata
    assert (meta.context_window, meta.num_output, meta.model_name) == (2048, 77, "tiny")
    assert meta.is_chat_model and meta.is_function_calling_model


def test_objects_with_one_engine_share_it():
    engine = ScriptedEngine(["a", "b"])
    first, second = Vllm(engine=engine), Vllm(engine=engine)
    assert first.client.engine is second.client.engine is engine
    assert first.complete("x").text == "a" and second.complete("y").text == "b"


# -- chat ---------------------------------------------------------------------------------------
def test_chat_returns_message_finish_reason_and_usage():
    llm, engine = make_llm("Paris is the capital.")
    response = llm.chat(user("Capital of France?"))
    assert response.message.role == "assistant"
    assert response.message.content == "Paris is the capital."
    assert response.additional_kwargs["finish_reason"] == "stop"
    assert response.additional_kwargs["completion_tokens"] == 4
    assert response.raw["usage"]["completion_tokens"] == 4
    assert response.raw["usage"]["total_tokens"] == response.additional_kwargs["total_tokens"]
    assert engine.requests[0].messages == [{"role": "user", "content": "Capital of France?"}]


def test_sampling_options_reach_the_engine_and_calls_override_them():
    llm, engine = make_llm(
        "a",
        "b",
        temperature=0.3,
        top_p=0.9,
        top_k=5,
        seed=7,
        stop=["END"],
        max_new_tokens=20,
        sampling_kwargs={"repetition_penalty": 1.2},
    )
    llm.chat(user("x"))
    llm.chat(user("y"), temperature=0.5, max_new_tokens=3, min_p=0.1)
    first, second = (r.sampling_params for r in engine.requests)
    assert (first.temperature, first.top_p, first.top_k, first.seed) == (0.3, 0.9, 5, 7)
    assert (first.stop, first.max_tokens, first.repetition_penalty) == (["END"], 20, 1.2)
    assert (second.temperature, second.max_tokens, second.min_p) == (0.5, 3, 0.1)
    assert second.repetition_penalty == 1.2


def test_chat_template_kwargs_of_the_object_and_the_call_are_merged():
    seen: list[dict] = []

    class RecordingEngine(ScriptedEngine):
        def render(self, messages, tools=None, chat_template_kwargs=None):
            seen.append(dict(chat_template_kwargs or {}))
            return super().render(messages, tools, chat_template_kwargs)

    engine = RecordingEngine(["a", "b"])
    llm = Vllm(engine=engine, chat_template_kwargs={"enable_thinking": False, "x": 1})
    llm.chat(user("q"))
    llm.chat(user("q"), chat_template_kwargs={"x": 2})
    assert seen == [{"enable_thinking": False, "x": 1}, {"enable_thinking": False, "x": 2}]


def test_unknown_sampling_option_is_a_clear_error():
    llm, _ = make_llm("a")
    with pytest.raises(ValueError, match="not a vllm.SamplingParams field"):
        llm.chat(user("x"), not_a_sampling_option=1)


def test_stream_chat_carries_message_so_far_and_finishes_once():
    llm, _ = make_llm("The capital is Paris.", chunks=4)
    chunks = list(llm.stream_chat(user("Capital?")))
    assert "".join(c.delta for c in chunks) == "The capital is Paris."
    text = ""
    for chunk in chunks[:-1]:
        text += chunk.delta
        assert chunk.message.content == text
        assert "finish_reason" not in chunk.additional_kwargs and chunk.raw is None
    final = chunks[-1]
    assert final.delta == "" and final.message.content == "The capital is Paris."
    assert final.additional_kwargs["finish_reason"] == "stop"
    assert final.raw["finish_reason"] == "stop"
    assert final.additional_kwargs["prompt_tokens"] > 0


async def test_achat_and_astream_chat():
    llm, _ = make_llm("Hello async world.", "Hello async stream.")
    response = await llm.achat(user("Hi"))
    assert response.message.content == "Hello async world."
    chunks = [c async for c in await llm.astream_chat(user("Hi"))]
    assert "".join(c.delta for c in chunks) == "Hello async stream."
    assert [c.additional_kwargs.get("finish_reason") for c in chunks].count("stop") == 1
    assert chunks[-1].additional_kwargs["finish_reason"] == "stop"


def test_length_finish_reason():
    llm, _ = make_llm(("cut sh", "length"))
    chunks = list(llm.stream_chat(user("Go on")))
    assert chunks[-1].additional_kwargs["finish_reason"] == "length"
    assert all("finish_reason" not in c.additional_kwargs for c in chunks[:-1])


def test_reasoning_streams_as_thinking_delta_and_block():
    llm, _ = make_llm("<think>Two plus two.</think>It is 4.", reasoning_parser="qwen3")
    chunks = list(llm.stream_chat(user("2+2?")))
    thinking = "".join(c.additional_kwargs.get("thinking_delta", "") for c in chunks)
    assert thinking == "Two plus two."
    assert "".join(c.delta for c in chunks) == "It is 4."
    final = chunks[-1].message
    assert final.content == "It is 4."
    assert [b.content for b in final.blocks if isinstance(b, ThinkingBlock)] == [thinking]


# -- raw completion -----------------------------------------------------------------------------
def test_complete_variants_send_the_raw_prompt():
    llm, engine = make_llm("a lion.", "a lion roared.", ("a lion", "length"), "it ran.")
    assert llm.complete("Once upon a time there was").text == "a lion."
    assert engine.requests[0].prompt == "Once upon a time there was"
    chunks = list(llm.stream_complete("Once"))
    assert [c.text for c in chunks[:-1]] == [
        "a l",
        "a lion",
        "a lion ro",
        "a lion roare",
        "a lion roared.",
    ]
    assert chunks[-1].additional_kwargs["finish_reason"] == "stop"
    assert all(not c.additional_kwargs for c in chunks[:-1])


async def test_acomplete_and_astream_complete():
    llm, _ = make_llm(("a lion", "length"), "it ran.")
    response = await llm.acomplete("Once")
    assert (response.text, response.additional_kwargs["finish_reason"]) == ("a lion", "length")
    chunks = [c async for c in await llm.astream_complete("Then")]
    assert "".join(c.delta for c in chunks) == "it ran." == chunks[-1].text


# -- tools --------------------------------------------------------------------------------------
def test_chat_with_tools_returns_tool_call_blocks_and_openai_calls():
    llm, engine = make_llm("Let me check. " + call_text("Paris"))
    response = llm.chat_with_tools([weather_tool()], user_msg="Weather in Paris?")
    message = response.message
    (block,) = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    assert (block.tool_name, block.tool_kwargs) == ("get_weather", {"city": "Paris"})
    (call,) = message.additional_kwargs["tool_calls"]
    assert call["id"] == block.tool_call_id and call["type"] == "function"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert message.content == "Let me check."
    assert response.additional_kwargs["finish_reason"] == "function_call"
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name) == (block.tool_call_id, "get_weather")
    assert selection.tool_kwargs == {"city": "Paris"}
    assert engine.requests[0].tools[0]["function"]["name"] == "get_weather"
    assert structured(engine) is None  # auto: no constraint


def test_tool_finish_reason_option():
    llm, _ = make_llm(call_text("Paris"), tool_finish_reason="tool_calls")
    response = llm.chat_with_tools([weather_tool()], user_msg="Weather?")
    assert response.additional_kwargs["finish_reason"] == "tool_calls"


def test_tool_required_forces_a_call_through_structured_outputs():
    array = '[{"name": "get_time", "arguments": {"city": "Rome"}}]'
    llm, engine = make_llm(array, '{"city": "Oslo"}')
    response = llm.chat_with_tools(
        [weather_tool(), time_tool()], user_msg="Time in Rome?", tool_required=True
    )
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("get_time", {"city": "Rome"})
    schema = structured(engine, 0)
    assert schema["type"] == "array" and schema["minItems"] == 1  # tool_choice "required"
    assert schema["maxItems"] == 1  # allow_parallel_tool_calls=False

    tool = weather_tool()
    response = llm.chat_with_tools([tool], user_msg="Weather?", tool_required=True)
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"city": "Oslo"}
    assert structured(engine, 1) == tool.metadata.get_parameters_dict()  # the named tool


def test_explicit_tool_choice_and_parallel_calls():
    array = '[{"name": "get_weather", "arguments": {"city": "Rome"}}, {"name": "get_weather", "arguments": {"city": "Oslo"}}]'
    llm, engine = make_llm(array)
    response = llm.chat_with_tools(
        [weather_tool(), time_tool()],
        user_msg="Weather in Rome and Oslo?",
        tool_choice="required",
        allow_parallel_tool_calls=True,
    )
    calls = llm.get_tool_calls_from_response(response)
    assert [c.tool_kwargs["city"] for c in calls] == ["Rome", "Oslo"]
    assert len({c.tool_id for c in calls}) == 2
    assert structured(engine)["maxItems"] == MAX_FORCED_CALLS  # one tool may be called again


async def test_async_and_streaming_chat_with_tools():
    llm, _ = make_llm(call_text("Paris"), call_text("Rome"), call_text("Oslo"))
    response = await llm.achat_with_tools([weather_tool()], user_msg="Weather?")
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"city": "Paris"}
    chunks = list(llm.stream_chat_with_tools([weather_tool()], user_msg="Weather?"))
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_kwargs == {"city": "Rome"}
    gen = await llm.astream_chat_with_tools([weather_tool()], user_msg="Weather?")
    chunks = [c async for c in gen]
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_kwargs == {"city": "Oslo"}
    assert chunks[-1].additional_kwargs["finish_reason"] == "function_call"
    assert all("finish_reason" not in c.additional_kwargs for c in chunks[:-1])


def test_tool_calls_of_partial_streamed_responses():
    text = '<tool_call>{"name": "get_weather", "arguments": {"city": "San Francisco", "days": 14}}</tool_call>'
    llm, _ = make_llm(text, chunks=2)
    final_kwargs = {"city": "San Francisco", "days": 14}
    seen = []
    for chunk in llm.stream_chat_with_tools([weather_tool()], user_msg="Weather?"):
        calls = llm.get_tool_calls_from_response(chunk, error_on_no_tool_call=False)
        if not calls:
            continue
        (call,) = calls
        assert call.tool_name == "get_weather"
        for key, value in call.tool_kwargs.items():  # each partial value is a prefix of the final
            assert str(final_kwargs[key]).startswith(str(value))
        seen.append(call.tool_kwargs)
    assert {} in seen and {"city": "San Fr"} in seen  # arguments really arrived piece by piece
    assert seen[-1] == final_kwargs


def test_no_tool_call_raises_only_when_asked():
    llm, _ = make_llm("No tools needed.")
    response = llm.chat_with_tools([weather_tool()], user_msg="Hi")
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="No tools needed"):
        llm.get_tool_calls_from_response(response)


def test_invalid_tool_call_is_reported_not_run():
    llm, _ = make_llm(call_text("Paris", name="no_such_tool"))
    response = llm.chat_with_tools([weather_tool()], user_msg="Weather?")
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    (invalid,) = response.message.additional_kwargs["invalid_tool_calls"]
    assert invalid["name"] == "no_such_tool"
    assert response.additional_kwargs["finish_reason"] == "stop"


# -- message round trip -------------------------------------------------------------------------
def test_history_renders_as_openai_messages():
    llm, engine = make_llm("Done.")
    history = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Weather in Paris and Rome?"),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="Two cities."),
                TextBlock(text="Checking."),
                ToolCallBlock(
                    tool_call_id="c1", tool_name="get_weather", tool_kwargs={"city": "Paris"}
                ),
            ],
        ),
        ChatMessage(role="tool", content="Sunny", additional_kwargs={"tool_call_id": "c1"}),
        ChatMessage(
            role="assistant",
            content="",
            additional_kwargs={
                "tool_calls": [
                    {
                        "id": "c2",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": {"city": "Rome"}},
                    }
                ]
            },
        ),
        ChatMessage(role="tool", content="Rainy", additional_kwargs={"tool_call_id": "c2"}),
    ]
    llm.chat(history, history_reasoning="resend")  # the scripted engine's default is "drop"
    assert engine.requests[0].messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "reasoning": "Two cities.",
            "reasoning_content": "Two cities.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
                }
            ],
        },
        {"role": "tool", "content": "Sunny", "tool_call_id": "c1"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": {"city": "Rome"}},
                }
            ],
        },
        {"role": "tool", "content": "Rainy", "tool_call_id": "c2"},
    ]


def test_response_message_renders_back_with_its_calls_once():
    llm, engine = make_llm(call_text("Paris"), "Sunny it is.")
    response = llm.chat_with_tools([weather_tool()], user_msg="Weather?")
    (selection,) = llm.get_tool_calls_from_response(response)
    history = [
        *user("Weather?"),
        response.message,
        ChatMessage(
            role="tool", content="Sunny", additional_kwargs={"tool_call_id": selection.tool_id}
        ),
    ]
    llm.chat_with_tools([weather_tool()], chat_history=history)
    assistant, tool = engine.requests[1].messages[1:]
    (call,) = assistant["tool_calls"]
    assert call["id"] == selection.tool_id == tool["tool_call_id"]
    assert call["function"]["arguments"] == {"city": "Paris"}  # the core parses it for templates


def test_non_text_content_is_a_clear_error():
    llm, _ = make_llm("x")
    audio = ChatMessage(role="user", blocks=[AudioBlock(url="http://example.com/a.wav")])
    with pytest.raises(ValueError, match="AudioBlock"):
        llm.chat([audio])
    image = ChatMessage(role="user", blocks=[ImageBlock(url="http://example.com/a.png")])
    with pytest.raises(ValueError, match="text-only"):  # the core knows the model has no vision
        llm.chat([image])


# -- agents -------------------------------------------------------------------------------------
async def test_function_agent_streams_runs_the_tool_and_answers():
    ran: list[str] = []
    llm, engine = make_llm("I will check. " + call_text("Paris"), "It is sunny in Paris.")
    agent = FunctionAgent(tools=[weather_tool(ran)], llm=llm)
    handler = agent.run(user_msg="What is the weather in Paris?")
    events = [event async for event in handler.stream_events()]
    result = await handler

    assert ran == ["Paris"]
    (tool_result,) = [e for e in events if isinstance(e, ToolCallResult)]
    assert tool_result.tool_kwargs == {"city": "Paris"}
    assert tool_result.tool_output.content == "Sunny in Paris"
    streamed = [e for e in events if isinstance(e, AgentStream)]
    assert "".join(e.delta for e in streamed) == "I will check.It is sunny in Paris."
    assert any(e.tool_calls and e.tool_calls[0].tool_kwargs == {"city": "Paris"} for e in streamed)
    assert str(result.response.content) == "It is sunny in Paris."

    second = engine.requests[1].messages
    call = second[-2]["tool_calls"][0]
    assert second[-1] == {"role": "tool", "content": "Sunny in Paris", "tool_call_id": call["id"]}


async def test_function_agent_without_streaming():
    ran: list[str] = []
    llm, _ = make_llm(call_text("Oslo"), "Sunny in Oslo, indeed.")
    agent = FunctionAgent(tools=[weather_tool(ran)], llm=llm, streaming=False)
    result = await agent.run(user_msg="Weather in Oslo?")
    assert ran == ["Oslo"]
    assert str(result.response.content) == "Sunny in Oslo, indeed."


async def test_agent_workflow_runs_parallel_calls():
    ran: list[str] = []
    llm, engine = make_llm(call_text("Paris") + call_text("Rome"), "Both are sunny.")
    agent = FunctionAgent(
        name="weather", description="Answers weather questions.", tools=[weather_tool(ran)], llm=llm
    )
    workflow = AgentWorkflow(agents=[agent], root_agent="weather")
    handler = workflow.run(user_msg="Weather in Paris and Rome?")
    events = [event async for event in handler.stream_events()]
    result = await handler

    assert sorted(ran) == ["Paris", "Rome"]
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert sorted(e.tool_kwargs["city"] for e in results) == ["Paris", "Rome"]
    assert "".join(e.delta for e in events if isinstance(e, AgentStream)) == "Both are sunny."
    assert str(result.response.content) == "Both are sunny."
    tool_ids = {m["tool_call_id"] for m in engine.requests[1].messages if m["role"] == "tool"}
    assert len(tool_ids) == 2


# -- structured outputs -------------------------------------------------------------------------
PROMPT = PromptTemplate("Extract the person: {text}")
PERSON_PARAMETERS = get_function_tool(Person).metadata.get_parameters_dict()


def test_structured_predict_forces_the_schema_by_name():
    llm, engine = make_llm('{"name": "Ada", "age": 36}')
    person = llm.structured_predict(Person, PROMPT, text="Ada is 36.")
    assert person == Person(name="Ada", age=36)
    assert structured(engine) == PERSON_PARAMETERS
    assert engine.requests[0].messages[-1]["content"] == "Extract the person: Ada is 36."


def test_response_format_passes_through():
    llm, engine = make_llm('{"name": "Ada", "age": 36}')
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "p", "schema": PERSON_PARAMETERS},
    }
    response = llm.chat(user("Ada is 36."), response_format=response_format)
    assert json.loads(response.message.content) == {"name": "Ada", "age": 36}
    assert structured(engine) == PERSON_PARAMETERS


async def test_astructured_predict_and_structured_llm():
    llm, engine = make_llm('{"name": "Ada", "age": 36}', '{"name": "Bob", "age": 7}')
    assert await llm.astructured_predict(Person, PROMPT, text="Ada") == Person(name="Ada", age=36)
    response = llm.as_structured_llm(Person).chat(user("Bob is 7."))
    assert json.loads(response.message.content) == {"name": "Bob", "age": 7}
    assert structured(engine, 0) == structured(engine, 1) == PERSON_PARAMETERS


async def test_stream_structured_predict_yields_growing_objects():
    llm, engine = make_llm('{"name": "Ada Lovelace", "age": 36}', '{"name": "Bob", "age": 7}')
    partials = list(llm.stream_structured_predict(Person, PROMPT, text="Ada"))
    assert partials[-1] == Person(name="Ada Lovelace", age=36)
    names = [p.name for p in partials if p.name]
    assert len(set(names)) > 3 and all("Ada Lovelace".startswith(n) for n in names)
    assert {p.age for p in partials} == {None, 36}  # never a cut-off number such as 3
    gen = await llm.astream_structured_predict(Person, PROMPT, text="Bob")
    assert [p async for p in gen][-1] == Person(name="Bob", age=7)
    assert structured(engine, 0) == structured(engine, 1) == PERSON_PARAMETERS
