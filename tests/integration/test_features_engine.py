"""The real engine on CPU: LoRA per request, logprobs, n choices and guided decoding.

The LoRA tests start a second engine (the unmerged SmolLM2 base with LoRA serving on); the others
run on the session's default engine.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from vllm_native.chat import ChatClient
from vllm_native.lora import lora_engine_args, resolve_adapter
from vllm_native.models import prepare_model
from vllm_native.types import ChatRequest, LogprobsDelta, SamplingOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tool_model"))
import make_tool_dataset  # noqa: E402

pytestmark = pytest.mark.engine

DECISIONS = 24
"""Held-out evaluation prompts (the default model's eval split) whose tool decision is compared."""


def decision_records() -> list[dict]:
    """The first held-out records that ask for a tool decision (a call, two calls or none)."""
    records = make_tool_dataset.make_split(400, make_tool_dataset.EVAL_MIX, "0-eval", held_out=True)
    return [r for r in records if r["kind"] != "answer"][:DECISIONS]


def decisions(client: ChatClient, records: list[dict], lora: str | None = None) -> list[list[str]]:
    requests = [
        ChatRequest(
            r["messages"][:-1],
            tools=r["tools"],
            lora=lora,
            sampling=SamplingOptions(temperature=0, max_tokens=64),
        )
        for r in records
    ]
    return [sorted(c.name for c in m.tool_calls) for m in client.chat_batch(requests)]


@pytest.fixture(scope="module")
def lora_clients():
    """The unmerged base with the shipped adapter per request, and the same engine without it."""
    base = str(prepare_model("smollm2"))
    adapter = resolve_adapter("smollm2_tools")
    with_adapter = ChatClient(base, engine_args={"max_model_len": 2048}, lora=adapter)
    plain = ChatClient(base, engine_args=lora_engine_args({"max_model_len": 2048}, adapter))
    assert plain.engine is with_adapter.engine
    yield with_adapter, plain
    with_adapter.close()


def test_base_plus_adapter_per_request_decides_like_the_merged_model(lora_clients):
    records = decision_records()
    expected = [sorted(c["name"] for c in r["expected_calls"]) for r in records]
    merged = decisions(
        ChatClient(), records
    )  # the default model is the merged one; its engine is shared
    with_adapter, plain = lora_clients
    adapted = decisions(with_adapter, records)
    base = decisions(plain, records)
    same = sum(a == m for a, m in zip(adapted, merged, strict=True))
    base_same = sum(b == m for b, m in zip(base, merged, strict=True))
    right = [sum(d == e for d, e in zip(x, expected, strict=True)) for x in (merged, adapted, base)]
    print(
        f"\nLoRA per request on {len(records)} held-out decisions: adapter = merged on {same}, "
        f"base = merged on {base_same}; correct: merged {right[0]}, adapter {right[1]}, "
        f"base {right[2]}"
    )
    assert adapted == merged
    assert base_same < len(records) - 4 and right[2] < right[1]


def test_one_batch_mixes_requests_with_and_without_the_adapter(lora_clients):
    with_adapter, plain = lora_clients
    records = decision_records()[:4]
    alone = decisions(with_adapter, records) + decisions(plain, records)
    mixed = [
        ChatRequest(
            r["messages"][:-1],
            tools=r["tools"],
            lora=lora,
            sampling=SamplingOptions(temperature=0, max_tokens=64),
        )
        for lora in (with_adapter.lora, None)
        for r in records
    ]
    together = [sorted(c.name for c in m.tool_calls) for m in plain.chat_batch(mixed)]
    assert together == alone


# -- logprobs, n, guided decoding on the default engine ----------------------------------------------
@pytest.fixture(scope="module")
def client():
    return ChatClient()


def ask(text: str, **sampling) -> ChatRequest:
    return ChatRequest(
        [{"role": "user", "content": text}],
        sampling=SamplingOptions(**{"temperature": 0, "max_tokens": 12, **sampling}),
    )


def test_logprobs_are_equal_between_stream_and_invoke(client):
    request = ask("Name a colour.", top_logprobs=3)
    message = client.chat(request)
    streamed = [t for e in client.stream(request) if isinstance(e, LogprobsDelta) for t in e.tokens]
    assert message.logprobs is not None and len(message.logprobs) == message.usage.completion_tokens
    assert tuple(streamed) == message.logprobs
    for token in message.logprobs:
        assert len(token.top_logprobs) == 3
        assert token.top_logprobs[0].logprob >= token.top_logprobs[-1].logprob
        assert token.logprob == pytest.approx(token.top_logprobs[0].logprob)  # greedy: the best
    assert "".join(t.token for t in message.logprobs).strip().startswith(message.content[:3])


def test_n_choices_differ_and_are_reproducible_with_a_seed(client):
    request = ask("Write one word.", temperature=1.0, n=3, seed=11, max_tokens=6)
    first = [m.content for m in client.choices(request)]
    again = [m.content for m in client.choices(request)]
    assert len(first) == 3 and first == again
    assert len(set(first)) > 1


def test_guided_choice_regex_and_grammar(client):
    chosen = client.chat(
        ChatRequest(
            [{"role": "user", "content": "Is Paris in France?"}],
            structured_outputs={"choice": ["yes", "no"]},
            sampling=SamplingOptions(temperature=0),
        )
    )
    assert chosen.content in ("yes", "no")
    number = client.chat(
        ChatRequest(
            [{"role": "user", "content": "Give a year."}],
            structured_outputs={"regex": "[12][0-9]{3}"},
            sampling=SamplingOptions(temperature=0),
        )
    )
    assert re.fullmatch("[12][0-9]{3}", number.content)
    grammar = 'root ::= "A" ("B" | "C")'
    letters = client.chat(
        ChatRequest(
            [{"role": "user", "content": "Letters?"}],
            structured_outputs={"grammar": grammar},
            sampling=SamplingOptions(temperature=0),
        )
    )
    assert letters.content in ("AB", "AC")
