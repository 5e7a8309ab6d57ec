"""Earlier turns' reasoning and the developer role: one policy in the core, both frameworks alike."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock, ThinkingBlock
from template_corpus import corpus_entries

from langchain_vllm import ChatVLLM
from langchain_vllm._messages import to_openai_messages as langchain_messages
from llama_index_vllm import Vllm
from llama_index_vllm.messages import to_openai_messages as llama_index_messages
from vllm_native.history import apply_history_policy, history_policy
from vllm_native.testing import ScriptedEngine


def template(file: str) -> str:
    return next(e.text for e in corpus_entries() if e.file == file)


@pytest.mark.parametrize(
    ("file", "reasoning", "developer"),
    [
        ("llama.cpp/Kimi-K2-Thinking.jinja", "resend", False),
        ("llama.cpp/MiniMax-M2.jinja", "resend", False),
        ("llama.cpp/Qwen-Qwen3-0.6B.jinja", "resend", False),
        ("llama.cpp/Qwen3.5-4B.jinja", "resend", False),
        ("llama.cpp/deepseek-ai-DeepSeek-V3.2.jinja", "resend", True),
        ("llama.cpp/GLM-4.7-Flash.jinja", "resend", False),
        ("llama.cpp/openai-gpt-oss-120b.jinja", "resend", True),
        ("llama.cpp/meta-llama-Llama-3.1-8B-Instruct.jinja", "drop", False),
        ("vllm/tool_chat_template_hermes.jinja", "drop", False),
        ("llama.cpp/Kimi-K2-Instruct.jinja", "drop", False),
    ],
)
def test_family_defaults_follow_what_the_real_template_reads(file, reasoning, developer):
    policy = history_policy(template(file), "hf")
    assert (policy.reasoning, policy.developer_role) == (reasoning, developer)


def test_native_renderers_and_explicit_choice():
    assert history_policy(None, "mistral").reasoning == "drop"  # v3-v11 reject thinking
    assert history_policy(None, "deepseek_v32").reasoning == "resend"
    assert history_policy(None, "deepseek_v32").developer_role
    assert history_policy("{{ m.reasoning_content }}", "hf", "drop").reasoning == "drop"
    with pytest.raises(ValueError, match="history_reasoning='keep'; use 'drop', 'resend'"):
        history_policy(None, "hf", "keep")


def test_gpt_oss_reads_thinking_but_never_next_to_content_in_a_call_turn():
    policy = history_policy(template("llama.cpp/openai-gpt-oss-120b.jinja"), "hf")
    call = {"id": "c", "function": {"name": "f", "arguments": {}}}
    quiet, chatty = apply_history_policy(
        [
            {"role": "assistant", "content": "", "reasoning": "Plan.", "tool_calls": [call]},
            {"role": "assistant", "content": "Hi", "reasoning": "Plan.", "tool_calls": [call]},
        ],
        policy,
    )
    assert quiet["thinking"] == "Plan." and "thinking" not in chatty  # the template raises on both


def test_both_frameworks_send_reasoning_and_developer_the_same_way():
    from_langchain = langchain_messages(
        [
            SystemMessage("Be brief.", additional_kwargs={"__openai_role__": "developer"}),
            HumanMessage("Hi"),
            AIMessage("Hello", additional_kwargs={"reasoning_content": "Greet."}),
        ]
    )
    from_llama_index = llama_index_messages(
        [
            ChatMessage(role=MessageRole.DEVELOPER, content="Be brief."),
            ChatMessage(role="user", content="Hi"),
            ChatMessage(
                role="assistant",
                blocks=[ThinkingBlock(content="Greet."), TextBlock(text="Hello")],
            ),
        ]
    )
    assert (
        from_langchain
        == from_llama_index
        == [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello", "reasoning": "Greet."},
        ]
    )
    v1 = AIMessage(content=[{"type": "reasoning", "reasoning": "Greet."}, "Hello"])
    assert langchain_messages([v1])[0]["reasoning"] == "Greet."


QWEN3 = "llama.cpp/Qwen-Qwen3-0.6B.jinja"


def qwen3_engine(*responses: str) -> ScriptedEngine:
    from family_tokenizers import tokenizer_with_markers

    return ScriptedEngine(
        list(responses), tokenizer=tokenizer_with_markers(), chat_template=template(QWEN3)
    )


@pytest.mark.parametrize(("option", "shown"), [(None, True), ("resend", True), ("drop", False)])
def test_option_is_mapped_identically_in_both_frameworks(option, shown):
    history_lc = [
        HumanMessage("Weather in Paris?"),
        AIMessage("Checking.", additional_kwargs={"reasoning_content": "Use the tool."}),
    ]
    history_li = [
        ChatMessage(role="user", content="Weather in Paris?"),
        ChatMessage(
            role="assistant",
            blocks=[ThinkingBlock(content="Use the tool."), TextBlock(text="Checking.")],
        ),
    ]
    prompts = []
    for run in ("langchain", "llama_index"):
        engine = qwen3_engine("Done.")
        if run == "langchain":
            ChatVLLM(engine=engine, tool_parser="hermes", history_reasoning=option).invoke(
                [*history_lc, HumanMessage("And now?")]
            )
        else:
            Vllm(engine=engine, tool_parser="hermes", history_reasoning=option).chat(
                [*history_li, ChatMessage(role="user", content="And now?")]
            )
        prompts.append(engine.requests[0].prompt)
    assert prompts[0] == prompts[1]
    # Qwen3's template itself shows reasoning only after the last user query: ask "resend" of a
    # turn before it and it is still not shown; the option decides what reaches the template.
    assert "Use the tool." not in prompts[0]
    engine = qwen3_engine("Done.")
    ChatVLLM(engine=engine, tool_parser="hermes", history_reasoning=option).invoke(history_lc)
    assert engine.requests[0].messages[-1].get("reasoning_content") == (
        "Use the tool." if shown else None
    )


def test_developer_becomes_system_where_the_template_has_no_such_role():
    engine = qwen3_engine("Oui.")
    ChatVLLM(engine=engine, tool_parser="hermes").invoke(
        [SystemMessage("Answer in French.", additional_kwargs={"__openai_role__": "developer"})]
        + [HumanMessage("Hi")]
    )
    assert "<|im_start|>system\nAnswer in French." in engine.requests[0].prompt
