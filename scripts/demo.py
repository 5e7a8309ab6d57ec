"""`make demo`: tool-calling agents on the default model, in-process, on this machine's CPU.

A LangChain agent (``langchain.agents.create_agent``, a LangGraph graph) and then a LlamaIndex
``FunctionAgent`` answer the same question with two small tools. Everything the model streams is
printed as it arrives: text, each tool-call chunk (``index``, ``id`` and ``name`` on the first
fragment only, then argument fragments), the tool results, the final answer and the one finish
reason of every model turn (``function_call`` for a turn that calls tools, then ``stop``).

The tools answer from a small fixed table (no network): this shows the agent loop, not a
weather service.

Run: ``python scripts/demo.py [question]`` (``make demo`` prepares the environment and model first).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

# Keep the transcript readable: vLLM's CPU start-up warnings go (errors and progress bars stay).
os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning")  # also for the engine process

QUESTION = "What's the weather like in Paris? Also, what is 23 * 7?"
WEATHER = {
    "Paris": "18 degrees and sunny",
    "London": "12 degrees and rainy",
    "Tokyo": "24 degrees and cloudy",
    "Berlin": "15 degrees and windy",
}


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return WEATHER.get(city.strip().title(), f"no weather data for {city}")


def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression: two numbers and one of + - * /."""
    left, op, right = expression.replace("x", "*").split()
    x, y = float(left), float(right)
    value = {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else float("nan")}[op]
    return str(int(value)) if value == int(value) else f"{value:.4g}"


class Transcript:
    """Prints an agent run: whole lines, and streamed text on one growing line."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.in_text = False

    def line(self, text: str) -> None:
        self.out.write(("\n" if self.in_text else "") + text + "\n")
        self.out.flush()
        self.in_text = False

    def text(self, delta: str) -> None:
        self.out.write(delta if self.in_text else f"  text: {delta}")
        self.out.flush()
        self.in_text = True


@dataclass
class Turn:
    """One model turn of an agent run, as the demo saw it stream."""

    finish_reasons: list[str] = field(default_factory=list)
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    text: str = ""


# ----------------------------------------------------------------------------------------------
# LangChain: create_agent (LangGraph), streamed message by message
# ----------------------------------------------------------------------------------------------


def run_langchain_agent(llm: Any, question: str = QUESTION, out: TextIO = sys.stdout) -> list[Turn]:
    """Run a LangChain agent with both tools on ``llm`` (a ``ChatVLLM``), printing as it goes.

    Example (a scripted engine stands in for the model):
        >>> import io
        >>> from langchain_vllm import ChatVLLM
        >>> from vllm_native.testing import ScriptedEngine
        >>> call = '<tool_call>{"name": "calculate", "arguments": {"expression": "2 * 3"}}</tool_call>'
        >>> llm = ChatVLLM(engine=ScriptedEngine([call, "2 * 3 = 6."]), tool_parser="hermes")
        >>> turns = run_langchain_agent(llm, "What is 2 * 3?", out=io.StringIO())
        >>> [(t.finish_reasons, t.tool_calls) for t in turns]
        [(['function_call'], [('calculate', {'expression': '2 * 3'})]), (['stop'], [])]
    """
    from langchain.agents import create_agent
    from langchain_core.messages import AIMessageChunk, ToolMessage
    from langchain_core.tools import tool

    agent = create_agent(llm, tools=[tool(get_weather), tool(calculate)])
    turns: dict[str, Turn] = {}
    merged: dict[str, AIMessageChunk] = {}
    show = Transcript(out)
    show.line(f"user: {question}")
    for message, _ in agent.stream({"messages": [("user", question)]}, stream_mode="messages"):
        if isinstance(message, ToolMessage):
            show.line(f"  tool result ({message.name}): {message.content}")
            continue
        if not isinstance(message, AIMessageChunk):
            continue
        key = str(message.id)
        if key not in turns:
            turns[key] = Turn()
            show.line(f"model turn {len(turns)}:")
        turn = turns[key]
        merged[key] = message if key not in merged else merged[key] + message
        if message.content:
            show.text(str(message.content))
        for chunk in message.tool_call_chunks:
            first = f" id={chunk['id']} name={chunk['name']}" if chunk.get("name") else ""
            show.line(f"  tool_call_chunk index={chunk['index']}{first} args={chunk['args']!r}")
        finish = message.response_metadata.get("finish_reason")
        if finish:
            turn.finish_reasons.append(finish)
            show.line(f"  finish_reason: {finish}")
    for key, turn in turns.items():
        turn.tool_calls = [(c["name"], c["args"]) for c in merged[key].tool_calls]
        turn.text = str(merged[key].content)
    last = list(turns.values())[-1] if turns else Turn()
    show.line(f"answer: {last.text}")
    return list(turns.values())


# ----------------------------------------------------------------------------------------------
# LlamaIndex: FunctionAgent, streamed event by event
# ----------------------------------------------------------------------------------------------


async def run_llama_index_agent(
    llm: Any, question: str = QUESTION, out: TextIO = sys.stdout
) -> list[Turn]:
    """Run a LlamaIndex ``FunctionAgent`` with both tools on ``llm`` (a ``Vllm``), printing events.

    Example (a scripted engine stands in for the model):
        >>> import io
        >>> from llama_index_vllm import Vllm
        >>> from vllm_native.testing import ScriptedEngine
        >>> call = '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>'
        >>> llm = Vllm(engine=ScriptedEngine([call, "No data."]), tool_parser="hermes")
        >>> turns = asyncio.run(run_llama_index_agent(llm, "Oslo?", out=io.StringIO()))
        >>> [(t.finish_reasons, t.tool_calls) for t in turns]
        [(['function_call'], [('get_weather', {'city': 'Oslo'})]), (['stop'], [])]
    """
    from llama_index.core.agent.workflow import (
        AgentOutput,
        AgentStream,
        FunctionAgent,
        ToolCallResult,
    )
    from llama_index.core.tools import FunctionTool

    tools = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(calculate)]
    agent = FunctionAgent(tools=tools, llm=llm)
    turns: list[Turn] = []
    turn: Turn | None = None
    shown = ""
    show = Transcript(out)
    show.line(f"user: {question}")
    handler = agent.run(user_msg=question)
    async for event in handler.stream_events():
        if isinstance(event, AgentStream):
            if turn is None:
                turn = Turn()
                turns.append(turn)
                show.line(f"model turn {len(turns)}:")
            if event.delta:
                show.text(event.delta)
            calls = ", ".join(f"{c.tool_name}({c.tool_kwargs})" for c in event.tool_calls)
            if calls and calls != shown:
                show.line(f"  tool calls so far: {calls}")
                shown = calls
            finish = (event.raw or {}).get("finish_reason")
            if finish:
                turn.finish_reasons.append(finish)
                show.line(f"  finish_reason: {finish}")
        elif isinstance(event, AgentOutput) and turn is not None:
            turn.tool_calls = [(c.tool_name, dict(c.tool_kwargs)) for c in event.tool_calls]
            turn.text = str(event.response.content or "")
            turn, shown = None, ""
        elif isinstance(event, ToolCallResult):
            show.line(f"  tool result ({event.tool_name}): {event.tool_output.content}")
    result = await handler
    show.line(f"answer: {result.response.content}")
    return turns


def main(argv: list[str] | None = None) -> int:
    from langchain_vllm import ChatVLLM
    from llama_index_vllm import Vllm

    args = sys.argv[1:] if argv is None else argv
    question = " ".join(args) or QUESTION
    started = time.perf_counter()
    chat = ChatVLLM(temperature=0, max_tokens=128)
    print("== LangChain agent (create_agent + ChatVLLM), default model: smollm2-tools ==")
    print("(the vLLM engine starts in this process on the first call: about a minute here)")
    run_langchain_agent(chat, question)
    print(f"[{time.perf_counter() - started:.1f}s incl. engine start]\n")
    print("== LlamaIndex FunctionAgent (Vllm), the same engine ==")
    started = time.perf_counter()
    llm = Vllm(temperature=0, max_new_tokens=128)
    asyncio.run(run_llama_index_agent(llm, question))
    print(f"[{time.perf_counter() - started:.1f}s]")
    chat.close()
    return 0


if __name__ == "__main__":  # vLLM spawns its engine process, which re-imports this file
    sys.exit(main())
