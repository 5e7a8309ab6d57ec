"""The end-to-end and batch benchmarks run once on tiny sizes on the real engine, so they cannot
rot. Nothing about speed is asserted: what a run must deliver is an answer of exactly
``max_tokens`` tokens on every path, the same prompt on every path, its tables and its plot.
``vllm serve`` is left out here (it needs minutes to start); ``benchmarks/e2e.py`` runs it."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def benchmarks(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return lambda name: importlib.import_module(name)


def test_e2e_runs_the_in_process_paths_on_tiny_sizes(benchmarks, tmp_path, capsys):
    e2e = benchmarks("e2e")
    plot = tmp_path / "e2e.png"
    args = ["--levels", "1,2", "--max-tokens", "4", "--repeat", "2", "--min-requests", "2"]
    args += ["--requests-per-stream", "1", "--paths", "raw,chatvllm,llamaindex"]
    results = e2e.main([*args, "--no-write", "--plot", str(plot)])

    runs = results["runs"]
    assert {(r["path"], r["streams"], r["repetition"]) for r in runs} == {
        (p, s, rep) for p in ("raw", "chatvllm", "llamaindex") for s in (1, 2) for rep in (0, 1)
    }
    assert all(r["completion_tokens"] == 4 * r["requests"] for r in runs)
    assert len({tuple(r["prompt_tokens"]) for r in runs}) == 1  # one rendering for every path
    assert all(r["frontend_cpu_ms_per_token"] >= 0 and r["ttft_p95_ms"] > 0 for r in runs)
    out = capsys.readouterr().out
    for heading in ("Throughput", "Time to first token", "Frontend CPU per output token"):
        assert heading in out
    assert "| ChatVLLM.astream " in out and "| Vllm.astream_chat " in out
    assert plot.read_bytes().startswith(PNG)

    saved = tmp_path / "e2e.json"  # a saved run is reported again without an engine
    saved.write_text(json.dumps(results), encoding="utf-8")
    e2e.main(["--from-results", str(saved)])
    assert e2e.report(results) in capsys.readouterr().out


def test_ttft_runs_paired_rounds_of_the_in_process_paths(benchmarks, tmp_path, capsys):
    ttft = benchmarks("ttft")
    args = ["--rounds", "3", "--max-tokens", "2", "--paths", "raw,chatvllm,llamaindex"]
    results = ttft.main([*args, "--no-write"])

    rounds = results["rounds"]
    assert [r["order"][0] for r in rounds] == ["raw", "chatvllm", "llamaindex"]  # rotated
    assert all(set(r["ttft_ms"]) == {"raw", "chatvllm", "llamaindex"} for r in rounds)
    assert all(ms > 0 for r in rounds for ms in r["ttft_ms"].values())
    assert "| Vllm.astream_chat " in capsys.readouterr().out

    saved = tmp_path / "ttft.json"  # a saved run is reported again without an engine
    saved.write_text(json.dumps(results), encoding="utf-8")
    ttft.main(["--from-results", str(saved)])
    assert ttft.report(results) in capsys.readouterr().out


def test_batch_runs_every_path_on_tiny_sizes(benchmarks, capsys):
    """Its own small eager engines (the frameworks' and vLLM's offline ``LLM``), both closed."""
    from vllm_native.default_model import resolve_model
    from vllm_native.engine import get_engine

    batch = benchmarks("batch")
    engine_args = {"max_model_len": 1024, "enforce_eager": True}
    try:
        results = batch.main(
            ["--engine-args", json.dumps(engine_args), "--prompts", "3", "--max-tokens", "4"]
            + ["--repeat", "2", "--no-write"]
        )
    finally:
        get_engine(resolve_model(None), engine_args).close()

    runs = results["runs"]
    assert sorted(r["path"] for r in runs) == sorted(
        2 * ["offline", "batch", "abatch", "llamaindex"]
    )
    assert all(r["completion_tokens"] == 3 * 4 for r in runs)
    assert len({tuple(r["prompt_tokens"]) for r in runs}) == 1  # the same prompts everywhere
    assert results["settings"]["engine_args"]["enforce_eager"] is True
    out = capsys.readouterr().out
    assert "| ChatVLLM.batch " in out and "| LLM.chat (offline) " in out and "vs offline" in out
