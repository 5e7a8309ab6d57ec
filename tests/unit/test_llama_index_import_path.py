"""``llama_index.llms.vllm_native``: LlamaIndex's import path for the same ``Vllm`` class."""

from __future__ import annotations

import doctest

import llama_index.llms.vllm_native as by_convention
import llama_index_vllm


def test_the_conventional_import_path_is_the_same_class():
    assert by_convention.Vllm is llama_index_vllm.Vllm
    assert by_convention.__all__ == ["Vllm"]


def test_its_docstring_examples_run():
    result = doctest.testmod(by_convention)
    assert result.attempted > 0 and result.failed == 0
