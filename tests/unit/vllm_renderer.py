"""A scripted engine whose prompts are rendered by vLLM's own renderer, without an engine.

``VllmRenderedEngine`` replays responses like :class:`~vllm_native.testing.ScriptedEngine`,
but renders chat requests exactly as :class:`~vllm_native.engine.VllmEngine` does
(:func:`~vllm_native.engine.render_with_vllm`): vLLM's ``HfRenderer`` (its message parsing,
content-format detection, sandboxed Jinja) over a given chat template and the prepared default
model's tokenizer and config.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from vllm_native.engine import RenderedPrompt, render_with_vllm
from vllm_native.testing import Response, ScriptedEngine
from vllm_native.types import Message, ToolSpec


@functools.cache
def _vllm_config() -> Any:
    from vllm.config import ModelConfig, VllmConfig

    from vllm_native.models import default_model_path

    return VllmConfig(model_config=ModelConfig(model=str(default_model_path()), max_model_len=4096))


@functools.cache
def _tokenizer() -> Any:
    from transformers import AutoTokenizer

    from vllm_native.models import default_model_path

    return AutoTokenizer.from_pretrained(default_model_path())


@functools.cache
def _renderer() -> Any:
    """One ``HfRenderer`` (building one copies the tokenizer for its thread pool: ~1 s)."""
    from vllm.renderers.hf import HfRenderer

    return HfRenderer(_vllm_config(), _tokenizer())


class VllmRenderedEngine(ScriptedEngine):
    """A :class:`ScriptedEngine` rendering with vLLM's ``HfRenderer`` and ``chat_template``."""

    def __init__(self, responses: Sequence[Response], chat_template: str, **kwargs: Any) -> None:
        tokenizer = copy.copy(_tokenizer())
        tokenizer.chat_template = chat_template
        super().__init__(responses, tokenizer=tokenizer, chat_template=chat_template, **kwargs)

    @property
    def renderer(self) -> Any:
        """vLLM's renderer, its tokenizer carrying this engine's chat template."""
        renderer = _renderer()
        renderer.get_tokenizer().chat_template = self.chat_template()
        return renderer

    def render(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> RenderedPrompt:
        return render_with_vllm(self.renderer, messages, tools, chat_template_kwargs)
