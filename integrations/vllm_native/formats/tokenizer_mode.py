"""Families whose prompt is not a Jinja template: vLLM's ``tokenizer_mode`` of a loaded tokenizer.

vLLM loads some families with a tokenizer of its own that encodes the conversation itself:
``tokenizer_mode="auto"`` picks ``mistral`` (mistral_common) for a model folder with
``tekken.json`` or ``tokenizer.model.v*``, and ``tokenizer_mode="deepseek_v32"`` (``deepseek_v4``,
``deepseek_v41``) selects DeepSeek's Python encoder. Such a tokenizer has no chat template to
detect a format from, so the tokenizer itself is the signal: :func:`tokenizer_mode` names the mode,
:func:`format_for_tokenizer` the tool-call format that goes with it, and :func:`render_natively`
renders through vLLM's own encoder for it (what vLLM's ``MistralRenderer`` and
``DeepseekV32Renderer`` call).

Example:
    >>> tokenizer_mode(None), format_for_tokenizer(None)
    ('hf', None)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..types import Message, ToolSpec

_FORMATS = {
    "mistral": "mistral",
    "deepseek_v32": "deepseek_v32",
    "deepseek_v4": "deepseek_v4",
    "deepseek_v41": "deepseek_v41",
}
"""Tokenizer mode -> tool-call format (ours, or vLLM's parser of that name)."""

_VLLM_TOKENIZERS = "vllm.tokenizers."


def tokenizer_mode(tokenizer: Any) -> str:
    """``"mistral"``, ``"deepseek_v32"``, ... for vLLM's own tokenizers; ``"hf"`` otherwise.

    vLLM marks its mistral_common tokenizer with ``IS_MISTRAL_TOKENIZER``; its DeepSeek
    tokenizers are Hugging Face tokenizers whose ``apply_chat_template`` is replaced by the
    module of that mode (``vllm.tokenizers.deepseek_v32``...).
    """
    if tokenizer is None:
        return "hf"
    if getattr(type(tokenizer), "IS_MISTRAL_TOKENIZER", False):
        return "mistral"
    method = getattr(type(tokenizer), "apply_chat_template", None)
    module = getattr(method, "__module__", None) or ""
    if module.startswith(_VLLM_TOKENIZERS):
        mode = module[len(_VLLM_TOKENIZERS) :]
        if mode in _FORMATS:
            return mode
    return "hf"


def format_for_tokenizer(tokenizer: Any) -> str | None:
    """The tool-call format of a family known by its tokenizer (``None``: ask the template)."""
    return _FORMATS.get(tokenizer_mode(tokenizer))


def render_natively(
    tokenizer: Any,
    messages: list[Message],
    tools: list[ToolSpec] | None,
    chat_template_kwargs: Mapping[str, Any] | None = None,
) -> list[int]:
    """Prompt token ids of a conversation, by vLLM's own encoder for ``tokenizer``'s mode.

    For mistral this is vLLM's ``safe_apply_chat_template`` (mistral_common; its validation
    errors become ``ValueError``), for the DeepSeek modes the tokenizer's encoder. Raises
    ``ValueError`` for an ``"hf"`` tokenizer, which renders with its Jinja template instead.
    """
    mode = tokenizer_mode(tokenizer)
    kwargs: dict[str, Any] = {"add_generation_prompt": True, **(chat_template_kwargs or {})}
    if mode == "mistral":
        from vllm.renderers.mistral import safe_apply_chat_template

        ids: Any = safe_apply_chat_template(tokenizer, list(messages), tools=tools, **kwargs)
        return list(ids)
    if mode == "hf":
        raise ValueError("this tokenizer renders with its chat template, not natively")
    return list(tokenizer.apply_chat_template(messages, tools=tools, tokenize=True, **kwargs))
