"""LlamaIndex ``Vllm`` on the real vLLM engine (CPU, default model): chat, tools, agents, sharing."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

from llama_index_vllm import Vllm
from vllm_native.engine import shared_engines

pytestmark = pytest.mark.engine


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


def get_time(city: str) -> str:
    """Local time in a city."""
    return f"It is 12:00 in {city}"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]


@pytest.fixture(scope="module")
def llm():
    return Vllm(temperature=0, max_new_tokens=32)


def test_chat_and_complete(llm):
    response = llm.chat(user("What is the capital of France?"))
    assert response.message.content
    assert response.additional_kwargs["finish_reason"] in ("stop", "length")
    assert response.additional_kwargs["completion_tokens"] > 0
    assert llm.complete("The capital of France is").text
    assert llm.metadata.context_window > 0


def test_stream_chat_deltas_add_up_to_the_answer(llm):
    chunks = list(llm.stream_chat(user("Name three colours.")))
    assert len(chunks) > 2
    assert "".join(c.delta for c in chunks) == chunks[-1].message.content != ""
    finishes = [c.additional_kwargs.get("finish_reason") for c in chunks]
    assert finishes[-1] in ("stop", "length") and finishes[:-1] == [None] * (len(chunks) - 1)


def test_astream_chat_matches_stream_chat(llm):
    question = user("Name three animals.")
    sync_text = "".join(c.delta for c in llm.stream_chat(question))

    async def collect() -> str:
        return "".join([c.delta async for c in await llm.astream_chat(question)])

    assert asyncio.run(collect()) == sync_text != ""


def test_tool_required_gives_a_valid_call_every_time():
    sampled = Vllm(temperature=0.7, max_new_tokens=128)
    names = {tool.metadata.name for tool in TOOLS}
    assert len(names) == 2  # several tools: tool_required means tool_choice="required"
    for seed in range(20):
        response = sampled.chat_with_tools(
            TOOLS, user_msg="What's the weather in Paris?", tool_required=True, seed=seed
        )
        calls = sampled.get_tool_calls_from_response(response)
        assert calls, f"seed {seed}: no tool call in {response.message!r}"
        for call in calls:
            assert call.tool_name in names
            schema = next(t for t in TOOLS if t.metadata.name == call.tool_name).metadata.fn_schema
            schema.model_validate(call.tool_kwargs, strict=True)  # raises when invalid
        assert response.additional_kwargs["finish_reason"] == "function_call"


def test_react_agent_runs_to_an_answer():
    agent = ReActAgent(tools=[FunctionTool.from_defaults(add)], llm=Vllm(max_new_tokens=96))

    async def run() -> str:
        result = await agent.run(
            user_msg="What is 12 plus 30? Use the add tool.",
            max_iterations=4,
            early_stopping_method="generate",
        )
        return str(result.response.content or "")

    assert asyncio.run(run()).strip()


def test_langchain_and_llama_index_share_one_engine(llm):
    from langchain_vllm import ChatVLLM

    assert llm.complete("Hi", max_new_tokens=4).text is not None
    before = shared_engines()
    assert llm.client.engine in before and llm.client.engine.started

    chat = ChatVLLM(max_tokens=8)  # the same configuration: default model and engine arguments
    assert chat.invoke("Say hi.").content is not None
    assert shared_engines() == before  # served by the running engine, no second one
