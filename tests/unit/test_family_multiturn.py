"""Multi-turn per family: a LangGraph agent and a LlamaIndex FunctionAgent on the scripted engine,
with the family's real template (or vLLM's own encoder) and its own output syntax.

The second prompt, the one rendered after the tool ran, must hold the earlier call with an id in
the family's shape, the tool result, and the earlier reasoning where the family reads it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from agent_loops import TOOL_RESULT, langgraph_loop, llama_index_loop
from family_tokenizers import deepseek_v32_tokenizer, tokenizer_with_markers
from template_corpus import corpus_entries

from vllm_native.formats.harmony import MARKERS as HARMONY_MARKERS
from vllm_native.testing import ScriptedEngine

THOUGHT = "I need the weather tool for Paris."
OPENAI_ID = r"call_[0-9a-f]{24}"
KIMI_MARKERS = (
    "<|tool_calls_section_begin|>",
    "<|tool_calls_section_end|>",
    "<|tool_call_begin|>",
    "<|tool_call_argument_begin|>",
    "<|tool_call_end|>",
)


@dataclass(frozen=True)
class Family:
    name: str
    reply: str
    """The first reply, in the family's own syntax."""
    shown: tuple[str, ...]
    """What the second prompt must contain (the call, the result, the reasoning)."""
    template: str | None = None
    markers: tuple[str, ...] = ()
    id_shape: str = OPENAI_ID
    options: dict[str, Any] = field(default_factory=dict)
    native: bool = False
    final: str = "Sunny."
    """The second reply (after the tool ran)."""
    answer: str | None = None
    """The agent's answer from ``final``, where checked."""

    def engine(self, *responses: str) -> ScriptedEngine:
        if self.native:
            return ScriptedEngine(list(responses), tokenizer=deepseek_v32_tokenizer(), seed=5)
        text = next(e.text for e in corpus_entries() if e.file == self.template)
        return ScriptedEngine(
            list(responses),
            tokenizer=tokenizer_with_markers(*self.markers),
            chat_template=text,
            seed=5,
        )


FAMILIES = [
    Family(
        "qwen3",
        f'<think>{THOUGHT}</think>\n\n<tool_call>\n{{"name": "get_weather", "arguments": '
        '{"city": "Paris"}}\n</tool_call>',
        (
            f"<think>\n{THOUGHT}\n</think>",
            '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
            f"<tool_response>\n{TOOL_RESULT}\n</tool_response>",
        ),
        template="llama.cpp/Qwen-Qwen3-0.6B.jinja",
        options={"tool_parser": "hermes"},
    ),
    Family(
        "qwen3_5",
        f"<think>{THOUGHT}</think>\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\n"
        "Paris\n</parameter>\n</function>\n</tool_call>",
        (
            f"<think>\n{THOUGHT}\n</think>",
            "<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>",
            f"<tool_response>\n{TOOL_RESULT}\n</tool_response>",
        ),
        template="llama.cpp/Qwen3.5-4B.jinja",
        options={"tool_parser": "qwen3_coder"},
    ),
    Family(
        # Kimi K2 Thinking's template (llama.cpp's copy) calls list.append, which the sandboxed
        # Jinja of transformers and vLLM refuses; K2 Instruct's reads no reasoning
        "kimi_k2",
        "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0"
        '<|tool_call_argument_begin|>{"city": "Paris"}<|tool_call_end|>'
        "<|tool_calls_section_end|>",
        (
            '<|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{"city": '
            '"Paris"}<|tool_call_end|>',
            # this template writes a literal backslash-n there (it is Jinja text, not a string)
            f"## Return of functions.get_weather:0\\n{TOOL_RESULT}",
        ),
        template="llama.cpp/moonshotai-Kimi-K2.jinja",
        markers=KIMI_MARKERS,
        id_shape=r"functions\.get_weather:0",
        options={"tool_parser": "kimi_k2"},
    ),
    Family(
        "minimax_m2",
        # the template opens <think> in the prompt: the reply starts inside the thought
        f'{THOUGHT}\n</think>\n\n<minimax:tool_call>\n<invoke name="get_weather">\n'
        '<parameter name="city">Paris</parameter>\n</invoke>\n</minimax:tool_call>',
        (
            f"<think>\n{THOUGHT}",
            '<invoke name="get_weather">\n<parameter name="city">Paris</parameter>\n</invoke>',
            f"<response>{TOOL_RESULT}</response>",
        ),
        template="llama.cpp/MiniMax-M2.jinja",
        markers=("<minimax:tool_call>", "</minimax:tool_call>"),
        options={"tool_parser": "minimax_m2"},
    ),
    Family(
        "deepseek_v32",
        # thinking mode opens <think> in the prompt; vLLM's encoder, not a template
        f'{THOUGHT}</think><｜DSML｜function_calls>\n<｜DSML｜invoke name="get_weather">\n'
        '<｜DSML｜parameter name="city" string="true">Paris</｜DSML｜parameter>\n'
        "</｜DSML｜invoke>\n</｜DSML｜function_calls>",
        (
            f"<think>{THOUGHT}</think>",
            '<｜DSML｜invoke name="get_weather">\n<｜DSML｜parameter name="city" string="true">'
            "Paris</｜DSML｜parameter>",
            f"<result>{TOOL_RESULT}</result>",
        ),
        native=True,
        options={"reasoning_parser": "deepseek_r1", "chat_template_kwargs": {"thinking": True}},
    ),
    Family(
        # harmony, parsed by our format (detected); the <|call|> stop token is left out, as
        # the engine leaves it out
        "gpt_oss",
        f"<|channel|>analysis<|message|>{THOUGHT}<|end|><|start|>assistant<|channel|>commentary "
        'to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris"}',
        (
            f"<|start|>assistant<|channel|>analysis<|message|>{THOUGHT}<|end|>",
            "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>"
            '{"city": "Paris"}<|call|>',
            "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>"
            f'"{TOOL_RESULT}"<|end|>',
        ),
        template="llama.cpp/openai-gpt-oss-120b.jinja",
        markers=HARMONY_MARKERS,
        final="<|channel|>analysis<|message|>Answer now.<|end|><|start|>assistant"
        "<|channel|>final<|message|>Sunny.<|return|>",
        answer="Sunny.",
    ),
]


def check(family: Family, result) -> None:
    if family.answer is not None:
        assert result.answer == family.answer  # the final reply's content, no markup
    assert re.fullmatch(family.id_shape, result.call_id), result.call_id
    for expected in family.shown:
        assert expected in result.second_prompt, (expected, result.second_prompt)
    sent_ids = [c["id"] for m in result.second_messages for c in m.get("tool_calls") or ()]
    answered = [m["tool_call_id"] for m in result.second_messages if m["role"] == "tool"]
    assert sent_ids == answered == [result.call_id]  # the frameworks kept our id unchanged


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_langgraph_agent_history(family):
    check(family, langgraph_loop(family.engine(family.reply, family.final), **family.options))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
async def test_llama_index_agent_history(family):
    engine = family.engine(family.reply, family.final)
    check(family, await llama_index_loop(engine, **family.options))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_dropping_reasoning_takes_it_out_of_the_history(family):
    result = langgraph_loop(
        family.engine(family.reply, family.final), history_reasoning="drop", **family.options
    )
    assert THOUGHT not in result.second_prompt
    calls_and_results = [shown for shown in family.shown if THOUGHT not in shown]
    assert all(expected in result.second_prompt for expected in calls_and_results)


def test_ids_from_another_provider_render_on_kimi():
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from langchain_vllm import ChatVLLM

    kimi = FAMILIES[2]
    engine = kimi.engine("Sunny.")
    history = [
        HumanMessage("Weather in Paris?"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "t-1"}]),
        ToolMessage(TOOL_RESULT, tool_call_id="t-1"),
    ]
    ChatVLLM(engine=engine, **kimi.options).invoke(history)
    sent = engine.requests[0].messages
    assert sent[1]["tool_calls"][0]["id"] == sent[2]["tool_call_id"] == "functions.get_weather:0"
    assert kimi.shown[1] in engine.requests[0].prompt
