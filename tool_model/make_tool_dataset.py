"""Make the synthetic tool-calling dataset that teaches SmolLM2 when and how to call tools.

Deterministic for a given ``--seed``: the same files come out on every machine. Each line of
``train.jsonl`` / ``eval.jsonl`` is one conversation in OpenAI chat format with 1-3 tools:

* ``call``: a request that needs one of the offered tools -> one tool call;
* ``two_calls``: two requests in one message -> two calls (same tool or two tools);
* ``no_call``: small talk or general knowledge, with unrelated tools offered -> a plain answer;
* ``answer``: a call, its tool result(s), then an answer that quotes the result;
* ``thanks`` (training only): an ``answer`` conversation, then "thanks" -> no call.

``refine.jsonl`` (``--refine N``) is a second, argument-focused training set for a short second
training stage: more calls, and most of them to ``EXTRA_TRAIN_TOOLS`` (names, ordered pairs,
optional arguments only when asked for, arrays, counts next to other numbers, verbatim text).
It never touches the eval split; ``train.jsonl`` and ``eval.jsonl`` do not depend on it.

The eval split is held out: its tools are either tools never seen in training (not even as
distractors) or training tools asked with phrasings never seen in training; its small talk,
facts, system prompts and connectors are held out too. Eval records carry what to check:
``expected_calls`` (name + arguments) and, for answers, ``mentions`` (for each tool result, the
values the expected answer quotes). The training script renders conversations with the model's chat template and trains
on assistant tokens only.

Run::

    python tool_model/make_tool_dataset.py [--train 6000] [--eval 400] [--refine 1500] [--seed 0]

Example:
    >>> rng = random.Random(0)
    >>> record = make_example("call", rng, held_out=False)
    >>> record["messages"][-1]["tool_calls"][0]["function"]["name"] in {
    ...     t["function"]["name"] for t in record["tools"]}
    True
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from schema_variants import vary_schemas  # noqa: E402
from tool_catalog import (  # noqa: E402
    ALL_TOOLS,
    CAPITAL_ANSWER,
    CAPITAL_ASKS,
    CAPITALS,
    CHAT,
    CONNECTORS,
    EVAL_CAPITAL_ASKS,
    EVAL_CAPITALS,
    EVAL_CHAT,
    EVAL_CONNECTORS,
    EVAL_FACTS,
    EVAL_SYSTEM_PROMPTS,
    EXTRA_TRAIN_TOOLS,
    FACTS,
    HELD_OUT_TOOLS,
    SYSTEM_PROMPTS,
    TRAIN_TOOLS,
    Args,
    Ask,
    Tool,
)

DEFAULT_OUT = Path(__file__).resolve().parent.parent / ".cache" / "tool_dataset"
TRAIN_MIX = {"call": 0.33, "two_calls": 0.10, "no_call": 0.25, "answer": 0.27, "thanks": 0.05}
EVAL_MIX = {"call": 0.35, "two_calls": 0.10, "no_call": 0.25, "answer": 0.30}
REFINE_MIX = {"call": 0.45, "two_calls": 0.15, "no_call": 0.20, "answer": 0.20}
REFINE_EXTRA_SHARE = 0.6
"""In ``refine.jsonl``, the share of requested calls that go to ``EXTRA_TRAIN_TOOLS``."""
_SLOT = re.compile(r"\{(\w+)\}")
Message = dict[str, Any]


def as_text(value: Any) -> str:
    """How a value reads in a sentence: lists as ``a, b and c``, numbers without ``.0``.

    >>> as_text(["a", "b", "c"]), as_text(12.0), as_text(2.5), as_text(True)
    ('a, b and c', '12', '2.5', 'true')
    """
    if isinstance(value, list):
        words = [as_text(v) for v in value]
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fill(tool: Tool, ask: Ask, rng: random.Random) -> tuple[str, Args]:
    """A request in words and the exact arguments it asks for (parameters in schema order)."""
    template, fixed = (ask, {}) if isinstance(ask, str) else ask
    values = tool.draw(rng)
    slots = _SLOT.findall(template)
    prompt = template.format(**{slot: as_text(values[slot]) for slot in slots})
    chosen = {**{slot: values[slot] for slot in slots}, **fixed}
    return prompt, {p.name: chosen[p.name] for p in tool.params if p.name in chosen}


def answer_for(tool: Tool, args: Args, result: Args) -> tuple[str, list[str]]:
    """The answer that quotes ``result``, and the result values it must mention."""
    template = tool.answers[0]
    fields = _SLOT.findall(template)
    merged = {**args, **result}
    text = template.format(**{f: as_text(merged[f]) for f in fields})
    mentions: list[str] = []
    for f in fields:
        if f in result:
            values = result[f] if isinstance(result[f], list) else [result[f]]
            mentions += [as_text(v) for v in values]
    return text, mentions


class Split:
    """What one split may draw from: tools, phrasings, small talk, system prompts."""

    def __init__(self, held_out: bool, extra: Sequence[Tool] = ()) -> None:
        self.held_out = held_out
        self.extra = list(extra)
        self.tools: list[Tool] = TRAIN_TOOLS + HELD_OUT_TOOLS if held_out else list(TRAIN_TOOLS)
        self.tools += self.extra
        self.chat = EVAL_CHAT if held_out else CHAT
        self.facts = EVAL_FACTS if held_out else FACTS
        self.capitals = EVAL_CAPITALS if held_out else CAPITALS
        self.capital_asks = EVAL_CAPITAL_ASKS if held_out else CAPITAL_ASKS
        self.systems = EVAL_SYSTEM_PROMPTS if held_out else SYSTEM_PROMPTS
        self.connectors = EVAL_CONNECTORS if held_out else CONNECTORS

    def target(self, rng: random.Random) -> tuple[Tool, Ask]:
        """A tool to call and a phrasing: eval uses unseen tools or unseen phrasings."""
        if self.extra and rng.random() < REFINE_EXTRA_SHARE:
            tool = rng.choice(self.extra)
            return tool, rng.choice(tool.asks)
        if not self.held_out:
            tool = rng.choice(TRAIN_TOOLS)
            return tool, rng.choice(tool.asks)
        tool = rng.choice(HELD_OUT_TOOLS if rng.random() < 0.5 else TRAIN_TOOLS)
        return tool, rng.choice(tool.eval_asks)

    def no_tool_request(self, rng: random.Random) -> tuple[str, str]:
        kind = rng.random()
        if kind < 0.4:
            return rng.choice(self.chat)
        if kind < 0.8:
            return rng.choice(self.facts)
        country = rng.choice(sorted(self.capitals))
        capital = self.capitals[country]
        question = rng.choice(self.capital_asks).format(country=country)
        return question, CAPITAL_ANSWER.format(country=country, capital=capital)

    def offer(self, rng: random.Random, needed: Sequence[Tool], *, allow_broad: bool = True):
        """1-3 tool schemas, shuffled: the ``needed`` ones plus random distractors."""
        total = max(len(needed), rng.choices([1, 2, 3], weights=[4, 4, 3])[0])
        names = {t.name for t in needed}
        pool = [t for t in self.tools if t.name not in names and (allow_broad or not t.broad)]
        offered = list(needed) + rng.sample(pool, total - len(needed))
        rng.shuffle(offered)
        return [t.schema() for t in offered]

    def start(self, rng: random.Random) -> list[Message]:
        if rng.random() < 0.25:
            return [{"role": "system", "content": rng.choice(self.systems)}]
        return []


def _calls_message(calls: list[tuple[str, Args]]) -> Message:
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(calls)
        ],
    }


def _join(connector: str, first: str, second: str) -> str:
    if connector.endswith("{b}") and not connector.startswith("Two") and second[1:2].islower():
        second = second[0].lower() + second[1:]
    return connector.format(a=first, b=second)


def make_example(
    kind: str, rng: random.Random, *, held_out: bool, extra: Sequence[Tool] = ()
) -> dict[str, Any]:
    """One conversation of ``kind`` (see the module docstring) for the train or eval split;
    ``extra`` tools are offered too and asked for most of the time (the refine split)."""
    split = Split(held_out, extra)
    messages = split.start(rng)
    record: dict[str, Any] = {"kind": kind}
    if kind == "no_call":
        question, reply = split.no_tool_request(rng)
        record["tools"] = split.offer(rng, [], allow_broad=False)
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]
        record.update(messages=messages, expected_calls=[])
        return record

    n_calls = (
        2 if kind == "two_calls" or (kind in ("answer", "thanks") and rng.random() < 0.2) else 1
    )
    first_tool, first_ask = split.target(rng)
    picks = [(first_tool, first_ask)]
    if n_calls == 2:
        if rng.random() < 0.3:  # the same tool twice, with other values
            asks = first_tool.eval_asks if held_out else first_tool.asks
            picks.append((first_tool, rng.choice(asks)))
        else:
            while (pick := split.target(rng))[0].name == first_tool.name:
                pass
            picks.append(pick)
    filled = [(tool, *fill(tool, ask, rng)) for tool, ask in picks]
    if n_calls == 2:
        prompt = _join(rng.choice(split.connectors), filled[0][1], filled[1][1])
    else:
        prompt = filled[0][1]
    needed = list({tool.name: tool for tool, _, _ in filled}.values())
    record["tools"] = split.offer(rng, needed)
    calls = [(tool.name, args) for tool, _, args in filled]
    messages += [{"role": "user", "content": prompt}, _calls_message(calls)]
    record["expected_calls"] = [{"name": n, "arguments": a} for n, a in calls]
    if kind in ("answer", "thanks"):
        answers: list[str] = []
        mentions: list[list[str]] = []
        for i, (tool, _, args) in enumerate(filled):
            result = tool.result(args, rng)
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": f"call_{i}",
                    "name": tool.name,
                    "content": json.dumps(result, ensure_ascii=False),
                }
            )
            text, quoted = answer_for(tool, args, result)
            answers.append(text)
            mentions.append(quoted)
        messages.append({"role": "assistant", "content": " ".join(answers)})
        record["mentions"] = mentions
    if kind == "thanks":
        thanks, reply = rng.choice(CHAT[4:6])
        messages += [{"role": "user", "content": thanks}, {"role": "assistant", "content": reply}]
    record["messages"] = messages
    return record


def make_split(
    size: int,
    mix: dict[str, float],
    seed: str,
    *,
    held_out: bool,
    extra: Sequence[Tool] = (),
    prefix: str | None = None,
) -> list[dict]:
    """``size`` examples in the proportions of ``mix``, shuffled, each with an ``id``."""
    rng = random.Random(seed)
    counts = {kind: round(size * share) for kind, share in mix.items()}
    counts[max(mix, key=mix.__getitem__)] += size - sum(counts.values())
    records = [
        make_example(kind, rng, held_out=held_out, extra=extra)
        for kind, n in counts.items()
        for _ in range(n)
    ]
    rng.shuffle(records)
    prefix = prefix or ("eval" if held_out else "train")
    return [{"id": f"{prefix}-{i:05d}", **r} for i, r in enumerate(records)]


def check_held_out(train: list[dict], evaluation: list[dict]) -> None:
    """Fail when a held-out tool or an eval request shows up in the training data."""
    held = {t.name for t in HELD_OUT_TOOLS}
    first_user = {json.dumps(_user_turns(r)) for r in train}
    for record in train:
        offered = {t["function"]["name"] for t in record["tools"]}
        if offered & held:
            raise AssertionError(f"{record['id']} offers held-out tools {offered & held}")
    for record in evaluation:
        if json.dumps(_user_turns(record)) in first_user:
            raise AssertionError(f"{record['id']} asks exactly what a training example asks")


def _user_turns(record: dict) -> list[str]:
    return [m["content"] for m in record["messages"] if m["role"] == "user"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=int, default=6000, help="training examples")
    parser.add_argument("--eval", type=int, default=400, help="held-out eval examples")
    parser.add_argument("--refine", type=int, default=1500, help="second-stage examples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--vary-schemas",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="in refine.jsonl, give this share of the offered tools other tool and parameter "
        "names (schema_variants.py); 0 (default) keeps the catalog's names",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)

    train = make_split(args.train, TRAIN_MIX, f"{args.seed}-train", held_out=False)
    evaluation = make_split(args.eval, EVAL_MIX, f"{args.seed}-eval", held_out=True)
    refine = make_split(
        args.refine,
        REFINE_MIX,
        f"{args.seed}-refine",
        held_out=False,
        extra=EXTRA_TRAIN_TOOLS,
        prefix="refine",
    )
    if args.vary_schemas:
        rng = random.Random(f"{args.seed}-vary")
        refine = [vary_schemas(record, rng, args.vary_schemas) for record in refine]
    check_held_out(train + refine, evaluation)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, records in (("train", train), ("eval", evaluation), ("refine", refine)):
        path = args.out / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as stream:
            for record in records:
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        kinds = Counter(r["kind"] for r in records)
        print(f"{path}: {len(records)} examples {dict(sorted(kinds.items()))}")
    unseen = sum(
        any(c["name"] in {t.name for t in HELD_OUT_TOOLS} for c in r["expected_calls"])
        for r in evaluation
    )
    print(f"eval examples that call a tool never seen in training: {unseen}")
    print(
        f"tools: {len(TRAIN_TOOLS)} for training (+{len(EXTRA_TRAIN_TOOLS)} in refine), "
        f"{len(HELD_OUT_TOOLS)} held out ({len(ALL_TOOLS)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
