"""LangChain conventions on ChatVLLM: token counting with the model's own tokenizer and chat
template, and a profile that trim_messages, SummarizationMiddleware and create_agent can use."""

from __future__ import annotations

import time
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, trim_messages
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_vllm import ChatVLLM
from vllm_native.models import model_path
from vllm_native.testing import ScriptedEngine


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    """The prepared default model's tokenizer, whose chat template renders tools."""
    from transformers import AutoTokenizer

    folder = model_path()
    if not (folder / "tokenizer.json").is_file():
        pytest.fail(f"no tokenizer in {folder}: run `vllm-native prepare smollm2-tools` first")
    return AutoTokenizer.from_pretrained(folder)


def model_with(tokenizer: Any, *responses: str, **kwargs: Any) -> tuple[ChatVLLM, ScriptedEngine]:
    engine = ScriptedEngine(list(responses), tokenizer=tokenizer, **kwargs)
    return ChatVLLM(engine=engine, tool_parser="hermes"), engine


HISTORY = [
    SystemMessage("You are terse."),
    HumanMessage("Weather in Paris?"),
    AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}]),
]


def test_counts_are_the_rendered_prompt_of_a_real_template(tokenizer):
    model, engine = model_with(tokenizer, "ok")
    counted = model.get_num_tokens_from_messages([HumanMessage("Hi there")])
    with_tools = model.get_num_tokens_from_messages([HumanMessage("Hi there")], [get_weather])
    model.bind_tools([get_weather]).invoke([HumanMessage("Hi there")])
    sent = engine.requests[0].prompt
    assert "get_weather" in sent
    assert with_tools == len(tokenizer.encode(sent, add_special_tokens=False))
    assert with_tools > counted > len(tokenizer.encode("Hi there", add_special_tokens=False))
    assert model.get_num_tokens("Hi there") == len(
        tokenizer.encode("Hi there", add_special_tokens=False)
    )


def test_history_with_tool_calls_is_counted_and_repeated_counts_are_cached(tokenizer):
    model, engine = model_with(tokenizer)
    first = model.get_num_tokens_from_messages(HISTORY, [get_weather])
    calls = 0
    render = engine.render

    def counting_render(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return render(*args, **kwargs)

    engine.render = counting_render  # type: ignore[method-assign]
    start = time.perf_counter()
    again = [model.get_num_tokens_from_messages(HISTORY, [get_weather]) for _ in range(50)]
    assert again == [first] * 50 and calls == 0 and time.perf_counter() - start < 5
    assert model.get_num_tokens_from_messages(HISTORY[:2], [get_weather]) < first
    assert calls == 1


def test_a_conversation_longer_than_the_context_is_counted_not_refused(tokenizer):
    model, _ = model_with(tokenizer, max_model_len=16)
    assert model.get_num_tokens_from_messages(HISTORY) > 16


def test_trim_messages_uses_the_models_own_counts(tokenizer):
    model, _ = model_with(tokenizer)
    history = [HumanMessage(f"Message number {i} about the weather.") for i in range(8)]
    limit = model.get_num_tokens_from_messages(history[-3:])
    trimmed = trim_messages(history, max_tokens=limit, token_counter=model, strategy="last")
    assert trimmed == history[-3:]


def test_profile_is_honest_and_needs_no_engine():
    default = ChatVLLM()
    assert default.profile["max_input_tokens"] == 4096  # the default model's max_model_len
    sized = ChatVLLM(model="Qwen/Qwen3-8B", engine_args={"max_model_len": 32768})
    assert sized.profile["max_input_tokens"] == 32768
    unknown = ChatVLLM(model="Qwen/Qwen3-8B")  # unknown without loading the model: left out
    assert "max_input_tokens" not in unknown.profile
    for model in (default, sized, unknown):
        assert model.profile["tool_calling"] and model.profile["tool_choice"]
        assert model.profile["tool_call_streaming"]
        assert model.profile["structured_output"] is False  # see _resolve_model_profile
    assert default.profile["image_inputs"] is False  # its config.json: a text architecture
    assert "image_inputs" not in unknown.profile  # a hub id: unknown until the engine runs
    assert ChatVLLM(reasoning_parser="qwen3").profile["reasoning_output"] is True
    assert ChatVLLM(reasoning_parser="none").profile["reasoning_output"] is False
    scripted = ChatVLLM(engine=ScriptedEngine([], max_model_len=777))
    assert scripted.profile["max_input_tokens"] == 777


def test_summarization_middleware_with_a_fractional_trigger(tokenizer):
    from langchain.agents import create_agent
    from langchain.agents.middleware import SummarizationMiddleware

    model, engine = model_with(tokenizer, "It is sunny.", max_model_len=2000)
    summarizer, summaries = model_with(  # its profile turns the fraction into tokens
        tokenizer, "The user asked about the weather.", max_model_len=2000
    )
    middleware = SummarizationMiddleware(
        model=summarizer,
        trigger=("fraction", 0.1),
        keep=("messages", 1),
        token_counter=model.get_num_tokens_from_messages,
    )
    agent = create_agent(model, tools=[get_weather], middleware=[middleware])
    history = [HumanMessage(f"Earlier question {i} about cities and weather.") for i in range(20)]
    assert (
        model.get_num_tokens_from_messages(history)
        > 200
        > model.get_num_tokens_from_messages(history[-1:])
    )
    result = agent.invoke({"messages": [*history, ("user", "Weather in Paris?")]})
    assert len(summaries.requests) == 1  # the history passed 10% of the 2000-token context
    assert result["messages"][-1].content == "It is sunny."
    assert len(engine.requests[0].messages) < len(history)  # the model saw the summary


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def test_create_agent_response_format_picks_the_tool_strategy():
    from langchain.agents import create_agent

    engine = ScriptedEngine(['[{"name": "Person", "arguments": {"name": "Ann", "age": 31}}]'])
    agent = create_agent(ChatVLLM(engine=engine), tools=[get_weather], response_format=Person)
    result = agent.invoke({"messages": [("user", "Who is Ann?")]})
    assert result["structured_response"] == Person(name="Ann", age=31)
    assert engine.requests[0].tools is not None  # tools stay callable next to the schema
