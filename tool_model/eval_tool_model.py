"""Evaluate a model's tool calling on the held-out set, through ``langchain_vllm.ChatVLLM``.

Each held-out conversation (``eval.jsonl`` from ``make_tool_dataset.py``) is sent without its
last assistant turn, greedy, with its tools bound; the reply is scored against that turn:

* tool decision accuracy: on requests that need a tool or none, the reply calls exactly the
  expected tool names (none for no-tool requests);
* exact arguments: on requests that need tools, the calls equal the expected calls (names and
  arguments; key order and ``5`` vs ``5.0`` do not matter);
* false calls: on no-tool requests, the reply calls a tool anyway (valid or not);
* answer uses the tool result: after tool results, the reply calls nothing and quotes, in
  words (not by echoing the raw result), at least one value of each tool result that the
  expected answer quotes; ``quotes_all`` (no target) asks for every such value.

The same numbers are also given for held-out tools (never seen in training) and for held-out
phrasings of training tools. Runs the real vLLM engine (one, in this process), or, with
``--backend transformers``, greedy ``generate`` of transformers on a base model plus a LoRA adapter
(for a GPU machine without vLLM, to compare training runs; replies are read by vllm_native's
own stream assembler, as in ChatVLLM; on the shipped adapter both backends gave the same counts).

Run::

    python tool_model/eval_tool_model.py --model smollm2-tools [--limit N] [--report FILE]
    python tool_model/eval_tool_model.py --backend transformers --model smollm2 --adapter DIR \
        --device cuda
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / ".cache" / "tool_dataset" / "eval.jsonl"
TARGETS = {"decision": 0.90, "exact_arguments": 0.80, "false_calls": 0.10, "uses_result": 0.80}
LOWER_IS_BETTER = {"false_calls"}


@dataclass
class Reply:
    """What the model did: its text and its calls (invalid calls keep their raw text)."""

    content: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def canonical(value: Any) -> Any:
    """Arguments in a comparable form: numbers as floats, dict keys sorted.

    >>> canonical({"b": 5, "a": [1, "x"]}) == canonical({"a": [1.0, "x"], "b": 5.0})
    True
    >>> canonical(True) == canonical(1)
    False
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return sorted((k, canonical(v)) for k, v in value.items())
    return value


def _call_key(call: dict[str, Any]) -> str:
    return json.dumps([call["name"], canonical(call["arguments"])], sort_keys=True)


def score_one(record: dict[str, Any], reply: Reply) -> dict[str, bool]:
    """The checks that apply to ``record``, each True (pass) or False."""
    expected = record["expected_calls"]
    called = sorted([c["name"] for c in reply.calls] + ["<invalid>"] * len(reply.invalid))
    if record["kind"] == "answer":
        text = reply.content.lower()
        echoes = "<tool_response>" in text or text.lstrip().startswith("{")  # raw result
        prose = not called and not echoes
        found = [[m.lower() in text for m in values] for values in record["mentions"]]
        return {
            "uses_result": prose and all(any(group) for group in found),
            "quotes_all": prose and all(all(group) for group in found),
        }
    checks = {"decision": called == sorted(c["name"] for c in expected)}
    if expected:
        checks["exact_arguments"] = not reply.invalid and sorted(
            map(_call_key, reply.calls)
        ) == sorted(map(_call_key, expected))
    else:
        checks["false_calls"] = bool(called)
    return checks


def group_of(record: dict[str, Any], held_out_tools: set[str]) -> str:
    """``unseen tools`` when a expected call uses a held-out tool, else ``unseen phrasings``."""
    names = {c["name"] for c in record["expected_calls"]}
    return "unseen tools" if names & held_out_tools else "unseen phrasings"


def summarize(
    records: Sequence[dict[str, Any]], replies: Sequence[Reply], held_out_tools: set[str]
) -> dict[str, dict[str, list[int]]]:
    """``{group: {metric: [passed, total]}}`` for groups ``all``, ``unseen tools``,
    ``unseen phrasings`` (no-tool requests count in ``all`` only)."""
    table: dict[str, dict[str, list[int]]] = {}
    for record, reply in zip(records, replies, strict=True):
        groups = ["all"]
        if record["expected_calls"]:
            groups.append(group_of(record, held_out_tools))
        for metric, passed in score_one(record, reply).items():
            for group in groups:
                cell = table.setdefault(group, {}).setdefault(metric, [0, 0])
                cell[0] += int(passed)
                cell[1] += 1
    return table


def format_table(table: dict[str, dict[str, list[int]]]) -> str:
    """A markdown table of the rates, with the targets."""
    names = {
        "decision": "tool decision accuracy",
        "exact_arguments": "exact-arguments rate",
        "false_calls": "false calls on no-tool prompts",
        "uses_result": "answer uses tool result",
        "quotes_all": "answer quotes every result value",
    }
    groups = [g for g in ("all", "unseen tools", "unseen phrasings") if g in table]
    lines = [
        "| metric | target | " + " | ".join(groups) + " |",
        "| --- | --- | " + " | ".join("---" for _ in groups) + " |",
    ]
    for metric, label in names.items():
        sign = "<=" if metric in LOWER_IS_BETTER else ">="
        goal = f"{sign} {TARGETS[metric]:.0%}" if metric in TARGETS else "-"
        cells = []
        for group in groups:
            passed, total = table[group].get(metric, [0, 0])
            cells.append(f"{passed / total:.1%} ({passed}/{total})" if total else "-")
        lines.append(f"| {label} | {goal} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Generation through ChatVLLM
# ----------------------------------------------------------------------------------------------


def to_langchain(messages: list[dict[str, Any]]) -> list[Any]:
    """OpenAI chat dicts (the dataset's format) -> LangChain messages."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    out: list[Any] = []
    for m in messages:
        if m["role"] == "system":
            out.append(SystemMessage(m["content"]))
        elif m["role"] == "user":
            out.append(HumanMessage(m["content"]))
        elif m["role"] == "tool":
            out.append(ToolMessage(m["content"], tool_call_id=m["tool_call_id"], name=m["name"]))
        else:
            calls = [
                {"name": c["function"]["name"], "args": c["function"]["arguments"], "id": c["id"]}
                for c in m.get("tool_calls", [])
            ]
            out.append(AIMessage(m["content"], tool_calls=calls))
    return out


async def generate(
    records: Sequence[dict[str, Any]],
    model: str,
    concurrency: int,
    max_tokens: int,
    strict: bool = False,
) -> list[Reply]:
    """One greedy reply per record (all but its last message), ``concurrency`` at a time;
    ``strict`` binds the tools with ``strict=True`` (calls constrained to each tool's schema)."""
    from langchain_vllm import ChatVLLM

    chat = ChatVLLM(
        model=model, engine_args={"max_model_len": 2048}, temperature=0, max_tokens=max_tokens
    )
    gate = asyncio.Semaphore(concurrency)

    async def one(record: dict[str, Any]) -> Reply:
        async with gate:
            message = await chat.bind_tools(record["tools"], strict=strict or None).ainvoke(
                to_langchain(record["messages"][:-1])
            )
        content = message.content if isinstance(message.content, str) else str(message.content)
        return Reply(
            content=content,
            calls=[{"name": c["name"], "arguments": c["args"]} for c in message.tool_calls],
            invalid=[str(c.get("args")) for c in message.invalid_tool_calls],
        )

    try:
        return await asyncio.gather(*(one(r) for r in records))
    finally:
        chat.close()


# ----------------------------------------------------------------------------------------------
# Generation with transformers (no vLLM needed)
# ----------------------------------------------------------------------------------------------


def parse_reply(text: str, tool_names: Collection[str] | None = None) -> Reply:
    """A raw Hermes-format completion read by the core's assembler, as ChatVLLM reads it: text,
    calls, and invalid calls (cut off, bad JSON, or a name not in ``tool_names``).

    >>> parse_reply('<tool_call>\\n{"name": "f", "arguments": {"x": 1}}\\n</tool_call>').calls
    [{'name': 'f', 'arguments': {'x': 1}}]
    >>> parse_reply('<tool_call>\\n{"name": "f", "arguments": {}}\\n</tool_call>', {"g"}).invalid
    ['{}']
    """
    from vllm_native.formats import get_format
    from vllm_native.stream import StreamAssembler
    from vllm_native.types import Usage

    assembler = StreamAssembler(get_format("hermes").new_parser(), tool_names=tool_names)
    assembler.feed(text)
    message = assembler.finish("stop", Usage())[-1].message
    return Reply(
        content=message.content,
        calls=[{"name": c.name, "arguments": c.arguments} for c in message.tool_calls],
        invalid=[c.arguments or "" for c in message.invalid_tool_calls],
    )


def generate_transformers(
    records: Sequence[dict[str, Any]],
    model_dir: Path,
    adapter: Path | None,
    device: str,
    max_tokens: int,
    batch: int = 200,
) -> list[Reply]:
    """One greedy reply per record from transformers' ``generate`` (float32, left-padded
    batches), on ``model_dir`` with ``adapter`` (peft) merged in, prompts rendered by the model's
    own chat template with the record's tools."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    tokenizer.padding_side = "left"
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token or "<|im_end|>"
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    model = model.to(device).eval()
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    prompts = [
        tokenizer.apply_chat_template(
            r["messages"][:-1],
            tools=r.get("tools") or None,
            tokenize=False,
            add_generation_prompt=True,
        )
        for r in records
    ]
    texts: list[str] = []
    for start in range(0, len(prompts), batch):
        encoded = tokenizer(
            prompts[start : start + batch],
            return_tensors="pt",
            padding=True,
            add_special_tokens=False,
        ).to(device)
        with torch.no_grad():
            out = model.generate(
                **encoded,
                max_new_tokens=max_tokens,
                do_sample=False,
                eos_token_id=end,
                pad_token_id=tokenizer.pad_token_id,
            )
        for row in out[:, encoded["input_ids"].shape[1] :].tolist():
            texts.append(tokenizer.decode(row[: row.index(end)] if end in row else row))
    return [
        parse_reply(text, {t["function"]["name"] for t in r.get("tools") or []})
        for r, text in zip(records, texts, strict=True)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="smollm2-tools", help="known name or model folder")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="eval.jsonl")
    parser.add_argument("--limit", type=int, help="only the first N examples")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--report", type=Path, help="write the replies and rates as JSON here")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="bind tools with strict=True (schema-constrained calls)",
    )
    parser.add_argument("--backend", choices=("vllm", "transformers"), default="vllm")
    parser.add_argument("--adapter", type=Path, help="transformers backend: LoRA adapter folder")
    parser.add_argument(
        "--device",
        default="cuda",
        help="transformers backend: cuda (default) or cpu (slow: over 25 min for the 400 here)",
    )
    args = parser.parse_args(argv)
    if args.backend == "vllm" and args.adapter:
        parser.error("--adapter needs --backend transformers (vLLM runs prepared models)")
    if args.backend == "transformers" and args.strict:
        parser.error("--strict needs --backend vllm (structured outputs)")

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tool_catalog import HELD_OUT_TOOLS

    lines = args.data.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines][: args.limit]
    started = time.perf_counter()
    if args.backend == "transformers":
        replies = generate_transformers(
            records, _model_folder(args.model), args.adapter, args.device, args.max_tokens
        )
    else:
        replies = asyncio.run(
            generate(records, args.model, args.concurrency, args.max_tokens, args.strict)
        )
    seconds = time.perf_counter() - started
    table = summarize(records, replies, {t.name for t in HELD_OUT_TOOLS})
    mode = " (strict=True)" if args.strict else ""
    if args.backend == "transformers":
        mode = f" + {args.adapter} (transformers, {args.device})"
    start = "model load" if args.backend == "transformers" else "engine start"
    print(f"{args.model}{mode}: {len(records)} held-out examples in {seconds:.0f}s ({start} incl.)")
    print(format_table(table))
    if args.report:
        report = {
            "model": args.model,
            "backend": args.backend,
            "adapter": str(args.adapter) if args.adapter else None,
            "strict": args.strict,
            "examples": len(records),
            "seconds": round(seconds, 1),
            "rates": table,
            "replies": [
                {"id": r["id"], "kind": r["kind"], **vars(reply), **score_one(r, reply)}
                for r, reply in zip(records, replies, strict=True)
            ],
        }
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


def _model_folder(model: str) -> Path:
    """A known model's prepared folder (prepared if needed), or the folder given."""
    from vllm_native.models import KNOWN_MODELS, prepare_model

    return prepare_model(model) if model in KNOWN_MODELS else Path(model)


if __name__ == "__main__":  # vLLM spawns its engine process, which re-imports this file
    sys.exit(main())
