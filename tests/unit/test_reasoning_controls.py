"""Reasoning controls (thinking on/off, reasoning_effort) on the real corpus templates: the prompt
changes as each family's template documents, or a clear ValueError says the model cannot do it.

Every case renders the family's own chat template through the public API (a scripted engine with
that template), in the core, LangChain (per call and at construction) and LlamaIndex.
"""

from __future__ import annotations

import pytest
from family_tokenizers import deepseek_v32_tokenizer, tokenizer_with_markers
from llama_index.core.llms import ChatMessage
from template_corpus import corpus_entries

from langchain_vllm import ChatVLLM
from llama_index_vllm import Vllm
from vllm_native.chat import ChatClient
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest

HI = [{"role": "user", "content": "Hi"}]


def template(file: str) -> str:
    return next(e.text for e in corpus_entries() if e.file == file)


def engine(file: str | None, responses: int = 1) -> ScriptedEngine:
    if file is None:
        return ScriptedEngine(["ok"] * responses, tokenizer=deepseek_v32_tokenizer())
    return ScriptedEngine(
        ["ok"] * responses, tokenizer=tokenizer_with_markers(), chat_template=template(file)
    )


def prompt(file: str | None, **controls: object) -> str:
    """The prompt the core sends for one user message with ``controls``."""
    scripted = engine(file)
    ChatClient(engine=scripted).chat(ChatRequest(HI, **controls))  # type: ignore[arg-type]
    return scripted.requests[0].prompt


# (template, controls, what the prompt ends with): each family's own switch, as its template
# writes it (None: DeepSeek V3.2's Python encoder in vLLM, which has no Jinja template).
SWITCHED = [
    ("llama.cpp/Qwen-Qwen3-0.6B.jinja", {"thinking": False}, "<think>\n\n</think>\n\n"),
    ("llama.cpp/Qwen-Qwen3-0.6B.jinja", {"reasoning_effort": "none"}, "<think>\n\n</think>\n\n"),
    ("llama.cpp/Qwen-Qwen3-0.6B.jinja", {"thinking": True}, "<|im_start|>assistant\n"),
    ("vllm/rust-tests-qwen3.jinja", {"thinking": False}, "<think>\n\n</think>\n\n"),
    ("llama.cpp/Qwen3.5-4B.jinja", {"thinking": False}, "<think>\n\n</think>\n\n"),
    ("vllm/rust-tests-qwen35.jinja", {"thinking": True}, "assistant\n<think>\n"),
    ("llama.cpp/Qwen-QwQ-32B.jinja", {"thinking": True}, "assistant\n<think>\n"),
    ("llama.cpp/GLM-4.6.jinja", {"thinking": False}, "Hi/nothink<|assistant|>\n<think></think>"),
    ("llama.cpp/GLM-4.7-Flash.jinja", {"thinking": False}, "<|assistant|></think>"),
    ("llama.cpp/GLM-4.7-Flash.jinja", {"thinking": True}, "<|assistant|><think>"),
    ("vllm/tool_chat_template_deepseekv31.jinja", {"thinking": True}, "<think>"),
    ("llama.cpp/deepseek-ai-DeepSeek-V3.1.jinja", {"thinking": True}, "<｜Assistant｜><think>"),
    ("llama.cpp/deepseek-ai-DeepSeek-V3.2.jinja", {"thinking": True}, "<｜Assistant｜><think>"),
    (None, {"thinking": True}, "<｜Assistant｜><think>"),
    (None, {"thinking": False}, "<｜Assistant｜></think>"),
    ("vllm/tool_chat_template_gemma4.jinja", {"thinking": True}, "<|turn>model\n"),
    ("llama.cpp/openai-gpt-oss-120b.jinja", {"reasoning_effort": "high"}, "<|start|>assistant"),
    ("llama.cpp/ByteDance-Seed-OSS.jinja", {"thinking": False}, "</seed:think>"),
]


@pytest.mark.parametrize(("file", "controls", "ending"), SWITCHED)
def test_controls_render_the_family_switch(file, controls, ending) -> None:
    text = prompt(file, **controls)
    assert text.endswith(ending), text[-80:]


def test_effort_and_thinking_reach_what_the_template_writes() -> None:
    """gpt-oss writes its effort into the system message; Gemma 4 opens its thought channel
    only with thinking on; Granite 3.3 adds its thinking instructions."""
    for effort in ("low", "medium", "high"):
        gpt_oss = prompt("llama.cpp/openai-gpt-oss-120b.jinja", reasoning_effort=effort)
        assert f"Reasoning: {effort}\n" in gpt_oss
    gemma = "vllm/tool_chat_template_gemma4.jinja"
    assert "<|think|>" in prompt(gemma, thinking=True)
    assert "<|think|>" not in prompt(gemma, thinking=False)
    granite = "llama.cpp/ibm-granite-granite-3.3-2B-Instruct.jinja"
    assert "thinking process" in prompt(granite, thinking=True)
    assert "thinking process" not in prompt(granite, thinking=False)
    seed = "llama.cpp/ByteDance-Seed-OSS.jinja"
    assert "thinking budget is 0" in prompt(seed, thinking=False)
    assert "thinking budget is 0" not in prompt(seed)


REFUSED = [
    # always reasons: no switch to turn thinking off
    ("llama.cpp/Kimi-K2-Thinking.jinja", {"thinking": False}, "always reasons"),
    ("llama.cpp/MiniMax-M2.jinja", {"thinking": False}, "always reasons"),
    ("vllm/tool_chat_template_deepseekr1.jinja", {"thinking": False}, "always reasons"),
    ("llama.cpp/mistralai-Ministral-3-14B-Reasoning-2512.jinja", {"thinking": False}, "always"),
    ("llama.cpp/openai-gpt-oss-120b.jinja", {"thinking": False}, "reasoning_effort='low'"),
    ("llama.cpp/openai-gpt-oss-120b.jinja", {"reasoning_effort": "none"}, "gpt-oss always"),
    ("llama.cpp/openai-gpt-oss-120b.jinja", {"reasoning_effort": "max"}, "['low', 'medium'"),
    # never reasons
    ("llama.cpp/meta-llama-Llama-3.1-8B-Instruct.jinja", {"thinking": True}, "does not reason"),
    ("vllm/tool_chat_template_hermes.jinja", {"thinking": True}, "does not reason"),
    ("llama.cpp/Qwen3-Coder.jinja", {"thinking": True}, "does not reason"),
    # on/off only, or a budget: no effort levels
    ("llama.cpp/Qwen-Qwen3-0.6B.jinja", {"reasoning_effort": "low"}, "only turns thinking on"),
    ("llama.cpp/ByteDance-Seed-OSS.jinja", {"reasoning_effort": "low"}, "thinking_budget"),
    ("llama.cpp/meta-llama-Llama-3.1-8B-Instruct.jinja", {"reasoning_effort": "low"}, "no reas"),
    # contradictions
    ("llama.cpp/Qwen-Qwen3-0.6B.jinja", {"thinking": True, "reasoning_effort": "none"}, "contra"),
]


@pytest.mark.parametrize(("file", "controls", "message"), REFUSED)
def test_controls_a_model_cannot_honour_are_refused(file, controls, message) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        prompt(file, **controls)


def test_asking_for_what_the_model_does_anyway_changes_nothing() -> None:
    """An always-thinking model asked to think, a never-thinking one asked not to: honoured."""
    for file, controls in [
        ("llama.cpp/Kimi-K2-Thinking.jinja", {"thinking": True}),
        ("llama.cpp/openai-gpt-oss-120b.jinja", {"thinking": True}),
        ("llama.cpp/meta-llama-Llama-3.1-8B-Instruct.jinja", {"thinking": False}),
    ]:
        assert prompt(file, **controls) == prompt(file)


def test_explicit_chat_template_kwargs_agree_or_conflict_clearly() -> None:
    qwen3 = "llama.cpp/Qwen-Qwen3-0.6B.jinja"
    same = prompt(qwen3, thinking=False, chat_template_kwargs={"enable_thinking": False})
    assert same == prompt(qwen3, thinking=False)
    assert prompt(qwen3, chat_template_kwargs={"enable_thinking": False}) == same
    with pytest.raises(ValueError, match="chat_template_kwargs has enable_thinking=True"):
        prompt(qwen3, thinking=False, chat_template_kwargs={"enable_thinking": True})


def test_bad_values_fail_when_the_request_is_made() -> None:
    with pytest.raises(ValueError, match="reasoning_effort='hihg' is not supported"):
        ChatRequest(HI, reasoning_effort="hihg")
    with pytest.raises(ValueError, match="must be True, False or None"):
        ChatRequest(HI, thinking="no")  # type: ignore[arg-type]


QWEN3 = "llama.cpp/Qwen-Qwen3-0.6B.jinja"
OFF = "<think>\n\n</think>\n\n"


def test_langchain_reasoning_at_construction_and_per_call() -> None:
    scripted = engine(QWEN3, responses=4)
    llm = ChatVLLM(engine=scripted, reasoning=False)
    llm.invoke("Hi")
    llm.invoke("Hi", reasoning=True)  # the call wins
    llm.bind(reasoning_effort="none").invoke("Hi")
    list(ChatVLLM(engine=scripted).stream("Hi", reasoning=False))
    ends = [r.prompt.endswith(OFF) for r in scripted.requests]
    assert ends == [True, False, True, True]


def test_langchain_refusals_and_counting() -> None:
    llm = ChatVLLM(engine=engine("llama.cpp/meta-llama-Llama-3.1-8B-Instruct.jinja"))
    with pytest.raises(ValueError, match="does not reason"):
        llm.invoke("Hi", reasoning=True)
    with pytest.raises(ValueError, match="thinking: called reasoning= here"):
        llm.invoke("Hi", thinking=True)  # LangChain's word is reasoning
    with pytest.raises(ValueError):
        ChatVLLM(engine=ScriptedEngine([]), reasoning_effort="extreme")
    off = ChatVLLM(engine=engine(QWEN3), reasoning=False)
    on = ChatVLLM(engine=engine(QWEN3))
    # the counted prompt is the one a turn sends: thinking off adds the empty thought
    assert off.get_num_tokens_from_messages([("human", "Hi")]) > on.get_num_tokens_from_messages(
        [("human", "Hi")]
    )


def test_llama_index_thinking_at_construction_and_per_call() -> None:
    scripted = engine(QWEN3, responses=3)
    llm = Vllm(engine=scripted, thinking=False)
    hi = [ChatMessage(role="user", content="Hi")]
    llm.chat(hi)
    llm.chat(hi, thinking=True)
    list(Vllm(engine=scripted).stream_chat(hi, reasoning_effort="none"))
    assert [r.prompt.endswith(OFF) for r in scripted.requests] == [True, False, True]
    gpt_oss = Vllm(engine=engine("llama.cpp/openai-gpt-oss-120b.jinja"), reasoning_effort="low")
    with pytest.raises(ValueError, match="gpt-oss always reasons"):  # the call's off replaces
        gpt_oss.chat(hi, thinking=False)  # the field's effort (not a contradiction)
    with pytest.raises(ValueError, match="gpt-oss always reasons"):
        Vllm(engine=engine("llama.cpp/openai-gpt-oss-120b.jinja")).chat(hi, thinking=False)
    with pytest.raises(ValueError):
        Vllm(engine=ScriptedEngine([]), thinking="sometimes")


def test_a_calls_controls_replace_the_constructors_in_both_frameworks() -> None:
    scripted = engine(QWEN3, responses=4)
    hi = [ChatMessage(role="user", content="Hi")]
    ChatVLLM(engine=scripted, reasoning=True).invoke("Hi", reasoning_effort="none")
    ChatVLLM(engine=scripted, reasoning_effort="none").invoke("Hi", reasoning=True)
    Vllm(engine=scripted, thinking=True).chat(hi, reasoning_effort="none")
    Vllm(engine=scripted, reasoning_effort="none").chat(hi)
    assert [r.prompt.endswith(OFF) for r in scripted.requests] == [True, False, True, True]
