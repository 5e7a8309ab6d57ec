"""Rendering prompts from many threads at once: serialized (what the engine does) against
overlapping (vLLM's renderer called freely), on the real engine's renderer, in one process.

vLLM's tokenizer pool deep-copies the tokenizer for every call that finds it busy and keeps each
copy. Overlapping renders therefore grow memory with the peak number of concurrent renders, while
the rendering itself (Jinja in Python, plus tokenizing) mostly holds the GIL. This measures both:
renders per second and how much the process grew (resident size after ``malloc_trim``).

Serialized runs first: its lock keeps the pool at its starting size, so the overlapping run
starts from the same state; overlapping runs a second time with the pool already grown (the steady
state of a long-lived process: no more copies made). Each run renders a chat with a tool from
``--threads`` threads, ``--renders`` times each. Never asserts; prints a table and writes
``benchmarks/results/concurrent_render.json``.

Run: ``.venv/bin/python benchmarks/concurrent_render.py [--threads 8] [--renders 40]``
(starts the engine of the default model: about a minute on a 2-core CPU).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import threading
import time
from typing import Any

import psutil
from streams import conditions, table, write_results

from vllm_native.chat import ChatClient

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the weather in the capital of France?"},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
                "required": ["city"],
            },
        },
    }
]


def resident_bytes() -> int:
    """The process's resident size once garbage is collected and free heap pages returned."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return psutil.Process().memory_info().rss


def run(engine: Any, threads: int, renders: int) -> tuple[float, int]:
    """(renders per second, bytes the process grew) for ``threads`` x ``renders`` renders."""
    start_barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        start_barrier.wait()
        for _ in range(renders):
            engine.render(MESSAGES, TOOLS)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    before = resident_bytes()
    start_barrier.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    return threads * renders / elapsed, resident_bytes() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--renders", type=int, default=40, help="renders per thread")
    args = parser.parse_args()

    client = ChatClient()
    engine = client.engine
    try:
        engine.render(MESSAGES, TOOLS)  # starts the engine, warms the template
        rows, results = [], {}
        serialized_lock = engine._tokenizer_lock
        for mode, lock in (
            ("serialized", serialized_lock),
            ("overlapping", contextlib.nullcontext()),
            ("overlapping again", contextlib.nullcontext()),
        ):
            engine._tokenizer_lock = lock
            rate, grown = run(engine, args.threads, args.renders)
            results[mode] = {"renders_per_s": round(rate, 1), "grown_mib": round(grown / 2**20, 1)}
            rows.append([mode, f"{rate:.1f}", f"{grown / 2**20:+.1f}"])
        engine._tokenizer_lock = serialized_lock
    finally:
        client.close()
    ratio = results["serialized"]["renders_per_s"] / results["overlapping again"]["renders_per_s"]
    print(table(["renders", "renders/s", "process grew (MiB)"], rows))
    print(f"serialized / overlapping (pool grown) throughput: {ratio:.2f}x")
    path = write_results(
        "concurrent_render",
        {
            "conditions": conditions(),
            "threads": args.threads,
            "renders_per_thread": args.renders,
            "results": results,
            "serialized_over_overlapping_again": round(ratio, 2),
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
