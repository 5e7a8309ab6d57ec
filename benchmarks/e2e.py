"""End to end: streaming throughput, time to first token and frontend CPU per token, in-process
against ``vllm serve``, at several levels of concurrency.

Four paths, in one run, with the same tools, prompts and sampling (greedy, ``ignore_eos``, a fixed
``max_tokens``, checked from each response's usage):

* ``raw``: vLLM's ``AsyncLLM`` of the package's own engine, driven on the engine's event loop with
  the prompt token ids the engine renders (no framework, no parsing): the baseline;
* ``chatvllm``: ``ChatVLLM.bind_tools(tools).astream(...)`` (LangChain);
* ``llamaindex``: ``Vllm.astream_chat(messages, tools=tools)`` (LlamaIndex);
* ``server``: ``vllm serve`` started here on 127.0.0.1 (same model, engine arguments, chat
  template and tool-call parser; stopped by its PID afterwards), driven by
  ``langchain_openai.ChatOpenAI(streaming=True).bind_tools(tools).astream(...)``.

Each level is a closed loop: ``streams`` concurrent clients, each sending its next request when
the last one ended. Throughput is completion tokens over wall time. TTFT is the time until the
first visible output (a content or tool-call chunk; the first token for ``raw``). Frontend CPU is
all CPU outside vLLM's engine core: this process for the in-process paths (frameworks, vLLM's
``AsyncLLM`` output handling, the benchmark's own client loop), this process plus the API
server's process for ``server``; the split by thread and process is in the results file. Levels
run in order, every path at each level, ``--repeat`` times with the order of paths alternated;
the tables show medians over repetitions. Never asserts; writes ``benchmarks/results/e2e.json``.

Run (CPU, the default model; both engines live for the whole run)::

    flock /tmp/vllm-engine.lock .venv/bin/python benchmarks/e2e.py --plot docs/img/e2e.png

On a GPU, any model (two engines share the GPU: give each a part of its memory)::

    python benchmarks/e2e.py --model Qwen/Qwen3-8B --levels 64,128,256 --max-tokens 256 \\
        --engine-args '{"max_model_len": 8192, "gpu_memory_utilization": 0.45}'
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cpu_meter import CpuSnapshot, cpu_used
from engine_bench import (
    InProcess,
    add_engine_arguments,
    path_list,
    run_script,
    running_engine_args,
)
from frontend import make_tools
from streams import conditions, table, write_results

PATHS = ("raw", "chatvllm", "llamaindex", "server")
LABELS = {
    "raw": "raw AsyncLLM",
    "chatvllm": "ChatVLLM.astream",
    "llamaindex": "Vllm.astream_chat",
    "server": "vllm serve + ChatOpenAI",
}
TOOLS = make_tools(2)  # get_weather, calculate
CITIES = ("Paris", "Rome", "Oslo", "Lima", "Cairo", "Tokyo", "Quito", "Perth")


def question(i: int) -> str:
    """The ``i``-th prompt (eight variants, so requests do not all share one prompt)."""
    return f"What is the weather in {CITIES[i % len(CITIES)]}, and what is {12 + i % 7} * 7?"


def text_question(i: int) -> str:
    """The ``i``-th prompt of ``--questions text``: one the model answers in text, with the
    same tools bound, so every path's first visible output is the answer's first token."""
    return f"Write a short poem about {CITIES[i % len(CITIES)]} at night."


QUESTIONS = {"tools": question, "text": text_question}
"""``--questions``: ``tools`` answers open with a tool call, whose first chunk waits for the
call's name (several tokens); ``text`` measures time to first token on every path alike."""


@dataclass
class Sample:
    """One request: seconds to its first visible output, and its usage."""

    ttft: float
    prompt_tokens: int
    completion_tokens: int


Request = Callable[[int], Awaitable[Sample]]
"""Sends request ``i`` and returns its sample."""

T = TypeVar("T")


async def closed_loop(request: Request, streams: int, total: int) -> list[Sample]:
    """``total`` requests from ``streams`` concurrent clients, each sending its next request as
    soon as its last one ended."""
    numbers: Iterator[int] = iter(range(total))
    samples: list[Sample] = []

    async def client() -> None:
        for i in numbers:
            samples.append(await request(i))

    await asyncio.gather(*(client() for _ in range(streams)))
    return samples


def _sample(start: float, first: float | None, prompt: int, completion: int) -> Sample:
    end = time.perf_counter()
    return Sample((first or end) - start, prompt, completion)


# -- the four paths ------------------------------------------------------------------------------


class Paths:
    """The paths' clients on one shared in-process engine (and the server, when started)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.in_process = InProcess(args, TOOLS, "end-to-end")
        self.max_tokens = self.in_process.max_tokens
        self.chat, self.llama = self.in_process.chat, self.in_process.llama
        self.client, self.engine = self.in_process.client, self.in_process.engine
        self.ask = QUESTIONS[args.questions]
        self.prompt_ids = [
            self.engine.render([{"role": "user", "content": self.ask(i)}], TOOLS).token_ids
            for i in range(len(CITIES))
        ]
        self.openai: Any = None
        self.server: Any = None

    @property
    def tool_parser(self) -> str:
        """What the in-process paths parse with: given, or detected from the model."""
        detected = self.client.detection().tool_parser
        return self.client.tool_parser or detected or "hermes"

    def start_server(self, stack: ExitStack, reasoning_parser: str | None) -> None:
        from langchain_openai import ChatOpenAI
        from vllm_server import VllmServer

        self.server = stack.enter_context(
            VllmServer(
                self.engine.model,
                served_name="bench",
                engine_args=running_engine_args(self.engine),
                chat_template=self.engine.chat_template(),
                tool_parser=self.tool_parser,
                reasoning_parser=reasoning_parser,
            )
        )
        self.openai = ChatOpenAI(
            model="bench",
            base_url=self.server.base_url,
            api_key="EMPTY",  # type: ignore[arg-type]
            streaming=True,
            stream_usage=True,
            temperature=0,
            max_tokens=self.max_tokens,  # type: ignore[call-arg]
            extra_body={"ignore_eos": True},
            max_retries=0,
            timeout=900,
        ).bind_tools(TOOLS)

    # one request per path ---------------------------------------------------------------------

    async def raw(self, i: int) -> Sample:
        """Runs on the engine's own loop (see ``run``)."""
        from vllm.inputs import TokensPrompt
        from vllm.sampling_params import RequestOutputKind, SamplingParams

        params = SamplingParams(
            temperature=0,
            max_tokens=self.max_tokens,
            ignore_eos=True,
            output_kind=RequestOutputKind.DELTA,
        )
        ids = self.prompt_ids[i % len(self.prompt_ids)]
        start, first, completion, prompt = time.perf_counter(), None, 0, 0
        async for out in self.engine._llm.generate(
            TokensPrompt(prompt_token_ids=list(ids or ())), params, f"bench-{uuid.uuid4().hex}"
        ):
            tokens = len(out.outputs[0].token_ids) if out.outputs else 0
            if first is None and tokens:
                first = time.perf_counter()
            completion += tokens
            prompt = len(out.prompt_token_ids or ())
        return _sample(start, first, prompt, completion)

    async def chatvllm(self, i: int) -> Sample:
        start, first, usage = time.perf_counter(), None, None
        async for chunk in self.chat.astream(self.ask(i)):
            if first is None and (chunk.content or getattr(chunk, "tool_call_chunks", None)):
                first = time.perf_counter()
            usage = chunk.usage_metadata or usage
        assert usage is not None, "ChatVLLM streamed no usage"
        return _sample(start, first, usage["input_tokens"], usage["output_tokens"])

    async def llamaindex(self, i: int) -> Sample:
        from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock

        start, first, last = time.perf_counter(), None, None
        messages = [ChatMessage(role="user", content=self.ask(i))]
        async for response in await self.llama.astream_chat(messages, tools=TOOLS):
            if first is None and (
                response.delta or any(isinstance(b, ToolCallBlock) for b in response.message.blocks)
            ):
                first = time.perf_counter()
            last = response
        assert last is not None, "Vllm streamed nothing"
        info = last.additional_kwargs
        return _sample(start, first, info["prompt_tokens"], info["completion_tokens"])

    async def server_path(self, i: int) -> Sample:
        start, first, usage = time.perf_counter(), None, None
        async for chunk in self.openai.astream(self.ask(i)):
            if first is None and (chunk.content or getattr(chunk, "tool_call_chunks", None)):
                first = time.perf_counter()
            usage = chunk.usage_metadata or usage
        assert usage is not None, "the server streamed no usage"
        return _sample(start, first, usage["input_tokens"], usage["output_tokens"])

    async def run(self, path: str, streams: int, total: int) -> list[Sample]:
        """``total`` requests on ``path`` from ``streams`` concurrent clients."""
        if path == "raw":
            return await self._on_engine_loop(closed_loop(self.raw, streams, total))
        return await closed_loop(self._request(path), streams, total)

    async def once(self, path: str, i: int) -> Sample:
        """Request ``i`` on ``path``, alone."""
        if path == "raw":
            return await self._on_engine_loop(self.raw(i))
        return await self._request(path)(i)

    def _request(self, path: str) -> Request:
        return {
            "chatvllm": self.chatvllm,
            "llamaindex": self.llamaindex,
            "server": self.server_path,
        }[path]

    async def _on_engine_loop(self, work: Coroutine[Any, Any, T]) -> T:
        """AsyncLLM belongs to the engine's loop: raw requests are driven there."""
        loop = self.engine._loop
        assert loop is not None, "the engine is started in __init__"
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))

    def roles(self) -> dict[str, int]:
        roles = {"client": os.getpid()}
        if self.server is not None:
            roles["server"] = self.server.pid
        return roles


# -- measuring -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (linear between closest ranks)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


async def measure(paths: Paths, path: str, streams: int, total: int) -> dict[str, Any]:
    """One level of one path: throughput, TTFT, CPU per token by process and thread."""
    roles = paths.roles()
    before = CpuSnapshot.take(roles)
    start = time.perf_counter()
    samples = await paths.run(path, streams, total)
    wall = time.perf_counter() - start
    used = cpu_used(before, CpuSnapshot.take(roles))
    tokens = sum(s.completion_tokens for s in samples)
    wrong = {s.completion_tokens for s in samples} - {paths.max_tokens}
    if wrong:
        raise RuntimeError(
            f"{LABELS[path]}: answers of {sorted(wrong)} tokens, not max_tokens="
            f"{paths.max_tokens}: ignore_eos was not honoured (or the context is too short)"
        )
    frontend_roles = ["client", "server"] if path == "server" else ["client"]
    frontend = sum(used.seconds(role) for role in frontend_roles)
    engine_role = "server" if path == "server" else "client"
    split = {
        f"{role}: {group}": seconds / tokens * 1e3
        for role in frontend_roles
        for group, seconds in sorted(used.threads[role].items())
        if seconds / tokens * 1e3 >= 0.001
    }
    ttfts = [s.ttft for s in samples]
    return {
        "streams": streams,
        "requests": total,
        "completion_tokens": tokens,
        "prompt_tokens": sorted({s.prompt_tokens for s in samples}),
        "wall_s": wall,
        "tokens_per_s": tokens / wall,
        "ttft_p50_ms": percentile(ttfts, 50) * 1e3,
        "ttft_p95_ms": percentile(ttfts, 95) * 1e3,
        "frontend_cpu_ms_per_token": frontend / tokens * 1e3,
        "engine_core_cpu_ms_per_token": used.children[engine_role] / tokens * 1e3,
        "frontend_cpu_split_ms_per_token": split,
    }


def started_paths(args: argparse.Namespace, paths_run: Sequence[str], stack: ExitStack) -> Paths:
    """The paths on a started engine, and ``vllm serve`` when ``paths_run`` has the server;
    ``stack`` stops what was started here."""
    paths = Paths(args)
    stack.callback(paths.in_process.close)
    if "server" in paths_run:
        print(f"starting vllm serve (tool parser {paths.tool_parser}) ...", flush=True)
        paths.start_server(stack, args.reasoning_parser)
    return paths


async def benchmark(args: argparse.Namespace, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs every level of every path; each finished measurement is appended to ``runs`` as it
    ends (so a run cut short still has them)."""
    paths_run = [p for p in PATHS if p in args.paths]
    with ExitStack() as stack:
        paths = started_paths(args, paths_run, stack)
        for path in paths_run:  # imports, connections, lazy set-up: not measured
            await paths.run(path, min(4, max(args.levels)), min(4, max(args.levels)))
        for rep in range(args.repeat):
            order = paths_run if rep % 2 == 0 else paths_run[::-1]
            for streams in args.levels:
                total = max(streams * args.requests_per_stream, args.min_requests)
                for path in order:
                    result = await measure(paths, path, streams, total)
                    runs.append({"path": path, "repetition": rep, **result})
                    print(
                        f"rep {rep} streams {streams:>3} {LABELS[path]:<24} "
                        f"{result['tokens_per_s']:8.1f} tok/s  TTFT p50 "
                        f"{result['ttft_p50_ms']:7.1f} ms  frontend CPU "
                        f"{result['frontend_cpu_ms_per_token']:.3f} ms/token  prompt tokens "
                        f"{result['prompt_tokens']}",
                        flush=True,
                    )
        settings = {
            "model": paths.engine.model,
            "engine_args": running_engine_args(paths.engine),
            "tool_parser": paths.tool_parser,
            "tools": [t["function"]["name"] for t in TOOLS],
            "max_tokens": args.max_tokens,
            "questions": args.questions,
            "levels": args.levels,
            "repeat": args.repeat,
            "requests_per_stream": args.requests_per_stream,
            "min_requests": args.min_requests,
            "paths": paths_run,
        }
    return {"conditions": conditions(), "settings": settings, "runs": runs}


# -- reporting -----------------------------------------------------------------------------------


def medians(runs: list[dict[str, Any]]) -> dict[str, dict[int, dict[str, float]]]:
    """path -> streams -> metric -> median over repetitions."""
    keys = ["tokens_per_s", "ttft_p50_ms", "ttft_p95_ms", "frontend_cpu_ms_per_token"]
    keys.append("engine_core_cpu_ms_per_token")
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for run in runs:
        grouped.setdefault((run["path"], run["streams"]), []).append(run)
    out: dict[str, dict[int, dict[str, float]]] = {}
    for (path, streams), group in grouped.items():
        cell = {k: statistics.median(r[k] for r in group) for k in keys}
        splits = [r["frontend_cpu_split_ms_per_token"] for r in group]
        for name in sorted({n for s in splits for n in s}):
            cell[f"split {name}"] = statistics.median(s.get(name, 0.0) for s in splits)
        out.setdefault(path, {})[streams] = cell
    return out


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base > 0 else "-"


def report(results: dict[str, Any]) -> str:
    """The Markdown tables of a run (medians over repetitions)."""
    med = medians(results["runs"])
    paths = [p for p in PATHS if p in med]
    # a run cut short: only the levels every path reached
    levels = sorted(set.intersection(*(set(med[p]) for p in paths)))
    out = []
    headers = ["streams", *(LABELS[p] + (" tok/s" if p == "raw" else "") for p in paths)]
    rows = []
    for s in levels:
        base = med["raw"][s]["tokens_per_s"] if "raw" in med else 0.0
        row: list[Any] = [s]
        for p in paths:
            value = med[p][s]["tokens_per_s"]
            row.append(f"{value:.1f}" if p == "raw" or not base else _ratio(value, base))
        rows.append(row)
    out += [
        "Throughput (completion tokens/s; the others as a ratio to raw)\n",
        table(headers, rows),
    ]

    headers = ["streams", *(f"{LABELS[p]} p50 / p95" for p in paths)]
    if "raw" in med and "server" in med:
        headers += [f"added p50: {LABELS[p]} / server" for p in paths if p in PATHS[1:3]]
    rows = []
    for s in levels:
        row = [
            s,
            *(f"{med[p][s]['ttft_p50_ms']:.0f} / {med[p][s]['ttft_p95_ms']:.0f}" for p in paths),
        ]
        if "raw" in med and "server" in med:
            raw, server = med["raw"][s]["ttft_p50_ms"], med["server"][s]["ttft_p50_ms"]
            for p in paths:
                if p in PATHS[1:3]:
                    added = med[p][s]["ttft_p50_ms"] - raw
                    row.append(f"{added:+.0f} / {server - raw:+.0f} ms")
        rows.append(row)
    out += ["\nTime to first token (ms)\n", table(headers, rows)]

    headers = ["streams", *(LABELS[p] for p in paths)]
    if "server" in med:
        headers += [f"{LABELS[p]} / server" for p in paths if p != "server"]
    rows = []
    for s in levels:
        row = [s, *(f"{med[p][s]['frontend_cpu_ms_per_token']:.3f}" for p in paths)]
        if "server" in med:
            server = med["server"][s]["frontend_cpu_ms_per_token"]
            row += [
                _ratio(med[p][s]["frontend_cpu_ms_per_token"], server)
                for p in paths
                if p != "server"
            ]
        rows.append(row)
    out += ["\nFrontend CPU per output token (ms; all CPU outside the engine core)\n"]
    out.append(table(headers, rows))

    top = levels[-1]
    rows = []
    for p in paths:
        split = {k[6:]: v for k, v in med[p][top].items() if k.startswith("split ")}
        for name, value in sorted(split.items(), key=lambda kv: -kv[1])[:6]:
            rows.append([LABELS[p], name, f"{value:.3f}"])
        rows.append([LABELS[p], "engine core (not frontend)", ""])
        rows[-1][2] = f"{med[p][top]['engine_core_cpu_ms_per_token']:.3f}"
    out += [f"\nCPU per output token by process: thread at {top} streams (ms, top 6)\n"]
    out.append(table(["path", "process: thread", "ms/token"], rows))
    return "\n".join(out)


def plot(results: dict[str, Any], target: Path) -> None:
    """Throughput and frontend CPU per token against concurrency, one line per path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    med = medians(results["runs"])
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for path in (p for p in PATHS if p in med):
        levels = sorted(med[path])
        left.plot(levels, [med[path][s]["tokens_per_s"] for s in levels], "o-", label=LABELS[path])
        cpu = [med[path][s]["frontend_cpu_ms_per_token"] for s in levels]
        right.plot(levels, cpu, "o-", label=LABELS[path])
    settings, cond = results["settings"], results["conditions"]
    for axis, title in (
        (left, "Throughput (completion tokens/s)"),
        (right, "Frontend CPU per output token (ms)"),
    ):
        axis.set_xscale("log", base=2)
        axis.set_xticks(settings["levels"], [str(s) for s in settings["levels"]])
        axis.set_xlabel("concurrent streams")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
    right.set_yscale("log")
    right.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    left.legend()
    figure.suptitle(
        f"{Path(settings['model']).name}, {settings['max_tokens']}-token answers, "
        f"{len(settings['tools'])} tools; vLLM {cond['vllm']}, {cond['cpus']} CPUs "
        f"({cond['date'][:10]})",
        fontsize=10,
    )
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=110)
    plt.close(figure)


# -- command line --------------------------------------------------------------------------------


def _levels(text: str) -> list[int]:
    levels = [int(n) for n in text.split(",")]
    if any(n < 1 for n in levels):
        raise argparse.ArgumentTypeError("levels are positive numbers of streams, e.g. 1,8,32")
    return levels


def vars_of(args: argparse.Namespace) -> dict[str, Any]:
    """The command line's settings, as the results file records them."""
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    settings["model"] = settings["model"] or "default"
    return {**settings, "tools": [t["function"]["name"] for t in TOOLS], "complete": False}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_engine_arguments(parser)
    parser.add_argument("--levels", type=_levels, default=[1, 8, 32], help="concurrent streams")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per answer")
    parser.add_argument(
        "--questions", choices=sorted(QUESTIONS), default="tools", help="what the prompts ask"
    )
    parser.add_argument("--requests-per-stream", type=int, default=2)
    parser.add_argument("--min-requests", type=int, default=8, help="requests per level, at least")
    parser.add_argument("--repeat", type=int, default=2, help="repetitions (order alternated)")
    parser.add_argument("--paths", type=path_list(PATHS), default=list(PATHS), help=",".join(PATHS))
    parser.add_argument("--plot", type=Path, default=None, help="write a PNG plot here")
    parser.add_argument(
        "--from-results", type=Path, default=None, help="report (and plot) a saved run, no engine"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    return parser.parse_args(argv)


def results_name(args: argparse.Namespace) -> str:
    """``e2e`` (``benchmarks/results/e2e.json``), ``e2e-text`` for ``--questions text``."""
    return "e2e" if args.questions == "tools" else f"e2e-{args.questions}"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.from_results is not None:
        results = json.loads(args.from_results.read_text(encoding="utf-8"))
    else:
        runs: list[dict[str, Any]] = []
        try:
            results = asyncio.run(benchmark(args, runs))
        except (KeyboardInterrupt, SystemExit):
            if runs and not args.no_write:  # what was measured before the stop is kept
                partial = {"conditions": conditions(), "settings": vars_of(args), "runs": runs}
                print(
                    f"\nstopped; finished measurements in {write_results(results_name(args), partial)}"
                )
            raise
    print("\n" + report(results))
    if args.from_results is None and not args.no_write:
        print(f"\nwritten to {write_results(results_name(args), results)}")
    if args.plot is not None:
        plot(results, args.plot)
        print(f"plot written to {args.plot}")
    return results


if __name__ == "__main__":
    run_script(main)
