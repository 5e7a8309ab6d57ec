"""tool_choice on the real engine: required and named always give a schema-valid call, none never."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest

from vllm_native.chat import ChatClient
from vllm_native.types import ChatMessage, ChatRequest, Finish, SamplingOptions, ToolCallDelta

pytestmark = pytest.mark.engine

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "maxLength": 40},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
        },
    },
}
CONVERT = {
    "type": "function",
    "function": {
        "name": "convert_currency",
        "description": "Convert an amount between currencies",
        "parameters": {
            "type": "object",
            "properties": {
                "amount": {"type": "number"},
                "source": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "target": {"type": "string", "pattern": "^[A-Z]{3}$"},
            },
            "required": ["amount", "source", "target"],
        },
    },
}
SCHEMAS = {t["function"]["name"]: t["function"]["parameters"] for t in (WEATHER, CONVERT)}
RUNS = 20


def requests(tool_choice) -> list[ChatRequest]:
    return [
        ChatRequest(
            [{"role": "user", "content": "What is the weather like in Paris today?"}],
            tools=[WEATHER, CONVERT],
            tool_choice=tool_choice,
            # seeded sampling at a low temperature: hotter, the 135M model rambles inside
            # string values (URLs, weather reports) until max_tokens cuts the call off
            sampling=SamplingOptions(temperature=0.3, seed=seed, max_tokens=128),
        )
        for seed in range(RUNS)
    ]


def streamed(client: ChatClient, request: ChatRequest) -> ChatMessage:
    events = list(client.stream(request))
    finishes = [e for e in events if isinstance(e, Finish)]
    assert len(finishes) == 1 and events[-1] is finishes[0]
    message = finishes[0].message
    for call in message.tool_calls:  # streamed fragments rebuild the final arguments
        fragments = [e for e in events if isinstance(e, ToolCallDelta) and e.index == call.index]
        assert fragments[0].name == call.name
        assert json.loads("".join(f.arguments for f in fragments)) == call.arguments
    return message


def assert_valid_calls(messages: list[ChatMessage], *, only: str | None = None) -> None:
    for message in messages:
        assert message.tool_calls, message
        assert not message.invalid_tool_calls, message.invalid_tool_calls
        assert message.finish_reason == "function_call"
        for call in message.tool_calls:
            if only:
                assert call.name == only
            jsonschema.validate(call.arguments, SCHEMAS[call.name])


@pytest.fixture(scope="module")
def client():
    return ChatClient()


@pytest.mark.parametrize(
    ("tool_choice", "only"),
    [
        ("required", None),
        ({"type": "function", "function": {"name": "get_weather"}}, "get_weather"),
    ],
    ids=["required", "named"],
)
def test_forced_tool_choice_always_gives_a_valid_call(client, tool_choice, only):
    reqs = requests(tool_choice)
    assert_valid_calls(client.chat_batch(reqs), only=only)
    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        assert_valid_calls(list(pool.map(lambda r: streamed(client, r), reqs)), only=only)


def test_tool_choice_none_never_calls(client):
    reqs = requests("none")
    for message in client.chat_batch(reqs):
        assert not message.tool_calls and not message.invalid_tool_calls
        assert message.finish_reason in ("stop", "length")
    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        for message in pool.map(lambda r: streamed(client, r), reqs):
            assert not message.tool_calls and message.finish_reason in ("stop", "length")
