"""gpt-oss through ``ChatClient``: its real template (the corpus copy of openai/gpt-oss-120b's),
detected as harmony, its output parsed from text with special tokens kept (the markers are
special tokens of the tokenizer, as in gpt-oss's), streamed == invoked over random splits.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from family_tokenizers import tokenizer_with_markers
from format_helpers import WEATHER
from grammar_helpers import CompiledConstraint
from template_corpus import corpus_entries
from test_chat_stream import check_invariants

from vllm_native.chat import ChatClient
from vllm_native.formats.harmony import MARKERS
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest

TEMPLATE = next(e.text for e in corpus_entries() if e.file == "llama.cpp/openai-gpt-oss-120b.jinja")
USER = [{"role": "user", "content": "Weather in Paris?"}]
NEXT = "<|start|>assistant"
THOUGHT = "<|channel|>analysis<|message|>The user wants the weather.<|end|>"
CALL = (
    f"{THOUGHT}{NEXT}<|channel|>commentary to=functions.get_weather <|constrain|>json"
    '<|message|>{"city": "Paris"}'  # <|call|> is a stop token: the engine leaves it out
)
ANSWER = f"{THOUGHT}{NEXT}<|channel|>final<|message|>It is sunny in Paris.<|return|>"


def client(*outputs: str | tuple[str, str], seed: int | None = None, **kwargs) -> ChatClient:
    engine = ScriptedEngine(
        list(outputs),
        tokenizer=tokenizer_with_markers(*MARKERS),
        chat_template=TEMPLATE,
        seed=seed,
    )
    return ChatClient(engine=engine, **kwargs)


def both(output: str | tuple[str, str], request: ChatRequest, seed: int):
    """The invoked message and the streamed one (checked for the stream invariants)."""
    chat = client(output, output, seed=seed)
    invoked = chat.chat(request)
    streamed = check_invariants(list(chat.stream(request)))
    assert _without_ids(streamed) == _without_ids(invoked)
    return invoked, chat


def _without_ids(message):
    return replace(
        message,
        tool_calls=tuple(replace(c, id="") for c in message.tool_calls),
        invalid_tool_calls=tuple(replace(c, id="") for c in message.invalid_tool_calls),
    )


def test_the_template_is_detected_as_harmony():
    detection = client().detection()
    assert (detection.tool_parser, detection.reasoning) == ("openai", "openai_gptoss")


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_call_after_thinking(seed):
    message, chat = both(CALL, ChatRequest(USER, tools=[WEATHER]), seed)
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert message.reasoning == "The user wants the weather." and message.content == ""
    assert message.finish_reason == "function_call" and not message.invalid_tool_calls
    assert chat.engine.requests[0].sampling_params.skip_special_tokens is False


@pytest.mark.parametrize("tools", [[WEATHER], None], ids=["tools", "no-tools"])
@pytest.mark.parametrize("seed", [1, 2])
def test_an_answer_keeps_no_channel_markup(tools, seed):
    message, _ = both(ANSWER, ChatRequest(USER, tools=tools), seed)
    assert message.content == "It is sunny in Paris."
    assert message.reasoning == "The user wants the weather."
    assert message.finish_reason == "stop" and not message.tool_calls


def test_tool_choice_none_makes_no_call_and_drops_nothing():
    message, _ = both(CALL, ChatRequest(USER, tools=[WEATHER], tool_choice="none"), 1)
    assert not message.tool_calls and message.finish_reason == "stop"
    [invalid] = message.invalid_tool_calls
    assert invalid.name == "get_weather" and json.loads(invalid.arguments) == {"city": "Paris"}


def test_a_call_cut_off_by_the_length_limit_is_invalid_with_its_text():
    cut = CALL[: CALL.index("Paris")]
    message, _ = both((cut, "length"), ChatRequest(USER, tools=[WEATHER]), 2)
    assert message.finish_reason == "length" and not message.tool_calls
    [invalid] = message.invalid_tool_calls
    assert invalid.name == "get_weather" and invalid.arguments == '{"city": "'


@pytest.mark.parametrize(
    "choice", ["required", {"type": "function", "function": {"name": "get_weather"}}]
)
def test_forced_calls_let_the_model_think_in_its_channels_first(choice):
    message, chat = both(CALL, ChatRequest(USER, tools=[WEATHER], tool_choice=choice), 3)
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert message.reasoning == "The user wants the weather."
    structured = chat.engine.requests[0].sampling_params.structured_outputs
    assert structured.json is None and structured.structural_tag
    grammar = CompiledConstraint({"structural_tag": structured.structural_tag}, "xgrammar")
    assert grammar.accepts(CALL.replace('{"city": "Paris"}', '{"city":"Paris"}'))
    assert not grammar.accepts(ANSWER.removesuffix("<|return|>"))


def test_the_rendered_prompt_is_the_templates():
    chat = client("<|channel|>final<|message|>Hi")
    chat.chat(ChatRequest(USER, tools=[WEATHER]))
    prompt = chat.engine.requests[0].prompt
    assert prompt.endswith("<|start|>user<|message|>Weather in Paris?<|end|><|start|>assistant")
    assert "type get_weather = (_: {\ncity: string,\n}) => any;" in prompt


@pytest.mark.parametrize(
    "output", [CALL, ANSWER.removesuffix("<|return|>")], ids=["call", "answer"]
)
def test_strict_calls_follow_the_schema_or_answer(output):
    request = ChatRequest(USER, tools=[WEATHER], strict=True)
    message, chat = both(output, request, 4)
    assert bool(message.tool_calls) == (output == CALL)
    structured = chat.engine.requests[0].sampling_params.structured_outputs
    grammar = CompiledConstraint({"structural_tag": structured.structural_tag}, "xgrammar")
    assert grammar.accepts(output.replace('{"city": "Paris"}', '{"city":"Paris"}'))
    assert not grammar.accepts(CALL.replace('{"city": "Paris"}', '{"town":"Paris"}'))
