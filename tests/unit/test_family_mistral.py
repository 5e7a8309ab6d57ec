"""Mistral as vLLM loads it by default: a mistral_common tokenizer, no chat template.

The prompt is rendered by vLLM's own mistral_common path (``safe_apply_chat_template``), which
validates every call id in the history ("must be a-z, A-Z, 0-9, with a length of 9"): these tests
fail if detection falls back to hermes, if ``[TOOL_CALLS]`` is skipped as a special token, or if
an id of the wrong shape reaches mistral_common.
"""

from __future__ import annotations

import json
import re

import pytest
from agent_loops import FINAL_ANSWER, TOOL_RESULT, langgraph_loop, llama_index_loop
from family_tokenizers import mistral_tokenizer
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_vllm import ChatVLLM
from vllm_native.chat import ChatClient
from vllm_native.formats.tokenizer_mode import (
    format_for_tokenizer,
    render_natively,
    tokenizer_mode,
)
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest

MISTRAL_ID = re.compile(r"[a-zA-Z0-9]{9}")
# Mistral NeMo (tokenizer v3) writes its calls as a JSON array after [TOOL_CALLS]
CALL = '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}]'
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture(scope="module")
def tokenizer():
    return mistral_tokenizer()


def engine(tokenizer, *responses: str) -> ScriptedEngine:
    return ScriptedEngine(list(responses), tokenizer=tokenizer, seed=7)


def test_detected_from_the_tokenizer_and_markers_kept(tokenizer):
    assert tokenizer_mode(tokenizer) == "mistral"
    assert format_for_tokenizer(tokenizer) == "mistral"
    scripted = engine(tokenizer, "Let me check." + CALL)
    assert scripted.chat_template() is None  # nothing for template detection to read
    message = ChatClient(engine=scripted).chat(
        ChatRequest([{"role": "user", "content": "Weather in Paris?"}], tools=TOOLS)
    )
    assert message.content == "Let me check."
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert MISTRAL_ID.fullmatch(message.tool_calls[0].id)
    assert scripted.requests[0].sampling_params.skip_special_tokens is False
    assert scripted.requests[0].prompt.startswith("<s>[AVAILABLE_TOOLS]")


def assert_history_rendered(result, prompt_call_id: str) -> None:
    assert MISTRAL_ID.fullmatch(result.call_id)
    assert result.answer == FINAL_ANSWER
    rendered_call = json.dumps(
        [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": prompt_call_id}]
    )
    assert f"[TOOL_CALLS]{rendered_call}</s>" in result.second_prompt
    answer = json.dumps({"content": TOOL_RESULT, "call_id": prompt_call_id})
    assert f"[TOOL_RESULTS]{answer}[/TOOL_RESULTS]" in result.second_prompt


def test_langgraph_agent_sends_the_call_back_with_its_id(tokenizer):
    result = langgraph_loop(engine(tokenizer, CALL, FINAL_ANSWER))
    assert_history_rendered(result, result.call_id)  # the framework kept our id unchanged


async def test_llama_index_agent_sends_the_call_back_with_its_id(tokenizer):
    result = await llama_index_loop(engine(tokenizer, CALL, FINAL_ANSWER))
    assert_history_rendered(result, result.call_id)


def openai_history() -> list:
    return [
        HumanMessage("Weather in Paris?"),
        AIMessage(
            "",
            tool_calls=[
                {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_9TlAqCkX-pQ2"}
            ],
        ),
        ToolMessage(TOOL_RESULT, tool_call_id="call_9TlAqCkX-pQ2"),
    ]


def test_a_conversation_started_on_another_provider_still_renders(tokenizer):
    from langchain_vllm._messages import to_openai_messages
    from vllm_native.render import normalize_messages

    raw = normalize_messages(to_openai_messages(openai_history()))
    with pytest.raises(ValueError, match="length of 9"):  # what mistral_common says of it
        render_natively(tokenizer, raw, TOOLS)

    scripted = engine(tokenizer, FINAL_ANSWER)
    model = ChatVLLM(engine=scripted).bind_tools(TOOLS)
    assert model.invoke(openai_history()).content == FINAL_ANSWER
    sent = scripted.requests[0].messages
    new_id = sent[1]["tool_calls"][0]["id"]
    assert MISTRAL_ID.fullmatch(new_id) and sent[2]["tool_call_id"] == new_id
    assert f'"call_id": "{new_id}"' in scripted.requests[0].prompt
