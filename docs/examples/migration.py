"""The migration page's "after" code: constructing these objects starts nothing, so it runs here."""

# --8<-- [start:openai]
from langchain_vllm import ChatVLLM

llm = ChatVLLM(
    model="Qwen/Qwen3-8B",
    temperature=0,
    max_tokens=512,
    tool_parser="hermes",  # optional: detected from the chat template
    reasoning_parser="qwen3",  # optional: on when the template uses <think>
)
# --8<-- [end:openai]

# --8<-- [start:community]
from langchain_vllm import VLLM, ChatVLLM

llm = VLLM(  # the completion model, as before; ChatVLLM for chat and tools
    model="Qwen/Qwen3-8B",
    temperature=0,
    max_tokens=512,
    engine_args={"tensor_parallel_size": 2, "max_model_len": 16384},
)
chat = ChatVLLM(
    model="Qwen/Qwen3-8B", engine_args={"tensor_parallel_size": 2, "max_model_len": 16384}
)
# --8<-- [end:community]

# --8<-- [start:llama_index]
from llama_index.llms.vllm_native import Vllm

llm = Vllm(
    model="Qwen/Qwen3-8B",
    temperature=0,
    max_new_tokens=512,
    engine_args={"tensor_parallel_size": 2, "max_model_len": 16384},
)
# --8<-- [end:llama_index]
print(
    llm.metadata.model_name,
    chat.engine is ChatVLLM(model="Qwen/Qwen3-8B", engine_args=chat.engine_args).engine,
)
