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
    def standard_chat_model_params(self) -> dict[str, Any]:
        # The unit suite adds api_key="test" for hosted providers. ChatVLLM runs vLLM in this
        # process, with no server and no key: api_key= is an error that says so
        # (tests/unit/test_constructor_conventions.py), never a silently ignored option. The
        # other standard parameters (temperature, max_tokens, timeout, stop, max_retries) stay.
        params = dict(super().standard_chat_model_params)
        params.pop("api_key", None)
        return params

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
