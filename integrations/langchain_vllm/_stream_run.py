"""``ChatVLLM.stream`` / ``astream``: langchain-core's run bookkeeping, without keeping every
chunk.

langchain-core's ``BaseChatModel.stream`` keeps every chunk of a turn to merge them for
``on_llm_end``. Each kept chunk is about ten objects the garbage collector tracks, and with
vLLM and torch imported a full collection scans about 600,000 objects: the collections those
kept chunks cause were more than half of a streamed token's CPU (``docs/benchmarks.md``,
"Per token"). The core already has the turn's exact final message, so this run reports that
one to ``on_llm_end`` (the same ``AIMessage`` ``invoke`` returns, with the streamed chunks' id)
instead of a merge, and keeps nothing per token.

Everything else is langchain-core's own code path, called the same way and in the same order:
the callback manager's configuration and tracing metadata, ``on_chat_model_start``, the rate
limiter, message normalisation, ``output_version="v1"`` blocks, ``on_llm_new_token`` per chunk
and ``on_llm_error``. It follows langchain-core ``1.8``'s ``stream``; with another minor
release ``LEAN_STREAM`` is False and ``ChatVLLM`` uses langchain-core's ``stream`` unchanged.
``tests/unit/test_langchain_stream_run.py`` checks that both give the same chunks and the same
callback events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, closing
from typing import TYPE_CHECKING, Any, cast

import langchain_core
from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, Generation, LLMResult
from langchain_core.runnables import RunnableConfig, ensure_config
from langchain_core.utils.utils import LC_ID_PREFIX

from vllm_native.types import ChatRequest

from ._output import ChunkBuilder, generation_chunk

if TYPE_CHECKING:
    from .chat_models import ChatVLLM

LEAN_STREAM_SERIES = ("1.8",)
"""langchain-core minor releases whose ``stream``/``astream`` this module follows."""

try:
    from langchain_core.language_models._utils import (
        _filter_invocation_params_for_tracing,
        _normalize_messages,
        _update_message_content_to_blocks,
    )
    from langchain_core.language_models.chat_models import (
        _format_for_tracing,
        _format_ls_structured_output,
        _generate_response_from_error,
    )
except ImportError:  # another langchain-core: its own stream is used
    LEAN_STREAM = False
else:
    LEAN_STREAM = langchain_core.__version__.startswith(
        tuple(f"{series}." for series in LEAN_STREAM_SERIES)
    )


class _Run:
    """What ``stream`` and ``astream`` share: the call's options, callback configuration and
    the turn's chunks (``v1`` blocks numbered as langchain-core numbers them)."""

    def __init__(
        self,
        model: ChatVLLM,
        input: LanguageModelInput,
        config: RunnableConfig | None,
        stop: list[str] | None,
        kwargs: dict[str, Any],
    ) -> None:
        self.model = model
        self.config = ensure_config(config)
        self.messages = model._convert_input(input).to_messages()
        structured_format = kwargs.pop("ls_structured_output_format", None) or kwargs.pop(
            "structured_output_format", None
        )
        self.stop = stop
        self.kwargs = kwargs
        self.params = model._get_invocation_params(stop=stop, **kwargs)
        self.options = {
            "stop": stop,
            **{key: self.params[key] for key in kwargs if key in self.params},
            **_format_ls_structured_output(structured_format),
        }
        self.inheritable_metadata = {
            **(self.config.get("metadata") or {}),
            **model._get_ls_params_with_defaults(stop=stop, **kwargs),
        }
        self._block_index = -1
        self._block_type = ""

    def configure_args(self) -> tuple[Any, ...]:
        config, model = self.config, self.model
        return (
            config.get("callbacks"),
            model.callbacks,
            model.verbose,
            config.get("tags"),
            model.tags,
            self.inheritable_metadata,
            model.metadata,
        )

    def start_args(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self.model._serialized, [_format_for_tracing(self.messages)]), {
            "invocation_params": self.params,
            "options": self.options,
            "name": self.config.get("run_name"),
            "run_id": self.config.pop("run_id", None),
            "batch_size": 1,
        }

    @property
    def tracing_metadata(self) -> dict[str, Any]:
        return _filter_invocation_params_for_tracing(self.params)

    def builder(self, run_id: Any) -> ChunkBuilder:
        return ChunkBuilder(v1=self.model._v1, message_id=f"{LC_ID_PREFIX}-{run_id}")

    def request(self) -> ChatRequest:
        return self.model._request(_normalize_messages(self.messages), self.stop, self.kwargs)

    def shown(self, message: AIMessageChunk) -> AIMessageChunk:
        """A ``v1`` chunk as langchain-core's ``stream`` hands it out."""
        message = _update_message_content_to_blocks(message, "v1")
        for block in cast("list[dict[str, Any]]", message.content):
            if block["type"] != self._block_type:
                self._block_type = block["type"]
                self._block_index += 1
            if "index" not in block:
                block["index"] = self._block_index
        return message

    def end(self, builder: ChunkBuilder) -> LLMResult:
        """``on_llm_end``'s result: the core's final message, as ``invoke`` has it."""
        result = self.model._result(builder.final, builder.message_id)
        return LLMResult(generations=[list(result.generations)])

    @staticmethod
    def error(error: BaseException, text: list[str], builder: ChunkBuilder) -> LLMResult:
        """``on_llm_error``'s result: the text streamed so far (langchain-core reports its
        merge of the chunks), then the error's own details."""
        generations: list[list[Generation]] = []
        if text:
            partial = AIMessage(content="".join(text), id=builder.message_id)
            generations.append([ChatGeneration(message=partial)])
        generations.append(list(_generate_response_from_error(error)))
        return LLMResult(generations=generations)


def stream(
    model: ChatVLLM,
    input: LanguageModelInput,
    config: RunnableConfig | None,
    stop: list[str] | None,
    kwargs: dict[str, Any],
) -> Iterator[AIMessageChunk]:
    """``BaseChatModel.stream`` for a model that streams (the caller checked)."""
    run = _Run(model, input, config, stop, kwargs)
    manager = CallbackManager.configure(
        *run.configure_args(), langsmith_inheritable_metadata=run.tracing_metadata
    )
    args, start = run.start_args()
    run_manager: CallbackManagerForLLMRun = manager.on_chat_model_start(*args, **start)[0]
    if model.rate_limiter:
        model.rate_limiter.acquire(blocking=True)
    builder = run.builder(run_manager.run_id)
    v1 = model._v1
    text: list[str] = []
    try:
        with closing(model._client.stream(run.request())) as events:
            for event in events:
                for message in builder.chunks(event):
                    if v1:
                        message = run.shown(message)
                    if isinstance(message.content, str) and message.content:
                        text.append(message.content)
                    if run_manager.handlers:
                        run_manager.on_llm_new_token(
                            message.content,  # type: ignore[arg-type]
                            chunk=generation_chunk(message),
                        )
                    yield message
    except BaseException as e:
        run_manager.on_llm_error(e, response=run.error(e, text, builder))
        raise
    run_manager.on_llm_end(run.end(builder))


async def astream(
    model: ChatVLLM,
    input: LanguageModelInput,
    config: RunnableConfig | None,
    stop: list[str] | None,
    kwargs: dict[str, Any],
) -> AsyncIterator[AIMessageChunk]:
    """``BaseChatModel.astream`` for a model that streams (the caller checked)."""
    run = _Run(model, input, config, stop, kwargs)
    manager = AsyncCallbackManager.configure(
        *run.configure_args(), langsmith_inheritable_metadata=run.tracing_metadata
    )
    args, start = run.start_args()
    run_manager: AsyncCallbackManagerForLLMRun = (
        await manager.on_chat_model_start(*args, **start)
    )[0]
    if model.rate_limiter:
        await model.rate_limiter.aacquire(blocking=True)
    builder = run.builder(run_manager.run_id)
    v1 = model._v1
    text: list[str] = []
    try:
        events = model._client.astream(run.request())
        async with aclosing(events):  # type: ignore[type-var]
            async for event in events:
                for message in builder.chunks(event):
                    if v1:
                        message = run.shown(message)
                    if isinstance(message.content, str) and message.content:
                        text.append(message.content)
                    if run_manager.handlers:
                        await run_manager.on_llm_new_token(
                            message.content,  # type: ignore[arg-type]
                            chunk=generation_chunk(message),
                        )
                    yield message
    except BaseException as e:
        await run_manager.on_llm_error(e, response=run.error(e, text, builder))
        raise
    await run_manager.on_llm_end(run.end(builder))
