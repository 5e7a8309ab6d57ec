"""Scaling arguments pass through to vLLM: two pipeline stages on this CPU, one worker each.

vLLM's CPU backend needs one OpenMP thread set per worker (``VLLM_CPU_OMP_THREADS_BIND="0|1"``),
else it refuses with "Not enough allowed NUMA nodes". Starting it takes about 50 s here.
"""

from __future__ import annotations

import pytest

from vllm_native.chat import DEFAULT_ENGINE_ARGS, ChatClient
from vllm_native.types import ChatRequest, SamplingOptions

pytestmark = pytest.mark.engine

QUESTION = ChatRequest(
    [{"role": "user", "content": "What is the capital of France?"}],
    sampling=SamplingOptions(temperature=0, max_tokens=16),
)


def test_two_pipeline_stages_answer_as_one_worker(monkeypatch):
    one_worker = ChatClient().chat(QUESTION)
    monkeypatch.setenv("VLLM_CPU_OMP_THREADS_BIND", "0|1")
    staged = ChatClient(engine_args={**DEFAULT_ENGINE_ARGS, "pipeline_parallel_size": 2})
    try:
        two_stages = staged.chat(QUESTION)
        assert staged.engine.engine_args["pipeline_parallel_size"] == 2
    finally:
        staged.close()
    assert two_stages.content == one_worker.content
    assert two_stages.finish_reason == one_worker.finish_reason
