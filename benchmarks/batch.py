"""Batch throughput: ``ChatVLLM.batch`` / ``abatch`` and LlamaIndex over N prompts, against vLLM's
offline ``LLM.chat`` with the same engine settings.

Every path gets the same N chats (``e2e.question``), the same two tools and the same sampling
(greedy, ``ignore_eos``, fixed ``max_tokens``, checked from the usage of every answer):

* ``offline``: ``vllm.LLM(...).chat(conversations, SamplingParams(...), tools=tools)``, the
  baseline (vLLM's own batch API: its own engine, created here with the in-process engine's
  resolved arguments);
* ``batch``: ``ChatVLLM.bind_tools(tools).batch(prompts)`` (all submitted at once);
* ``abatch``: the same with ``abatch``;
* ``llamaindex``: ``asyncio.gather`` of ``Vllm.achat(messages, tools=tools)`` over the prompts
  (LlamaIndex has no batch call; this is how one batches with it).

Throughput is completion tokens over the wall time of the whole batch; each path runs
``--repeat`` times, the order of paths alternated; the table shows medians and the ratio to
``offline``. Both engines live for the whole run (on a GPU give each a part of its memory with
``gpu_memory_utilization``). Never asserts; writes ``benchmarks/results/batch.json``.

Run::

    flock /tmp/vllm-engine.lock .venv/bin/python benchmarks/batch.py --prompts 64
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from e2e import TOOLS, question
from engine_bench import InProcess, add_engine_arguments, path_list, run_script, running_engine_args
from streams import conditions, table, write_results

PATHS = ("offline", "batch", "abatch", "llamaindex")
LABELS = {
    "offline": "LLM.chat (offline)",
    "batch": "ChatVLLM.batch",
    "abatch": "ChatVLLM.abatch",
    "llamaindex": "Vllm.achat (gather)",
}
Usage = tuple[int, int]
"""Prompt and completion tokens of one answer."""


class Batches:
    """One callable per path: runs the whole batch, returns every answer's usage."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.in_process = InProcess(args, TOOLS, "batch")
        self.max_tokens = self.in_process.max_tokens
        self.chat, self.llama = self.in_process.chat, self.in_process.llama
        self.engine = self.in_process.engine
        self.prompts: list[Any] = [question(i) for i in range(args.prompts)]
        self.offline_llm: Any = None

    def start_offline(self) -> None:
        from vllm import LLM

        self.offline_llm = LLM(model=self.engine.model, **running_engine_args(self.engine))

    def close_offline(self) -> None:
        """Shut the offline engine's core process down (``LLM`` has no ``close``)."""
        if self.offline_llm is not None:
            self.offline_llm.llm_engine.engine_core.shutdown()
            self.offline_llm = None

    def offline(self) -> list[Usage]:
        from vllm import SamplingParams

        params = SamplingParams(temperature=0, max_tokens=self.max_tokens, ignore_eos=True)
        conversations: list[Any] = [[{"role": "user", "content": p}] for p in self.prompts]
        outputs = self.offline_llm.chat(conversations, params, use_tqdm=False, tools=TOOLS)
        return [(len(o.prompt_token_ids or ()), len(o.outputs[0].token_ids)) for o in outputs]

    def batch(self) -> list[Usage]:
        return [_usage(m) for m in self.chat.batch(self.prompts)]

    def abatch(self) -> list[Usage]:
        return [_usage(m) for m in asyncio.run(self.chat.abatch(self.prompts))]

    def llamaindex(self) -> list[Usage]:
        from llama_index.core.base.llms.types import ChatMessage

        async def gather() -> list[Any]:
            return await asyncio.gather(
                *(
                    self.llama.achat([ChatMessage(role="user", content=p)], tools=TOOLS)
                    for p in self.prompts
                )
            )

        responses = asyncio.run(gather())
        info = [r.additional_kwargs for r in responses]
        return [(i["prompt_tokens"], i["completion_tokens"]) for i in info]

    def path(self, name: str) -> Callable[[], list[Usage]]:
        return {
            "offline": self.offline,
            "batch": self.batch,
            "abatch": self.abatch,
            "llamaindex": self.llamaindex,
        }[name]


def _usage(message: Any) -> Usage:
    usage = message.usage_metadata
    return usage["input_tokens"], usage["output_tokens"]


def measure(batches: Batches, name: str) -> dict[str, Any]:
    start = time.perf_counter()
    usages = batches.path(name)()
    wall = time.perf_counter() - start
    wrong = {c for _, c in usages} - {batches.max_tokens}
    if wrong:
        raise RuntimeError(
            f"{LABELS[name]}: answers of {sorted(wrong)} tokens, not max_tokens="
            f"{batches.max_tokens}: ignore_eos was not honoured (or the context is too short)"
        )
    tokens = sum(c for _, c in usages)
    return {
        "wall_s": wall,
        "completion_tokens": tokens,
        "prompt_tokens": sorted({p for p, _ in usages}),
        "tokens_per_s": tokens / wall,
    }


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    names = [p for p in PATHS if p in args.paths]
    batches = Batches(args)
    try:
        if "offline" in names:
            batches.start_offline()
        for name in names:  # lazy set-up, not measured
            batches.path(name)()
        runs = []
        for rep in range(args.repeat):
            for name in names if rep % 2 == 0 else names[::-1]:
                result = measure(batches, name)
                runs.append({"path": name, "repetition": rep, **result})
                print(
                    f"rep {rep} {LABELS[name]:<20} {result['tokens_per_s']:8.1f} tok/s "
                    f"({result['wall_s']:.2f} s; prompt tokens {result['prompt_tokens']})",
                    flush=True,
                )
        settings = {
            "model": batches.engine.model,
            "engine_args": running_engine_args(batches.engine),
            "prompts": args.prompts,
            "max_tokens": args.max_tokens,
            "repeat": args.repeat,
            "tools": [t["function"]["name"] for t in TOOLS],
        }
    finally:
        batches.close_offline()
        batches.in_process.close()
    return {"conditions": conditions(), "settings": settings, "runs": runs}


def report(results: dict[str, Any]) -> str:
    by_path: dict[str, list[float]] = {}
    for run in results["runs"]:
        by_path.setdefault(run["path"], []).append(run["tokens_per_s"])
    med = {p: statistics.median(v) for p, v in by_path.items()}
    base = med.get("offline")
    rows = [
        [
            LABELS[p],
            f"{med[p]:.1f}",
            f"{med[p] / base:.2f}x" if base else "-",
            " / ".join(f"{v:.1f}" for v in by_path[p]),
        ]
        for p in PATHS
        if p in med
    ]
    s = results["settings"]
    title = f"{s['prompts']} prompts x {s['max_tokens']} tokens, {len(s['tools'])} tools bound"
    headers = ["path", "tokens/s (median)", "vs offline", "each repetition"]
    return f"Batch throughput ({title})\n\n" + table(headers, rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_engine_arguments(parser)
    parser.add_argument("--prompts", type=int, default=64, help="N, the batch size")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per answer")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (order alternated)")
    parser.add_argument("--paths", type=path_list(PATHS), default=list(PATHS), help=",".join(PATHS))
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    results = benchmark(args)
    print("\n" + report(results))
    if not args.no_write:
        print(f"\nwritten to {write_results('batch', results)}")
    return results


if __name__ == "__main__":
    run_script(main)
