"""The request rules live once, in the core: both frameworks accept the same values, with the same
option names, and say the same thing about a bad one."""

from __future__ import annotations

import pytest
from langchain_core.tools import tool
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

from langchain_vllm import VLLM, ChatVLLM
from llama_index_vllm import Vllm
from vllm_native.testing import ScriptedEngine
from vllm_native.types import SAMPLING_OPTION_NAMES

CALL = '<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>'


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def chat_vllm(*responses: str, **kwargs) -> tuple[ChatVLLM, ScriptedEngine]:
    engine = ScriptedEngine(list(responses))
    return ChatVLLM(engine=engine, tool_parser="hermes", **kwargs), engine


def llama_vllm(*responses: str, **kwargs) -> tuple[Vllm, ScriptedEngine]:
    engine = ScriptedEngine(list(responses))
    return Vllm(engine=engine, tool_parser="hermes", **kwargs), engine


USER = [ChatMessage(role="user", content="1+2?")]


def test_both_frameworks_take_every_core_sampling_option():
    values = {"temperature": 0.5, "top_p": 0.9, "top_k": 5, "seed": 7}
    values |= {"presence_penalty": 0.5, "frequency_penalty": -0.5}
    lc, lc_engine = chat_vllm("a", "b", max_tokens=9, **values)
    li, li_engine = llama_vllm("a", "b", max_new_tokens=9, **values)
    mapped = {"logprobs", "top_logprobs", "n"}  # OpenAI's names, mapped (test_features_*.py)
    assert {"max_tokens", *mapped, *values} == set(SAMPLING_OPTION_NAMES)
    lc.invoke("x")
    li.chat(USER)
    for engine in (lc_engine, li_engine):
        params = engine.requests[0].sampling_params
        assert {name: getattr(params, name) for name in values} == values
        assert params.max_tokens == 9
    lc.invoke("x", presence_penalty=1.5)  # per call, overriding the construction value
    li.chat(USER, presence_penalty=1.5)
    assert lc_engine.requests[1].sampling_params.presence_penalty == 1.5
    assert li_engine.requests[1].sampling_params.presence_penalty == 1.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"temperature": -1}, r"temperature=-1.0: must be in \[0, 2\]"),
        ({"top_k": -5}, "top_k=-5: must be -1, 0 or at least 1"),
        ({"frequency_penalty": 9}, r"frequency_penalty=9.0: must be in \[-2, 2\]"),
        ({"tool_finish_reason": "bogus"}, "tool_finish_reason='bogus' is not supported"),
        ({"reasoning_parser": "qwen_3"}, "Unknown reasoning_parser 'qwen_3'"),
    ],
)
@pytest.mark.parametrize("make", [chat_vllm, llama_vllm], ids=["ChatVLLM", "Vllm"])
def test_bad_settings_fail_at_construction_with_the_core_message(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)


def test_bad_max_tokens_fails_at_construction():
    with pytest.raises(ValueError, match="max_tokens=0: must be at least 1"):
        ChatVLLM(engine=ScriptedEngine([]), max_tokens=0)
    with pytest.raises(ValueError, match="max_tokens=0: must be at least 1"):
        VLLM(engine=ScriptedEngine([]), max_tokens=0)


def test_a_bad_tool_finish_reason_per_call_is_refused_by_both():
    lc, _ = chat_vllm("a")
    li, li_engine = llama_vllm("a")
    message = "tool_finish_reason='bogus' is not supported; use 'function_call' or 'tool_calls'"
    with pytest.raises(ValueError, match=message):
        lc.invoke("x", tool_finish_reason="bogus")
    with pytest.raises(ValueError, match=message):
        li.chat(USER, tool_finish_reason="bogus")
    assert li_engine.remaining == 1


def test_tool_choice_messages_are_the_same_in_both_frameworks():
    lc, _ = chat_vllm()
    li, _ = llama_vllm("unused")
    errors = []
    with pytest.raises(ValueError) as lc_error:
        lc.bind_tools([add], tool_choice="multiply")
    errors.append(str(lc_error.value))
    with pytest.raises(ValueError) as li_error:
        li.chat_with_tools(
            [FunctionTool.from_defaults(add)], user_msg="1+2?", tool_choice="multiply"
        )
    errors.append(str(li_error.value))
    assert (
        errors == ["tool_choice names 'multiply', which is not among the bound tools ['add']"] * 2
    )


def test_a_required_single_call_of_a_single_tool_is_that_tool_in_both_frameworks():
    arguments = '{"a": 1, "b": 2}'
    lc, lc_engine = chat_vllm(arguments)
    li, li_engine = llama_vllm(arguments)
    # one call asked for (LlamaIndex's default): the tool's own schema, by name
    message = lc.bind_tools([tool(add)], tool_choice="any", parallel_tool_calls=False).invoke(
        "1+2?"
    )
    response = li.chat_with_tools([FunctionTool.from_defaults(add)], "1+2?", tool_required=True)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("add", {"a": 1, "b": 2})]
    (selection,) = li.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("add", {"a": 1, "b": 2})
    for engine in (lc_engine, li_engine):
        schema = engine.requests[0].sampling_params.structured_outputs.json
        assert schema["type"] == "object" and set(schema["properties"]) == {"a", "b"}
