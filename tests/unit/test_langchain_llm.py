"""VLLM (completion model) on the scripted engine: raw prompts, batching, streaming, options."""

from __future__ import annotations

import doctest
import json
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from langchain_vllm import VLLM, llms
from vllm_native.testing import ScriptedEngine


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def llm_for(responses: list[Any], **kwargs: Any) -> tuple[VLLM, ScriptedEngine]:
    engine = ScriptedEngine(responses, chunks=kwargs.pop("chunks", None))
    return VLLM(engine=engine, **kwargs), engine


def test_invoke_sends_the_raw_prompt():
    llm, engine = llm_for(["Paris."])
    assert llm.invoke("The capital of France is") == "Paris."
    assert engine.requests[0].prompt == "The capital of France is"
    assert not engine.requests[0].messages


def test_generate_is_one_engine_batch_with_info_and_usage(monkeypatch):
    llm, _ = llm_for(["Rome.", ("Madrid is the", "length")])
    batches: list[int] = []
    complete_choices = llm._client.complete_choices

    def spy(prompts, sampling, **kwargs):
        batches.append(len(prompts))
        return complete_choices(prompts, sampling, **kwargs)

    monkeypatch.setattr(llm._client, "complete_choices", spy)
    result = llm.generate(["Capital of Italy:", "Capital of Spain:"])
    assert batches == [2]
    (rome,), (madrid,) = result.generations
    assert (rome.text, madrid.text) == ("Rome.", "Madrid is the")
    assert rome.generation_info["finish_reason"] == "stop"
    assert madrid.generation_info["finish_reason"] == "length"
    assert rome.generation_info["completion_tokens"] == 1
    usage = result.llm_output["token_usage"]
    assert usage["completion_tokens"] == 4
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert result.llm_output["model_name"] == "scripted"


def test_batch_keeps_order(monkeypatch):
    llm, _ = llm_for(["a", "b", "c"])
    assert llm.batch(["1", "2", "3"]) == ["a", "b", "c"]


@pytest.mark.parametrize("chunks", [1, 4, None])
def test_stream_reports_tokens_and_finishes_once(chunks):
    llm, _ = llm_for(["one two three"], chunks=chunks)
    handler = Tokens()
    pieces = list(llm.stream("Count:", config={"callbacks": [handler]}))
    assert "".join(pieces) == "one two three"
    assert handler.tokens == pieces
    assert pieces[-1] == ""


def test_stream_chunks_carry_finish_info_on_the_last_only():
    llm, _ = llm_for([("cut off", "length")], chunks=2)
    chunks = list(llm._stream("Go:"))
    infos = [c.generation_info for c in chunks]
    assert infos[:-1] == [None] * (len(chunks) - 1)
    assert infos[-1] == {
        "finish_reason": "length",
        "model_name": "scripted",
        "prompt_tokens": 1,
        "completion_tokens": 2,
    }


async def test_async_stream_and_invoke():
    llm, _ = llm_for(["alpha beta", "gamma"])
    handler = Tokens()
    pieces = [p async for p in llm.astream("Go:", config={"callbacks": [handler]})]
    assert "".join(pieces) == "alpha beta" and handler.tokens == pieces
    assert await llm.ainvoke("Go:") == "gamma"


def test_sampling_options_and_stop():
    llm, engine = llm_for(
        ["a", "b"], temperature=0.1, max_tokens=5, stop=["\n"], sampling_kwargs={"min_tokens": 1}
    )
    llm.invoke("x")
    llm.invoke("x", stop=["END"], temperature=0.7, sampling_kwargs={"min_tokens": 2})
    first, second = (r.sampling_params for r in engine.requests)
    assert (first.temperature, first.max_tokens, first.stop, first.min_tokens) == (
        0.1,
        5,
        ["\n"],
        1,
    )
    assert (second.temperature, second.stop, second.min_tokens) == (0.7, ["\n", "END"], 2)


def test_unknown_call_option_is_a_clear_error():
    llm, _ = llm_for(["a"])
    with pytest.raises(ValueError, match="VLLM got call options it does not take:\n  tools"):
        llm.invoke("x", tools=[])


def test_params_and_metadata():
    llm = VLLM(model="/no/such/model", engine_args={"max_model_len": 256}, temperature=0)
    assert llm._llm_type == "vllm-native-completion"
    assert json.loads(json.dumps(llm._identifying_params))["engine_args"] == {"max_model_len": 256}
    params = llm._get_ls_params(stop=["x"])
    assert params == {
        "ls_provider": "vllm",
        "ls_model_name": "/no/such/model",
        "ls_model_type": "llm",
        "ls_temperature": 0,
        "ls_stop": ["x"],
    }


def test_docstring_examples_run():
    result = doctest.testmod(llms)
    assert result.attempted > 0 and result.failed == 0
