"""``tool_choice="required"`` on the default model: how many calls come out, and does it loop?

The grammar forces ``[{"name", "arguments"}, ...]`` and ends the turn when the array closes;
what bounds the number of items decides whether a small model can answer "weather in Paris and
in Rome" (several calls of one tool) and whether it repeats a call until ``max_tokens``. Three
bounds are measured in one run on the same prompts: ``maxItems`` = the number of bound tools (the
old rule: one call per tool), no bound at all, and ``MAX_FORCED_CALLS`` (the rule now).

Prompts: the first 20 cases of BFCL's parallel category (``tests/data/bfcl``: one tool, 2 to 4
expected calls of it) and 6 single-call prompts (one expected call, one or two tools). Greedy
decoding. Per bound: turns whose number of calls equals the expected one, turns with at least
the expected number, turns cut off by ``max_tokens``, turns that repeat an identical call, BFCL
calls matching a ground-truth call (BFCL's rule: every argument among the acceptable values;
optional ones may be left out), mean completion tokens and wall time for the batch.
Never asserts; prints a table and writes ``benchmarks/results/forced_calls.json``.

Run (starts the engine of the default model):
``flock /tmp/vllm-engine.lock .venv/bin/python benchmarks/forced_calls.py [--max-tokens 384]``
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

from streams import conditions, table, write_results

from vllm_native import tool_choice
from vllm_native.chat import ChatClient
from vllm_native.types import ChatMessage, ChatRequest, SamplingOptions

BFCL = Path(__file__).parents[1] / "tests/data/bfcl/parallel_20.jsonl"


def _tool(name: str, description: str, properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": schema},
    }


WEATHER = _tool("get_weather", "Current weather in a city", {"city": {"type": "string"}})
CONVERT = _tool(
    "convert_currency",
    "Convert an amount between currencies",
    {"amount": {"type": "number"}, "source": {"type": "string"}, "target": {"type": "string"}},
)
SINGLE = [
    ("What is the weather like in Paris today?", [WEATHER]),
    ("Is it raining in Tokyo?", [WEATHER]),
    ("How warm is it in Cairo right now?", [WEATHER, CONVERT]),
    ("Convert 20 euros to dollars.", [WEATHER, CONVERT]),
    ("How many yen is 100 USD?", [CONVERT]),
    ("Weather for Berlin please.", [WEATHER, CONVERT]),
]


def cases() -> list[dict[str, Any]]:
    """Every prompt with its tools, expected number of calls and (BFCL) ground truth."""
    out: list[dict[str, Any]] = []
    for line in BFCL.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        tools = [
            {
                "type": "function",
                "function": {k: f[k] for k in ("name", "description", "parameters")},
            }
            for f in case["function"]
        ]
        out.append(
            {
                "id": case["id"],
                "messages": case["question"][0],
                "tools": tools,
                "expected": len(case["ground_truth"]),
                "truth": case["ground_truth"],
            }
        )
    for i, (prompt, tools) in enumerate(SINGLE):
        messages = [{"role": "user", "content": prompt}]
        out.append({"id": f"single_{i}", "messages": messages, "tools": tools, "expected": 1})
    return out


def matches(call: Any, truth: dict[str, dict[str, list[Any]]]) -> bool:
    """BFCL's rule: the name matches and every argument is among the acceptable values
    (``""`` among them: the argument may be left out)."""
    ((name, accepted),) = truth.items()
    if call.name != name or set(call.arguments) - set(accepted):
        return False
    for key, values in accepted.items():
        if key not in call.arguments:
            if "" not in values:
                return False
        elif not any(_same(call.arguments[key], v) for v in values if v != ""):
            return False
    return True


def _same(value: Any, accepted: Any) -> bool:
    if isinstance(value, str) and isinstance(accepted, str):
        return value.strip().lower() == accepted.strip().lower()
    if isinstance(value, int | float) and isinstance(accepted, int | float):
        return float(value) == float(accepted)
    return bool(value == accepted)


def score(all_cases: list[dict[str, Any]], messages: list[ChatMessage]) -> dict[str, Any]:
    exact = at_least = cut = repeats = matched = truth_calls = tokens = 0
    for case, message in zip(all_cases, messages, strict=True):
        n = len(message.tool_calls)
        exact += n == case["expected"]
        at_least += n >= case["expected"]
        cut += message.finish_reason == "length"
        keys = [json.dumps([c.name, c.arguments], sort_keys=True) for c in message.tool_calls]
        repeats += len(set(keys)) < len(keys)
        tokens += message.usage.completion_tokens
        for truth in case.get("truth", []):
            truth_calls += 1
            matched += any(matches(c, truth) for c in message.tool_calls)
    count = len(all_cases)
    return {
        "turns": count,
        "exact_calls": exact,
        "at_least_expected": at_least,
        "cut_by_max_tokens": cut,
        "repeated_identical_call": repeats,
        "bfcl_calls_matched": matched,
        "bfcl_calls": truth_calls,
        "mean_completion_tokens": round(tokens / count, 1),
    }


def run(client: ChatClient, all_cases: list[dict[str, Any]], bound: str, max_tokens: int) -> Any:
    """Score one bound (``tools``, ``none`` or ``default``): the scores and the messages."""
    default = tool_choice.MAX_FORCED_CALLS
    caps = {"none": 10_000, "default": default}
    by_cap: dict[int, list[int]] = {}
    for i, case in enumerate(all_cases):
        by_cap.setdefault(caps.get(bound, len(case["tools"])), []).append(i)
    messages: list[Any] = [None] * len(all_cases)
    started = time.perf_counter()
    for cap, indices in by_cap.items():
        tool_choice.MAX_FORCED_CALLS = cap  # read when each request's constraint is built
        requests = [
            ChatRequest(
                all_cases[i]["messages"],
                tools=all_cases[i]["tools"],
                tool_choice="required",
                sampling=SamplingOptions(temperature=0, max_tokens=max_tokens),
            )
            for i in indices
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BFCL's own type names ("dict", "float")
            for i, message in zip(indices, client.chat_batch(requests), strict=True):
                messages[i] = message
    elapsed = time.perf_counter() - started
    tool_choice.MAX_FORCED_CALLS = default
    return {**score(all_cases, messages), "seconds": round(elapsed, 1)}, messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tokens", type=int, default=384)
    args = parser.parse_args()
    all_cases = cases()
    client = ChatClient()
    bounds = {
        "tools": "maxItems = bound tools (old)",
        "none": "no maxItems",
        "default": f"maxItems = {tool_choice.MAX_FORCED_CALLS} (now)",
    }
    results: dict[str, Any] = {}
    samples: dict[str, list[Any]] = {}
    for bound in bounds:
        results[bound], messages = run(client, all_cases, bound, args.max_tokens)
        samples[bound] = [
            {
                "id": c["id"],
                "calls": [[t.name, t.arguments] for t in m.tool_calls],
                "finish": m.finish_reason,
            }
            for c, m in zip(all_cases, messages, strict=True)
        ]
    client.close()
    keys = list(next(iter(results.values())))
    print(table(["bound", *keys], [[bounds[b], *r.values()] for b, r in results.items()]))
    path = write_results(
        "forced_calls",
        {
            "conditions": conditions(),
            "max_tokens": args.max_tokens,
            "bounds": bounds,
            "results": results,
            "turns": samples,
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
