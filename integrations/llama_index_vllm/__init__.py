"""LlamaIndex integration of vllm-native: ``Vllm``, a function-calling LLM running vLLM in-process.

Example:
    >>> from llama_index_vllm import Vllm
    >>> Vllm.class_name()
    'Vllm'
"""

from .base import Vllm

__all__ = ["Vllm"]
