"""The core's results as LlamaIndex responses: whole messages and streams of events.

A streamed ``ChatResponse`` carries the message so far plus its ``delta`` (text) or
``additional_kwargs["thinking_delta"]`` (reasoning). Tool calls grow as ``ToolCallBlock``s whose
``tool_kwargs`` hold the arguments JSON streamed so far. The last response is built from the core's
final message, and it alone carries the finish reason (``function_call``/``stop``/``length``) and
the token usage, in ``additional_kwargs`` and in ``raw``.

Example:
    >>> from vllm_native.types import Finish, TextDelta, ToolCallDelta, ChatMessage, Usage
    >>> stream = ChatStream()
    >>> stream.feed(TextDelta("Hi")).delta
    'Hi'
    >>> stream.feed(ToolCallDelta(0, '{"a"', id="c1", name="f")).message.blocks[-1].tool_kwargs
    '{"a"'
    >>> final = stream.feed(Finish("stop", Usage(3, 2), ChatMessage(content="Hi", usage=Usage(3, 2))))
    >>> final.additional_kwargs
    {'finish_reason': 'stop', 'prompt_tokens': 3, 'completion_tokens': 2, 'total_tokens': 5}
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
)

from vllm_native import types as core
from vllm_native.trusted_models import trusted

from .messages import assistant_message, from_core_message


def finish_info(message: core.ChatMessage) -> dict[str, Any]:
    """``additional_kwargs`` of a final response: finish reason and token counts."""
    usage = message.usage
    info: dict[str, Any] = {
        "finish_reason": message.finish_reason,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if message.reasoning_only:  # thought, then nothing: say so rather than look like success
        info["reasoning_only"] = True
    return info


def _raw(message: core.ChatMessage) -> dict[str, Any]:
    """``raw`` of a final response, in the OpenAI shape LlamaIndex's token counter reads, with
    ``prompt_tokens_details.cached_tokens`` (prefix-cache hits) and
    ``completion_tokens_details.reasoning_tokens`` where the core has them."""
    usage = message.usage
    counts: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.cached_tokens is not None:
        counts["prompt_tokens_details"] = {"cached_tokens": usage.cached_tokens}
    if usage.reasoning_tokens is not None:
        counts["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    return {"model": message.model_name, "finish_reason": message.finish_reason, "usage": counts}


def logprobs(tokens: tuple[core.TokenLogprob, ...] | None) -> list[list[LogProb]] | None:
    """LlamaIndex ``logprobs``: per generated token, its ``top_logprobs`` (as the OpenAI LLM
    gives them), or the token itself when no top tokens were asked for."""
    if tokens is None:
        return None
    return [
        [
            LogProb(token=x.token, logprob=x.logprob, bytes=list(x.bytes or ()))
            for x in (t.top_logprobs or (t,))
        ]
        for t in tokens
    ]


def chat_response(message: core.ChatMessage, delta: str | None = None) -> ChatResponse:
    """The final ``ChatResponse`` of a turn."""
    return ChatResponse(
        message=from_core_message(message),
        delta=delta,
        raw=_raw(message),
        additional_kwargs=finish_info(message),
        logprobs=logprobs(message.logprobs),
    )


def completion_response(message: core.ChatMessage, delta: str | None = None) -> CompletionResponse:
    """The final ``CompletionResponse`` of a raw completion."""
    return CompletionResponse(
        text=message.content,
        delta=delta,
        raw=_raw(message),
        additional_kwargs=finish_info(message),
        logprobs=logprobs(message.logprobs),
    )


class ChatStream:
    """Turns the events of one streamed turn into ``ChatResponse``s, one per event."""

    def __init__(self) -> None:
        self._content = ""
        self._reasoning = ""
        self._calls: dict[int, list[Any]] = {}  # index -> [id, name, arguments so far]

    def feed(self, event: core.ChatEvent) -> ChatResponse:
        """The response for ``event``: the message so far and what ``event`` added."""
        if isinstance(event, core.Finish):
            return chat_response(event.message, delta="")
        kwargs: dict[str, Any] = {}
        delta = ""
        tokens = None
        if isinstance(event, core.LogprobsDelta):  # the tokens' logprobs, nothing else new
            tokens = logprobs(event.tokens)
        elif isinstance(event, core.TextDelta):
            self._content += event.text
            delta = event.text
        elif isinstance(event, core.ReasoningDelta):
            self._reasoning += event.text
            kwargs["thinking_delta"] = event.text
        elif isinstance(event, core.ToolCallDelta):
            call = self._calls.setdefault(event.index, [event.id, event.name or "", ""])
            call[2] += event.arguments
        if self._calls:
            calls = [tuple(call) for call in self._calls.values()]
            message = assistant_message(self._content, self._reasoning, calls)
            return ChatResponse(
                message=message, delta=delta, additional_kwargs=kwargs, logprobs=tokens
            )
        return _text_response(self._content, self._reasoning, delta, kwargs, tokens)


class CompletionStream:
    """Turns the events of one streamed raw completion into ``CompletionResponse``s."""

    def __init__(self) -> None:
        self._text = ""

    def feed(self, event: core.TextDelta | core.LogprobsDelta | core.Finish) -> CompletionResponse:
        """The response for ``event``: the text so far and what ``event`` added."""
        if isinstance(event, core.Finish):
            return completion_response(event.message, delta="")
        if isinstance(event, core.LogprobsDelta):
            return CompletionResponse(text=self._text, delta="", logprobs=logprobs(event.tokens))
        self._text += event.text
        return CompletionResponse(text=self._text, delta=event.text)


def _text_response(
    content: str,
    reasoning: str,
    delta: str,
    kwargs: dict[str, Any],
    tokens: list[list[LogProb]] | None,
) -> ChatResponse:
    """A streamed response before any tool call, equal to ``ChatResponse(message=
    assistant_message(content, reasoning, []), delta=..., ...)`` but built without validation:
    one response per token, and validating its four objects was most of a token's CPU.

    >>> message = assistant_message("Hi", "Hm.", [])
    >>> expected = ChatResponse(message=message, delta="Hi", additional_kwargs={}, logprobs=None)
    >>> _text_response("Hi", "Hm.", "Hi", {}, None) == expected
    True
    """
    blocks: list[Any] = []
    if reasoning:
        thinking: dict[str, Any] = {
            "block_type": "thinking",
            "content": reasoning,
            "num_tokens": None,
            "additional_information": {},
        }
        blocks.append(trusted(ThinkingBlock, {"content"}, thinking))
    blocks.append(trusted(TextBlock, {"text"}, {"block_type": "text", "text": content}))
    message = trusted(
        ChatMessage,
        {"role", "additional_kwargs", "blocks"},
        {"role": MessageRole.ASSISTANT, "additional_kwargs": {}, "blocks": blocks},
    )
    values: dict[str, Any] = {
        "message": message,
        "raw": None,
        "delta": delta,
        "logprobs": tokens,
        "additional_kwargs": kwargs,
    }
    return trusted(ChatResponse, {"message", "delta", "additional_kwargs", "logprobs"}, values)
