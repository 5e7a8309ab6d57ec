"""The real vLLM engine on CPU with the default model: streaming, batching, abort, sharing, close."""

from __future__ import annotations

import asyncio
import threading
import time

import psutil
import pytest

from vllm_native.chat import ChatClient
from vllm_native.engine import EngineError
from vllm_native.types import ChatRequest, SamplingOptions

pytestmark = pytest.mark.engine


def ask(question: str, max_tokens: int = 24) -> ChatRequest:
    return ChatRequest(
        [{"role": "user", "content": question}],
        sampling=SamplingOptions(temperature=0, max_tokens=max_tokens),
    )


@pytest.fixture(scope="module")
def client():
    return ChatClient()


def test_answers_a_question(client):
    message = client.chat(ask("What is the capital of France?"))
    assert "Paris" in message.content
    assert message.finish_reason in ("stop", "length")
    assert message.usage.prompt_tokens > 0 and message.usage.completion_tokens > 0


def test_sync_and_async_streams_give_the_same_text(client):
    request = ask("Name three colours.")
    sync_text = "".join(getattr(e, "text", "") for e in client.stream(request))

    async def collect():
        return "".join([getattr(e, "text", "") async for e in client.astream(request)])

    assert asyncio.run(collect()) == sync_text != ""


COUNTRIES = ["France", "Germany", "Italy", "Spain", "Japan", "England", "Russia", "China"]


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(client):
    requests = [ask(f"What is the capital of {country}?", 16) for country in COUNTRIES]
    alone = [client.chat(r).content for r in requests]
    engine = client.engine
    peak = 0
    stop = threading.Event()

    def watch():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, engine.num_unfinished_requests)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        together = client.chat_batch(requests)
    finally:
        stop.set()
        watcher.join()
    assert [m.content for m in together] == alone  # each its own answer, no cross-talk
    assert len(set(alone)) == len(COUNTRIES)  # distinct questions, distinct answers
    assert all(m.finish_reason in ("stop", "length") for m in together)
    assert peak >= 4, f"requests were not batched (at most {peak} in flight)"


def test_breaking_out_of_a_stream_aborts_the_request(client):
    stream = client.stream(ask("Write a long story about a dragon.", max_tokens=200))
    for n, _ in enumerate(stream):
        if n == 3:
            break
    stream.close()
    deadline = time.monotonic() + 10
    while client.engine.num_unfinished_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.engine.num_unfinished_requests == 0
    assert "Paris" in client.chat(ask("What is the capital of France?")).content


def test_cancelling_an_async_stream_aborts_the_request(client):
    async def main():
        async def consume():
            async for _ in client.astream(ask("Write a long poem about the sea.", 200)):
                pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    deadline = time.monotonic() + 10
    while client.engine.num_unfinished_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.engine.num_unfinished_requests == 0


def test_same_configuration_shares_one_engine(client):
    assert ChatClient().engine is client.engine
    assert ChatClient(engine_args={"max_model_len": 1024}).engine is not client.engine


def test_sync_call_inside_a_running_event_loop(client):
    async def notebook_cell():
        return client.chat(ask("What is the capital of France?")).content

    assert "Paris" in asyncio.run(notebook_cell())


@pytest.mark.engine_last
def test_close_ends_open_streams_clearly_and_leaves_no_engine_process(client):
    engine = client.engine
    assert engine.started
    open_stream = client.stream(ask("Tell a long story.", 300))
    next(open_stream)
    loop = engine._loop
    before = [p for p in psutil.Process().children(recursive=True) if _engine_process(p)]
    assert before, "the engine should run in a child process"
    client.close()
    client.close()  # twice is harmless
    with pytest.raises(EngineError, match="closed while this request was open"):
        for _ in open_stream:
            pass
    gone, alive = psutil.wait_procs(before, timeout=15)
    assert not alive, f"engine processes left behind: {alive}"
    assert not engine.started
    assert loop.is_closed() and not asyncio.all_tasks(loop)


def _engine_process(process: psutil.Process) -> bool:
    """A live child that belongs to an engine: not multiprocessing's resource tracker (it lives
    with us), not an already-exited child of an engine closed earlier (a zombie until reaped)."""
    try:
        return "resource_tracker" not in " ".join(process.cmdline())
    except (psutil.ZombieProcess, psutil.NoSuchProcess):
        return False
