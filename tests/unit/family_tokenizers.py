"""Tokenizers of families that vLLM loads with a tokenizer of its own, built locally (no hub).

- Mistral: vLLM's ``MistralTokenizer`` (mistral_common, what ``tokenizer_mode="auto"`` picks for a
  folder with ``tekken.json``) over the real Tekken vocabulary that mistral_common ships
  (``tekken_240911.json``, tokenizer version v3: Mistral NeMo's). Loading it takes ~15 s (vLLM
  builds a vocabulary map of 131k entries), so it is built once per test session.
- DeepSeek V3.2: vLLM's ``DeepseekV32Tokenizer`` (``tokenizer_mode="deepseek_v32"``) wraps a
  Hugging Face tokenizer with DeepSeek's own Python encoder; the prepared default model's
  tokenizer stands in for DeepSeek's vocabulary (the encoder writes text, the vocabulary only
  splits it into tokens); its chat template is removed, as DeepSeek V3.2 ships none.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import mistral_common


@functools.cache
def mistral_tokenizer() -> Any:
    from vllm.tokenizers.mistral import MistralTokenizer

    folder = Path(tempfile.mkdtemp(prefix="vllm-native-mistral-"))
    shipped = Path(mistral_common.__file__).parent / "data" / "tekken_240911.json"
    shutil.copy(shipped, folder / "tekken.json")
    return MistralTokenizer.from_pretrained(str(folder))


@functools.cache
def deepseek_v32_tokenizer() -> Any:
    from vllm.tokenizers.deepseek_v32 import DeepseekV32Tokenizer

    from vllm_native.models import model_path

    tokenizer = DeepseekV32Tokenizer.from_pretrained(str(model_path()))
    tokenizer.chat_template = None  # DeepSeek V3.2 ships none: the encoder is the template
    return tokenizer


@functools.cache
def tokenizer_with_markers(*markers: str) -> Any:
    """The prepared default model's tokenizer with a family's marker tokens added as special
    tokens: what vLLM's registry parsers need to find their markers by token id."""
    from transformers import AutoTokenizer

    from vllm_native.models import model_path

    tokenizer = AutoTokenizer.from_pretrained(model_path())
    tokenizer.add_special_tokens({"additional_special_tokens": list(markers)})
    return tokenizer
