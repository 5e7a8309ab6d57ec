"""Constructor conventions of ChatVLLM, VLLM and LlamaIndex's Vllm: unknown keywords and bad
values fail at construction with where they belong, ``vllm_kwargs`` are engine arguments (as in
langchain-community and llama-index-llms-vllm), ``sampling_kwargs`` pass other SamplingParams
fields, and ``model_copy`` builds a copy that really uses its new model, engine or options."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from langchain_vllm import VLLM, ChatVLLM
from llama_index_vllm import Vllm
from vllm_native.testing import ScriptedEngine

CLASSES = [ChatVLLM, VLLM, Vllm]
HUB_MODEL = "Qwen/Qwen3-8B"  # a hub id: nothing is loaded, nothing is asked of the hub


def build(cls: type, **kwargs: Any) -> Any:
    return cls(**kwargs)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"temprature": 0.2}, "temprature: did you mean temperature=?"),
        ({"model_name": HUB_MODEL}, "model_name: called model= here"),
        (
            {"tensor_parallel_size": 2},
            "tensor_parallel_size: a vLLM engine argument: pass engine_args="
            "{'tensor_parallel_size': 2}",
        ),
        (
            {"min_p": 0.05},
            "min_p: a vllm.SamplingParams field: pass sampling_kwargs={'min_p': 0.05}",
        ),
        ({"repeat_penalty": 1.1}, "pass sampling_kwargs={'repetition_penalty': 1.1}"),
        ({"stop_sequences": ["END"]}, "stop_sequences: called stop= here"),
        ({"base_url": "http://localhost:8000/v1"}, "there is no server: pass model="),
        ({"gpu_memory_utilisation": 0.5}, "did you mean engine_args={'gpu_memory_utilization'"),
    ],
)
def test_unknown_keywords_fail_with_where_they_belong(cls, kwargs, hint):
    with pytest.raises(ValueError, match="got keyword arguments it does not take") as error:
        build(cls, engine=ScriptedEngine([]), **kwargs)
    assert hint in str(error.value)


def test_each_framework_names_max_tokens_and_thinking_its_own_way():
    with pytest.raises(ValueError, match="max_new_tokens: called max_tokens= here"):
        ChatVLLM(max_new_tokens=64)
    with pytest.raises(ValueError, match="max_tokens: called max_new_tokens= here"):
        Vllm(max_tokens=64)
    with pytest.raises(ValueError, match="thinking: called reasoning= here"):
        ChatVLLM(thinking=False)
    with pytest.raises(ValueError, match="reasoning: called thinking= here"):
        Vllm(reasoning=False)


@pytest.mark.parametrize("cls", CLASSES)
def test_model_kwargs_are_rejected_key_by_key_never_dropped(cls):
    with pytest.raises(ValueError) as error:
        build(cls, model_kwargs={"temperature": 0.1, "min_tokens": 2, "dtype": "half"})
    message = str(error.value)
    assert "model_kwargs: not used here" in message
    assert "'temperature': pass temperature= directly" in message
    assert "'min_tokens': a vllm.SamplingParams field: pass sampling_kwargs={'min_tokens': 2}" in (
        message
    )
    assert "'dtype': a vLLM engine argument: pass engine_args={'dtype': 'half'}" in message


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"temperature": -1}, "temperature=-1.0: must be in [0, 2]"),
        ({"top_p": 2}, "top_p=2.0: must be in (0, 1]"),
        ({"n": 0}, "n=0: must be at least 1"),
        ({"top_logprobs": 21}, "top_logprobs=21: must be between 0 and 20"),
    ],
)
def test_invalid_values_fail_at_construction(cls, kwargs, problem):
    with pytest.raises(ValueError) as error:
        build(cls, engine=ScriptedEngine([]), **kwargs)
    assert problem in str(error.value)


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [(ChatVLLM, {"max_tokens": 0}), (VLLM, {"max_tokens": 0}), (Vllm, {"max_new_tokens": 0})],
)
def test_zero_max_tokens_fails_at_construction(cls, kwargs):
    with pytest.raises(ValueError, match="max_new_tokens|max_tokens=0: must be at least 1"):
        build(cls, engine=ScriptedEngine([]), **kwargs)


def test_langchain_standard_parameters_are_accepted():
    model = ChatVLLM(engine=ScriptedEngine(["ok"]), timeout=60, max_retries=2, temperature=0)
    assert model.invoke("hi").content == "ok"


# -- vllm_kwargs: engine arguments, as in the libraries users migrate from ---------------------


def test_vllm_kwargs_are_engine_arguments_in_both_frameworks():
    chat = ChatVLLM(model=HUB_MODEL, vllm_kwargs={"max_model_len": 1024})
    assert chat.engine_args == {"max_model_len": 1024}
    assert chat.profile["max_input_tokens"] == 1024
    merged = VLLM(
        model=HUB_MODEL, engine_args={"max_model_len": 1024}, vllm_kwargs={"dtype": "bfloat16"}
    )
    assert merged.engine_args == {"max_model_len": 1024, "dtype": "bfloat16"}
    llm = Vllm(model=HUB_MODEL, vllm_kwargs={"max_model_len": 2048})
    assert llm.engine_args == {"max_model_len": 2048}
    assert llm.metadata.context_window == 2048  # known from the engine arguments, not started


@pytest.mark.parametrize("cls", CLASSES)
def test_vllm_kwargs_conflicts_and_sampling_keys_are_errors(cls):
    with pytest.raises(ValueError, match="'max_model_len' is given twice with different values"):
        build(cls, engine_args={"max_model_len": 1024}, vllm_kwargs={"max_model_len": 2048})
    with pytest.raises(ValueError) as error:
        build(cls, model=HUB_MODEL, vllm_kwargs={"repetition_penalty": 1.1})
    assert "vllm_kwargs holds vLLM engine arguments" in str(error.value)
    assert "pass sampling_kwargs={'repetition_penalty': 1.1}" in str(error.value)
    with pytest.raises(ValueError, match="'temperature' is not one: pass temperature= directly"):
        build(cls, model=HUB_MODEL, vllm_kwargs={"temperature": 0})


@pytest.mark.parametrize("cls", CLASSES)
def test_engine_args_that_vllm_does_not_take_fail_at_construction(cls):
    with pytest.raises(ValueError, match="'max_model_length' is not a vLLM engine argument") as e:
        build(cls, model=HUB_MODEL, engine_args={"max_model_length": 1024})
    assert "did you mean engine_args={'max_model_len'" in str(e.value)


def test_vllm_kwargs_per_call_say_where_each_kind_goes():
    for call in (
        lambda: ChatVLLM(engine=ScriptedEngine(["x"])).invoke("hi", vllm_kwargs={"min_p": 0.1}),
        lambda: VLLM(engine=ScriptedEngine(["x"])).invoke("hi", vllm_kwargs={"min_p": 0.1}),
        lambda: Vllm(engine=ScriptedEngine(["x"])).complete("hi", vllm_kwargs={"min_p": 0.1}),
    ):
        with pytest.raises(ValueError, match="vllm_kwargs are vLLM engine arguments") as error:
            call()
        assert "per-call SamplingParams fields go in sampling_kwargs" in str(error.value)


# -- sampling_kwargs: other SamplingParams fields, at construction and per call -----------------


def test_sampling_kwargs_reach_the_engine_in_both_frameworks():
    engine = ScriptedEngine(["a", "b", "c", "d"])
    chat = ChatVLLM(engine=engine, sampling_kwargs={"min_tokens": 1, "repetition_penalty": 1.1})
    chat.invoke("x")
    chat.invoke("x", sampling_kwargs={"min_tokens": 3})
    llm = Vllm(engine=engine, sampling_kwargs={"min_p": 0.2})
    llm.chat([ChatMessage(role="user", content="x")], sampling_kwargs={"min_tokens": 2})
    llm.complete("x", ignore_eos=True)  # LlamaIndex's way: SamplingParams fields as keywords
    params = [r.sampling_params for r in engine.requests]
    assert (params[0].min_tokens, params[0].repetition_penalty) == (1, 1.1)
    assert (params[1].min_tokens, params[1].repetition_penalty) == (3, 1.1)
    assert (params[2].min_p, params[2].min_tokens) == (0.2, 2)
    assert (params[3].min_p, params[3].ignore_eos) == (0.2, True)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"temperature": 0}, "sampling_kwargs key 'temperature': pass temperature= as its own"),
        ({"min_tokns": 1}, "did you mean sampling_kwargs={'min_tokens': ...}"),
        ({"max_model_len": 1}, "a vLLM engine argument: pass engine_args={'max_model_len': 1}"),
        ({"output_kind": 1}, "'output_kind' is set by vllm-native"),
    ],
)
def test_bad_sampling_kwargs_fail_at_construction(extra, message):
    for cls in CLASSES:
        with pytest.raises(ValueError) as error:
            build(cls, engine=ScriptedEngine([]), sampling_kwargs=extra)
        assert message in str(error.value)


# -- model_copy -----------------------------------------------------------------------------------


def test_model_copy_with_a_new_engine_answers_from_it():
    old, new = ScriptedEngine(["old"]), ScriptedEngine(["new", "new again"], max_model_len=321)
    model = ChatVLLM(engine=old, temperature=0.7)
    copied = model.model_copy(update={"engine": new})
    assert copied.invoke("hi").content == "new"
    assert copied.profile["max_input_tokens"] == 321  # the profile follows the engine
    assert copied.temperature == 0.7 and new.requests[0].sampling_params.temperature == 0.7
    assert model.invoke("hi").content == "old" and len(new.requests) == 1
    llm = Vllm(engine=ScriptedEngine(["old"])).model_copy(update={"engine": new})
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content == "new again"


def test_model_copy_with_a_new_model_leaves_the_old_engine():
    model = ChatVLLM(engine=ScriptedEngine([], max_model_len=777))
    copied = model.model_copy(update={"model": HUB_MODEL, "engine_args": {"max_model_len": 2048}})
    assert copied.engine is None and copied.model == HUB_MODEL
    assert copied.profile["max_input_tokens"] == 2048
    assert copied.get_name() == "ChatVLLM" and copied._llm_type == model._llm_type
    assert json.loads(json.dumps(copied._identifying_params))["model"] == HUB_MODEL


def test_model_copy_applies_and_checks_sampling_updates():
    engine = ScriptedEngine(["a", "b"])
    model = ChatVLLM(engine=engine, temperature=0.9)
    model.model_copy(update={"temperature": 0}).invoke("x")
    model.invoke("x")
    assert [r.sampling_params.temperature for r in engine.requests] == [0, 0.9]
    with pytest.raises(ValueError, match="temperature=-1.0: must be in"):
        model.model_copy(update={"temperature": -1})
    with pytest.raises(ValueError, match="temprature: did you mean temperature="):
        model.model_copy(update={"temprature": 0})
    llm = Vllm(engine=ScriptedEngine(["c"]), temperature=0.9)
    llm.model_copy(update={"max_new_tokens": 5}).complete("x")
    assert llm.engine.requests[0].sampling_params.max_tokens == 5


def test_deep_copies_share_the_engine():
    engine = ScriptedEngine(["a", "b"])
    for model in (ChatVLLM(engine=engine), Vllm(engine=engine)):
        assert model.model_copy(deep=True).engine is engine
        assert copy.deepcopy(model).engine is engine


def test_a_given_profile_survives_a_copy():
    model = ChatVLLM(engine=ScriptedEngine([]), profile={"max_input_tokens": 10})
    assert model.model_copy(update={"temperature": 0}).profile == {"max_input_tokens": 10}


# -- profile: image inputs -------------------------------------------------------------------------


def test_image_inputs_are_reported_from_what_is_known_without_starting_an_engine(tmp_path):
    assert ChatVLLM(engine=ScriptedEngine([], multimodal=True)).profile["image_inputs"] is True
    assert ChatVLLM(engine=ScriptedEngine([])).profile["image_inputs"] is False
    (tmp_path / "config.json").write_text(
        json.dumps({"architectures": ["LlavaForConditionalGeneration"]})
    )
    vision = ChatVLLM(model=str(tmp_path))
    assert vision.profile["image_inputs"] is True
    text_only = ChatVLLM(model=str(tmp_path), engine_args={"limit_mm_per_prompt": {"image": 0}})
    assert text_only.profile["image_inputs"] is False
    assert "image_inputs" not in ChatVLLM(model=HUB_MODEL).profile
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    scripted = ChatVLLM(engine=ScriptedEngine(["A pixel."], multimodal=True))
    assert scripted.invoke([HumanMessage([{"type": "text", "text": "What?"}, image])]).content
