"""The real engine on CPU: prefix-cache hits reach ``usage_metadata`` and LlamaIndex's ``raw``.

vLLM turns prefix caching on by default; the same long prompt sent again is served from the
cache, in whole blocks, and the response says how many prompt tokens that was. Runs on the
session's default engine.
"""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from llama_index.core.llms import ChatMessage

from langchain_vllm import ChatVLLM
from llama_index_vllm import Vllm

pytestmark = pytest.mark.engine

SYSTEM = "You are a careful assistant. Answer every question with one short word. " * 10


def test_the_same_long_prompt_twice_reads_the_prefix_cache():
    llm = ChatVLLM(temperature=0, max_tokens=4)
    messages = [SystemMessage(SYSTEM), HumanMessage("Name a colour.")]
    llm.invoke(messages)  # fills the cache (an earlier test may have too)
    again = llm.invoke(messages)
    cached = again.usage_metadata["input_token_details"]["cache_read"]
    assert 0 < cached < again.usage_metadata["input_tokens"]
    chunks = list(llm.stream(messages))
    streamed = sum(chunks[1:], chunks[0])
    assert streamed.usage_metadata["input_token_details"]["cache_read"] == cached
    assert "output_token_details" not in again.usage_metadata  # the default model does not reason

    index_llm = Vllm(temperature=0, max_new_tokens=4)
    assert index_llm.client.engine is llm._client.engine  # one engine for both frameworks
    response = index_llm.chat(
        [
            ChatMessage(role="system", content=SYSTEM),
            ChatMessage(role="user", content="Name a colour."),
        ]
    )
    assert response.raw["usage"]["prompt_tokens_details"]["cached_tokens"] == cached
