"""Forced calls with schemas as the world writes them, compiled by vLLM's own grammar backends.

Schemas come from pydantic, LlamaIndex ``FunctionTool`` and LangChain as they really produce them,
MCP-style hand-written JSON Schema, and BFCL's parallel category (public data with its own type
names). Every constraint goes through vLLM's request validation and is compiled by xgrammar and
by guidance against the default model's tokenizer; a candidate output is then replayed through
the compiled grammar. (No ``from __future__ import annotations``: LlamaIndex reads the tool
function's annotations at run time.)
"""

import json
import warnings
from pathlib import Path
from typing import Optional

import pydantic
import pytest
from grammar_helpers import BACKENDS, CompiledConstraint

from vllm_native.chat import ChatClient
from vllm_native.formats import get_format
from vllm_native.testing import ScriptedEngine
from vllm_native.tool_choice import MAX_FORCED_CALLS, plan_turn
from vllm_native.types import ChatRequest

USER = [{"role": "user", "content": "What is the weather in Paris and in Rome?"}]
BFCL = [
    json.loads(line)
    for line in (Path(__file__).parents[1] / "data/bfcl/parallel_20.jsonl").read_text().splitlines()
]


class Location(pydantic.BaseModel):
    city: str
    country: Optional[str] = None  # noqa: UP045 - the anyOf-null shape pydantic writes


class Node(pydantic.BaseModel):
    """A recursive model: ``$ref`` to itself through ``$defs``."""

    label: str
    children: list["Node"] = []


def get_weather(locations: list[Location], day: Optional[str] = None) -> str:  # noqa: UP045
    """Weather for several places."""
    return ""


def llama_index_tool() -> dict:
    from llama_index.core.tools import FunctionTool

    return FunctionTool.from_defaults(get_weather).metadata.to_openai_tool()


def tool(name: str, parameters: dict | None) -> dict:
    function: dict = {"name": name, "description": name}
    if parameters is not None:
        function["parameters"] = parameters
    return {"type": "function", "function": function}


def constraint(tools: list[dict], choice, **kw) -> dict:
    from vllm_native.render import validate_tools

    plan = plan_turn(validate_tools(tools), choice, fmt=get_format("hermes"), **kw)
    assert plan.structured is not None
    return plan.structured


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def calls(*pairs) -> str:
    return compact([{"name": n, "arguments": a} for n, a in pairs])


# a tool whose $defs name clashes with another tool's, with a different schema
PLACE_BY_ID = tool(
    "find_place",
    {
        "$defs": {
            "Location": {
                "type": "object",
                "properties": {"id": {"type": "integer"}},
                "required": ["id"],
            }
        },
        "type": "object",
        "properties": {"where": {"$ref": "#/$defs/Location"}},
        "required": ["where"],
    },
)
MCP_STYLE = tool(
    "create_event",
    {  # what MCP servers publish (zod-to-json-schema / pydantic): draft-07 keywords and all
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "start": {"type": "string", "format": "date-time"},
            "note": {"type": ["string", "null"]},
            "attendees": {"type": "array", "items": {"$ref": "#/definitions/person"}},
            "priority": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
        },
        "required": ["title", "start"],
        "additionalProperties": False,
        "definitions": {
            "person": {
                "type": "object",
                "properties": {"email": {"type": "string", "format": "email"}},
                "required": ["email"],
                "additionalProperties": False,
            }
        },
    },
)
NO_PARAMS = tool("get_time", None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_required_with_pydantic_defs_compiles_and_admits_two_calls_of_one_tool(backend):
    weather = llama_index_tool()
    assert "$defs" in weather["function"]["parameters"]  # LlamaIndex keeps pydantic's $defs
    grammar = CompiledConstraint(constraint([weather], "required"), backend)
    paris = {"locations": [{"city": "Paris"}]}
    rome = {"locations": [{"city": "Rome", "country": "IT"}], "day": None}
    assert grammar.accepts(calls(("get_weather", paris), ("get_weather", rome)))
    assert not grammar.accepts(calls(("get_weather", {"locations": [{"country": "IT"}]})))
    assert not grammar.accepts("[]")


@pytest.mark.parametrize("backend", BACKENDS)
def test_tools_whose_defs_share_a_name_keep_their_own_definitions(backend):
    weather = llama_index_tool()
    grammar = CompiledConstraint(constraint([weather, PLACE_BY_ID], "required"), backend)
    assert grammar.accepts(
        calls(
            ("find_place", {"where": {"id": 3}}), ("get_weather", {"locations": [{"city": "Oslo"}]})
        )
    )
    assert not grammar.accepts(calls(("find_place", {"where": {"city": "Oslo"}})))


@pytest.mark.parametrize("backend", BACKENDS)
def test_recursive_model_mcp_schema_and_no_parameters_under_required(backend):
    tree = tool("draw_tree", Node.model_json_schema())
    grammar = CompiledConstraint(constraint([tree, MCP_STYLE, NO_PARAMS], "required"), backend)
    deep = {"label": "a", "children": [{"label": "b", "children": [{"label": "c"}]}]}
    event = {
        "title": "Standup",
        "start": "2026-12-01T09:00:00Z",
        "note": None,
        "attendees": [{"email": "a@example.com"}],
    }
    assert grammar.accepts(calls(("draw_tree", deep), ("create_event", event), ("get_time", {})))
    assert not grammar.accepts(calls(("create_event", {**event, "extra": 1})))
    assert not grammar.accepts(calls(("draw_tree", {"label": "a", "children": [{"x": 1}]})))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["get_weather", "create_event", "get_time"])
def test_named_tool_choice_compiles_with_references(backend, name):
    tools = [llama_index_tool(), MCP_STYLE, NO_PARAMS]
    grammar = CompiledConstraint(constraint(tools, name), backend)
    arguments = {
        "get_weather": {"locations": [{"city": "Paris"}]},
        "create_event": {"title": "x", "start": "2026-12-01T09:00:00Z"},
        "get_time": {},
    }[name]
    assert grammar.accepts(compact(arguments))


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_bfcl_parallel_answer_is_admitted_by_the_required_grammar(backend):
    """BFCL's parallel category calls one tool several times; before, at most one call per bound
    tool was allowed and none of these 20 answers could be written."""
    admitted = 0
    for case in BFCL:
        tools = [tool(f["name"], f["parameters"]) for f in case["function"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BFCL's "dict"/"float" type names
            grammar = CompiledConstraint(constraint(tools, "required"), backend)
        answer = [
            {"name": name, "arguments": {k: v[0] for k, v in args.items() if v[0] != ""}}
            for call in case["ground_truth"]
            for name, args in call.items()
        ]
        admitted += grammar.accepts(compact(answer))
    assert admitted == len(BFCL) == 20


def test_parallel_tool_calls_false_admits_one_call_and_the_default_bound_is_documented():
    weather = llama_index_tool()
    one = {"locations": [{"city": "Paris"}]}
    single = CompiledConstraint(
        constraint([weather, NO_PARAMS], "required", parallel_tool_calls=False), "xgrammar"
    )
    assert single.accepts(calls(("get_weather", one)))
    assert not single.accepts(calls(("get_weather", one), ("get_time", {})))
    # one bound tool and one call: that tool's own arguments, by name
    named = CompiledConstraint(
        constraint([weather], "required", parallel_tool_calls=False), "xgrammar"
    )
    assert named.accepts(compact(one)) and not named.accepts(calls(("get_weather", one)))
    bounded = CompiledConstraint(constraint([weather], "required"), "xgrammar")
    assert bounded.accepts(calls(*[("get_weather", one)] * MAX_FORCED_CALLS))
    assert not bounded.accepts(calls(*[("get_weather", one)] * (MAX_FORCED_CALLS + 1)))


def test_required_call_to_a_pydantic_tool_through_the_chat_client():
    weather = llama_index_tool()
    text = calls(
        ("get_weather", {"locations": [{"city": "Paris"}]}),
        ("get_weather", {"locations": [{"city": "Rome"}]}),
    )
    engine = ScriptedEngine([text], chunks=3)
    message = ChatClient(engine=engine, tool_parser="hermes").chat(
        ChatRequest(USER, tools=[weather], tool_choice="required")
    )
    assert [c.arguments["locations"][0]["city"] for c in message.tool_calls] == ["Paris", "Rome"]
    assert message.finish_reason == "function_call"
    sent = engine.requests[0].sampling_params.structured_outputs
    assert "$defs" in sent.json  # hoisted to the root of what vLLM compiles


@pytest.mark.parametrize(
    ("parameters", "match"),
    [
        (
            {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}},
            r"tool 'f': \$ref 'https://example.com/a.json' points outside",
        ),
        (
            {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}},
            r"tool 'f': \$ref '#/\$defs/Missing' points to nothing",
        ),
    ],
)
@pytest.mark.parametrize("choice", ["required", "f"])
def test_references_a_grammar_cannot_follow_are_named(parameters, match, choice):
    with pytest.raises(ValueError, match=match):
        constraint([tool("f", parameters)], choice)


def test_wild_type_names_are_normalised_with_one_warning_in_auto_and_forced_modes():
    case = BFCL[2]  # calculate_resistance: "dict" and "float"
    tools = [tool(f["name"], f["parameters"]) for f in case["function"]]
    seen: list[str] = []
    for choice, text in [
        (
            "auto",
            '<tool_call>{"name": "calculate_resistance", "arguments": {"length": 5, '
            '"area": 0.01}}</tool_call>',
        ),
        ("required", '[{"name":"calculate_resistance","arguments":{"length":5,"area":0.01}}]'),
    ]:
        engine = ScriptedEngine([text])
        client = ChatClient(engine=engine, tool_parser="hermes")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            message = client.chat(ChatRequest(USER, tools=tools, tool_choice=choice))
        seen += [str(w.message) for w in caught]
        assert message.tool_calls[0].arguments == {"length": 5, "area": 0.01}
        rendered = engine.requests[0].tools[0]["function"]["parameters"]
        assert rendered["type"] == "object" and rendered["properties"]["area"]["type"] == "number"
    assert seen == [  # one warning for the tool set: it is checked once
        "tool schemas use type names that are not JSON Schema's; normalised: "
        "calculate_resistance (float -> number, dict -> object)"
    ]


def test_any_and_type_arrays_and_tuple_are_normalised():
    from vllm_native.render import validate_tools

    params = {
        "type": "dict",
        "properties": {
            "value": {"type": "any"},
            "pair": {"type": "tuple", "items": {"type": "Float"}},
            "maybe": {"type": ["int", "null"]},
            "type": {"type": "str"},  # a property called "type" is a property, not a keyword
        },
        "default": {"type": "float"},  # data, not a schema: left alone
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        checked = validate_tools([tool("f", params)])
    assert checked is not None
    out = checked[0]["function"]["parameters"]
    assert out["properties"] == {
        "value": {},
        "pair": {"type": "array", "items": {"type": "number"}},
        "maybe": {"type": ["integer", "null"]},
        "type": {"type": "string"},
    }
    assert out["type"] == "object" and out["default"] == {"type": "float"}


def test_a_truly_invalid_schema_still_gets_the_clear_error():
    from vllm_native.render import validate_tools

    with pytest.raises(ValueError, match="tool 'f' has an invalid JSON Schema"):
        validate_tools([tool("f", {"type": "object", "properties": {"a": {"type": "banana"}}})])
