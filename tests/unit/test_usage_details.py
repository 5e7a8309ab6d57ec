"""Usage details: prefix-cache hits (``cache_read``) and reasoning tokens, as a user sees them in
LangChain's ``usage_metadata`` and LlamaIndex's ``raw["usage"]``; streamed equals invoked.

Reasoning tokens are checked against vLLM's own count (its reasoning parsers'
``count_reasoning_tokens``, what vLLM's server reports as ``reasoning_tokens``).
"""

from __future__ import annotations

import pytest
from family_tokenizers import tokenizer_with_markers
from langchain_core.messages import HumanMessage, SystemMessage
from llama_index.core.llms import ChatMessage

from langchain_vllm import ChatVLLM
from llama_index_vllm import Vllm
from vllm_native.testing import ScriptedEngine

THOUGHT = "Let me add 2 and 2, carefully."
REPLY = f"<think>{THOUGHT}</think>\n\n4"
LONG_SYSTEM = "You are a careful assistant who answers in one word. " * 12


def vllm_reasoning_count(text: str) -> int:
    """What vLLM's server reports: its deepseek_r1 parser over the generated token ids."""
    from vllm.reasoning import ReasoningParserManager

    tokenizer = tokenizer_with_markers("<think>", "</think>")
    parser = ReasoningParserManager.get_reasoning_parser("deepseek_r1")(tokenizer)
    return int(parser.count_reasoning_tokens(tokenizer.encode(text, add_special_tokens=False)))


def reasoning_engine(n: int) -> ScriptedEngine:
    return ScriptedEngine([REPLY] * n, tokenizer=tokenizer_with_markers("<think>", "</think>"))


async def test_langchain_reasoning_tokens_on_every_path() -> None:
    expected = vllm_reasoning_count(REPLY)
    assert expected > 0
    llm = ChatVLLM(engine=reasoning_engine(4), reasoning_parser="deepseek_r1")
    invoked = llm.invoke("2+2?")
    chunks = list(llm.stream("2+2?"))
    merged = sum(chunks[1:], chunks[0])
    achunks = [c async for c in llm.astream("2+2?")]
    amerged = sum(achunks[1:], achunks[0])
    streamed_invoke = llm.invoke("2+2?", stream=True)
    for message in (invoked, merged, amerged, streamed_invoke):
        assert message.usage_metadata["output_token_details"] == {"reasoning": expected}
        assert message.usage_metadata["output_tokens"] >= expected
    assert invoked.usage_metadata == merged.usage_metadata == amerged.usage_metadata


def test_no_reasoning_no_reasoning_count() -> None:
    """A model that does not reason reports no reasoning detail; one that reasons but did not
    think this turn reports 0."""
    plain = ChatVLLM(engine=ScriptedEngine(["4"])).invoke("2+2?")
    assert "output_token_details" not in plain.usage_metadata
    quiet = ChatVLLM(engine=ScriptedEngine(["4"]), reasoning_parser="deepseek_r1").invoke("2+2?")
    assert quiet.usage_metadata["output_token_details"] == {"reasoning": 0}


def test_llama_index_raw_carries_the_same_details() -> None:
    expected = vllm_reasoning_count(REPLY)
    llm = Vllm(engine=reasoning_engine(2), reasoning_parser="deepseek_r1")
    hi = [ChatMessage(role="user", content="2+2?")]
    chat = llm.chat(hi)
    last = list(llm.stream_chat(hi))[-1]
    for response in (chat, last):
        assert response.raw["usage"]["completion_tokens_details"] == {"reasoning_tokens": expected}
    assert chat.raw["usage"] == last.raw["usage"]


def cached_engine(n: int) -> ScriptedEngine:
    return ScriptedEngine(["One."] * n, tokenizer=tokenizer_with_markers(), prefix_caching=True)


def test_prefix_cache_hits_are_cache_read() -> None:
    llm = ChatVLLM(engine=cached_engine(3))
    messages = [SystemMessage(LONG_SYSTEM), HumanMessage("Name a colour.")]
    first = llm.invoke(messages)
    second = llm.invoke(messages)
    chunks = list(llm.stream(messages))
    streamed = sum(chunks[1:], chunks[0])
    assert first.usage_metadata["input_token_details"] == {"cache_read": 0}
    cached = second.usage_metadata["input_token_details"]["cache_read"]
    assert 0 < cached < second.usage_metadata["input_tokens"]
    assert streamed.usage_metadata == second.usage_metadata


def test_llama_index_prefix_cache_hits_in_raw() -> None:
    llm = Vllm(engine=cached_engine(2))
    messages = [
        ChatMessage(role="system", content=LONG_SYSTEM),
        ChatMessage(role="user", content="Name a colour."),
    ]
    assert llm.chat(messages).raw["usage"]["prompt_tokens_details"] == {"cached_tokens": 0}
    details = llm.chat(messages).raw["usage"]["prompt_tokens_details"]
    assert details["cached_tokens"] > 0


@pytest.mark.parametrize("block_size", [1, 16])
def test_scripted_prefix_cache_counts_whole_blocks_as_vllm(block_size: int) -> None:
    engine = ScriptedEngine(
        ["a", "b", "c"],
        tokenizer=tokenizer_with_markers(),
        prefix_caching=True,
        block_size=block_size,
    )
    prompt = engine.render_text("word " * 40)
    other = engine.render_text("other " * 40)
    counts = [list(engine.stream(p, None))[-1].cached_tokens for p in (prompt, other, prompt)]
    assert prompt.token_ids is not None
    whole = (len(prompt.token_ids) - 1) // block_size * block_size  # never the last token
    assert counts == [0, 0, whole]
