# Before: llama-index-llms-vllm's Vllm (prompt strings, no native tool calling).
from llama_index.llms.vllm import Vllm

llm = Vllm(
    model="Qwen/Qwen3-8B",
    temperature=0,
    max_new_tokens=512,
    tensor_parallel_size=2,
    vllm_kwargs={"max_model_len": 16384},
)
