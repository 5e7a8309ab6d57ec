"""The chunks ChatVLLM streams are the objects langchain-core's validation would make.

Text and reasoning chunks are built without pydantic validation (``_output.content_chunk``,
``generation_chunk``) because validating two objects per token was most of a token's CPU. These
tests rebuild every chunk a user or a callback sees through the validating constructors and ask
for equality, the same fields set and the same serialization, so a langchain-core or pydantic
release that adds a field or a validator which matters fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_vllm import ChatVLLM
from vllm_native.formats import get_format
from vllm_native.testing import ScriptedEngine

CALL = get_format("hermes").render_call("get_weather", {"city": "Paris"})
ANSWER = "<think>Look it up.</think>Checking. " + CALL
"""Reasoning, text and a tool call: every kind of streamed chunk."""


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


class Chunks(BaseCallbackHandler):
    """Collects the ``ChatGenerationChunk`` of every ``on_llm_new_token``."""

    def __init__(self) -> None:
        self.chunks: list[ChatGenerationChunk] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.chunks.append(kwargs["chunk"])


def revalidated(chunk: ChatGenerationChunk) -> ChatGenerationChunk:
    """What langchain-core's validating constructors make of ``chunk``'s visible values, passed
    as a streaming chat model passes them (empty ones left out)."""
    message = chunk.message
    fields: dict[str, Any] = {
        "content": message.content,
        "id": message.id,
        # always given, as langchain-core's stream sets it on every chunk it passes on
        "response_metadata": message.response_metadata,
    }
    for name in ("additional_kwargs", "tool_call_chunks"):
        if getattr(message, name):
            fields[name] = getattr(message, name)
    return ChatGenerationChunk(message=AIMessageChunk(**fields))


def assert_as_validated(chunks: list[ChatGenerationChunk], *, untouched: bool = True) -> None:
    """``untouched``: the chunks are as ChatVLLM made them (langchain-core's ``stream`` sets
    ``id`` and ``response_metadata`` on each chunk it passes on, which adds to its fields set)."""
    kinds = set()
    for chunk in chunks:
        message = chunk.message
        assert isinstance(message, AIMessageChunk)
        if message.chunk_position == "last":  # built validated; its tool_call_chunks are reset
            continue
        expected = revalidated(chunk)
        assert chunk == expected
        assert chunk.text == expected.text
        assert chunk.model_fields_set == expected.model_fields_set
        if untouched:
            assert message.model_fields_set == expected.message.model_fields_set
        assert dumpd(message) == dumpd(expected.message)
        assert message.tool_calls == expected.message.tool_calls
        kinds.add(
            "reasoning"
            if "reasoning_content" in message.additional_kwargs
            or (isinstance(message.content, list) and message.content[0]["type"] == "reasoning")
            else "call"
            if message.tool_call_chunks
            else "text"
        )
    assert kinds == {"reasoning", "text", "call"}


@pytest.mark.parametrize("output_version", ["v0", "v1"])
def test_streamed_chunks_seen_by_callbacks_equal_validated_ones(output_version):
    model = ChatVLLM(
        engine=ScriptedEngine([ANSWER]),
        tool_parser="hermes",
        reasoning_parser="deepseek_r1",
        output_version=output_version,
        streaming=True,
    )
    handler = Chunks()
    message = model.bind_tools([get_weather]).invoke("Weather?", config={"callbacks": [handler]})
    assert message.tool_calls[0]["args"] == {"city": "Paris"}
    assert len(handler.chunks) > 5
    assert_as_validated(handler.chunks)
    assert {c.message.id for c in handler.chunks} == {message.id}


def test_chunks_from_stream_equal_validated_ones():
    model = ChatVLLM(
        engine=ScriptedEngine([ANSWER]), tool_parser="hermes", reasoning_parser="deepseek_r1"
    )
    handler = Chunks()
    streamed = list(model.bind_tools([get_weather]).stream("Weather?", {"callbacks": [handler]}))
    assert [c.message for c in handler.chunks] == streamed
    assert_as_validated(handler.chunks, untouched=False)
    full = streamed[0]
    for chunk in streamed[1:]:
        full += chunk
    assert full.content == "Checking."
    assert full.additional_kwargs["reasoning_content"] == "Look it up."
    assert full.tool_calls[0]["args"] == {"city": "Paris"}
