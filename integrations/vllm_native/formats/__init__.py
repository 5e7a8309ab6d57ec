"""Tool-call formats: one module per format, looked up by vLLM's ``--tool-call-parser`` names.

Example:
    >>> get_format("hermes").name
    'hermes'
"""

from __future__ import annotations

from .base import ToolCallFormat
from .deepseek import DeepSeekV3Format, DeepSeekV31Format
from .hermes import HermesFormat
from .llama3_json import Llama3JsonFormat
from .mistral import MistralFormat
from .pythonic import PythonicFormat
from .qwen3_coder import Qwen3CoderFormat

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
}


def available_formats() -> list[str]:
    """Names accepted by :func:`get_format` (our own parsers)."""
    return sorted(_FORMATS)


def get_format(name: str) -> ToolCallFormat:
    """The format called ``name`` (vLLM's ``--tool-call-parser`` spelling)."""
    try:
        return _FORMATS[name]()
    except KeyError:
        raise ValueError(f"Unknown tool_parser {name!r}; ours are {available_formats()}") from None


def detect_format(chat_template: str | None) -> str:
    """Guess the tool-call format from a chat template's markers (``hermes`` when unsure).

    >>> detect_format("... <tool_call> ...")
    'hermes'
    """
    template = chat_template or ""
    if "<｜tool▁sep｜>" in template:  # V3 wraps arguments in a ```json fence, V3.1 does not
        return "deepseek_v3" if "```json" in template else "deepseek_v31"
    for marker, name in _DETECTION:
        if marker in template and name in _FORMATS:
            return name
    return "hermes"


_DETECTION: list[tuple[str, str]] = [
    ("<function=", "qwen3_coder"),
    ("<tool_call>", "hermes"),
    ("[TOOL_CALLS]", "mistral"),
    ("<|python_tag|>", "llama3_json"),
    ("<|python_start|>", "pythonic"),
]
