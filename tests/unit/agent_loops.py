"""Two-turn agent loops of both frameworks on a scripted engine, for the per-family history tests.

Each loop asks for the weather in Paris; the scripted engine answers first with the family's own
tool-call syntax, then with a final text. The frameworks' own agents run the tool and send the
history back, so the second request the engine received is what the family is shown of the earlier
turn (its call, its id, the tool result, the reasoning).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.tools import FunctionTool

from langchain_vllm import ChatVLLM
from llama_index_vllm import Vllm
from vllm_native.testing import ScriptedEngine

TOOL_RESULT = "Sunny, 24 C in Paris"
FINAL_ANSWER = "It is sunny in Paris."


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return TOOL_RESULT if city == "Paris" else f"no data for {city}"


@dataclass
class LoopResult:
    call_id: str
    """The id the framework gave its tool message (the id our parser made for the call)."""
    answer: str
    second_prompt: str
    """The prompt the engine rendered for the turn after the tool ran."""
    second_messages: list[dict[str, Any]]


def langgraph_loop(engine: ScriptedEngine, **model_kwargs: Any) -> LoopResult:
    """``langchain.agents.create_agent`` (LangGraph) with ``get_weather``, one question."""
    from langchain.agents import create_agent

    model = ChatVLLM(engine=engine, **model_kwargs)
    agent = create_agent(model, tools=[tool(get_weather)])
    result = agent.invoke({"messages": [("user", "What is the weather in Paris?")]})
    messages = result["messages"]
    calls = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert len(calls) == 1 and len(results) == 1, messages
    assert results[0].tool_call_id == calls[0].tool_calls[0]["id"]
    assert results[0].content == TOOL_RESULT
    return _result(engine, results[0].tool_call_id, str(messages[-1].content))


async def llama_index_loop(engine: ScriptedEngine, **llm_kwargs: Any) -> LoopResult:
    """A LlamaIndex ``FunctionAgent`` with ``get_weather``, one question, streamed."""
    llm = Vllm(engine=engine, **llm_kwargs)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=llm)
    handler = agent.run(user_msg="What is the weather in Paris?")
    tool_ids = [
        event.tool_id
        async for event in handler.stream_events()
        if type(event).__name__ == "ToolCallResult"
    ]
    result = await handler
    assert len(tool_ids) == 1, tool_ids
    return _result(engine, tool_ids[0], str(result.response.content))


def _result(engine: ScriptedEngine, call_id: str, answer: str) -> LoopResult:
    assert len(engine.requests) == 2, engine.requests
    second = engine.requests[1]
    return LoopResult(call_id, answer, second.prompt, second.messages)
