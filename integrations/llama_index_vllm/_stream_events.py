"""LlamaIndex's instrumentation of ``Vllm``'s streams, without the per-response event nobody
receives.

llama-index-core's ``llm_chat_callback`` and ``llm_completion_callback`` dispatch an
``LLMChatInProgressEvent`` (``LLMCompletionInProgressEvent``) for every streamed response: a
validated pydantic event with a timestamp, a ``uuid4`` id and a copied tags dict, built even when
the only event handler is the ``NullEventHandler`` llama-index-core installs by default. Building
it was about 40% of a streamed token's CPU in ``Vllm.stream_chat`` (docs/benchmarks.md, "Per
token").

The two decorators here run llama-index-core's code path for the streaming methods, the same
calls in the same order: the callback manager (made when missing), ``as_trace``, the start
event, ``on_event_start``, the rate limiter, the in-progress events, and on the way out the
exception or end event and ``on_event_end``. The one difference: an in-progress event is built
only when an event handler other than ``NullEventHandler`` would receive it, so with a real
handler (an observability integration, ``dispatcher.add_event_handler``) every event is there.
They follow llama-index-core ``0.14``'s callbacks; with another minor release ``LEAN_EVENTS`` is
False and they are llama-index-core's own decorators, unchanged.
``tests/unit/test_llama_stream_events.py`` checks that both give the same events and callbacks.

Example::

    class Vllm(FunctionCallingLLM):
        @stream_chat_callback()
        def stream_chat(self, messages, **kwargs):
            ...
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import llama_index.core
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload
from llama_index.core.instrumentation.event_handlers import NullEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.exception import ExceptionEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionInProgressEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.instrumentation.span import active_span_id
from llama_index.core.llms import callbacks

LEAN_EVENTS_SERIES = ("0.14",)
"""llama-index-core minor releases whose ``llm_chat_callback``/``llm_completion_callback``
this module follows."""

LEAN_EVENTS = llama_index.core.__version__.startswith(
    tuple(f"{series}." for series in LEAN_EVENTS_SERIES)
)

F = TypeVar("F", bound=Callable[..., Any])

dispatcher = callbacks.dispatcher
"""llama-index-core's own dispatcher for LLM events: handlers added anywhere above it are seen."""


def listened() -> bool:
    """Whether an event of ``dispatcher`` reaches a handler other than ``NullEventHandler``
    (walking up the dispatchers as ``Dispatcher.event`` does).

    >>> listened()  # llama-index-core's default: the root's NullEventHandler only
    False
    """
    current: Any = dispatcher
    while current:
        if any(type(handler) is not NullEventHandler for handler in current.event_handlers):
            return True
        current = current.parent if current.propagate else None
    return False


@dataclass(frozen=True)
class _Kind:
    """What differs between chat and completion instrumentation."""

    trace: str
    field: str  # the events' name for the request: "messages" or "prompt"
    request_key: EventPayload
    result_key: EventPayload
    start: Callable[..., BaseEvent]
    progress: Callable[..., BaseEvent]
    end: Callable[..., BaseEvent]


_CHAT = _Kind(
    "chat",
    "messages",
    EventPayload.MESSAGES,
    EventPayload.RESPONSE,
    LLMChatStartEvent,
    LLMChatInProgressEvent,
    LLMChatEndEvent,
)
_COMPLETION = _Kind(
    "completion",
    "prompt",
    EventPayload.PROMPT,
    EventPayload.COMPLETION,
    LLMCompletionStartEvent,
    LLMCompletionInProgressEvent,
    LLMCompletionEndEvent,
)


class _Run:
    """One streamed call's instrumentation, in llama-index-core's order."""

    def __init__(self, kind: _Kind, llm: Any, request: Any, kwargs: dict[str, Any]) -> None:
        if not isinstance(getattr(llm, "callback_manager", None), CallbackManager):
            llm.callback_manager = CallbackManager()
        self.callback_manager: CallbackManager = llm.callback_manager
        self.kind, self.llm, self.request, self.kwargs = kind, llm, request, kwargs
        self.span_id: str | None = None
        self.event_id = ""

    def start(self) -> None:
        """The start event and ``on_event_start`` (inside ``as_trace``)."""
        kind = self.kind
        self.span_id = active_span_id.get()
        model_dict = self.llm.to_payload()
        dispatcher.event(
            kind.start(
                model_dict=model_dict,
                **{kind.field: self.request},
                additional_kwargs=self.kwargs,
                span_id=self.span_id,
            )
        )
        self.event_id = self.callback_manager.on_event_start(
            CBEventType.LLM,
            payload={
                kind.request_key: self.request,
                EventPayload.ADDITIONAL_KWARGS: self.kwargs,
                EventPayload.SERIALIZED: model_dict,
            },
        )

    def failed(self, exc: BaseException) -> None:
        self.callback_manager.on_event_end(
            CBEventType.LLM, payload={EventPayload.EXCEPTION: exc}, event_id=self.event_id
        )

    def progress(self, response: Any) -> None:
        if listened():
            event = self.kind.progress(
                **{self.kind.field: self.request}, response=response, span_id=self.span_id
            )
            dispatcher.event(event)

    def stream_failed(self, exc: BaseException) -> None:
        self.failed(exc)
        dispatcher.event(ExceptionEvent(exception=exc, span_id=self.span_id))

    def ended(self, last: Any) -> None:
        kind = self.kind
        self.callback_manager.on_event_end(
            CBEventType.LLM,
            payload={kind.request_key: self.request, kind.result_key: last},
            event_id=self.event_id,
        )
        dispatcher.event(
            kind.end(**{kind.field: self.request}, response=last, span_id=self.span_id)
        )

    def follow(self, stream: Generator[Any, None, None]) -> Generator[Any, None, None]:
        last = None
        try:
            for response in stream:
                self.progress(response)
                yield response
                last = response
        except BaseException as exc:  # leaving early (GeneratorExit) included, as in the core
            self.stream_failed(exc)
            raise
        self.ended(last)

    async def afollow(self, stream: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
        last = None
        try:
            async for response in stream:
                self.progress(response)
                yield response
                last = response
        except BaseException as exc:
            self.stream_failed(exc)
            raise
        self.ended(last)


def _run_sync(run: _Run, call: Callable[[], Any]) -> Generator[Any, None, None]:
    with run.callback_manager.as_trace(run.kind.trace):
        run.start()
        if run.llm.rate_limiter is not None:
            run.llm.rate_limiter.acquire()
        try:
            stream = call()
        except BaseException as exc:
            run.failed(exc)
            raise
    return run.follow(stream)


async def _run_async(run: _Run, call: Callable[[], Any]) -> AsyncGenerator[Any, None]:
    with run.callback_manager.as_trace(run.kind.trace):
        run.start()
        if run.llm.rate_limiter is not None:
            await run.llm.rate_limiter.async_acquire()
        try:
            stream = await call()
        except BaseException as exc:
            run.failed(exc)
            raise
    return run.afollow(stream)


def _looks_like(wrapper: Callable[..., Any], f: F) -> F:
    """``wrapper`` with the attributes llama-index-core copies from the method to its wrapper."""
    names = (
        "__module__",
        "__name__",
        "__qualname__",
        "__doc__",
        "__annotations__",
        "__type_params__",
    )
    for attr in names:
        if value := getattr(f, attr, None):
            setattr(wrapper, attr, value)
    return cast(F, wrapper)


def stream_chat_callback() -> Callable[[F], F]:
    """``llm_chat_callback()`` for a method that returns a stream of ``ChatResponse``s (a
    generator, or a coroutine giving an async generator)."""
    if not LEAN_EVENTS:
        return callbacks.llm_chat_callback()  # type: ignore[no-any-return]

    def wrap(f: F) -> F:
        if inspect.iscoroutinefunction(f):

            async def awrapped(llm: Any, messages: Any, **kwargs: Any) -> Any:
                run = _Run(_CHAT, llm, messages, kwargs)
                return await _run_async(run, lambda: f(llm, messages, **kwargs))

            return _looks_like(awrapped, f)

        def wrapped(llm: Any, messages: Any, **kwargs: Any) -> Any:
            run = _Run(_CHAT, llm, messages, kwargs)
            return _run_sync(run, lambda: f(llm, messages, **kwargs))

        return _looks_like(wrapped, f)

    return wrap


def _prompt_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The prompt as llama-index-core's completion callback finds it."""
    if args:
        return str(args[0])
    if "prompt" in kwargs:
        return kwargs["prompt"]  # type: ignore[no-any-return]
    raise ValueError("No prompt provided in positional or keyword arguments")


def stream_completion_callback() -> Callable[[F], F]:
    """``llm_completion_callback()`` for a method that returns a stream of
    ``CompletionResponse``s."""
    if not LEAN_EVENTS:
        return callbacks.llm_completion_callback()  # type: ignore[no-any-return]

    def wrap(f: F) -> F:
        if inspect.iscoroutinefunction(f):

            async def awrapped(llm: Any, *args: Any, **kwargs: Any) -> Any:
                run = _Run(_COMPLETION, llm, _prompt_of(args, kwargs), kwargs)
                return await _run_async(run, lambda: f(llm, *args, **kwargs))

            return _looks_like(awrapped, f)

        def wrapped(llm: Any, *args: Any, **kwargs: Any) -> Any:
            run = _Run(_COMPLETION, llm, _prompt_of(args, kwargs), kwargs)
            return _run_sync(run, lambda: f(llm, *args, **kwargs))

        return _looks_like(wrapped, f)

    return wrap
