# Before: a vLLM server in another process (`vllm serve Qwen/Qwen3-8B --enable-auto-tool-choice
# --tool-call-parser hermes --reasoning-parser qwen3`), reached over HTTP.
from langchain_openai import ChatOpenAI

llm = ChatOpenAI(
    model="Qwen/Qwen3-8B",
    base_url="http://localhost:8000/v1",
    api_key="EMPTY",
    temperature=0,
    max_tokens=512,
)
