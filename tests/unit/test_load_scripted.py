"""Load on the scripted engine: 64 concurrent streams, sync and async, no cross-talk."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import tracemalloc

from vllm_native.chat import ChatClient
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest, Finish, TextDelta, ToolCallDelta

TOOLS = [{"type": "function", "function": {"name": "echo", "parameters": {"type": "object"}}}]
N = 64


def response(i: int) -> str:
    if i % 2:
        return f"answer number {i} " * 5
    call = json.dumps({"name": "echo", "arguments": {"n": i, "text": f"payload {i}"}})
    return f"calling {i} <tool_call>{call}</tool_call>"


def check(i: int, events: list) -> None:
    finishes = [e for e in events if isinstance(e, Finish)]
    assert len(finishes) == 1 and events[-1] is finishes[0]
    message = finishes[0].message
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == message.content
    if i % 2:
        assert message.content == f"answer number {i} " * 5
        assert message.finish_reason == "stop" and not message.tool_calls
    else:
        assert message.content == f"calling {i}"
        (call,) = message.tool_calls
        assert call.arguments == {"n": i, "text": f"payload {i}"}
        args = "".join(e.arguments for e in events if isinstance(e, ToolCallDelta))
        assert json.loads(args) == call.arguments
        assert message.finish_reason == "function_call"


def requests() -> list[ChatRequest]:
    return [ChatRequest([{"role": "user", "content": f"q{i}"}], tools=TOOLS) for i in range(N)]


def test_64_concurrent_sync_streams_each_get_their_own_result():
    client = ChatClient(engine=ScriptedEngine([response(i) for i in range(N)], seed=7))
    streams = [client.stream(r) for r in requests()]  # responses are taken in this order
    results: dict[int, list] = {}

    def consume(i: int) -> None:
        results[i] = list(streams[i])

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(N):
        check(i, results[i])


def test_64_concurrent_async_streams_each_get_their_own_result():
    async def main() -> list[list]:
        engine = ScriptedEngine([response(i) for i in range(N)], chunks=3)
        client = ChatClient(engine=engine)

        async def one(request: ChatRequest) -> list:
            return [e async for e in client.astream(request)]

        # start in order so response i belongs to request i, then interleave
        gens = [client.astream(r) for r in requests()]
        firsts = [await g.__anext__() for g in gens]

        async def rest(k: int) -> list:
            return [firsts[k]] + [e async for e in gens[k]]

        return list(await asyncio.gather(*(rest(k) for k in range(N))))

    for i, events in enumerate(asyncio.run(main())):
        check(i, events)


def test_memory_returns_to_baseline_after_load():
    def run_load() -> None:
        client = ChatClient(engine=ScriptedEngine([response(i) for i in range(N)], seed=1))
        for message, i in zip(client.chat_batch(requests()), range(N), strict=True):
            assert message.usage.completion_tokens > 0, i

    run_load()  # warm caches (imports, regexes)
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    for _ in range(3):
        run_load()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - baseline < 512 * 1024, f"{after - baseline} bytes retained after load"
