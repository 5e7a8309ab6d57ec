"""langchain-tests' standard integration suite for ChatVLLM on the real engine (slow).

Every test builds a ``ChatVLLM`` with the same configuration, so they all share one engine
(engines are shared per ``model`` + ``engine_args``) for the whole session.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_vllm import ChatVLLM

pytestmark = pytest.mark.engine

ENGINE_CONFIG: dict[str, Any] = {
    "model": None,
    "temperature": 0,
    "frequency_penalty": 0.5,
    "max_tokens": 256,
}
"""The one configuration every test uses: the prepared default model, greedy decoding. The 135M
model repeats itself under pure greedy decoding ("the cat was a cat, and the cat was a cat...")
until max_tokens cuts the structured reply off; a frequency penalty stops the loop."""


class TestChatVLLMIntegration(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatVLLM

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return dict(ENGINE_CONFIG)

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        # One in-process engine per model: a different model needs another ChatVLLM.
        return False

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        # vLLM reports prefix-cache hits; the default model does not reason (reasoning token
        # counts are tested on the scripted engine against vLLM's own parser).
        return {"invoke": ["cache_read_input"], "stream": ["cache_read_input"]}

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        """The same long prompt twice: the second is read from vLLM's prefix cache."""
        llm = ChatVLLM(**{**ENGINE_CONFIG, "max_tokens": 4})
        messages = [
            SystemMessage("Answer every question with one short word. " * 12),
            HumanMessage("Hi"),
        ]
        llm.invoke(messages)
        if not stream:
            return llm.invoke(messages)
        chunks = list(llm.stream(messages))
        merged = sum(chunks[1:], chunks[0])
        return AIMessage(content=merged.content, usage_metadata=merged.usage_metadata)
