"""Does streaming give what the whole message gives? Ours, vLLM's own parsers, and vLLM's parsers
behind our adapter, on the same streams.

For every format we have that vLLM also has, model messages are generated from a seed (text
before the calls, one to three parallel calls, sometimes text after; arguments with unicode,
escaped quotes, backslashes, newlines, brackets, nesting, numbers, booleans and nulls), rendered
with the format's own ``render_call``, and streamed token by token (default model's tokenizer) and
in random 1..8-character chunks (several tokens in one delta, as vLLM delivers them under
speculative decoding or a stream interval). A case is divergent when what a client collects from the stream
(content, call names, each call's argument fragments joined and parsed) differs from the result
for the whole message (ours: one delta; vLLM: its non-streaming ``parse``); a cell reads
"divergent cases (of which with different calls)". Content is compared ignoring whitespace (the
gaps around calls). Never asserts; prints two tables (all streams, and the token-by-token ones
alone) and writes ``benchmarks/results/stream_correctness.json``.

Run: ``.venv/bin/python benchmarks/stream_correctness.py [--texts 60] [--splits 5] [--seed 0]``
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from streams import (
    Result,
    VllmServing,
    benchmarked_formats,
    char_deltas,
    conditions,
    load_tokenizer,
    markers_of,
    ours,
    ours_final,
    render,
    table,
    token_deltas,
    tools_for,
    write_results,
)

from vllm_native.formats import get_format
from vllm_native.formats.vllm_adapter import VllmParserFormat

NAMES = ["get_weather", "search", "write_file", "add_numbers"]
KEYS = ["city", "query", "path", "n", "flags", "options", "text", "items"]
STRINGS = [
    "Zürich",
    "北京 🌍",
    'he said "hi"',
    "back\\slash",
    "line one\nline two",
    "tab\there",
    "{not json}",
    "[1, 2]",
    "a, b; c",
    "",
    "x" * 40,
]
BEFORE = [
    "",
    "Sure.",
    "Let me look that up. ",
    "Grüße — 世界! ",
    'Quote "this" \\ ok. ',
    "One\nTwo\n",
]
AFTER = ["", "", "", " Done.", "\nAnything else?"]
WHO = ["ours", "vllm", "adapter"]
KINDS = ["any", "calls", "content"]
STREAMS = ["tokens", "chunks"]


def value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 2 else 6)
    if kind == 0:
        return rng.choice(STRINGS)
    if kind == 1:
        return rng.randint(-1000, 10**6)
    if kind == 2:
        return round(rng.uniform(-100, 100), 3)
    if kind == 3:
        return rng.choice([True, False, None])
    if kind in (4, 5):
        return rng.choice(STRINGS) + " " + rng.choice(STRINGS)
    if kind == 6:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(KEYS): value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def make_case(rng: random.Random) -> tuple[str, list[tuple[str, dict[str, Any]]], str]:
    """Text before, calls, text after."""
    calls = [
        (rng.choice(NAMES), {k: value(rng) for k in rng.sample(KEYS, rng.randint(0, 4))})
        for _ in range(rng.choice([1, 1, 2, 3]))
    ]
    return rng.choice(BEFORE), calls, rng.choice(AFTER)


def run_format(
    name: str, tokenizer: Any, markers: list[str], tools: list[dict[str, Any]], args: Any
) -> dict[str, Any]:
    """Divergence counts for one format, per kind of stream (``tokens``: one token per delta;
    ``chunks``: random chunks), with a few examples."""
    fmt = get_format(name)
    vllm = VllmServing(name, tokenizer, tools)
    adapter = VllmParserFormat(name, tokenizer, tools)
    counts = {kind: {"cases": 0, **{f"{w} {k}": 0 for w in WHO for k in KINDS}} for kind in STREAMS}
    examples: list[dict[str, Any]] = []
    rng = random.Random(f"{args.seed}-{name}")
    for _ in range(args.texts):
        before, calls, after = make_case(rng)
        text = before + render(fmt, calls) + after
        finals = {
            "ours": ours_final(fmt, text),
            "vllm": vllm.final(text),
            "adapter": ours_final(adapter, text),
        }
        streams = [("tokens", token_deltas(tokenizer, text))]
        streams += [
            ("chunks", char_deltas(tokenizer, text, rng, markers)) for _ in range(args.splits)
        ]
        for kind, deltas in streams:
            count = counts[kind]
            count["cases"] += 1
            streamed: dict[str, Result] = {
                "ours": ours(fmt, deltas),
                "vllm": vllm.stream(deltas),
                "adapter": ours(adapter, deltas),
            }
            for who, result in streamed.items():
                found = result.differences(finals[who])
                count[f"{who} any"] += bool(found)
                for difference in found:
                    count[f"{who} {difference}"] += 1
                if found and len(examples) < 9:
                    examples.append(
                        {
                            "parser": who,
                            "differences": sorted(found),
                            "text": text,
                            "deltas": [d for d, _ in deltas],
                            "streamed": repr(result),
                            "final": repr(finals[who]),
                        }
                    )
    return {"counts": counts, "examples": examples}


def row(name: str, counts: list[dict[str, int]]) -> list[Any]:
    """A table row summing ``counts``: cases, then "divergent (of which in calls)" per parser."""
    total = {key: sum(c[key] for c in counts) for key in counts[0]}
    cells = [f"{total[f'{w} any']} ({total[f'{w} calls']} in calls)" for w in WHO]
    return [name, total["cases"], *cells]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--texts", type=int, default=60, help="messages per format")
    cli.add_argument("--splits", type=int, default=5, help="random chunkings per message")
    cli.add_argument("--seed", type=int, default=0)
    args = cli.parse_args(argv)

    started = time.perf_counter()
    names = benchmarked_formats()
    markers = sorted(markers_of(names))
    tokenizer = load_tokenizer(markers)
    tools = tools_for(NAMES)
    tables: dict[str, list[list[Any]]] = {"all streams": [], "one token per delta": []}
    details: dict[str, Any] = {}
    for name in names:
        try:
            details[name] = run_format(name, tokenizer, markers, tools, args)
        except Exception as exc:  # a vLLM parser this tokenizer cannot serve: say so
            details[name] = {"error": str(exc)}
            for rows in tables.values():
                rows.append([name, "-", "-", f"cannot run: {exc}", "-"])
            continue
        counts = details[name]["counts"]
        tables["all streams"].append(row(name, [counts["tokens"], counts["chunks"]]))
        tables["one token per delta"].append(row(name, [counts["tokens"]]))

    headers = ["format", "cases", "ours divergent", "vLLM divergent", "vLLM via adapter divergent"]
    for title, rows in tables.items():
        print(f"\n{title}\n")
        print(table(headers, rows))
    seconds = round(time.perf_counter() - started, 1)
    print(f"\n{seconds} s; each case: one stream, compared with the whole message's result")
    payload = {
        "benchmark": "stream_correctness",
        "conditions": conditions(),
        "settings": {**vars(args), "formats": names},
        "seconds": seconds,
        "headers": headers,
        "tables": tables,
        "details": details,
    }
    print(f"results: {write_results('stream_correctness', payload)}")
    return payload


if __name__ == "__main__":
    main()
