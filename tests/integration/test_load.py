"""16 concurrent streams on the real CPU engine: text and tool calls, sync and async at once."""

from __future__ import annotations

import asyncio
import gc
import threading

import psutil
import pytest

from vllm_native.chat import ChatClient
from vllm_native.types import ChatRequest, Finish, SamplingOptions

pytestmark = pytest.mark.engine

CITY_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
COUNTRIES = ["France", "Germany", "Italy", "Spain", "Japan", "England", "Russia", "China"]


def requests() -> list[ChatRequest]:
    greedy = SamplingOptions(temperature=0, max_tokens=20)
    text = [
        ChatRequest([{"role": "user", "content": f"What is the capital of {c}?"}], sampling=greedy)
        for c in COUNTRIES
    ]
    tools = [
        ChatRequest(
            [{"role": "user", "content": f"What is the weather in the capital of {c}?"}],
            tools=[CITY_TOOL],
            tool_choice="get_weather",
            sampling=greedy,
        )
        for c in COUNTRIES
    ]
    return text + tools


def summary(events: list) -> tuple:
    finishes = [e for e in events if isinstance(e, Finish)]
    assert len(finishes) == 1 and events[-1] is finishes[0]
    m = finishes[0].message
    return m.content, [(c.name, c.arguments) for c in m.tool_calls], m.finish_reason


def run_concurrently(client: ChatClient, reqs: list[ChatRequest]) -> list[tuple]:
    """All requests at once: even ones from 8 threads (sync), odd ones from one asyncio loop."""
    results: dict[int, tuple] = {}

    def sync_worker(i: int) -> None:
        results[i] = summary(list(client.stream(reqs[i])))

    def async_worker() -> None:
        async def one(i: int) -> None:
            results[i] = summary([e async for e in client.astream(reqs[i])])

        async def main() -> None:
            await asyncio.gather(*(one(i) for i in range(1, len(reqs), 2)))

        asyncio.run(main())

    threads = [threading.Thread(target=sync_worker, args=(i,)) for i in range(0, len(reqs), 2)]
    threads.append(threading.Thread(target=async_worker))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    return [results[i] for i in range(len(reqs))]


def test_16_concurrent_streams_sync_and_async_without_cross_talk():
    client = ChatClient()
    reqs = requests()
    alone = [summary(list(client.stream(r))) for r in reqs]
    assert all(reason == "function_call" for _, _, reason in alone[8:])
    assert run_concurrently(client, reqs) == alone
    # The first round warms one-time state (a malloc arena per thread, caches); a leak would
    # grow with every round, so memory is compared across a second, identical round.
    gc.collect()
    rss_before = psutil.Process().memory_info().rss
    assert run_concurrently(client, reqs) == alone
    gc.collect()
    grown = psutil.Process().memory_info().rss - rss_before
    assert grown < 64 * 2**20, f"memory grew by {grown / 2**20:.0f} MiB in the second round"
