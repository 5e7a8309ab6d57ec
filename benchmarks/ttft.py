"""Time to first token, paired: what each path adds to the raw engine's, one request at a time.

``e2e.py`` measures each path as a block of requests, so the machine's slow and fast moments fall
on different paths, and at one stream the prefill's own spread (tens of milliseconds on a CPU)
hides what a frontend adds. Here every round sends one request on each path of ``e2e.py`` (raw
``AsyncLLM``, ``ChatVLLM.astream``, ``Vllm.astream_chat``, ``vllm serve`` + ``ChatOpenAI``) with
the same prompt, in an order that rotates from round to round; a path's **added** time is the
median over rounds of its time to first visible output minus the raw request's in the same round.
The in-process paths share one engine and the server has its own; the first request on an engine
right after the other engine's ran up to a second slower here (both engines share the CPU), so
each round runs the in-process paths and the server as two groups, in alternating order, and
each group starts with one request that is not measured.
Prompts and sampling are ``e2e.py``'s (``--questions text`` by default: answers in text, with the
tools bound, so every path's first visible output is the first token). Never asserts; writes
``benchmarks/results/ttft.json``.

Run (CPU, the default model)::

    flock /tmp/vllm-engine.lock .venv/bin/python benchmarks/ttft.py \\
        --engine-args '{"max_model_len": 4096, "enforce_eager": true}'
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from e2e import LABELS, PATHS, QUESTIONS, percentile, started_paths
from engine_bench import add_engine_arguments, path_list, run_script, running_engine_args
from streams import conditions, table, write_results


def round_plan(paths: Sequence[str], round_number: int) -> list[list[str]]:
    """The groups of requests of round ``round_number``, one group per engine: the in-process
    paths, rotated by one each round, and the server; the groups alternate in order.

    >>> paths = ["raw", "chatvllm", "llamaindex", "server"]
    >>> round_plan(paths, 0)
    [['raw', 'chatvllm', 'llamaindex'], ['server']]
    >>> round_plan(paths, 1)
    [['server'], ['chatvllm', 'llamaindex', 'raw']]
    """
    in_process = [p for p in paths if p != "server"]
    shift = round_number % len(in_process)
    groups = [[*in_process[shift:], *in_process[:shift]]]
    if "server" in paths:
        groups.append(["server"])
    return groups if round_number % 2 == 0 else groups[::-1]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every round, every path once (see ``round_plan``); each request's time to first visible
    output in ms."""
    paths_run = [p for p in PATHS if p in args.paths]
    rounds: list[dict[str, Any]] = []
    with ExitStack() as stack:
        paths = started_paths(args, paths_run, stack)
        for path in paths_run:  # imports, connections, lazy set-up: not measured
            await paths.once(path, 0)
        for number in range(args.rounds):
            plan = round_plan(paths_run, number)
            ttft: dict[str, float] = {}
            for group in plan:
                await paths.once(group[0], number)  # this engine's first request: not measured
                for path in group:
                    sample = await paths.once(path, number)
                    if sample.completion_tokens != args.max_tokens:
                        raise RuntimeError(
                            f"{LABELS[path]}: an answer of {sample.completion_tokens} tokens, "
                            f"not max_tokens={args.max_tokens}: ignore_eos was not honoured"
                        )
                    ttft[path] = sample.ttft * 1e3
            order = [path for group in plan for path in group]
            rounds.append({"round": number, "order": order, "ttft_ms": ttft})
            shown = "  ".join(f"{LABELS[p]} {ttft[p]:.0f}" for p in paths_run)
            print(f"round {number:>3}: {shown} ms", flush=True)
        settings = {
            "model": paths.engine.model,
            "engine_args": running_engine_args(paths.engine),
            "tool_parser": paths.tool_parser,
            "max_tokens": args.max_tokens,
            "questions": args.questions,
            "rounds": args.rounds,
            "paths": paths_run,
        }
    return {"conditions": conditions(), "settings": settings, "rounds": rounds}


def added_times(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """path -> p50 of its TTFT, and p25 / p50 / p75 of its TTFT minus raw's in the same round.

    >>> rounds = [{"ttft_ms": {"raw": 500 + r, "server": 530 + 2 * r}} for r in range(5)]
    >>> added_times({"rounds": rounds})["server"]
    {'ttft_p50': 534.0, 'added_p25': 31.0, 'added_p50': 32.0, 'added_p75': 33.0}
    """
    rounds = [r["ttft_ms"] for r in results["rounds"]]
    out: dict[str, dict[str, float]] = {}
    for path in (p for p in PATHS if all(p in r for r in rounds)):
        cell = {"ttft_p50": float(statistics.median(r[path] for r in rounds))}
        if path != "raw":
            added = [r[path] - r["raw"] for r in rounds]
            for q in (25, 50, 75):
                cell[f"added_p{q}"] = percentile(added, q)
        out[path] = cell
    return out


def report(results: dict[str, Any]) -> str:
    """The Markdown table of a run: each path's time to first token and what it adds to raw's,
    and that as a share of what the server path adds."""
    cells = added_times(results)
    server = cells.get("server", {}).get("added_p50")
    rows = []
    for path, cell in cells.items():
        row: list[Any] = [LABELS[path], f"{cell['ttft_p50']:.1f}"]
        if path == "raw":
            row += ["-", "-", "-"]
        else:
            spread = f"{cell['added_p25']:+.1f} / {cell['added_p75']:+.1f}"
            share = f"{cell['added_p50'] / server:.2f}x" if server and server > 0 else "-"
            row += [f"{cell['added_p50']:+.1f}", spread, share]
        rows.append(row)
    headers = ["path", "TTFT p50 (ms)", "added p50 (ms)", "added p25 / p75", "added / server's"]
    rounds = len(results["rounds"])
    return f"Time to first token, {rounds} paired rounds\n\n" + table(headers, rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_engine_arguments(parser)
    parser.add_argument("--rounds", type=int, default=40, help="requests per path")
    parser.add_argument("--max-tokens", type=int, default=4, help="tokens per answer")
    parser.add_argument(
        "--questions", choices=sorted(QUESTIONS), default="text", help="what the prompts ask"
    )
    parser.add_argument("--paths", type=path_list(PATHS), default=list(PATHS), help=",".join(PATHS))
    parser.add_argument(
        "--from-results", type=Path, default=None, help="report a saved run, no engine"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    args = parser.parse_args(argv)
    if "raw" not in args.paths:
        parser.error("--paths must include raw: every added time is measured against it")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.from_results is not None:
        results = json.loads(args.from_results.read_text(encoding="utf-8"))
    else:
        results = asyncio.run(measure(args))
    print("\n" + report(results))
    if args.from_results is None and not args.no_write:
        print(f"\nwritten to {write_results('ttft', results)}")
    return results


if __name__ == "__main__":
    run_script(main)
