"""LoRA adapters per request: where an adapter is, and the engine arguments that serve it.

An adapter is not part of the engine configuration: objects with different adapters on one base
share one engine, and each request names its adapter (vLLM's ``LoRARequest``). What the engine
needs is LoRA turned on with room for the adapters: :func:`lora_engine_args` adds
``enable_lora=True``, ``max_loras`` (adapters in one batch) and a ``max_lora_rank`` that fits the
adapter, unless the user set them. The ranks are vLLM's (1, 8, 16, 32, 64, ...), rounded up, never
below vLLM's default 16, so adapters of the usual ranks share one engine configuration.

Example:
    >>> path = resolve_adapter("smollm2_tools")  # an adapter shipped with vllm-native
    >>> adapter_rank(path)
    16
    >>> lora_engine_args({"max_model_len": 2048}, path)  # doctest: +NORMALIZE_WHITESPACE
    {'max_model_len': 2048, 'enable_lora': True, 'max_loras': 4, 'max_lora_rank': 16}
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
"""The ``max_lora_rank`` values vLLM accepts."""
DEFAULT_MAX_LORA_RANK = 16
"""vLLM's default ``max_lora_rank``."""
DEFAULT_MAX_LORAS = 4
"""Adapters that can run in one batch (vLLM's default is 1, which makes requests for a second
adapter wait for the first's to finish)."""


def resolve_adapter(adapter: str) -> str:
    """The path vLLM loads for ``adapter``: an existing folder (made absolute), the name of an
    adapter shipped in ``vllm_native/adapters``, or else a hub id, unchanged (vLLM downloads it
    unless the hub is offline)."""
    if not isinstance(adapter, str) or not adapter.strip():
        raise ValueError(f"lora must name an adapter folder or hub id, got {adapter!r}")
    path = Path(adapter).expanduser()
    if path.is_dir():
        if not (path / "adapter_config.json").is_file():
            raise ValueError(
                f"{adapter!r} is not a LoRA adapter folder: it has no adapter_config.json "
                "(peft's save_pretrained writes one)"
            )
        return str(path.resolve())
    shipped = importlib.resources.files("vllm_native") / "adapters" / adapter
    if "/" not in adapter and shipped.is_dir():
        return str(shipped)
    if adapter.startswith(("/", ".", "~")):
        raise ValueError(f"LoRA adapter folder {adapter!r} does not exist")
    return adapter


def adapter_rank(path: str) -> int | None:
    """The rank ``r`` in a local adapter's ``adapter_config.json`` (``None`` for a hub id)."""
    config = Path(path) / "adapter_config.json"
    if not config.is_file():
        return None
    with config.open(encoding="utf-8") as f:
        data = json.load(f)
    ranks = [data.get("r"), *(data.get("rank_pattern") or {}).values()]
    known = [int(r) for r in ranks if isinstance(r, int)]
    return max(known) if known else None


def fitting_rank(rank: int | None) -> int:
    """The smallest vLLM ``max_lora_rank`` that holds ``rank`` (at least vLLM's default).

    >>> fitting_rank(8), fitting_rank(24), fitting_rank(None)
    (16, 32, 16)
    """
    wanted = max(rank or 0, DEFAULT_MAX_LORA_RANK)
    for value in VLLM_LORA_RANKS:
        if value >= wanted:
            return value
    raise ValueError(f"LoRA rank {rank} is larger than vLLM supports ({VLLM_LORA_RANKS[-1]})")


def lora_engine_args(engine_args: Mapping[str, Any], adapter: str) -> dict[str, Any]:
    """``engine_args`` with LoRA serving turned on for ``adapter`` (a resolved path); the
    user's own ``enable_lora``/``max_loras``/``max_lora_rank`` win."""
    if engine_args.get("enable_lora") is False:
        raise ValueError("lora= needs LoRA serving, but engine_args sets enable_lora=False")
    args = dict(engine_args)
    args["enable_lora"] = True
    args.setdefault("max_loras", DEFAULT_MAX_LORAS)
    args.setdefault("max_lora_rank", fitting_rank(adapter_rank(adapter)))
    return args


def check_adapter_fits(adapter: str, engine_args: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` (saying what to do) when the engine cannot serve ``adapter``."""
    if not engine_args.get("enable_lora"):
        raise ValueError(
            f"lora={adapter!r} needs an engine with LoRA enabled: create the model with lora=... "
            "(any adapter of that base), or pass engine_args={'enable_lora': True, ...}"
        )
    rank = adapter_rank(adapter)
    limit = int(engine_args.get("max_lora_rank", DEFAULT_MAX_LORA_RANK))
    if rank is not None and rank > limit:
        raise ValueError(
            f"adapter {adapter!r} has rank {rank}, above this engine's max_lora_rank {limit}; "
            f"pass engine_args={{'max_lora_rank': {fitting_rank(rank)}}} (or create the model "
            "with this adapter as lora=...)"
        )
