"""Cost per token of turning a token stream into events: our assembler against vLLM's own
streaming parser, on identical streams of about 100, 500, 2000 and 8000 tokens, in one process.

Two shapes of message per format: a long text followed by one call with a long string argument
("long argument"; the text is left out where a format's calls must open the message), and a run
of many small parallel calls ("parallel calls"). The streams are the default model's tokens, one
per delta (see ``streams.py``); both sides get the same deltas, ours as text, vLLM's with their
token ids. vLLM is driven through its serving-side ``parse_delta``, exactly as its OpenAI server
does. Ours: ``StreamAssembler(get_format(name).new_parser())``.

A cell is microseconds per token: for ours the best of ``--repeat`` runs, for vLLM the best of up
to 3 runs while they take under half a second together. A vLLM run that passes ``--budget`` seconds
stops there; its cell is then marked ``>=`` because vLLM's cost per token grows along the stream,
so the tokens not reached would have cost more. A second table shows, for the longest stream, the
cost per token over its first and its last quarter: flat means the cost does not grow with the
message. The garbage collector is kept out of the timed loops. Never asserts; prints a table and writes ``benchmarks/results/stream_cost.json``.

Run: ``.venv/bin/python benchmarks/stream_cost.py [--formats hermes,...] [--budget 2]``
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from streams import (
    Delta,
    VllmServing,
    benchmarked_formats,
    conditions,
    load_tokenizer,
    markers_of,
    ours_final,
    render,
    table,
    token_deltas,
    tools_for,
    write_results,
)

from vllm_native.formats import get_format
from vllm_native.formats.base import ToolCallFormat
from vllm_native.stream import StreamAssembler
from vllm_native.types import Usage

LENGTHS = (100, 500, 2000, 8000)
FILLER = "The quick brown fox jumps over the lazy dog, then naps in the sun. "


def long_argument(fmt: ToolCallFormat, units: int) -> str:
    """Text of ``units`` sentences, then one call whose string argument has as many. Formats whose
    calls must open the message (``llama3_json``, ``pythonic``) get no text before the call."""
    call = render(fmt, [("write_file", {"path": "notes/fox.txt", "content": FILLER * units})])
    with_text = FILLER * units + call
    return with_text if ours_final(fmt, with_text).calls else call


def parallel_calls(fmt: ToolCallFormat, units: int) -> str:
    """``units`` small calls in one message."""
    calls = [("get_weather", {"city": f"City {i}", "days": i % 7 + 1}) for i in range(units)]
    return render(fmt, calls)


SHAPES: dict[str, Callable[[ToolCallFormat, int], str]] = {
    "long argument": long_argument,
    "parallel calls": parallel_calls,
}


def sized(tokenizer: Any, make: Callable[[int], str], tokens: int) -> list[Delta]:
    """The deltas of ``make(units)`` with ``units`` chosen so the stream is about ``tokens`` long."""
    per_unit = len(token_deltas(tokenizer, make(2))) - len(token_deltas(tokenizer, make(1)))
    fixed = len(token_deltas(tokenizer, make(1))) - per_unit
    units = max(1, round((tokens - fixed) / max(per_unit, 1)))
    return token_deltas(tokenizer, make(units))


@dataclass(frozen=True)
class Timing:
    """One timed run over a stream."""

    seconds: float
    tokens: int  # deltas processed (fewer than the stream's when the budget ran out)
    first_us: float  # µs per token over the first quarter of them
    last_us: float  # µs per token over the last quarter of them

    @property
    def us_per_token(self) -> float:
        return self.seconds / self.tokens * 1e6


def timed(
    step: Callable[[int], object], n: int, budget: float, end: Callable[[], object]
) -> Timing:
    """Time ``step(0) ... step(n - 1)`` then ``end()``, stopping early after ``budget`` seconds.
    Clock readings every 64 steps give the cost per token at the start and at the end."""
    gc.disable()
    try:
        start = time.perf_counter()
        stamps = [start]
        done = n
        for i in range(n):
            step(i)
            if i % 64 == 63:
                stamps.append(time.perf_counter())
                if stamps[-1] - start > budget:
                    done = i + 1
                    break
        if done == n:
            end()
        seconds = time.perf_counter() - start
    finally:
        gc.enable()
    k = max((len(stamps) - 1) // 4, 1)
    if len(stamps) <= 2 * k:  # too short to split in quarters: the whole run for both
        return Timing(seconds, done, seconds / done * 1e6, seconds / done * 1e6)
    first = (stamps[k] - start) / (64 * k)
    last = (stamps[-1] - stamps[-1 - k]) / (64 * k)
    return Timing(seconds, done, first * 1e6, last * 1e6)


def time_ours(fmt: ToolCallFormat, deltas: Sequence[Delta]) -> Timing:
    """Our assembler over the whole stream."""
    texts = [text for text, _ in deltas]
    assembler = StreamAssembler(fmt.new_parser())
    return timed(
        lambda i: assembler.feed(texts[i]),
        len(texts),
        float("inf"),
        lambda: assembler.finish("stop", Usage()),
    )


def time_vllm(vllm: VllmServing, deltas: Sequence[Delta], budget: float) -> Timing:
    """vLLM's serving parser over the stream, for at most ``budget`` seconds."""
    parser, request = vllm.new()
    last = len(deltas) - 1

    def step(i: int) -> object:
        text, ids = deltas[i]
        return parser.parse_delta(text, ids, request, prompt_token_ids=[], finished=i == last)

    return timed(step, len(deltas), budget, lambda: None)


def measure(
    names: Sequence[str],
    lengths: Sequence[int],
    tokenizer: Any,
    tools: list[dict[str, Any]],
    args: argparse.Namespace,
) -> tuple[list[list[Any]], list[list[Any]], list[dict[str, Any]]]:
    """Rows of the cost table, rows of the growth table (the longest stream of each format and
    message) and per-cell results."""
    rows: list[list[Any]] = []
    growth: list[list[Any]] = []
    cells: list[dict[str, Any]] = []
    for name in names:
        fmt = get_format(name)
        try:
            vllm = VllmServing(name, tokenizer, tools)
        except Exception as exc:  # a vLLM parser this tokenizer cannot serve: say so
            rows.append([name, "-", "-", "-", f"cannot run: {exc}", "-"])
            continue
        for shape, make in SHAPES.items():
            for length in lengths:
                deltas = sized(tokenizer, functools.partial(make, fmt), length)
                n = len(deltas)
                ours = min((time_ours(fmt, deltas) for _ in range(args.repeat)), key=_seconds)
                runs = [time_vllm(vllm, deltas, args.budget)]
                while len(runs) < 3 and runs[0].tokens == n and sum(map(_seconds, runs)) < 0.5:
                    runs.append(time_vllm(vllm, deltas, args.budget))
                theirs = min(runs, key=_seconds)
                bound = "" if theirs.tokens == n else ">="
                ratio = theirs.us_per_token / ours.us_per_token
                cell = {
                    "format": name,
                    "shape": shape,
                    "tokens": n,
                    "ours_us_per_token": round(ours.us_per_token, 2),
                    "ours_first_quarter_us": round(ours.first_us, 2),
                    "ours_last_quarter_us": round(ours.last_us, 2),
                    "vllm_us_per_token": round(theirs.us_per_token, 2),
                    "vllm_first_quarter_us": round(theirs.first_us, 2),
                    "vllm_last_quarter_us": round(theirs.last_us, 2),
                    "vllm_tokens_measured": theirs.tokens,
                    "ratio_vllm_over_ours": round(ratio, 1),
                }
                cells.append(cell)
                measured = f" ({theirs.tokens} tok)" if bound else ""
                rows.append(
                    [
                        name,
                        shape,
                        n,
                        f"{ours.us_per_token:.1f}",
                        f"{bound}{theirs.us_per_token:.1f}{measured}",
                        f"{bound}{ratio:.1f}x",
                    ]
                )
                print(json.dumps(cell), flush=True)
            growth.append(
                [
                    name,
                    shape,
                    n,
                    f"{ours.first_us:.1f} -> {ours.last_us:.1f}",
                    f"{theirs.first_us:.1f} -> {theirs.last_us:.1f}{measured}",
                ]
            )
    return rows, growth, cells


def _seconds(timing: Timing) -> float:
    return timing.seconds


def main(argv: list[str] | None = None) -> dict[str, Any]:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--formats", help="comma-separated (default: all of ours vLLM also has)")
    cli.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    cli.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="runs of ours per cell (vLLM: up to 3 when quick); the best counts",
    )
    cli.add_argument("--budget", type=float, default=2.0, help="seconds per vLLM run at most")
    args = cli.parse_args(argv)

    started = time.perf_counter()
    names = args.formats.split(",") if args.formats else benchmarked_formats()
    lengths = sorted(int(n) for n in args.lengths.split(","))
    tokenizer = load_tokenizer(markers_of(names))
    tools = tools_for(["write_file", "get_weather"])
    gc.collect()
    gc.freeze()  # the libraries' objects: no collector passes over them while timing
    try:
        rows, growth, cells = measure(names, lengths, tokenizer, tools, args)
    finally:
        gc.unfreeze()
    headers = ["format", "message", "tokens", "ours µs/token", "vLLM µs/token", "vLLM / ours"]
    growth_headers = ["format", "message", "tokens", "ours µs/token", "vLLM µs/token"]
    print("\ncost per token\n")
    print(table(headers, rows))
    print("\nfirst quarter of the longest stream -> last quarter\n")
    print(table(growth_headers, growth))
    seconds = round(time.perf_counter() - started, 1)
    print(f"\n{seconds} s")
    payload = {
        "benchmark": "stream_cost",
        "conditions": conditions(),
        "settings": {**vars(args), "formats": names},
        "seconds": seconds,
        "headers": headers,
        "rows": rows,
        "growth_headers": growth_headers,
        "growth": growth,
        "cells": cells,
    }
    print(f"results: {write_results('stream_cost', payload)}")
    return payload


if __name__ == "__main__":
    main()
