"""Engine and sampling settings shared by ``ChatVLLM`` and ``VLLM``, and their translation into
the core's ``SamplingOptions``.

Example:
    >>> settings = VllmSettings(temperature=0.2, stop=["END"], vllm_kwargs={"min_tokens": 2})
    >>> options = settings.sampling_options(["STOP"], {"max_tokens": 5})
    >>> options.temperature, options.max_tokens, options.stop, options.extra
    (0.2, 5, ('END', 'STOP'), {'min_tokens': 2})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.language_models import LangSmithParams
from pydantic import BaseModel, Field, model_validator
from typing_extensions import Self

from vllm_native.types import SAMPLING_OPTION_NAMES, SamplingOptions, sampling_fields_model

MODEL_PROVIDER = "vllm"
"""The provider name in response metadata and tracing."""

SAMPLING_FIELDS = SAMPLING_OPTION_NAMES
"""Sampling options accepted at construction and, overriding it, per call (the core's list)."""

CALL_SAMPLING_OPTIONS = frozenset({*SAMPLING_FIELDS, "vllm_kwargs"})

if TYPE_CHECKING:
    _SamplingFields = BaseModel
else:
    _SamplingFields = sampling_fields_model()
    """One pydantic field per core sampling option (name, type, default, description)."""


class VllmSettings(_SamplingFields):
    """Which engine runs the model, and the default sampling options."""

    model: str | None = None
    """Path or hub id of the model; ``None`` is the prepared default model."""
    engine: Any = Field(default=None, exclude=True)
    """An explicit engine instead of ``model``/``engine_args``, e.g.
    ``vllm_native.testing.ScriptedEngine`` in tests."""
    engine_args: dict[str, Any] = Field(default_factory=dict)
    """vLLM engine arguments, passed through untouched (``max_model_len``,
    ``tensor_parallel_size``, ``quantization``, ...). Models with equal ``model`` and
    ``engine_args`` share one engine."""

    stop: list[str] | None = None
    """Stop strings; combined with the ones given per call."""
    lora: str | None = None
    """A LoRA adapter applied to every request (a folder, an adapter shipped with vllm-native or
    a hub id); a call's ``lora=`` overrides it. Objects with different adapters on one base
    share one engine (see ``vllm_native.lora``)."""
    fetch_remote_images: bool = False
    """Let vLLM download ``http(s)`` image URLs (off: only data URLs and local files)."""
    vllm_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Any other ``vllm.SamplingParams`` field (``min_tokens``, ``repetition_penalty``, ...);
    per-call ``vllm_kwargs`` are merged over these."""

    @model_validator(mode="after")
    def _check_sampling(self) -> Self:
        """Bad sampling values fail here, with the core's message (e.g. ``max_tokens=0``)."""
        self.sampling_options(None, {})
        return self

    def sampling_options(
        self, stop: Sequence[str] | None, call: Mapping[str, Any]
    ) -> SamplingOptions:
        """The settings, overridden by the per-call options in ``call``."""
        stops = list(dict.fromkeys([*(self.stop or []), *(stop or [])]))
        return SamplingOptions(
            **{name: call.get(name, getattr(self, name)) for name in SAMPLING_FIELDS},
            stop=tuple(stops) or None,
            extra={**self.vllm_kwargs, **(call.get("vllm_kwargs") or {})},
        )

    def langsmith_params(
        self,
        model_name: str,
        model_type: Literal["chat", "llm"],
        stop: Sequence[str] | None,
        call: Mapping[str, Any],
    ) -> LangSmithParams:
        """Tracing parameters; a per-call ``model`` names the model traced."""
        params = LangSmithParams(
            ls_provider=MODEL_PROVIDER,
            ls_model_name=call.get("model") or model_name,
            ls_model_type=model_type,
        )
        options = self.sampling_options(stop, call)
        if options.temperature is not None:
            params["ls_temperature"] = options.temperature
        if options.max_tokens is not None:
            params["ls_max_tokens"] = options.max_tokens
        if options.stop:
            params["ls_stop"] = list(options.stop)
        return params

    def settings_params(self) -> dict[str, Any]:
        """The settings as JSON-friendly identifying parameters."""
        return {
            "model": self.model,
            "engine": type(self.engine).__name__ if self.engine is not None else None,
            "engine_args": self.engine_args,
            **{name: getattr(self, name) for name in SAMPLING_FIELDS},
            "stop": self.stop,
            "vllm_kwargs": self.vllm_kwargs,
        }
