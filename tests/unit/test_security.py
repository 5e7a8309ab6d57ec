"""Security defaults: no remote code, sandboxed templates, model output never executed."""

from __future__ import annotations

import json

import pytest

from vllm_native.chat import ChatClient
from vllm_native.engine import VllmEngine
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest


def test_trust_remote_code_is_off_unless_asked():
    import dataclasses

    from vllm.engine.arg_utils import AsyncEngineArgs

    assert "trust_remote_code" not in VllmEngine("m").engine_args
    defaults = {f.name: f.default for f in dataclasses.fields(AsyncEngineArgs)}
    assert defaults["trust_remote_code"] is False


def test_tool_output_is_data_not_code(tmp_path):
    sentinel = tmp_path / "pwned"
    payload = f"[f(a=__import__('os').system('touch {sentinel}'))]"
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    client = ChatClient(engine=ScriptedEngine([payload], chunks=2), tool_parser="pythonic")
    message = client.chat(ChatRequest([{"role": "user", "content": "x"}], tools=tools))
    assert not message.tool_calls and message.invalid_tool_calls
    assert not sentinel.exists()


def test_model_output_is_never_used_as_a_path(tmp_path):
    target = tmp_path / "x.txt"
    text = json.dumps({"name": "f", "arguments": {"path": str(target)}})
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    client = ChatClient(
        engine=ScriptedEngine([f"<tool_call>{text}</tool_call>"]), tool_parser="hermes"
    )
    message = client.chat(ChatRequest([{"role": "user", "content": "x"}], tools=tools))
    assert message.tool_calls[0].arguments == {"path": str(target)}
    assert not target.exists()


def test_chat_templates_render_in_a_sandbox():
    """vLLM renders with transformers' apply_chat_template, whose Jinja is sandboxed."""
    from jinja2.exceptions import SecurityError
    from transformers.utils.chat_template_utils import render_jinja_template

    escape = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    with pytest.raises(SecurityError):
        render_jinja_template([{"role": "user", "content": "x"}], chat_template=escape)
