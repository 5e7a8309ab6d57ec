"""vllm-native: the vLLM engine in-process, with correct native tool calling; the framework-free core.

The LangChain (``langchain_vllm``) and LlamaIndex (``llama_index_vllm``) classes translate to and
from this core; it imports neither framework, nor vLLM until an engine starts.

Example:
    >>> from vllm_native import ChatClient, ChatRequest
    >>> from vllm_native.testing import ScriptedEngine
    >>> client = ChatClient(engine=ScriptedEngine(["Paris."]))
    >>> client.chat(ChatRequest([{"role": "user", "content": "Capital of France?"}])).content
    'Paris.'
"""

from .chat import ChatClient
from .engine import EngineError, MainGuardError, close_all, get_engine
from .types import (
    ChatMessage,
    ChatRequest,
    Finish,
    InvalidToolCall,
    ReasoningDelta,
    SamplingOptions,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__version__ = "0.1.0"

__all__ = [
    "ChatClient",
    "ChatMessage",
    "ChatRequest",
    "EngineError",
    "Finish",
    "InvalidToolCall",
    "MainGuardError",
    "ReasoningDelta",
    "SamplingOptions",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "__version__",
    "close_all",
    "get_engine",
]
