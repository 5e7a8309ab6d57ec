"""langchain-tests' standard integration suite for ChatVLLM on the real engine (slow).

Every test builds a ``ChatVLLM`` with the same configuration, so they all share one engine
(engines are shared per ``model`` + ``engine_args``) for the whole session.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
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
