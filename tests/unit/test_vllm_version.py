"""The vLLM version check: a release outside the proven range fails before the slow start."""

from __future__ import annotations

import pytest

from langchain_vllm import ChatVLLM
from vllm_native import vllm_version
from vllm_native.engine import VllmEngine


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ("0.32.0", True),
        ("0.33.0", True),
        ("0.33.2+cu129", True),
        ("0.31.1", False),
        ("0.34.0", False),
        ("0.34.0rc1", False),
        ("0.11.0", False),
    ],
)
def test_supported_range(version, supported):
    assert vllm_version.is_supported(version) is supported


def test_the_installed_vllm_is_supported():
    name, version = vllm_version.installed_vllm()
    assert name in vllm_version.DISTRIBUTIONS and vllm_version.is_supported(version)


def test_an_unsupported_vllm_fails_before_the_engine_starts(monkeypatch):
    monkeypatch.setattr(vllm_version, "installed_vllm", lambda: ("vllm", "0.30.1"))
    llm = ChatVLLM(model="Qwen/Qwen3-8B")
    with pytest.raises(
        vllm_version.UnsupportedVllmError, match=r"vllm 0\.30\.1 is installed.*<0\.34"
    ):
        llm.invoke("hi")


def test_a_missing_vllm_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(vllm_version, "installed_vllm", lambda: None)
    with pytest.raises(ImportError, match=r"vllm-native\[gpu\]"):
        VllmEngine("Qwen/Qwen3-8B").start()


def test_the_check_can_be_skipped(monkeypatch):
    monkeypatch.setattr(vllm_version, "installed_vllm", lambda: ("vllm", "0.40.0"))
    monkeypatch.setenv("VLLM_NATIVE_ANY_VLLM", "1")
    vllm_version.check_vllm_version()  # no error
