"""CPU the frontend spends per request and per token when the engine costs nothing.

A GPU generates thousands of tokens a second; what limits a process then is the CPU its frontend
spends around the engine. ``ScriptedEngine`` replays answers at unlimited speed, so what is
measured here is our code and the frameworks' (the scripted engine's own work, measured alone
as the ``engine`` row, is subtracted in the "frontend" columns).

* per request: a one-token answer with 0, 2 and 20 tools bound (``--tools``): fixed CPU per request
  (argument checks, tool validation, the structured-output plan, rendering, sampling parameters,
  the framework's own run bookkeeping);
* per token: one plain-text answer of 100 to 32,000 tokens (``--tokens``), one token per delta:
  ``(CPU of the long answer - CPU of a one-token answer) / tokens``; flat along the sizes means the
  cost does not grow with the message.

Paths: the core (``ChatClient.stream`` / ``astream``), LangChain ``ChatVLLM`` (``stream``,
``astream``, ``invoke``) and LlamaIndex ``Vllm`` (``stream_chat``, ``astream_chat``, ``chat``).
CPU is ``time.process_time`` (all threads), the median of ``--repeat`` runs, garbage collector on
(as users run; ``--no-gc`` turns it off, to tell building objects from collecting them). Never
asserts; prints tables and writes ``benchmarks/results/frontend.json``.

Run: ``.venv/bin/python benchmarks/frontend.py [--tools 0,2,20] [--tokens 100,1000,8000,32000]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import statistics
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from streams import conditions, table, write_results

from vllm_native.chat import ChatClient
from vllm_native.engine import RenderedPrompt
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest, ToolSpec

QUESTION = "What is the weather in Paris, and what is 12 * 7?"
MESSAGES = [{"role": "user", "content": QUESTION}]
Run = Callable[[], Any]
"""One request; returns ``None`` (sync) or an awaitable (async paths)."""
Path = Callable[[ScriptedEngine, list[ToolSpec]], Run]


def make_tools(n: int) -> list[ToolSpec]:
    """``get_weather``, ``calculate``, then tools with a few typed parameters each."""
    base: list[ToolSpec] = [
        _tool("get_weather", "Current weather in a city.", {"city": {"type": "string"}}),
        _tool(
            "calculate", "Evaluate an arithmetic expression.", {"expression": {"type": "string"}}
        ),
    ]
    for i in range(len(base), n):
        params = {
            "query": {"type": "string", "description": "What to look up."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
            "mode": {"type": "string", "enum": ["fast", "exact"]},
        }
        base.append(_tool(f"lookup_{i}", f"Look things up in source {i}.", params))
    return base[:n]


def _tool(name: str, description: str, properties: dict[str, Any]) -> ToolSpec:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": [*properties]},
        },
    }


# -- paths ---------------------------------------------------------------------------------------


def engine_only(engine: ScriptedEngine, tools: list[ToolSpec]) -> Run:
    """The scripted engine's own work (render + replay): subtracted from the other rows."""
    from vllm.sampling_params import RequestOutputKind, SamplingParams

    params = SamplingParams(output_kind=RequestOutputKind.DELTA, max_tokens=64)

    def run() -> None:
        prompt: RenderedPrompt = engine.render(MESSAGES, tools or None)
        deque(engine.stream(prompt, params), maxlen=0)

    return run


def core_stream(engine: ScriptedEngine, tools: list[ToolSpec]) -> Run:
    client = ChatClient(engine=engine, tool_parser="hermes")
    return lambda: deque(client.stream(ChatRequest(MESSAGES, tools=tools or None)), maxlen=0)


def core_astream(engine: ScriptedEngine, tools: list[ToolSpec]) -> Run:
    client = ChatClient(engine=engine, tool_parser="hermes")

    async def run() -> None:
        async for _ in client.astream(ChatRequest(MESSAGES, tools=tools or None)):
            pass

    return run


def _chat_vllm(engine: ScriptedEngine, tools: list[ToolSpec]) -> Any:
    from langchain_vllm import ChatVLLM

    model = ChatVLLM(engine=engine, tool_parser="hermes")
    return model.bind_tools(tools) if tools else model


def chatvllm_stream(engine: ScriptedEngine, tools: list[ToolSpec]) -> Run:
    model = _chat_vllm(engine, tools)
    return lambda: deque(model.stream(QUESTION), maxlen=0)


def chatvllm_astream(engine: ScriptedEngine, tools: list[ToolSpec]) -> Run:
    model = _chat_vllm(engine, tools)

    async def run() -> None:
        async for _ in model.astream(QUESTION):
            pass

    return run


def chatvllm_invoke(engine: ScriptedEngine, tools: list[ToolSpec]) -> Run:
    model = _chat_vllm(engine, tools)
    return lambda: model.invoke(QUESTION)


def _llama(engine: ScriptedEngine) -> tuple[Any, list[Any]]:
    from llama_index.core.base.llms.types import ChatMessage

    from llama_index_vllm import Vllm

    return Vllm(engine=engine, tool_parser="hermes"), [ChatMessage(role="user", content=QUESTION)]


def vllm_stream_chat(engine: ScriptedEngine, tools: list[ToolSpec]) -> Run:
    llm, messages = _llama(engine)
    return lambda: deque(llm.stream_chat(messages, tools=tools or None), maxlen=0)


def vllm_astream_chat(engine: ScriptedEngine, tools: list[ToolSpec]) -> Run:
    llm, messages = _llama(engine)

    async def run() -> None:
        async for _ in await llm.astream_chat(messages, tools=tools or None):
            pass

    return run


def vllm_chat(engine: ScriptedEngine, tools: list[ToolSpec]) -> Run:
    llm, messages = _llama(engine)
    return lambda: llm.chat(messages, tools=tools or None)


PATHS: dict[str, Path] = {
    "engine": engine_only,
    "core stream": core_stream,
    "core astream": core_astream,
    "ChatVLLM.stream": chatvllm_stream,
    "ChatVLLM.astream": chatvllm_astream,
    "ChatVLLM.invoke": chatvllm_invoke,
    "Vllm.stream_chat": vllm_stream_chat,
    "Vllm.astream_chat": vllm_astream_chat,
    "Vllm.chat": vllm_chat,
}


# -- measuring -----------------------------------------------------------------------------------


def cpu_seconds(path: Path, tools: list[ToolSpec], answer: str, requests: int) -> float:
    """CPU seconds per request over ``requests`` sequential requests answered with ``answer``,
    after one warm-up request (imports, lazy set-up)."""
    run = path(ScriptedEngine([answer] * (requests + 1)), tools)
    first = run()
    if not inspect.isawaitable(first):
        start = time.process_time()
        for _ in range(requests):
            run()
        return (time.process_time() - start) / requests

    async def many() -> float:
        await first
        start = time.process_time()
        for _ in range(requests):
            await run()
        return time.process_time() - start

    return asyncio.run(many()) / requests


def median_of(repeat: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", default="0,2,20", help="tool counts for the per-request cost")
    parser.add_argument("--tokens", default="100,1000,8000,32000", help="answer lengths")
    parser.add_argument("--requests", type=int, default=300, help="requests per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell (median)")
    parser.add_argument("--paths", default=",".join(PATHS), help="which paths (comma-separated)")
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    parser.add_argument(
        "--no-gc",
        action="store_true",
        help="garbage collector off (what objects cost to build, apart from the collections "
        "that objects kept alive along a stream cause)",
    )
    args = parser.parse_args()
    if args.no_gc:
        gc.disable()
    tool_counts = [int(n) for n in args.tools.split(",")]
    lengths = [int(n) for n in args.tokens.split(",")]
    paths = {name: PATHS[name] for name in args.paths.split(",")}
    if "engine" not in paths:
        paths = {"engine": engine_only, **paths}

    per_request: dict[str, dict[int, float]] = {}
    for name, path in paths.items():
        per_request[name] = {
            n: median_of(
                args.repeat, lambda p=path, n=n: cpu_seconds(p, make_tools(n), "ok", args.requests)
            )
            for n in tool_counts
        }
    per_token: dict[str, dict[int, float]] = {}
    for name, path in paths.items():
        fixed = median_of(args.repeat, lambda p=path: cpu_seconds(p, [], "ok", 20))
        per_token[name] = {}
        for tokens in lengths:
            answer = "tok " * (tokens - 1) + "end"
            reqs = max(2, min(20, 20_000 // tokens))
            total = median_of(
                args.repeat, lambda p=path, a=answer, r=reqs: cpu_seconds(p, [], a, r)
            )
            per_token[name][tokens] = max(total - fixed, 0.0) / (tokens - 1)

    engine_req, engine_tok = per_request["engine"], per_token["engine"]
    request_rows = []
    for name in paths:
        row: list[Any] = [name]
        row += [f"{per_request[name][n] * 1e3:.3f}" for n in tool_counts]
        if name != "engine":
            row += [f"{(per_request[name][n] - engine_req[n]) * 1e3:.3f}" for n in tool_counts]
            frontend = per_request[name][2 if 2 in tool_counts else tool_counts[0]]
            row.append(f"{1 / frontend:,.0f}")
        else:
            row += ["-"] * len(tool_counts) + [f"{1 / engine_req[tool_counts[0]]:,.0f}"]
        request_rows.append(row)
    headers = ["path", *(f"ms, {n} tools" for n in tool_counts)]
    headers += [*(f"frontend ms, {n} tools" for n in tool_counts), "requests/s (one core)"]
    print("CPU per request (one-token answer)\n")
    print(table(headers, request_rows))

    token_rows = []
    for name in paths:
        row = [name, *(f"{per_token[name][t] * 1e6:.2f}" for t in lengths)]
        if name != "engine":
            row += [f"{(per_token[name][t] - engine_tok[t]) * 1e6:.2f}" for t in lengths]
            row.append(f"{1 / max(per_token[name][lengths[-1]], 1e-9):,.0f}")
        else:
            row += ["-"] * len(lengths) + [f"{1 / max(engine_tok[lengths[-1]], 1e-9):,.0f}"]
        token_rows.append(row)
    headers = ["path", *(f"us/token, {t}" for t in lengths)]
    headers += [*(f"frontend us, {t}" for t in lengths), f"tokens/s at {lengths[-1]} (one core)"]
    print("\nCPU per token (plain text, one token per delta)\n")
    print(table(headers, token_rows))
    if not args.no_write:
        path = write_results(
            "frontend",
            {
                "conditions": conditions(),
                "garbage_collector": not args.no_gc,
                "per_request_seconds": per_request,
                "per_token_seconds": per_token,
                "tool_counts": tool_counts,
                "lengths": lengths,
            },
        )
        print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
