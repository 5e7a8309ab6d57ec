"""The real engine on CPU: LoRA per request, logprobs, n choices and guided decoding, in the core
and through ChatVLLM, VLLM and LlamaIndex Vllm.

The LoRA tests start a second engine (the unmerged SmolLM2 base with LoRA serving on); the others
run on the session's default engine.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from langchain_vllm import VLLM, ChatVLLM
from llama_index_vllm import Vllm
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


def test_the_frameworks_classes_carry_the_adapter(lora_clients):
    with_adapter, plain = lora_clients
    records = decision_records()[:4]
    base = str(prepare_model("smollm2"))
    chat = ChatVLLM(
        model=base,
        lora="smollm2_tools",
        engine_args={"max_model_len": 2048},
        temperature=0,
        max_tokens=64,
    )
    assert chat._client.engine is with_adapter.engine  # one engine per base, whatever the adapter
    langchain = [
        sorted(c["name"] for c in chat.bind_tools(r["tools"]).invoke(r["messages"][:-1]).tool_calls)
        for r in records
    ]
    assert langchain == decisions(with_adapter, records)
    question = "Say hello to Ada."
    expected = with_adapter.chat(
        ChatRequest(
            [{"role": "user", "content": question}],
            sampling=SamplingOptions(temperature=0, max_tokens=16),
        )
    )
    llama = Vllm(
        model=base,
        engine_args=lora_engine_args({"max_model_len": 2048}, with_adapter.lora),
        temperature=0,
        max_new_tokens=16,
    )
    answer = llama.chat([ChatMessage(role="user", content=question)], lora="smollm2_tools")
    assert answer.message.content == expected.content  # the adapter given per call


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


# -- the same through the frameworks' classes ------------------------------------------------------
def test_chatvllm_logprobs_equal_between_stream_and_invoke():
    llm = ChatVLLM(temperature=0, max_tokens=8, top_logprobs=2)
    message = llm.invoke("Name a colour.")
    chunks = list(llm.stream("Name a colour."))
    merged = sum(chunks[1:], chunks[0])
    content = message.response_metadata["logprobs"]["content"]
    assert len(content) == message.usage_metadata["output_tokens"]
    assert all(len(t["top_logprobs"]) == 2 for t in content)
    assert merged.content == message.content
    assert merged.response_metadata["logprobs"] == message.response_metadata["logprobs"]


def test_chatvllm_and_vllm_n_choices():
    chat = ChatVLLM(temperature=1.0, n=3, seed=11, max_tokens=6)
    first = chat.generate([[HumanMessage("Write one word.")]]).generations[0]
    again = chat.generate([[HumanMessage("Write one word.")]]).generations[0]
    assert len(first) == 3 and [g.text for g in first] == [g.text for g in again]
    assert len({g.text for g in first}) > 1
    completion = VLLM(temperature=1.0, n=2, seed=3, max_tokens=6, logprobs=True)
    choices = completion.generate(["The sky is"]).generations[0]
    assert len(choices) == 2 and choices[0].text != choices[1].text
    assert all(c.generation_info["logprobs"]["content"] for c in choices)


def test_guided_decoding_through_bind_per_call_and_llama_index():
    llm = ChatVLLM(temperature=0, max_tokens=12)
    year = llm.bind(structured_outputs={"regex": "[12][0-9]{3}"}).invoke("Give a year.")
    assert re.fullmatch("[12][0-9]{3}", year.content)
    answer = llm.invoke("Is Paris in France?", structured_outputs={"choice": ["yes", "no"]})
    assert answer.content in ("yes", "no")
    llama = Vllm(temperature=0, max_new_tokens=12, logprobs=True, top_logprobs=2)
    letters = llama.chat(
        [ChatMessage(role="user", content="Letters?")],
        structured_outputs={"grammar": 'root ::= "A" ("B" | "C")'},
    )
    assert letters.message.content in ("AB", "AC")
    streamed = list(llama.stream_chat([ChatMessage(role="user", content="Name a colour.")]))
    chatted = llama.chat([ChatMessage(role="user", content="Name a colour.")])
    assert streamed[-1].logprobs == chatted.logprobs and len(chatted.logprobs[0]) == 2
