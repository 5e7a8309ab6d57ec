"""Faults on the real engine: a dying engine process, interpreter exit with open streams."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
import uuid

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


def engine_processes() -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process().children(recursive=True)
        if "resource_tracker" not in " ".join(p.cmdline())
    ]


def test_engine_death_fails_open_streams_clearly_and_the_next_request_restarts():
    client = ChatClient()
    assert "Paris" in client.chat(ask("What is the capital of France?")).content
    streams = [client.stream(ask(f"Tell a long story number {i}.", 300)) for i in range(2)]
    for stream in streams:
        next(stream)
    old_loop = client.engine._loop
    for proc in engine_processes():
        proc.kill()
    for stream in streams:
        with pytest.raises(EngineError, match="died"):
            for _ in stream:
                pass
    started = time.monotonic()
    assert "Paris" in client.chat(ask("What is the capital of France?")).content
    assert time.monotonic() - started < 900
    # the dead engine's loop was closed with nothing pending ("Task was destroyed" at exit)
    assert old_loop.is_closed() and not asyncio.all_tasks(old_loop)


def test_interpreter_exit_with_open_streams_leaves_no_engine_process(tmp_path):
    marker = f"vllm-native-exit-{uuid.uuid4().hex}"
    script = tmp_path / "open_stream.py"
    script.write_text(
        textwrap.dedent(
            """
            from vllm_native.chat import ChatClient
            from vllm_native.types import ChatRequest, SamplingOptions

            if __name__ == "__main__":
                client = ChatClient()
                request = ChatRequest([{"role": "user", "content": "Tell a long story."}],
                                      sampling=SamplingOptions(max_tokens=300))
                stream = client.stream(request)
                next(stream)
                print("streaming", flush=True)
                # exit without closing the stream or the engine
            """
        )
    )
    env = {**os.environ, "VLLM_NATIVE_TEST_MARKER": marker}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=900
    )
    assert "streaming" in done.stdout, done.stderr[-3000:]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        left = [p for p in psutil.process_iter() if _has_marker(p, marker)]
        if not left:
            break
        time.sleep(0.5)
    assert not left, f"engine processes outlived the interpreter: {left}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "Task was destroyed" not in done.stderr, done.stderr[-3000:]


def _has_marker(proc: psutil.Process, marker: str) -> bool:
    try:
        return proc.environ().get("VLLM_NATIVE_TEST_MARKER") == marker
    except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
