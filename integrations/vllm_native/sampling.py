"""Neutral sampling options -> ``vllm.SamplingParams`` (streamed as deltas).

Unset ``max_tokens`` means "until the context is full" (vLLM's own default is only 16 tokens).
``logprobs``/``top_logprobs`` are OpenAI's options, mapped to vLLM's ``logprobs`` count. ``n``
is not a field here: each of the ``n`` generations is its own request (see ``choice_options``).

Example:
    >>> p = build_sampling_params(SamplingOptions(temperature=0, max_tokens=5), prompt_tokens=10,
    ...                           max_model_len=100)
    >>> p.max_tokens, p.temperature
    (5, 0)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .logprobs import vllm_logprobs_setting
from .types import SAMPLING_OPTION_NAMES, SamplingOptions

_OWN = ("max_tokens", "logprobs", "top_logprobs", "n")
"""Options mapped below rather than passed through by name."""
_FIELDS = tuple(name for name in SAMPLING_OPTION_NAMES if name not in _OWN)


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
    kwargs: dict[str, Any] = {
        name: getattr(options, name) for name in _FIELDS if getattr(options, name) is not None
    }
    kwargs["max_tokens"] = min(max_tokens, room) if max_tokens is not None else room
    if options.stop:
        kwargs["stop"] = list(options.stop)
    if (options.n or 1) != 1:
        raise ValueError(
            f"n={options.n} asks for several generations, which one stream or one message cannot "
            "carry: stream with n=1, or use generate()/batch() (ChatClient.choices), which return "
            "every choice"
        )
    logprobs = vllm_logprobs_setting(bool(options.logprobs), options.top_logprobs)
    if logprobs is not None:
        kwargs["logprobs"] = logprobs
    kwargs.update(options.extra)  # checked by SamplingOptions: none of the fields set above
    kwargs.setdefault("skip_special_tokens", skip_special_tokens)
    if structured:
        kwargs["structured_outputs"] = StructuredOutputsParams(**structured)
    try:
        return SamplingParams(output_kind=RequestOutputKind.DELTA, **kwargs)
    except TypeError as exc:
        raise ValueError(f"unsupported sampling option: {exc}") from None


def choice_options(options: SamplingOptions) -> list[SamplingOptions]:
    """The options of each of the ``n`` generations, as vLLM's own parallel sampling makes them:
    one request per choice, and with a ``seed`` each choice gets ``seed + index``
    (``vllm/v1/engine/parallel_sampling.py``), so the choices differ but are reproducible.

    >>> [o.seed for o in choice_options(SamplingOptions(n=3, seed=7))]
    [7, 8, 9]
    """
    n = options.n or 1
    if n == 1:
        return [options]
    seeds = [None if options.seed is None else options.seed + i for i in range(n)]
    return [replace(options, n=1, seed=seed) for seed in seeds]
