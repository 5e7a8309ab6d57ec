"""The core's output -> LangChain messages: a final ``ChatMessage`` -> ``AIMessage``, stream
events -> ``AIMessageChunk``s.

Chunks follow langchain-core's merge rules: text, reasoning and tool-call deltas travel in
separate chunks; ``finish_reason``, ``model_name``, ``model_provider`` and usage appear only on
the last chunk (``chunk_position="last"``), because merging concatenates repeated strings and sums
numbers. Reasoning goes to ``additional_kwargs["reasoning_content"]``, never to ``content``.

With ``output_version="v1"`` the content is a list of standard blocks whose ``index`` this module
assigns: one block for reasoning, one for text and one per tool call, numbered in order of first
appearance. langchain-core would otherwise number text blocks by itself and keep each tool-call
chunk's own call index, so text block 0 and tool call 0 would merge into one block.

Example:
    >>> from vllm_native.types import Finish, ChatMessage, TextDelta, Usage
    >>> builder = ChunkBuilder(v1=False)
    >>> first = builder.chunk(TextDelta("Hi"))
    >>> last = builder.chunk(Finish("stop", Usage(3, 1), ChatMessage("Hi", model_name="m")))
    >>> merged = first + last
    >>> merged.content, merged.response_metadata["finish_reason"], merged.usage_metadata
    ('Hi', 'stop', {'input_tokens': 3, 'output_tokens': 1, 'total_tokens': 4})
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk

from vllm_native.types import (
    ChatEvent,
    ChatMessage,
    Finish,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)

from ._settings import MODEL_PROVIDER


def usage_metadata(usage: Usage) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )


def response_metadata(message: ChatMessage, *, v1: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "finish_reason": message.finish_reason,
        "model_name": message.model_name,
        "model_provider": MODEL_PROVIDER,
    }
    if v1:
        meta["output_version"] = "v1"
    return meta


def to_ai_message(message: ChatMessage, *, v1: bool) -> AIMessage:
    """The ``AIMessage`` of a finished turn (what ``invoke`` returns)."""
    content: str | list[str | dict[str, Any]] = message.content
    if v1:
        content = []
        if message.reasoning:
            content.append({"type": "reasoning", "reasoning": message.reasoning})
        if message.content:
            content.append({"type": "text", "text": message.content})
        for block_index, block in enumerate(content):
            block["index"] = block_index  # type: ignore[index]
        content.extend(
            {"type": "tool_call", "id": c.id, "name": c.name, "args": c.arguments}
            for c in message.tool_calls
        )
    return AIMessage(
        content=content,
        additional_kwargs=_reasoning_kwargs(message.reasoning),
        tool_calls=[tool_call(name=c.name, args=c.arguments, id=c.id) for c in message.tool_calls],
        invalid_tool_calls=_invalid_tool_calls(message),
        usage_metadata=usage_metadata(message.usage),
        response_metadata=response_metadata(message, v1=v1),
    )


class ChunkBuilder:
    """Turns the events of one streamed turn into ``AIMessageChunk``s, one per event."""

    def __init__(self, *, v1: bool) -> None:
        self.v1 = v1
        self._blocks: dict[Any, int] = {}  # "reasoning" | "text" | call index -> block index

    def chunk(self, event: ChatEvent) -> AIMessageChunk:
        block: dict[str, Any]
        if isinstance(event, TextDelta):
            block = {"type": "text", "text": event.text}
            return self._make("text", block, event.text)
        if isinstance(event, ReasoningDelta):
            block = {"type": "reasoning", "reasoning": event.text}
            return self._make(
                "reasoning", block, "", additional_kwargs=_reasoning_kwargs(event.text)
            )
        if isinstance(event, ToolCallDelta):
            block = {
                "type": "tool_call_chunk",
                "id": event.id,
                "name": event.name,
                "args": event.arguments,
            }
            call = tool_call_chunk(
                name=event.name, args=event.arguments, id=event.id, index=event.index
            )
            return self._make(("call", event.index), block, "", tool_call_chunks=[call])
        return self._last(event)

    def _make(self, key: Any, block: dict[str, Any], text: str, **fields: Any) -> AIMessageChunk:
        """A chunk with ``text`` as content, or (v1) ``block`` numbered by its ``key``."""
        if self.v1:
            numbered = {**block, "index": self._blocks.setdefault(key, len(self._blocks))}
            return AIMessageChunk(
                content=[numbered], response_metadata={"output_version": "v1"}, **fields
            )
        return AIMessageChunk(content=text, **fields)

    def _last(self, event: Finish) -> AIMessageChunk:
        chunk = AIMessageChunk(
            content=[] if self.v1 else "",
            response_metadata=response_metadata(event.message, v1=self.v1),
            usage_metadata=usage_metadata(event.usage),
            invalid_tool_calls=_invalid_tool_calls(event.message),
            chunk_position="last",
        )
        # AIMessageChunk turns invalid_tool_calls into tool_call_chunks (index None), and merging
        # re-derives tool_calls from tool_call_chunks with lenient partial-JSON parsing: a call the
        # core rejected (unknown tool name, unparseable text) would come back as a valid, runnable
        # tool call, and a call whose fragments were already streamed would appear twice. So the
        # invalid calls stay on this chunk only. langchain-core's merge does not carry
        # invalid_tool_calls over, so a merged stream lacks the calls that were never streamed;
        # calls whose streamed arguments turned out invalid are re-parsed by the merge (a
        # truncated object may come back as a tool call with partial arguments). ``invoke`` has
        # the exact invalid_tool_calls.
        chunk.tool_call_chunks = []
        return chunk


def _reasoning_kwargs(reasoning: str) -> dict[str, Any]:
    return {"reasoning_content": reasoning} if reasoning else {}


def _invalid_tool_calls(message: ChatMessage) -> list[Any]:
    return [
        invalid_tool_call(name=c.name, args=c.arguments, id=c.id, error=c.error)
        for c in message.invalid_tool_calls
    ]
