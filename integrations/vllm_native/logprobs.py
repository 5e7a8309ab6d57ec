"""Token log probabilities: vLLM's per-position ``{token_id: Logprob}`` -> neutral
:class:`~vllm_native.types.TokenLogprob` (``types.logprobs_to_openai`` gives OpenAI's
shape).

Example:
    >>> from vllm.logprobs import Logprob
    >>> from vllm_native.types import logprobs_to_openai
    >>> position = {7: Logprob(-0.1, rank=1, decoded_token="Hi"), 9: Logprob(-2.5, 2, "Yo")}
    >>> tokens = from_vllm([7], [position], top=1)
    >>> logprobs_to_openai(tokens)  # doctest: +NORMALIZE_WHITESPACE
    {'content': [{'token': 'Hi', 'bytes': [72, 105], 'logprob': -0.1,
                  'top_logprobs': [{'token': 'Hi', 'bytes': [72, 105], 'logprob': -0.1}]}]}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .types import TokenLogprob, TopLogprob

MAX_TOP_LOGPROBS = 20
"""OpenAI's limit for ``top_logprobs`` (and vLLM's default ``max_logprobs``)."""
FLOOR = -9999.0
"""``-inf`` is not JSON; vLLM's OpenAI server reports at least this, so do we."""


def vllm_logprobs_setting(logprobs: bool, top_logprobs: int | None) -> int | None:
    """``SamplingParams.logprobs`` for the OpenAI-style options (``None``: not asked for).

    >>> vllm_logprobs_setting(True, None), vllm_logprobs_setting(False, 3)
    (0, 3)
    """
    if top_logprobs is not None:
        if isinstance(top_logprobs, bool) or not isinstance(top_logprobs, int):
            raise ValueError(f"top_logprobs must be an integer, got {top_logprobs!r}")
        if not 0 <= top_logprobs <= MAX_TOP_LOGPROBS:
            raise ValueError(
                f"top_logprobs must be between 0 and {MAX_TOP_LOGPROBS}, got {top_logprobs}"
            )
        return top_logprobs
    return 0 if logprobs else None


def from_vllm(
    token_ids: Sequence[int],
    positions: Sequence[dict[int, Any] | None] | None,
    *,
    top: int,
    decode: Callable[[int], str] | None = None,
) -> tuple[TokenLogprob, ...]:
    """One entry per generated token. ``positions[i]`` maps token ids to vLLM ``Logprob`` s (the
    sampled token and the ``top`` most likely ones); ``decode`` names tokens vLLM did not decode."""
    if positions is None:
        return ()
    out = []
    for token_id, position in zip(token_ids, positions, strict=False):
        position = position or {}
        chosen = position.get(token_id)
        token = _token(chosen, token_id, decode)
        # vLLM lists the sampled token first, then the top ones: OpenAI's top_logprobs are the
        # ``top`` most likely tokens, most likely first, so they are taken by rank.
        ranked = sorted(
            ((tid, lp) for tid, lp in position.items() if lp.rank is not None and lp.rank <= top),
            key=lambda item: item[1].rank,
        )
        out.append(
            TokenLogprob(
                token=token,
                logprob=_floor(chosen.logprob) if chosen is not None else FLOOR,
                bytes=_bytes(token),
                top_logprobs=tuple(
                    TopLogprob(t := _token(lp, tid, decode), _floor(lp.logprob), _bytes(t))
                    for tid, lp in ranked
                ),
            )
        )
    return tuple(out)


def _token(logprob: Any, token_id: int, decode: Callable[[int], str] | None) -> str:
    text = getattr(logprob, "decoded_token", None)
    if text is None and decode is not None:
        text = decode(token_id)
    return text if text is not None else f"token_id:{token_id}"


def _floor(value: float) -> float:
    return max(float(value), FLOOR)


def _bytes(token: str) -> tuple[int, ...]:
    return tuple(token.encode("utf-8", errors="replace"))
