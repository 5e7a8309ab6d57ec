"""The responses ``Vllm.stream_chat`` yields are the objects llama-index-core's validation makes.

Responses before the first tool call are built without pydantic validation
(``responses._text_response``): one response per token, and validating its four objects was
most of a token's CPU. These tests rebuild every streamed response through the validating
constructors and ask for equality and the same fields set at every level, so a llama-index-core
or pydantic release that adds a field or a validator which matters fails here.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_vllm import Vllm
from vllm_native.formats import get_format
from vllm_native.testing import ScriptedEngine

CALL = get_format("hermes").render_call("get_weather", {"city": "Paris"})
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def expected(response: ChatResponse) -> ChatResponse:
    """What llama-index-core's validating constructors make of ``response``'s visible values,
    passed as a streaming LLM passes them (a block's own defaults left unset)."""
    blocks: list[Any] = []
    for block in response.message.blocks:
        if isinstance(block, ThinkingBlock):
            blocks.append(ThinkingBlock(content=block.content))
        elif isinstance(block, TextBlock):
            blocks.append(TextBlock(text=block.text))
        else:
            assert isinstance(block, ToolCallBlock)
            blocks.append(
                ToolCallBlock(
                    tool_call_id=block.tool_call_id,
                    tool_name=block.tool_name,
                    tool_kwargs=block.tool_kwargs,
                )
            )
    message = ChatMessage(
        role=response.message.role,
        blocks=blocks,
        additional_kwargs=response.message.additional_kwargs,
    )
    raw = {} if response.raw is None else {"raw": response.raw}
    return ChatResponse(
        **raw,
        message=message,
        delta=response.delta,
        additional_kwargs=response.additional_kwargs,
        logprobs=response.logprobs,
    )


def assert_as_validated(response: ChatResponse) -> None:
    reference = expected(response)
    assert response == reference
    assert response.model_fields_set == reference.model_fields_set
    assert response.message.model_fields_set == reference.message.model_fields_set
    blocks = zip(response.message.blocks, reference.message.blocks, strict=True)
    for block, reference_block in blocks:
        assert block.model_fields_set == reference_block.model_fields_set
    assert response.model_dump(exclude_unset=True) == reference.model_dump(exclude_unset=True)


def test_streamed_responses_equal_validated_ones():
    answer = "<think>Look it up.</think>Checking. " + CALL
    llm = Vllm(
        engine=ScriptedEngine([answer]), tool_parser="hermes", reasoning_parser="deepseek_r1"
    )
    user = [ChatMessage(role="user", content="Weather?")]
    responses = list(llm.stream_chat(user, tools=[TOOL]))
    kinds = set()
    for response in responses:
        assert_as_validated(response)
        kinds.update(type(block) for block in response.message.blocks)
    assert {ThinkingBlock, TextBlock} <= kinds
    thinking = [r.additional_kwargs.get("thinking_delta", "") for r in responses]
    assert "".join(thinking) == "Look it up."
    assert "".join(r.delta or "" for r in responses).strip() == "Checking."
    assert responses[-1].message.content == "Checking."
    assert llm.get_tool_calls_from_response(responses[-1])[0].tool_kwargs == {"city": "Paris"}
    # a response is not changed by the ones after it
    assert responses[2].message.content != responses[-1].message.content
