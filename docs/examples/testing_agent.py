"""The testing page: an agent tested without a model or GPU, with ScriptedEngine."""

# --8<-- [start:test]
from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_vllm import ChatVLLM
from vllm_native.testing import ScriptedEngine


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}."


def test_agent_calls_the_weather_tool():
    engine = ScriptedEngine(  # one response per model turn, replayed as a token stream
        [
            '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
            "It is sunny in Paris.",
        ]
    )
    llm = ChatVLLM(engine=engine, tool_parser="hermes")
    agent = create_agent(llm, tools=[get_weather])
    result = agent.invoke({"messages": [("user", "Weather in Paris?")]})
    assert result["messages"][-1].content == "It is sunny in Paris."
    assert result["messages"][1].response_metadata["finish_reason"] == "function_call"
    # what the model was sent: the tool result is in the second request
    assert engine.requests[1].messages[-1]["content"] == "Sunny in Paris."
    assert [t["function"]["name"] for t in engine.requests[0].tools] == ["get_weather"]


# --8<-- [end:test]


# --8<-- [start:reasoning]
def test_reasoning_stays_out_of_the_content():
    engine = ScriptedEngine(["<think>The user greets me.</think>Hello!"])
    reply = ChatVLLM(engine=engine, reasoning_parser="qwen3").invoke("Hi")
    assert reply.content == "Hello!"
    assert reply.additional_kwargs["reasoning_content"] == "The user greets me."


# --8<-- [end:reasoning]


# --8<-- [start:forced]
def test_forced_tool_choice_replies_are_plain_json():
    # A forced choice is enforced by vLLM's structured outputs, which make the model write JSON,
    # not its native call syntax: script that JSON. A named tool: its arguments object alone.
    engine = ScriptedEngine(
        [
            '{"city": "Paris"}',
            '[{"name": "get_weather", "arguments": {"city": "Rome"}}, '
            '{"name": "get_weather", "arguments": {"city": "Oslo"}}]',
        ]
    )
    llm = ChatVLLM(engine=engine, tool_parser="hermes")
    named = llm.bind_tools([get_weather], tool_choice="get_weather").invoke("Paris?")
    assert [c["args"] for c in named.tool_calls] == [{"city": "Paris"}]
    # "required"/"any": an array of {"name", "arguments"} objects, one per call
    required = llm.bind_tools([get_weather], tool_choice="required").invoke("Rome and Oslo?")
    assert [c["args"]["city"] for c in required.tool_calls] == ["Rome", "Oslo"]
    # the constraint a real engine would have followed is in the recorded request
    constraint = engine.requests[1].sampling_params.structured_outputs.json
    assert constraint["type"] == "array" and constraint["minItems"] == 1


# --8<-- [end:forced]


if __name__ == "__main__":
    test_agent_calls_the_weather_tool()
    test_reasoning_stays_out_of_the_content()
    test_forced_tool_choice_replies_are_plain_json()
    print("ok")
