"""``Vllm`` under LlamaIndex's import convention for LLM integrations (``llama_index.llms.*``).

The same class as ``llama_index_vllm.Vllm``; both import paths stay supported.

Example:
    >>> from llama_index.llms.vllm_native import Vllm
    >>> import llama_index_vllm
    >>> Vllm is llama_index_vllm.Vllm
    True
"""

from llama_index_vllm import Vllm

__all__ = ["Vllm"]
