"""Neutral sampling options -> ``vllm.SamplingParams`` (streamed as deltas).

Unset ``max_tokens`` means "until the context is full" (vLLM's own default is only 16 tokens).

Example:
    >>> p = build_sampling_params(SamplingOptions(temperature=0, max_tokens=5), prompt_tokens=10,
    ...                           max_model_len=100)
    >>> p.max_tokens, p.temperature
    (5, 0)
"""

from __future__ import annotations

from typing import Any

from .types import SamplingOptions

_FIELDS = ("temperature", "top_p", "top_k", "seed", "presence_penalty", "frequency_penalty")


def build_sampling_params(
    options: SamplingOptions,
    *,
    prompt_tokens: int,
    max_model_len: int,
    structured: dict[str, Any] | None = None,
    skip_special_tokens: bool = True,
) -> Any:
    """A ``vllm.SamplingParams`` with delta output; raises ``ValueError`` for bad options."""
    from vllm.sampling_params import RequestOutputKind, SamplingParams, StructuredOutputsParams

    room = max_model_len - prompt_tokens
    max_tokens = options.max_tokens
    if max_tokens is not None and max_tokens <= 0:
        raise ValueError(f"max_tokens must be a positive number of tokens, got {max_tokens}")
    kwargs: dict[str, Any] = {
        name: getattr(options, name) for name in _FIELDS if getattr(options, name) is not None
    }
    kwargs["max_tokens"] = min(max_tokens, room) if max_tokens is not None else room
    if options.stop:
        kwargs["stop"] = list(options.stop)
    extra = dict(options.extra)
    if extra.get("n", 1) != 1:
        raise ValueError("n > 1 is not supported: ask for several generations with batch() instead")
    for reserved in ("output_kind", "structured_outputs"):
        if reserved in extra:
            raise ValueError(f"{reserved!r} is set by vllm-native and cannot be passed in extras")
    kwargs.update(extra)
    kwargs.setdefault("skip_special_tokens", skip_special_tokens)
    if structured:
        kwargs["structured_outputs"] = StructuredOutputsParams(**structured)
    try:
        return SamplingParams(output_kind=RequestOutputKind.DELTA, **kwargs)
    except TypeError as exc:
        raise ValueError(f"unsupported sampling option: {exc}") from None
