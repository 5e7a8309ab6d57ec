"""``ChatVLLM.stream``/``astream`` (``langchain_vllm._stream_run``) against langchain-core's own
``BaseChatModel.stream``/``astream`` on the same model: the same chunks, the same callback
events in the same order, and the core's exact final message for ``on_llm_end`` instead of a
merge; and no chunk kept per token."""

from __future__ import annotations

import asyncio
import gc
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import LLMResult

from langchain_vllm import ChatVLLM, _stream_run
from vllm_native.formats import get_format
from vllm_native.testing import ScriptedEngine

HERMES = get_format("hermes")
ANSWERS = {
    "reasoning, text and a call": "<think>Look it up.</think>Checking. "
    + HERMES.render_call("get_weather", {"city": "Paris"}),
    "text only": "It is sunny in Paris today.",
    "cut-off call": (
        'Sure. <tool_call>{"name": "get_weather", "arguments": {"city": "Pa',
        "length",
    ),
    "unknown tool": HERMES.render_call("get_time", {"zone": "UTC"}),
}


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


class Recorder(BaseCallbackHandler):
    """Every callback event of a run, in order, with what it was given."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.events.append(("start", (serialized, messages, _start_kwargs(kwargs))))

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        self.events.append(("token", (token, kwargs["chunk"].message)))

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.events.append(("end", response.generations[0][0].message))

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.events.append(("error", (type(error), kwargs["response"])))


def _start_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs.get(k) for k in ("invocation_params", "options", "metadata", "tags", "name")}


def model_for(answer: Any, output_version: str) -> ChatVLLM:
    """A model that gives ``answer`` to its first three requests."""
    return ChatVLLM(
        engine=ScriptedEngine([answer] * 3),
        tool_parser="hermes",
        reasoning_parser="deepseek_r1",
        output_version=output_version,
        tags=["t"],
        metadata={"m": 1},
    )


def run_sync(model: ChatVLLM, stream: Any) -> tuple[list[AIMessageChunk], Recorder]:
    recorder = Recorder()
    config = {"callbacks": [recorder], "run_id": uuid.UUID(int=7), "run_name": "n"}
    chunks = list(stream(model, "Weather in Paris?", config, tools=_tools(), temperature=0.0))
    return chunks, recorder


def run_async(model: ChatVLLM, astream: Any) -> tuple[list[AIMessageChunk], Recorder]:
    recorder = Recorder()
    config = {"callbacks": [recorder], "run_id": uuid.UUID(int=7), "run_name": "n"}

    async def collect() -> list[AIMessageChunk]:
        return [
            c
            async for c in astream(
                model, "Weather in Paris?", config, tools=_tools(), temperature=0.0
            )
        ]

    return asyncio.run(collect()), recorder


def _tools() -> list[dict[str, Any]]:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return [convert_to_openai_tool(get_weather)]


def test_the_lean_stream_runs_with_the_langchain_core_series_it_follows():
    """On for langchain-core 1.8 (what the suite installs today); a newer series falls back to
    langchain-core's own ``stream`` until ``_stream_run`` is checked against it."""
    import langchain_core

    series = ".".join(langchain_core.__version__.split(".")[:2])
    follows = series in _stream_run.LEAN_STREAM_SERIES
    assert _stream_run.LEAN_STREAM is follows
    assert "1.8" in _stream_run.LEAN_STREAM_SERIES


@pytest.mark.parametrize("kind", list(ANSWERS))
@pytest.mark.parametrize("output_version", ["v0", "v1"])
@pytest.mark.parametrize("api", ["sync", "async"])
def test_same_chunks_and_callbacks_as_langchain_cores_stream(kind, output_version, api):
    run = run_sync if api == "sync" else run_async
    ours = ChatVLLM.stream if api == "sync" else ChatVLLM.astream
    theirs = BaseChatModel.stream if api == "sync" else BaseChatModel.astream
    model = model_for(ANSWERS[kind], output_version)
    chunks, recorder = run(model, ours)
    base_chunks, base_recorder = run(model, theirs)

    assert same_calls(chunks) == same_calls(base_chunks)
    assert [c.model_fields_set for c in chunks] == [c.model_fields_set for c in base_chunks]
    assert same_calls([e for e in recorder.events if e[0] != "end"]) == same_calls(
        [e for e in base_recorder.events if e[0] != "end"]
    )
    assert [e[0] for e in recorder.events] == [e[0] for e in base_recorder.events]

    # on_llm_end: the message invoke returns, not langchain-core's merge of the chunks
    ended = recorder.events[-1][1]
    invoked = model.invoke("Weather in Paris?", tools=_tools())
    assert isinstance(ended, AIMessage) and not isinstance(ended, AIMessageChunk)
    assert ended.id == chunks[0].id == f"lc_run--{uuid.UUID(int=7)}"
    assert same_calls(ended.model_copy(update={"id": invoked.id})) == same_calls(invoked)
    merged = base_recorder.events[-1][1]
    assert ended.text == merged.text
    assert same_calls(ended.tool_calls) == same_calls(merged.tool_calls)


def same_calls(value: Any) -> str:
    """``repr(value)`` with tool-call ids (fresh in every run) numbered in order of appearance."""
    ids: dict[str, str] = {}
    return re.sub(
        r"call_[0-9a-f]{24}", lambda m: ids.setdefault(m[0], f"id{len(ids)}"), repr(value)
    )


def test_an_invalid_call_ends_exact_where_the_merge_loses_its_error():
    chunks, recorder = run_sync(model_for(ANSWERS["cut-off call"], "v0"), ChatVLLM.stream)
    ended = recorder.events[-1][1]
    assert ended.tool_calls == []
    [invalid] = ended.invalid_tool_calls
    assert invalid["name"] == "get_weather" and invalid["error"]
    assert ended.response_metadata["finish_reason"] == "length"


class FailingEngine(ScriptedEngine):
    """Fails after its first three deltas."""

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for count, delta in enumerate(super().stream(*args, **kwargs)):
            if count == 3:
                raise RuntimeError("engine died")
            yield delta


def test_an_engine_error_is_reported_with_the_text_so_far():
    model = ChatVLLM(engine=FailingEngine(["one two three four five six"]))
    recorder = Recorder()
    seen = []
    with pytest.raises(RuntimeError, match="engine died"):
        for chunk in model.stream("Count", {"callbacks": [recorder]}):
            seen.append(chunk.content)
    kind, (error_type, response) = recorder.events[-1]
    assert (kind, error_type) == ("error", RuntimeError)
    assert response.generations[0][0].message.content == "".join(seen) == "one two three"


def test_leaving_early_reports_the_run_as_ended_by_the_caller():
    model = model_for(ANSWERS["text only"], "v0")
    recorder = Recorder()
    for _ in model.stream("Weather?", {"callbacks": [recorder]}):
        break
    assert recorder.events[-1][0] == "error"
    assert recorder.events[-1][1][0] is GeneratorExit


def test_with_another_langchain_core_its_own_stream_is_used(monkeypatch):
    model = model_for(ANSWERS["reasoning, text and a call"], "v0")
    lean, _ = run_sync(model, ChatVLLM.stream)
    monkeypatch.setattr(_stream_run, "LEAN_STREAM", False)
    plain, recorder = run_sync(model, ChatVLLM.stream)
    assert same_calls(plain) == same_calls(lean)
    assert isinstance(recorder.events[-1][1], AIMessageChunk)  # langchain-core's merge


def _live_chunks() -> int:
    return sum(isinstance(o, AIMessageChunk) for o in gc.get_objects())


@pytest.mark.parametrize("lean", [True, False])
def test_a_long_stream_keeps_no_chunk_per_token(monkeypatch, lean):
    monkeypatch.setattr(_stream_run, "LEAN_STREAM", lean)
    model = ChatVLLM(engine=ScriptedEngine([" ".join(["word"] * 2000)]))
    before = _live_chunks()
    alive = 0
    for count, _ in enumerate(model.stream("Talk")):
        if count == 1500:
            alive = _live_chunks() - before
    if lean:
        assert alive < 10
    else:  # what langchain-core's stream keeps, and what the test would see if we did
        assert alive > 1500
