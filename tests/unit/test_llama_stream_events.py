"""``llama_index_vllm._stream_events`` against llama-index-core's own ``llm_chat_callback`` and
``llm_completion_callback``: the same instrumentation events and legacy callbacks, in the same
order, for whole streams, errors, early exits and rate limiters; and no in-progress event built
when only the ``NullEventHandler`` would receive it."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse
from llama_index.core.callbacks import CallbackManager
from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatInProgressEvent
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from llama_index_vllm import Vllm, _stream_events
from llama_index_vllm._stream_events import stream_chat_callback, stream_completion_callback
from vllm_native.testing import ScriptedEngine

MESSAGES = [ChatMessage(role="user", content="Hi")]


class EventRecorder(BaseEventHandler):
    """Every instrumentation event, in order."""

    events: list[Any] = []

    @classmethod
    def class_name(cls) -> str:
        return "EventRecorder"

    def handle(self, event: Any, **kwargs: Any) -> None:
        self.events.append(event)


class CallbackRecorder(BaseCallbackHandler):
    """Every legacy callback, in order."""

    def __init__(self) -> None:
        super().__init__(event_starts_to_ignore=[], event_ends_to_ignore=[])
        self.calls: list[tuple[Any, ...]] = []

    def on_event_start(self, event_type, payload=None, event_id="", parent_id="", **kwargs):
        self.calls.append(("start", event_type, _plain(payload)))
        return event_id

    def on_event_end(self, event_type, payload=None, event_id="", **kwargs):
        self.calls.append(("end", event_type, _plain(payload)))

    def start_trace(self, trace_id=None):
        self.calls.append(("start_trace", trace_id))

    def end_trace(self, trace_id=None, trace_map=None):
        self.calls.append(("end_trace", trace_id))


def _plain(value: Any) -> Any:
    """Exceptions by their text (each run raises its own); everything else as it is."""
    if isinstance(value, BaseException):
        return repr(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _event(event: Any) -> tuple[str, dict[str, Any]]:
    skip = {"timestamp", "id_", "tags"}
    fields = {k: _plain(getattr(event, k)) for k in type(event).model_fields if k not in skip}
    return type(event).__name__, fields


@pytest.fixture
def recorder():
    root = get_dispatcher()
    handler = EventRecorder(events=[])
    root.add_event_handler(handler)
    yield handler
    root.event_handlers.remove(handler)


class Limiter:
    """A rate limiter that records when it was asked."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def acquire(self) -> None:
        self.log.append("acquire")

    async def async_acquire(self) -> None:
        self.log.append("async_acquire")


def make_llm(limiter: Limiter | None = None) -> tuple[Vllm, CallbackRecorder]:
    callbacks = CallbackRecorder()
    llm = Vllm(engine=ScriptedEngine([]), callback_manager=CallbackManager([callbacks]))
    llm.rate_limiter = limiter
    return llm, callbacks


RESPONSES = {
    "chat": [ChatResponse(message=ChatMessage(role="assistant", content=t)) for t in "ab"],
    "completion": [CompletionResponse(text=t, delta=t) for t in "ab"],
}
BOOM = RuntimeError("engine died")


def _source(kind: str, how: str, asynchronous: bool) -> Any:
    """A streaming method: its responses, then (``how="error"``) an error; ``how="refuse"``
    raises before streaming."""

    def stream(llm, request, **kwargs):
        if how == "refuse":
            raise ValueError("bad request")

        def responses():
            yield from RESPONSES[kind]
            if how == "error":
                raise BOOM

        return responses()

    async def astream(llm, request, **kwargs):
        if how == "refuse":
            raise ValueError("bad request")

        async def responses():
            for response in RESPONSES[kind]:
                yield response
            if how == "error":
                raise BOOM

        return responses()

    return astream if asynchronous else stream


def _consume(method: Any, llm: Vllm, request: Any, asynchronous: bool, how: str) -> list[str]:
    """Run ``method`` as a caller would; the outcome as text."""
    take = 1 if how == "leave" else None

    def sync() -> list[str]:
        try:
            stream = method(llm, request, temperature=0.5)
            got = []
            for response in stream:
                got.append(str(response))
                if take is not None and len(got) == take:
                    stream.close()
                    break
            return got
        except Exception as exc:
            return [repr(exc)]

    async def run_async() -> list[str]:
        try:
            stream = await method(llm, request, temperature=0.5)
            got = []
            async for response in stream:
                got.append(str(response))
                if take is not None and len(got) == take:
                    await stream.aclose()
                    break
            return got
        except Exception as exc:
            return [repr(exc)]

    return asyncio.run(run_async()) if asynchronous else sync()


CASES = ["whole", "error", "leave", "refuse", "limited"]


@pytest.mark.parametrize("how", CASES)
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("kind", ["chat", "completion"])
def test_same_events_and_callbacks_as_llama_index_cores_decorators(
    kind, asynchronous, how, recorder
):
    ours_of = stream_chat_callback if kind == "chat" else stream_completion_callback
    theirs_of = llm_chat_callback if kind == "chat" else llm_completion_callback
    request = MESSAGES if kind == "chat" else "Once upon a time"
    runs = []
    for decorate in (ours_of(), theirs_of()):
        method = decorate(_source(kind, how, asynchronous))
        log: list[str] = []
        llm, callbacks = make_llm(Limiter(log) if how == "limited" else None)
        recorder.events.clear()
        outcome = _consume(method, llm, request, asynchronous, how)
        runs.append((outcome, [_event(e) for e in recorder.events], callbacks.calls, log))
    ours, theirs = runs
    assert ours == theirs
    names = [name for name, _ in ours[1]]
    assert names[0].endswith("StartEvent")
    if how in ("whole", "limited"):
        assert names.count(f"LLM{kind.title()}InProgressEvent") == 2
        assert names[-1].endswith("EndEvent")
    if how == "limited":
        assert ours[3] == ["async_acquire" if asynchronous else "acquire"]


def test_no_in_progress_event_is_built_when_nobody_listens(monkeypatch):
    """The default dispatchers hold only the NullEventHandler: nothing per response is built."""
    built = []

    class Counted(LLMChatInProgressEvent):
        def __init__(self, **data: Any) -> None:
            built.append(1)
            super().__init__(**data)

    chat = dataclasses.replace(_stream_events._CHAT, progress=Counted)
    monkeypatch.setattr(_stream_events, "_CHAT", chat)
    assert not _stream_events.listened()
    llm = Vllm(engine=ScriptedEngine(["one two three"]))
    responses = list(llm.stream_chat(MESSAGES))
    assert len(responses) > 1
    assert built == []

    handler = EventRecorder(events=[])  # a handler below the root is seen too
    child = get_dispatcher("llama_index.core.llms.callbacks")
    child.add_event_handler(handler)
    try:
        assert _stream_events.listened()
        llm = Vllm(engine=ScriptedEngine(["one two three"]))
        responses = list(llm.stream_chat(MESSAGES))
    finally:
        child.event_handlers.remove(handler)
    assert len(built) == len(responses)
    assert [e.response for e in handler.events if isinstance(e, Counted)] == responses


def test_vllm_streams_report_every_response_to_a_handler(recorder):
    """The real methods: one in-progress event per response, the last response in the end
    event, for chat and completion, sync and async."""
    llm = Vllm(engine=ScriptedEngine(["one two three"] * 4))

    async def astreams() -> tuple[list[Any], list[Any]]:
        chat = [r async for r in await llm.astream_chat(MESSAGES)]
        completion = [r async for r in await llm.astream_complete("Once")]
        return chat, completion

    streams = [list(llm.stream_chat(MESSAGES)), list(llm.stream_complete("Once"))]
    streams += list(asyncio.run(astreams()))
    progress = [e.response for e in recorder.events if "InProgress" in type(e).__name__]
    ends = [e.response for e in recorder.events if type(e).__name__.endswith("EndEvent")]
    assert progress == [r for stream in streams for r in stream]
    assert ends == [stream[-1] for stream in streams]
    # each call's events belong to the span llama-index-core opens around the method
    spans = [e.span_id for e in recorder.events]
    assert None not in spans and len(set(spans)) == len(streams)


def test_the_lean_events_run_with_the_llama_index_core_series_they_follow():
    """On for llama-index-core 0.14 (what the suite installs today); another series uses
    llama-index-core's own decorators until ``_stream_events`` is checked against it."""
    import llama_index.core

    series = ".".join(llama_index.core.__version__.split(".")[:2])
    assert _stream_events.LEAN_EVENTS is (series in _stream_events.LEAN_EVENTS_SERIES)
    assert "0.14" in _stream_events.LEAN_EVENTS_SERIES
