"""scripts/check_vllm_compat.py: every vLLM touch point of integrations/ is found in the installed
vLLM, and a vLLM that lacks one is reported."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import check_vllm_compat as compat  # noqa: E402


@pytest.fixture(scope="module")
def installed() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("vllm")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))).parent


def test_the_installed_vllm_has_every_touch_point(installed, capsys):
    assert compat.check(compat.Vllm(installed)) == []
    out = capsys.readouterr().out
    assert "ok       vllm.v1.engine.async_llm.AsyncLLM.generate" in out
    assert "vllm.sampling_params.SamplingParams(output_kind=)" in out  # keywords are checked


def test_a_missing_method_module_and_keyword_are_reported(installed, tmp_path, capsys):
    copied = tmp_path / "vllm"
    for relative in ("v1/engine/async_llm.py", "lora/request.py", "sampling_params.py"):
        (copied / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(installed / "vllm" / relative, copied / relative)
    async_llm = copied / "v1/engine/async_llm.py"
    async_llm.write_text(async_llm.read_text().replace("def get_tokenizer(", "def tokenizer_of("))
    request = copied / "lora/request.py"
    request.write_text(request.read_text().replace("lora_int_id", "adapter_id"))
    problems = compat.check(compat.Vllm(tmp_path))
    assert any("AsyncLLM.get_tokenizer" in p for p in problems)
    assert any("LoRARequest(lora_int_id=)" in p for p in problems)
    assert any("vllm.platforms.current_platform: module missing" in p for p in problems)
    assert "MISSING" in capsys.readouterr().out


def test_every_listed_instance_attribute_is_used_by_our_sources(tmp_path, installed):
    # a stale INSTANCE_USES entry is itself a problem
    sources = tmp_path / "integrations"
    sources.mkdir()
    (sources / "uses.py").write_text("def f(llm):\n    return llm.generate\n")
    problems = compat.check(compat.Vllm(installed), sources)
    assert any("INSTANCE_USES lists" in p and "get_tokenizer" in p for p in problems)
    assert not any("AsyncLLM.generate" in p for p in problems)
