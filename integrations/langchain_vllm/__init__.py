"""LangChain integration: ``ChatVLLM`` (chat model) and ``VLLM`` (completion model), both running
vLLM in-process through ``vllm_native``.

Example:
    >>> from langchain_vllm import ChatVLLM
    >>> from vllm_native.testing import ScriptedEngine
    >>> ChatVLLM(engine=ScriptedEngine(["Hello!"])).invoke("Hi").content
    'Hello!'
"""

from .chat_models import ChatVLLM
from .llms import VLLM

__all__ = ["VLLM", "ChatVLLM"]
