"""Compile a turn's structured-output constraint with vLLM's own backends, on the CPU, no engine.

The constraint goes through what vLLM does with a request: ``SamplingParams`` validation with
the ``auto`` backend choice (``SamplingParams._validate_structured_outputs``), then the chosen
engine backend (``XgrammarBackend`` / ``GuidanceBackend``) compiles it against the default model's
tokenizer, and the compiled grammar is fed the tokens of a candidate output.
"""

from __future__ import annotations

import functools
import os
from types import SimpleNamespace
from typing import Any

from vllm_native.sampling import build_sampling_params
from vllm_native.types import SamplingOptions

os.environ.setdefault("LLGUIDANCE_LOG_LEVEL", "0")  # rejected candidates are expected here


@functools.cache
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    from vllm_native.models import default_model_path

    return AutoTokenizer.from_pretrained(default_model_path())


@functools.cache
def _backend(name: str) -> Any:
    from vllm.config.structured_outputs import StructuredOutputsConfig

    config = SimpleNamespace(
        structured_outputs_config=StructuredOutputsConfig(backend=name),
        model_config=None,
        speculative_config=None,
    )
    tok = tokenizer()
    if name == "xgrammar":
        from vllm.v1.structured_output.backend_xgrammar import XgrammarBackend

        return XgrammarBackend(vllm_config=config, tokenizer=tok, vocab_size=len(tok))
    from vllm.v1.structured_output.backend_guidance import GuidanceBackend

    return GuidanceBackend(vllm_config=config, tokenizer=tok, vocab_size=len(tok))


class CompiledConstraint:
    """A constraint compiled by one vLLM backend; :meth:`accepts` replays a candidate output."""

    def __init__(self, structured: dict[str, Any], backend: str) -> None:
        from vllm.config.structured_outputs import StructuredOutputsConfig
        from vllm.v1.structured_output.request import get_structured_output_key

        params = build_sampling_params(
            SamplingOptions(), prompt_tokens=1, max_model_len=4096, structured=structured
        )
        # vLLM's request validation, with the backend pinned so each one is exercised
        params._validate_structured_outputs(
            SimpleNamespace(is_diffusion=False),
            StructuredOutputsConfig(backend=backend),
            tokenizer(),
        )
        self.kind, self.spec = get_structured_output_key(params.structured_outputs)
        self.backend = backend

    def accepts(self, text: str) -> bool:
        """Whether the grammar lets the model write exactly ``text`` and then stop."""
        grammar = _backend(self.backend).compile_grammar(self.kind, self.spec)
        ids = tokenizer().encode(text, add_special_tokens=False)
        if not all(grammar.accept_tokens("r", [i]) for i in ids):
            return False
        return bool(grammar.accept_tokens("r", [tokenizer().eos_token_id])) and (
            grammar.is_terminated()
        )


BACKENDS = ("xgrammar", "guidance")
