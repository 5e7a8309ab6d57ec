"""The LlamaIndex page's examples (docs/llama_index.md includes each section).

Executed by tests/docs/test_docs_examples.py with a scripted engine in place of the model; its
printed output is compared with llama_index_page.out, which the page shows.
"""

import asyncio

from pydantic import BaseModel

# --8<-- [start:instantiate]
from llama_index.llms.vllm_native import Vllm  # also: from llama_index_vllm import Vllm
from vllm_native.testing import ScriptedEngine

llm = Vllm(model="Qwen/Qwen3-8B", temperature=0, max_new_tokens=512)  # starts nothing yet
# --8<-- [end:instantiate]
# On the docs' CI a scripted engine answers instead of Qwen3-8B:
SCRIPT = [
    "Paris.",
    "Why did the GPU cross the road? To render the other side.",
    '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    "It is sunny in Paris.",
    '{"name": "Ada", "age": 36}',
]
llm = Vllm(engine=ScriptedEngine(SCRIPT, chunks=8), tool_parser="hermes", temperature=0)

# --8<-- [start:chat]
from llama_index.core.llms import ChatMessage

response = llm.chat([ChatMessage(role="user", content="What is the capital of France?")])
print(response.message.content)
# --8<-- [end:chat]

# --8<-- [start:stream]
for chunk in llm.stream_chat([ChatMessage(role="user", content="Tell me a joke.")]):
    print(repr(chunk.delta), end=" ")
print()
print(chunk.additional_kwargs["finish_reason"], chunk.additional_kwargs["total_tokens"] > 0)
# --8<-- [end:stream]

# --8<-- [start:agent]
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
from llama_index.core.tools import FunctionTool


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}."


agent = FunctionAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=llm)


async def main() -> None:
    handler = agent.run(user_msg="What is the weather in Paris?")
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print("tool:", event.tool_name, event.tool_kwargs, "->", event.tool_output.content)
        elif isinstance(event, AgentStream) and event.delta:
            print(repr(event.delta), end=" ")
    print()
    print(await handler)


asyncio.run(main())  # in a notebook: await main()
# --8<-- [end:agent]


# --8<-- [start:structured]
from llama_index.core.prompts import PromptTemplate


class Person(BaseModel):
    name: str
    age: int


person = llm.structured_predict(Person, PromptTemplate("Extract: {text}"), text="Ada is 36.")
print(person)
# --8<-- [end:structured]

# --8<-- [start:share]
from langchain_vllm import ChatVLLM

args = {"max_model_len": 8192}
lc = ChatVLLM(model="Qwen/Qwen3-8B", engine_args=args)
li = Vllm(model="Qwen/Qwen3-8B", engine_args=args)  # same configuration: the same engine
print(lc.engine is li.engine)  # nothing has started yet
# --8<-- [end:share]
