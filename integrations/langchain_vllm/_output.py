"""The core's output -> LangChain messages: a final ``ChatMessage`` -> ``AIMessage``, stream
events -> ``AIMessageChunk``s.

Chunks follow langchain-core's merge rules: text, reasoning and tool-call deltas travel in
separate chunks; ``finish_reason``, ``model_name``, ``model_provider`` and usage appear only on
the last chunk (``chunk_position="last"``), because merging concatenates repeated strings and sums
numbers. Reasoning goes to ``additional_kwargs["reasoning_content"]``, never to ``content``.

Invalid tool calls (cut off, unknown tool, over the parallel limit, broken or non-object
arguments) are exact on the last chunk; a chunk just before it makes langchain-core's own merge
keep every one of them, as invalid (see ``ChunkBuilder._invalid_call_closers``).

With ``output_version="v1"`` the content is a list of standard blocks whose ``index`` this module
assigns: one block for reasoning, one for text and one per tool call, numbered in order of first
appearance. langchain-core would otherwise number text blocks by itself and keep each tool-call
chunk's own call index, so text block 0 and tool call 0 would merge into one block.

Text and reasoning chunks, one per token, are built without re-validation (``content_chunk``):
pydantic's validation of two objects per token (the chunk and its ``ChatGenerationChunk``) was
most of a token's CPU; chunks with tool calls, logprobs or usage go through the validators,
which derive fields from them.

Example:
    >>> from vllm_native.types import Finish, ChatMessage, TextDelta, Usage
    >>> builder = ChunkBuilder(v1=False)
    >>> [first] = builder.chunks(TextDelta("Hi"))
    >>> [last] = builder.chunks(Finish("stop", Usage(3, 1), ChatMessage("Hi", model_name="m")))
    >>> merged = first + last
    >>> merged.content, merged.response_metadata["finish_reason"], merged.usage_metadata
    ('Hi', 'stop', {'input_tokens': 3, 'output_tokens': 1, 'total_tokens': 4})
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, UsageMetadata
from langchain_core.messages.tool import (
    ToolCallChunk,
    invalid_tool_call,
    tool_call,
    tool_call_chunk,
)
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.utils.json import parse_partial_json

from vllm_native.trusted_models import trusted
from vllm_native.types import (
    ChatEvent,
    ChatMessage,
    Finish,
    LogprobsDelta,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
    logprobs_to_openai,
)

from ._settings import MODEL_PROVIDER


def content_chunk(
    content: str | list[str | dict[str, Any]],
    *,
    additional_kwargs: dict[str, Any] | None = None,
    response_metadata: dict[str, Any] | None = None,
    message_id: str | None = None,
) -> AIMessageChunk:
    """The ``AIMessageChunk`` of a text or reasoning delta, equal to
    ``AIMessageChunk(content=..., ...)`` with the same arguments but built without validation:
    with no tool calls, usage or ``chunk_position``, none of its validators changes anything.

    >>> content_chunk("Hi") == AIMessageChunk(content="Hi")
    True
    """
    fields_set = {"content"}
    if additional_kwargs is not None:
        fields_set.add("additional_kwargs")
    if response_metadata is not None:
        fields_set.add("response_metadata")
    if message_id is not None:
        fields_set.add("id")
    values = {
        "content": content,
        "additional_kwargs": {} if additional_kwargs is None else additional_kwargs,
        "response_metadata": {} if response_metadata is None else response_metadata,
        "type": "AIMessageChunk",
        "name": None,
        "id": message_id,
        "tool_calls": [],
        "invalid_tool_calls": [],
        "usage_metadata": None,
        "tool_call_chunks": [],
        "chunk_position": None,
    }
    return trusted(AIMessageChunk, fields_set, values)


def generation_chunk(message: AIMessageChunk) -> ChatGenerationChunk:
    """``ChatGenerationChunk(message=message)`` without validation: its one validator sets
    ``text`` to the message's text, done here.

    >>> generation_chunk(content_chunk("Hi")) == ChatGenerationChunk(message=AIMessageChunk("Hi"))
    True
    """
    content = message.content
    text = content if isinstance(content, str) else str(message.text)
    values: dict[str, Any] = {
        "text": text,
        "generation_info": None,
        "type": "ChatGenerationChunk",
        "message": message,
    }
    return trusted(ChatGenerationChunk, {"message", "text"}, values)


def usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain's usage, with ``input_token_details.cache_read`` (prefix-cache hits) and
    ``output_token_details.reasoning`` where the core has them, as ``ChatOpenAI`` reports them.

    >>> usage_metadata(Usage(40, 9, cached_tokens=32, reasoning_tokens=6))["input_token_details"]
    {'cache_read': 32}
    """
    metadata = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )
    if usage.cached_tokens is not None:
        metadata["input_token_details"] = {"cache_read": usage.cached_tokens}
    if usage.reasoning_tokens is not None:
        metadata["output_token_details"] = {"reasoning": usage.reasoning_tokens}
    return metadata


def response_metadata(message: ChatMessage, *, v1: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "finish_reason": message.finish_reason,
        "model_name": message.model_name,
        "model_provider": MODEL_PROVIDER,
    }
    if message.reasoning_only:  # thought, then nothing: say so rather than look like success
        meta["reasoning_only"] = True
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
    meta = response_metadata(message, v1=v1)
    if message.logprobs is not None:  # as ChatOpenAI: OpenAI's {"content": [...]}
        meta["logprobs"] = logprobs_to_openai(message.logprobs)
    return AIMessage(
        content=content,
        additional_kwargs=_reasoning_kwargs(message.reasoning),
        tool_calls=[tool_call(name=c.name, args=c.arguments, id=c.id) for c in message.tool_calls],
        invalid_tool_calls=_invalid_tool_calls(message),
        usage_metadata=usage_metadata(message.usage),
        response_metadata=meta,
    )


class ChunkBuilder:
    """Turns the events of one streamed turn into ``AIMessageChunk``s, one per event; ``final``
    is the core's final message once the last event went through. Every chunk has the id
    ``message_id`` (``None``: langchain-core names them)."""

    def __init__(self, *, v1: bool, message_id: str | None = None) -> None:
        self.v1 = v1
        self.message_id = message_id
        self.final: ChatMessage | None = None
        self._blocks: dict[Any, int] = {}  # "reasoning" | "text" | call index -> block index
        self._sent: dict[int, list[str]] = {}  # streamed call index -> argument fragments sent
        self._streamed_ids: dict[str, int] = {}  # streamed call id -> its index

    def chunks(self, event: ChatEvent) -> list[AIMessageChunk]:
        """The chunks for ``event``: one, and for the last event possibly two."""
        if isinstance(event, Finish):
            self.final = event.message
            return self._last(event)
        return [self._chunk(event)]

    def _chunk(
        self, event: TextDelta | ReasoningDelta | ToolCallDelta | LogprobsDelta
    ) -> AIMessageChunk:
        block: dict[str, Any]
        if isinstance(event, LogprobsDelta):
            # Its own chunk, as ChatOpenAI's: merging chunks concatenates the "content" lists,
            # so a merged stream has the same logprobs as invoke (the last chunk adds none).
            meta: dict[str, Any] = {"logprobs": logprobs_to_openai(event.tokens)}
            if self.v1:
                meta["output_version"] = "v1"
            return self._validated(content=[] if self.v1 else "", response_metadata=meta)
        if isinstance(event, TextDelta):
            block = {"type": "text", "text": event.text}
            return self._make("text", block, event.text)
        if isinstance(event, ReasoningDelta):
            block = {"type": "reasoning", "reasoning": event.text}
            return self._make(
                "reasoning", block, "", additional_kwargs=_reasoning_kwargs(event.text)
            )
        self._sent.setdefault(event.index, []).append(event.arguments)
        if event.id is not None:
            self._streamed_ids[event.id] = event.index
        block = {"type": "tool_call_chunk", "id": event.id, "name": event.name}
        block["args"] = event.arguments
        call = tool_call_chunk(
            name=event.name, args=event.arguments, id=event.id, index=event.index
        )
        return self._make(("call", event.index), block, "", tool_call_chunks=[call])

    def _make(self, key: Any, block: dict[str, Any], text: str, **fields: Any) -> AIMessageChunk:
        """A chunk with ``text`` as content, or (v1) ``block`` numbered by its ``key``. Text and
        reasoning chunks skip validation (``content_chunk``); tool-call chunks need it (it
        derives ``tool_calls`` from ``tool_call_chunks``)."""
        content: str | list[str | dict[str, Any]] = text
        meta: dict[str, Any] = {}  # given, as langchain-core's stream sets it on every chunk
        if self.v1:
            content = [{**block, "index": self._block_index(key)}]
            meta = {"output_version": "v1"}
        if "tool_call_chunks" in fields:
            return self._validated(content=content, response_metadata=meta, **fields)
        return content_chunk(
            content,
            additional_kwargs=fields.get("additional_kwargs"),
            response_metadata=meta,
            message_id=self.message_id,
        )

    def _validated(self, **fields: Any) -> AIMessageChunk:
        """A validated chunk, with this turn's id."""
        fields.setdefault("response_metadata", {})
        if self.message_id is not None:
            fields["id"] = self.message_id
        return AIMessageChunk(**fields)

    def _block_index(self, key: Any) -> int:
        return self._blocks.setdefault(key, len(self._blocks))

    def _last(self, event: Finish) -> list[AIMessageChunk]:
        """The chunk closing invalid calls (see ``_invalid_call_closers``), if any, then the last
        chunk with the finish reason, usage and the core's exact invalid calls. The closers go
        on a chunk of their own because langchain-core reads no ``tool_call_chunks`` from a
        ``chunk_position="last"`` chunk when it turns chunks into protocol events."""
        closers = self._invalid_call_closers(event.message)
        out = []
        if closers:
            if self.v1:
                blocks: list[str | dict[str, Any]] = [
                    {
                        **c,
                        "type": "tool_call_chunk",
                        "index": self._block_index(("call", c["index"])),
                    }
                    for c in closers
                ]
                out.append(
                    self._validated(
                        content=blocks,
                        tool_call_chunks=closers,
                        response_metadata={"output_version": "v1"},
                    )
                )
            else:
                out.append(self._validated(content="", tool_call_chunks=closers))
        last = self._validated(
            content=[] if self.v1 else "",
            response_metadata=response_metadata(event.message, v1=self.v1),
            usage_metadata=usage_metadata(event.usage),
            invalid_tool_calls=_invalid_tool_calls(event.message),
            chunk_position="last",
        )
        # AIMessageChunk turned invalid_tool_calls into tool_call_chunks; without this, a merge
        # would see each invalid call twice.
        last.tool_call_chunks = []
        out.append(last)
        return out

    def _invalid_call_closers(self, message: ChatMessage) -> list[ToolCallChunk]:
        """Tool-call chunks that make langchain-core's merge of the stream (``chunk + chunk``,
        ``invoke`` with streaming in langchain-core, ``stream_events(version="v3")``) see every
        invalid call, and see it as invalid.

        The merge drops the chunks' ``invalid_tool_calls`` and re-derives calls from the
        ``tool_call_chunks`` alone, parsing their arguments as lenient partial JSON: a call cut
        off at ``{"city": "Pa`` would merge into a runnable ``{"city": "Pa"}``, and calls never
        streamed (unknown tool, over the ``parallel_tool_calls=False`` limit, unparseable) would
        vanish. So a call whose fragments were streamed gets a closing fragment that no JSON
        parser accepts, and a call never streamed is added under a fresh index with its raw text
        (and such a closer). The merged invalid call then carries the raw text plus that closer,
        without the error message; the last chunk's own ``invalid_tool_calls`` are exact.
        """
        closers: list[ToolCallChunk] = []
        fresh = max(self._sent, default=-1) + 1
        for call in message.invalid_tool_calls:
            index = self._streamed_ids.get(call.id)
            if index is not None:
                tail = unparseable_tail("".join(self._sent[index]))
                if tail:
                    closers.append(tool_call_chunk(name=None, args=tail, id=None, index=index))
                continue
            raw = call.arguments or ""
            closers.append(
                tool_call_chunk(
                    name=call.name, args=raw + unparseable_tail(raw), id=call.id, index=fresh
                )
            )
            fresh += 1
        return closers


_CLOSERS = ("]", "}", '"]', '"}', '\\"]', '\\"}')
"""Suffixes ``unparseable_tail`` tries. After any text one of them ends with a bracket that cannot
match outside a string (after closing an open string, and finishing an escape sequence first),
where ``parse_partial_json`` gives up and ``json.loads`` fails."""


def unparseable_tail(arguments: str) -> str:
    """The shortest suffix that makes ``arguments`` fail both of langchain-core's argument
    parsers (lenient ``parse_partial_json`` for merged chunks, ``json.loads`` for the protocol
    bridge); ``""`` when ``arguments`` already fails both.

    >>> unparseable_tail('{"city": "Pa'), unparseable_tail('{"a": 1}'), unparseable_tail('[1, 2')
    ('"]', ']', '')
    """
    if arguments and _invalid_everywhere(arguments):
        return ""
    return next(tail for tail in _CLOSERS if _invalid_everywhere(arguments + tail))


def _invalid_everywhere(arguments: str) -> bool:
    try:
        json.loads(arguments)
        return False
    except ValueError:
        pass
    try:
        return not isinstance(parse_partial_json(arguments), dict)
    except Exception:  # parse_partial_json raises whatever json raises on what it cannot repair
        return True


def _reasoning_kwargs(reasoning: str) -> dict[str, Any]:
    return {"reasoning_content": reasoning} if reasoning else {}


def _invalid_tool_calls(message: ChatMessage) -> list[Any]:
    return [
        invalid_tool_call(name=c.name, args=c.arguments, id=c.id, error=c.error)
        for c in message.invalid_tool_calls
    ]
