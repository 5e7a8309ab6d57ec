"""The model card's example: the default model by name (constructing starts nothing)."""

# --8<-- [start:use]
from langchain_vllm import ChatVLLM

llm = ChatVLLM(model="smollm2-tools", temperature=0)
# --8<-- [end:use]
print(llm.model)
