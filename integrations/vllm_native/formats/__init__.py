"""Tool-call formats: one module per format, looked up by vLLM's ``--tool-call-parser`` names.

Example:
    >>> get_format("hermes").name
    'hermes'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..types import ToolSpec
from .base import ToolCallFormat
from .deepseek import DeepSeekV3Format, DeepSeekV31Format
from .detect import Detection, detect_family, detect_format, read_model_config
from .harmony import HarmonyFormat
from .hermes import HermesFormat
from .llama3_json import Llama3JsonFormat
from .mistral import MistralFormat
from .pythonic import PythonicFormat
from .qwen3_coder import Qwen3CoderFormat

__all__ = [
    "Detection",
    "ToolCallFormat",
    "available_formats",
    "detect_family",
    "detect_format",
    "get_format",
    "is_known_format",
    "read_model_config",
]

_FORMATS: dict[str, type[ToolCallFormat]] = {
    "hermes": HermesFormat,
    "qwen2_5": HermesFormat,
    "qwen3": HermesFormat,
    "llama3_json": Llama3JsonFormat,
    "llama4_json": Llama3JsonFormat,
    "mistral": MistralFormat,
    "deepseek_v3": DeepSeekV3Format,
    "deepseek_v31": DeepSeekV31Format,
    "pythonic": PythonicFormat,
    "qwen3_coder": Qwen3CoderFormat,
    "qwen3_xml": Qwen3CoderFormat,
    "openai": HarmonyFormat,  # vLLM's name for gpt-oss (its own parser is a stub offline)
}


def available_formats() -> list[str]:
    """Names accepted by :func:`get_format` (our own parsers)."""
    return sorted(_FORMATS)


def get_format(
    name: str, *, tokenizer: Any = None, tools: Sequence[ToolSpec] | None = None
) -> ToolCallFormat:
    """The format called ``name``: ours, else vLLM's own parser of that name through
    :class:`~vllm_native.formats.vllm_adapter.VllmParserFormat` (which needs the model's
    tokenizer and the turn's tools)."""
    if name in _FORMATS:
        fmt = _FORMATS[name]()
        return fmt.for_tools([t["function"]["name"] for t in tools]) if tools else fmt
    from .vllm_adapter import VllmParserFormat, vllm_parser_names

    if name not in vllm_parser_names():
        raise ValueError(
            f"Unknown tool_parser {name!r}; ours are {available_formats()}, "
            f"vLLM's are {vllm_parser_names()}"
        )
    if tokenizer is None:
        raise ValueError(
            f"tool_parser {name!r} is vLLM's own parser: it needs the model's tokenizer"
        )
    return VllmParserFormat(name, tokenizer, list(tools) if tools else None)


def is_known_format(name: str) -> bool:
    """Whether ``name`` is one of our formats or a parser in vLLM's registry."""
    if name in _FORMATS:
        return True
    from .vllm_adapter import vllm_parser_names  # imports vLLM: only for names not ours

    return name in vllm_parser_names()
