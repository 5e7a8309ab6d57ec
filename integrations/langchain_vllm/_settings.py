"""Engine and sampling settings shared by ``ChatVLLM`` and ``VLLM``, and their translation into
the core's ``SamplingOptions``.

Example:
    >>> settings = VllmSettings(temperature=0.2, stop=["END"], sampling_kwargs={"min_tokens": 2})
    >>> options = settings.sampling_options(["STOP"], {"max_tokens": 5})
    >>> options.temperature, options.max_tokens, options.stop, options.extra
    (0.2, 5, ('END', 'STOP'), {'min_tokens': 2})
    >>> VllmSettings(temprature=0.2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    pydantic_core._pydantic_core.ValidationError: 1 validation error for VllmSettings
      Value error, VllmSettings got keyword arguments it does not take:
      temprature: did you mean temperature=? ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.language_models import LangSmithParams
from pydantic import BaseModel, Field, model_validator
from typing_extensions import Self

from vllm_native.types import (
    SAMPLING_KWARGS,
    SAMPLING_OPTION_NAMES,
    SamplingOptions,
    constructor_keywords,
    copy_keywords,
    sampling_fields_model,
)

MODEL_PROVIDER = "vllm"
"""The provider name in response metadata and tracing."""

SAMPLING_FIELDS = SAMPLING_OPTION_NAMES
"""Sampling options accepted at construction and, overriding it, per call (the core's list)."""

CALL_SAMPLING_OPTIONS = frozenset({*SAMPLING_FIELDS, SAMPLING_KWARGS})

if TYPE_CHECKING:
    _SamplingFields = BaseModel
else:
    _SamplingFields = sampling_fields_model()
    """One pydantic field per core sampling option (name, type, default, description)."""


class VllmSettings(_SamplingFields):
    """Which engine runs the model, and the default sampling options."""

    if TYPE_CHECKING:  # declared by the core's sampling fields model
        sampling_kwargs: dict[str, Any]

    model: str | None = None
    """Path or hub id of the model; ``None`` is the prepared default model."""
    engine: Any = Field(default=None, exclude=True)
    """An explicit engine instead of ``model``/``engine_args``, e.g.
    ``vllm_native.testing.ScriptedEngine`` in tests."""
    engine_args: dict[str, Any] = Field(default_factory=dict)
    """vLLM engine arguments, passed through untouched (``max_model_len``,
    ``tensor_parallel_size``, ``quantization``, ...). Models with equal ``model`` and
    ``engine_args`` share one engine. ``vllm_kwargs={...}`` (langchain-community's name for
    them) is accepted too and merged in; a key given in both with different values, or a key
    that is not an engine argument, is a ``ValueError`` saying where it goes."""

    stop: list[str] | None = None
    """Stop strings; combined with the ones given per call."""
    lora: str | None = None
    """A LoRA adapter applied to every request (a folder, an adapter shipped with vllm-native or
    a hub id); a call's ``lora=`` overrides it. Objects with different adapters on one base
    share one engine (see ``vllm_native.lora``)."""
    fetch_remote_images: bool = False
    """Let vLLM download ``http(s)`` image URLs (off: only data URLs and local files)."""
    timeout: float | None = None
    """LangChain's standard parameter, accepted so standard code constructs this model; it is
    not enforced: a request runs in this process until it ends (break out of a stream, or
    cancel its task, to abort it in the engine)."""
    max_retries: int | None = None
    """LangChain's standard parameter, accepted; nothing is retried: an in-process engine has
    no network failure to retry, and a failed request raises at once."""

    @model_validator(mode="before")
    @classmethod
    def _check_keywords(cls, values: Any) -> Any:
        """Unknown keywords fail with where they belong; ``vllm_kwargs`` join ``engine_args``."""
        if not isinstance(values, dict):
            return values
        return constructor_keywords(values, cls.keywords(), owner=cls.__name__)

    @classmethod
    def keywords(cls) -> frozenset[str]:
        """Every keyword the constructor takes (field names and aliases)."""
        aliases = {f.alias for f in cls.model_fields.values() if f.alias}
        return frozenset({*cls.model_fields, *aliases})

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied, built and checked as the constructor does: a new
        ``model``/``engine``/``engine_args`` gets its own engine client (and profile), a bad
        value fails here. A copy shares the engine, even a deep one (engines are never copied).

        >>> from vllm_native.testing import ScriptedEngine
        >>> settings = VllmSettings(engine=ScriptedEngine([]), temperature=0.5)
        >>> other = ScriptedEngine([])
        >>> copy = settings.model_copy(update={"engine": other, "temperature": 0})
        >>> copy.engine is other, copy.temperature, settings.temperature
        (True, 0.0, 0.5)
        """
        values = copy_keywords(self, update, deep=deep, derived=self._derived_fields())
        return type(self)(**values)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """``copy.deepcopy``: :meth:`model_copy` with ``deep=True`` (the engine is shared)."""
        return self.model_copy(deep=True)

    def _derived_fields(self) -> frozenset[str]:
        """Fields a copy computes again instead of copying (ChatVLLM: a profile it made)."""
        return frozenset()

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
            extra={**self.sampling_kwargs, **(call.get(SAMPLING_KWARGS) or {})},
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
            SAMPLING_KWARGS: self.sampling_kwargs,
        }
