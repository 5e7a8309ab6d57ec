"""The lists read from vLLM's sources (without importing it) are vLLM's own, as imported."""

from __future__ import annotations

import dataclasses
import inspect

from vllm_native.vllm_sources import (
    engine_arg_names,
    multimodal_architectures,
    sampling_param_names,
)


def test_the_lists_match_the_imported_classes():
    from vllm.engine.arg_utils import AsyncEngineArgs
    from vllm.model_executor.models.registry import _MULTIMODAL_MODELS
    from vllm.sampling_params import SamplingParams

    public_args = {
        f.name for f in dataclasses.fields(AsyncEngineArgs) if not f.name.startswith("_")
    }
    assert engine_arg_names() == public_args
    keywords = set(inspect.signature(SamplingParams).parameters)
    assert sampling_param_names() == {name for name in keywords if not name.startswith("_")}
    assert multimodal_architectures() == set(_MULTIMODAL_MODELS)


def test_without_vllm_every_list_is_empty(tmp_path):
    assert engine_arg_names(tmp_path) == sampling_param_names(tmp_path) == frozenset()
    assert multimodal_architectures(tmp_path) == frozenset()
