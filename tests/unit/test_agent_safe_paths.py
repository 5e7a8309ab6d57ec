"""Agent safety on every path: whatever path a reply takes through LangChain, LangGraph or
LlamaIndex, a call the model did not get right is never runnable and never lost.

Each case is a reply the core turns into invalid tool calls (cut off by ``max_tokens`` in three
formats, an unknown tool, a call over the ``parallel_tool_calls=False`` limit, broken JSON,
non-object arguments). Each path is checked for the valid calls it exposes (only the ones the
model really finished) and the invalid calls it keeps (by name).
"""

from __future__ import annotations

import doctest
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langchain_core.utils.json import parse_partial_json
from pydantic import BaseModel

from langchain_vllm import ChatVLLM
from langchain_vllm._output import unparseable_tail
from vllm_native.chat import ChatClient
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest


def hermes(name: str, arguments: str) -> str:
    return f'<tool_call>{{"name": "{name}", "arguments": {arguments}}}</tool_call>'


@dataclass(frozen=True)
class Case:
    reply: str | tuple[str, str]
    invalid: list[str | None]  # names of the invalid calls every path must keep
    valid: list[dict[str, Any]] = field(default_factory=list)  # arguments of the valid calls
    parser: str = "hermes"
    parallel_tool_calls: bool | None = None


CASES = {
    "cut_off": Case(('<tool_call>{"name": "get_weather", "arguments": {"city": "Pa', "length"),
                    ["get_weather"]),
    "cut_off_empty": Case(('<tool_call>{"name": "get_weather", "arguments": ', "length"),
                          ["get_weather"]),
    "cut_off_pythonic": Case(("[get_weather(city='Pa", "length"), ["get_weather"],
                             parser="pythonic"),
    "cut_off_qwen3_coder": Case(
        ("<tool_call>\n<function=get_weather>\n<parameter=city>\nPa", "length"), ["get_weather"],
        parser="qwen3_coder",
    ),
    "unknown_tool": Case(hermes("get_wether", '{"city": "Paris"}'), ["get_wether"]),
    "over_parallel_limit": Case(
        hermes("get_weather", '{"city": "Oslo"}') + hermes("get_weather", '{"city": "Rome"}'),
        ["get_weather"], valid=[{"city": "Oslo"}], parallel_tool_calls=False,
    ),
    "broken_json": Case(hermes("get_weather", '{"city": Paris}'), ["get_weather"]),
    "non_object": Case(hermes("get_weather", '["Paris"]'), ["get_weather"]),
}  # fmt: skip


@dataclass
class Weather:
    """A get_weather tool that records every city it was really run for."""

    ran: list[str] = field(default_factory=list)

    def langchain(self) -> Any:
        @tool
        def get_weather(city: str) -> str:
            """Current weather in a city."""
            self.ran.append(city)
            return f"Sunny in {city}"

        return get_weather

    def llama_index(self) -> Any:
        from llama_index.core.tools import FunctionTool

        def get_weather(city: str) -> str:
            """Current weather in a city."""
            self.ran.append(city)
            return f"Sunny in {city}"

        return FunctionTool.from_defaults(get_weather)


def chat_model(case: Case, replies: int = 1, **kwargs: Any) -> ChatVLLM:
    engine = ScriptedEngine([case.reply] * replies + ["Done."], chunks=3)
    return ChatVLLM(engine=engine, tool_parser=case.parser, **kwargs)


def tools(case: Case) -> dict[str, Any]:
    """Call options binding the weather tool (and the case's parallel-call limit)."""
    kwargs: dict[str, Any] = {"tools": [Weather().langchain()]}
    if case.parallel_tool_calls is not None:
        kwargs["parallel_tool_calls"] = case.parallel_tool_calls
    return kwargs


def bound(case: Case, model: ChatVLLM) -> Any:
    kwargs = tools(case)
    return model.bind_tools(kwargs.pop("tools"), **kwargs)


def merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def assert_safe(case: Case, message: AIMessage, *, exact: bool) -> None:
    """Only the finished calls are runnable; every invalid one is kept. ``exact``: the core's
    message itself, each invalid call with its error."""
    assert [c["args"] for c in message.tool_calls] == case.valid
    assert [c["name"] for c in message.invalid_tool_calls] == case.invalid
    if exact:
        assert all(call["error"] for call in message.invalid_tool_calls)


def reference(case: Case) -> AIMessage:
    return bound(case, chat_model(case)).invoke("Weather?")


# -- LangChain paths ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CASES)
async def test_invoke_and_ainvoke(name):
    case = CASES[name]
    assert_safe(case, reference(case), exact=True)
    assert_safe(case, await bound(case, chat_model(case)).ainvoke("Weather?"), exact=True)


@pytest.mark.parametrize("name", CASES)
def test_streaming_paths_return_the_core_message(name):
    """streaming=True, invoke(stream=True) and a streaming callback all stream internally;
    invoke still returns what plain invoke returns, and the callbacks still get every chunk."""
    case = CASES[name]
    expected = reference(case)

    def same(message: AIMessage) -> None:
        assert_safe(case, message, exact=True)
        assert exact_invalid(message) == exact_invalid(expected)
        assert (
            message.response_metadata["finish_reason"]
            == (expected.response_metadata["finish_reason"])
        )

    tokens = Tokens()
    same(bound(case, chat_model(case, streaming=True)).invoke("?", {"callbacks": [tokens]}))
    assert tokens.chunks and tokens.chunks[-1].chunk_position == "last"
    same(bound(case, chat_model(case)).invoke("?", stream=True))
    generated = chat_model(case, streaming=True).generate([[HumanMessage("?")]], **tools(case))
    same(generated.generations[0][0].message)


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.chunks: list[AIMessageChunk] = []

    def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        self.chunks.append(chunk.message)


@pytest.mark.parametrize("name", CASES)
async def test_async_streaming_paths_return_the_core_message(name):
    case = CASES[name]
    tokens = Tokens()
    model = bound(case, chat_model(case, streaming=True))
    assert_safe(case, await model.ainvoke("?", {"callbacks": [tokens]}), exact=True)
    assert_safe(case, merge(tokens.chunks), exact=False)
    generated = await chat_model(case, streaming=True).agenerate(
        [[HumanMessage("?")]], **tools(case)
    )
    assert_safe(case, generated.generations[0][0].message, exact=True)


@pytest.mark.parametrize("name", CASES)
async def test_merged_stream_and_astream(name):
    """Users who merge chunks themselves get no runnable cut-off call and lose no call; the last
    chunk carries the exact invalid calls."""
    case = CASES[name]
    chunks = list(bound(case, chat_model(case)).stream("?"))
    assert_safe(case, merge(chunks), exact=False)
    assert exact_invalid(chunks[-1]) == exact_invalid(reference(case))
    achunks = [c async for c in bound(case, chat_model(case)).astream("?")]
    assert_safe(case, merge(achunks), exact=False)


def exact_invalid(message: AIMessage) -> list[tuple[Any, ...]]:
    return [(c["name"], c["args"], c["error"]) for c in message.invalid_tool_calls]


@pytest.mark.parametrize("name", CASES)
def test_v1_output_merged_stream(name):
    case = CASES[name]
    model = chat_model(case, output_version="v1")
    assert_safe(case, merge(list(bound(case, model).stream("?"))), exact=False)
    assert_safe(case, bound(case, chat_model(case, output_version="v1")).invoke("?"), exact=True)


@pytest.mark.parametrize("name", CASES)
def test_batch_direct_and_through_callbacks(name):
    case = CASES[name]
    for message in bound(case, chat_model(case, replies=2)).batch(["?", "?"]):
        assert_safe(case, message, exact=True)
    model = bound(case, chat_model(case, replies=2, streaming=True))
    for message in model.batch(["?", "?"], {"callbacks": [Tokens()]}):
        assert_safe(case, message, exact=True)


@pytest.mark.parametrize("name", CASES)
async def test_astream_events(name):
    """A model invoked inside a chain under ``astream_events`` streams into the event handler;
    the chain still gets the core's message. The model's own end event merges its chunks."""
    case = CASES[name]
    model = bound(case, chat_model(case))
    chain = RunnableLambda(lambda text: model.invoke(text))
    events = [e async for e in chain.astream_events("?", version="v2")]
    streamed = [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]
    assert streamed and streamed[-1].chunk_position == "last"
    [result] = [e["data"]["output"] for e in events if e["event"] == "on_chain_end"]
    assert_safe(case, result, exact=True)
    [ended] = [e["data"]["output"] for e in events if e["event"] == "on_chat_model_end"]
    assert_safe(case, ended, exact=True)


@pytest.mark.parametrize("name", CASES)
async def test_astream_events_of_the_model_itself(name):
    """The model streamed by ``astream_events`` (its ``astream``): the end event carries the
    core's message, exact, not a merge of the chunks."""
    case = CASES[name]
    events = [e async for e in bound(case, chat_model(case)).astream_events("?", version="v2")]
    [ended] = [e["data"]["output"] for e in events if e["event"] == "on_chat_model_end"]
    assert_safe(case, ended, exact=True)


@pytest.mark.parametrize("name", CASES)
def test_stream_events_v3(name):
    case = CASES[name]
    stream = bound(case, chat_model(case)).stream_events("?", version="v3")
    for _ in stream:
        pass
    assert_safe(case, stream.output_message, exact=False)


def test_structured_output_function_calling_raises_on_a_cut_off_or_invalid_call():
    from langchain_core.exceptions import OutputParserException

    class City(BaseModel):
        """A city."""

        name: str

    # A forced (named) tool call makes the model write just the arguments object.
    cut = ('{"name": "Pa', "length")
    model = ChatVLLM(engine=ScriptedEngine([cut, cut, cut]), tool_parser="hermes")
    with pytest.raises(OutputParserException, match="cut off by max_tokens"):
        model.with_structured_output(City).invoke("A city?")
    with pytest.raises(OutputParserException, match="cut off by max_tokens"):
        model.with_structured_output(City.model_json_schema()).invoke("A city?")
    raw = model.with_structured_output(City, include_raw=True).invoke("A city?")
    assert raw["parsed"] is None and "cut off" in str(raw["parsing_error"])
    assert raw["raw"].invalid_tool_calls[0]["args"] == '{"name": "Pa'
    invalid = '["Paris"]'
    model = ChatVLLM(engine=ScriptedEngine([invalid]), tool_parser="hermes")
    with pytest.raises(OutputParserException, match="must be a JSON object"):
        model.with_structured_output(City).invoke("A city?")


# -- LangGraph ------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["values", "updates", "messages", "custom", "debug"])
@pytest.mark.parametrize("name", CASES)
def test_create_agent_in_every_stream_mode(name, mode):
    from langchain.agents import create_agent
    from langchain.agents.middleware import wrap_model_call

    case = CASES[name]
    weather = Weather()

    @wrap_model_call
    def one_call_at_a_time(request: Any, handler: Any) -> Any:
        settings = {**request.model_settings, "parallel_tool_calls": case.parallel_tool_calls}
        return handler(request.override(model_settings=settings))

    middleware = [one_call_at_a_time] if case.parallel_tool_calls is not None else []
    agent = create_agent(chat_model(case), tools=[weather.langchain()], middleware=middleware)
    parts = list(agent.stream({"messages": [("user", "Weather?")]}, stream_mode=[mode, "values"]))
    assert weather.ran == [c["city"] for c in case.valid]
    state = [data for kind, data in parts if kind == "values"][-1]
    first_reply = next(m for m in state["messages"] if isinstance(m, AIMessage))
    assert_safe(case, first_reply, exact=True)
    if mode == "messages":
        streamed = [data[0] for kind, data in parts if kind == "messages"]
        chunks = [m for m in streamed if m.id == first_reply.id]
        assert all(isinstance(c, AIMessageChunk) for c in chunks)  # not re-sent whole
        assert_safe(case, merge(chunks), exact=False)


# -- LlamaIndex -----------------------------------------------------------------------------------
@pytest.mark.parametrize("streaming", [True, False])
@pytest.mark.parametrize("name", CASES)
async def test_llama_index_function_agent(name, streaming):
    from llama_index.core.agent.workflow import AgentOutput, AgentStream, FunctionAgent

    from llama_index_vllm import Vllm

    case = CASES[name]
    weather = Weather()
    engine = ScriptedEngine([case.reply, "Done."], chunks=3)
    agent = FunctionAgent(
        tools=[weather.llama_index()],
        llm=Vllm(engine=engine, tool_parser=case.parser),
        streaming=streaming,
        allow_parallel_tool_calls=case.parallel_tool_calls is not False,
    )
    handler = agent.run(user_msg="Weather?")
    events = [event async for event in handler.stream_events()]
    await handler
    assert weather.ran == [c["city"] for c in case.valid]
    first = next(e for e in events if isinstance(e, AgentOutput))
    assert [s.tool_kwargs for s in first.tool_calls] == case.valid
    kept = first.response.additional_kwargs["invalid_tool_calls"]
    assert [c["name"] for c in kept] == case.invalid
    if streaming:
        assert any(isinstance(e, AgentStream) for e in events)


@pytest.mark.parametrize("name", CASES)
async def test_llama_index_stream_chat_final_response(name):
    from llama_index.core.llms import ChatMessage

    from llama_index_vllm import Vllm

    case = CASES[name]
    llm = Vllm(engine=ScriptedEngine([case.reply, case.reply], chunks=3), tool_parser=case.parser)
    tools = [Weather().llama_index()]
    parallel = case.parallel_tool_calls is not False
    for responses in (
        list(llm.stream_chat_with_tools(tools, "?", allow_parallel_tool_calls=parallel)),
        [r async for r in await llm.astream_chat_with_tools(
            tools, chat_history=[ChatMessage(role="user", content="?")],
            allow_parallel_tool_calls=parallel)],
    ):  # fmt: skip
        last = responses[-1]
        selections = llm.get_tool_calls_from_response(last, error_on_no_tool_call=False)
        assert [s.tool_kwargs for s in selections] == case.valid
        kept = last.message.additional_kwargs["invalid_tool_calls"]
        assert [c["name"] for c in kept] == case.invalid


# -- the pieces ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("parser", "text", "raw"),
    [
        ("pythonic", "[get_weather(city='Pa", "get_weather(city='Pa"),
        ("pythonic", "[get_weather(city='Paris', ", "get_weather(city='Paris',"),
        ("qwen3_coder", "<tool_call>\n<function=get_weather>\n<parameter=city>\nPa",
         "<function=get_weather>\n<parameter=city>\nPa"),
        ("hermes", '<tool_call>{"name": "get_weather", "arguments": {"city": "Pa',
         '{"city": "Pa'),
    ],
)  # fmt: skip
def test_cut_off_calls_keep_the_model_text(parser, text, raw):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    for chunks in (1, 4, 1000):
        client = ChatClient(engine=ScriptedEngine([(text, "length")], chunks=chunks),
                            tool_parser=parser)  # fmt: skip
        message = client.chat(ChatRequest([{"role": "user", "content": "?"}], tools=tools))
        [call] = message.invalid_tool_calls
        assert (call.name, call.arguments, call.error) == (
            "get_weather",
            raw,
            "tool call was cut off",
        )


@given(st.text(alphabet='{}[]":,\\ ab1\n', max_size=30))
def test_unparseable_tail_defeats_both_langchain_parsers(text):
    tail = unparseable_tail(text)
    assert len(tail) <= 3
    with pytest.raises(ValueError):
        json.loads(text + tail)
    try:
        parsed = parse_partial_json(text + tail)
    except ValueError:
        return
    assert not isinstance(parsed, dict)


def test_streaming_docs_example_runs():
    docs = Path(__file__).parents[2] / "docs" / "streaming.md"
    result = doctest.testfile(str(docs), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
