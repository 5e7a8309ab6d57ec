"""The LangChain page's examples (docs/langchain.md includes each section).

Executed by tests/docs/test_docs_examples.py with a scripted engine in place of the model; its
printed output is compared with langchain_page.out, which the page shows.
"""

import os

from pydantic import BaseModel

# --8<-- [start:instantiate]
from langchain_vllm import ChatVLLM
from vllm_native.testing import ScriptedEngine

llm = ChatVLLM(
    model="Qwen/Qwen3-8B",  # a hub id or a local folder; omit it for the prepared default model
    temperature=0,
    max_tokens=512,
    engine_args={"max_model_len": 16384},  # vLLM's own engine arguments, passed through
)
# --8<-- [end:instantiate]
# Constructing starts nothing. On the docs' CI a scripted engine answers instead of Qwen3-8B:
SCRIPT = [
    "J'adore la programmation.",
    "Paris is the capital of France.",
    '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    '{"name": "Ada", "age": 36}',  # a forced call: vLLM's grammar lets the model write arguments
    '{"name": "Ada", "age": 36}',
    "<think>Two plus two: add the units.</think>2 + 2 = 4.",
]
if not os.environ.get("VLLM_NATIVE_DOCS_REAL_ENGINE"):
    llm = ChatVLLM(
        engine=ScriptedEngine(SCRIPT, chunks=6),
        tool_parser="hermes",
        reasoning_parser="qwen3",  # a real Qwen3 template turns it on by itself
        temperature=0,
    )

# --8<-- [start:invoke]
messages = [
    ("system", "Translate the user sentence to French."),
    ("human", "I love programming."),
]
reply = llm.invoke(messages)
print(reply.content)
print(reply.response_metadata["finish_reason"])
# --8<-- [end:invoke]

# --8<-- [start:stream]
full = None
for chunk in llm.stream("What is the capital of France?"):
    print(repr(chunk.content), end=" ")
    full = chunk if full is None else full + chunk
print()
print(full.response_metadata["finish_reason"], full.usage_metadata["total_tokens"] > 0)
# --8<-- [end:stream]

# --8<-- [start:tools]
from langchain_core.tools import tool


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}."


with_tools = llm.bind_tools([get_weather])
for chunk in with_tools.stream("What is the weather in Paris?"):
    for piece in chunk.tool_call_chunks:  # id and name once, on the first piece; then arguments
        print(piece["index"], piece["id"] is not None, piece["name"], repr(piece["args"]))
    if "finish_reason" in chunk.response_metadata:
        print("finish_reason:", chunk.response_metadata["finish_reason"])
# --8<-- [end:tools]


# --8<-- [start:structured]
class Person(BaseModel):
    name: str
    age: int


extract = llm.with_structured_output(Person)  # method="function_calling": a forced tool call
print(extract.invoke("Ada Lovelace was 36."))
as_json = llm.with_structured_output(Person, method="json_schema")  # constrained JSON content
print(as_json.invoke("Ada Lovelace was 36."))
# --8<-- [end:structured]

# --8<-- [start:reasoning]
answer = llm.invoke("What is 2 + 2?")
print(answer.content)
print(answer.additional_kwargs["reasoning_content"])
# --8<-- [end:reasoning]

# --8<-- [start:usage]
print(answer.usage_metadata["input_tokens"] > 0, answer.usage_metadata["output_tokens"] > 0)
print(answer.response_metadata["model_name"])
# --8<-- [end:usage]
