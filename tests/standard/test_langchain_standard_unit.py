"""langchain-tests' standard unit suite for ChatVLLM, on the scripted engine (no model)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_vllm import ChatVLLM
from vllm_native.testing import ScriptedEngine


class TestChatVLLMUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatVLLM

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"engine": ScriptedEngine([]), "tool_parser": "hermes"}

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
    def returns_usage_metadata(self) -> bool:
        return True
