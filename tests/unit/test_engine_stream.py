"""How ``VllmEngine.stream`` / ``astream`` hand the engine's deltas to a reader: deltas already
waiting when the reader asks come as one (the tokens, logprobs and counts of all of them), the
end of the request or an error behind them still comes after, and a reader that keeps up gets
every delta as it was. The engine loop is replaced by a stand-in that delivers given items, so
no model is needed."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from vllm_native import engine as engine_module
from vllm_native.engine import EngineDelta, EngineError, VllmEngine
from vllm_native.types import TokenLogprob

DONE = engine_module._DONE


def delta(text: str, n: int, finish: str | None = None, logprob: bool = False) -> EngineDelta:
    logprobs = (TokenLogprob(text, -0.5),) if logprob else None
    return EngineDelta(text, (n,), finish, 7, n, logprobs, cached_tokens=5)


def scripted(monkeypatch: pytest.MonkeyPatch, items: list[Any]) -> list[Callable[[Any], object]]:
    """A ``VllmEngine`` whose loop delivers ``items`` at once when a request is submitted; the
    returned list gets the ``deliver`` callback, to deliver more later."""
    delivers: list[Callable[[Any], object]] = []

    def submit(prompt: Any, params: Any, lora: Any, deliver: Callable[[Any], object]) -> Future:
        delivers.append(deliver)
        for item in items:
            deliver(item)
        future: Future[None] = Future()
        future.set_result(None)
        return future

    monkeypatch.setattr(VllmEngine, "start", lambda self: self)
    monkeypatch.setattr(VllmEngine, "started", property(lambda self: True))
    monkeypatch.setattr(VllmEngine, "_submit", lambda self, *args: submit(*args))
    return delivers


WAITING = [
    delta("Hel", 1, logprob=True),
    delta("lo", 2),
    delta(" wor", 3, logprob=True),
    delta("ld", 4, "stop"),
]


def test_deltas_waiting_together_come_as_one(monkeypatch):
    scripted(monkeypatch, [*WAITING, DONE])
    [joined] = list(VllmEngine("m").stream(None, None))
    assert joined.text == "Hello world"
    assert joined.token_ids == (1, 2, 3, 4)
    assert (joined.finish_reason, joined.prompt_tokens, joined.completion_tokens) == ("stop", 7, 4)
    assert joined.cached_tokens == 5
    assert [t.token for t in joined.logprobs or ()] == ["Hel", " wor"]


async def test_async_deltas_waiting_together_come_as_one(monkeypatch):
    scripted(monkeypatch, [*WAITING, DONE])
    joined = [d async for d in VllmEngine("m").astream(None, None)]
    assert [(d.text, d.token_ids, d.finish_reason) for d in joined] == [
        ("Hello world", (1, 2, 3, 4), "stop")
    ]


def test_an_error_behind_waiting_deltas_is_raised_after_them(monkeypatch):
    scripted(monkeypatch, [delta("a", 1), delta("b", 2), RuntimeError("boom")])
    stream = VllmEngine("m").stream(None, None)
    assert next(stream).text == "ab"
    with pytest.raises(EngineError, match="boom"):
        next(stream)


def test_a_reader_that_keeps_up_gets_every_delta(monkeypatch):
    delivers = scripted(monkeypatch, [delta("a", 1)])
    stream = VllmEngine("m").stream(None, None)
    seen = [next(stream)]
    delivers[0](delta("b", 2))
    seen.append(next(stream))
    delivers[0](delta("c", 3, "length"))
    delivers[0](DONE)
    seen += list(stream)
    assert [(d.text, d.completion_tokens, d.finish_reason) for d in seen] == [
        ("a", 1, None),
        ("b", 2, None),
        ("c", 3, "length"),
    ]
    assert all(d.logprobs is None for d in seen)
