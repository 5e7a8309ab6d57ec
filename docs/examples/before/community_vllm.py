# Before: langchain-community's VLLM, a completion model (no chat template, no tool calling).
from langchain_community.llms import VLLM

llm = VLLM(
    model="Qwen/Qwen3-8B",
    temperature=0,
    max_new_tokens=512,
    tensor_parallel_size=2,
    vllm_kwargs={"max_model_len": 16384},
)
