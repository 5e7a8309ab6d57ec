"""Tool calls written while thinking (Qwen3 / Qwen3.5): recovered as calls, as vLLM's qwen3
reasoning parser treats ``<tool_call>`` as the end of reasoning; a turn that only thought is
flagged. Real templates from the corpus (Qwen3 opens no ``<think>`` in the prompt, Qwen3.5 does),
real output syntax (Hermes JSON for Qwen3, XML for Qwen3.5), every split of the stream.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest
from format_helpers import chunk_sizes
from hypothesis import given, settings
from hypothesis import strategies as st
from test_chat_stream import check_invariants

from vllm_native.chat import ChatClient
from vllm_native.formats.reasoning import ReasoningSplitter
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest

TEMPLATES = Path(__file__).parents[1] / "data/templates/llama.cpp"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
USER = [{"role": "user", "content": "Weather in Paris?"}]
FAMILIES = {  # template file, tool parser, a call in the family's own syntax
    "qwen3": (
        "Qwen-Qwen3-0.6B.jinja",
        "hermes",
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    ),
    "qwen3.5": (
        "Qwen3.5-4B.jinja",
        "qwen3_coder",
        "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n"
        "</function>\n</tool_call>",
    ),
}


@functools.cache
def tokenizer(template: str):
    from transformers import AutoTokenizer

    from vllm_native.models import default_model_path

    tok = copy.deepcopy(AutoTokenizer.from_pretrained(default_model_path()))
    tok.chat_template = (TEMPLATES / template).read_text(encoding="utf-8")
    return tok


def run(family: str, output: str, *, finish="stop", seed=None, chunks=None, **client_kw):
    template, parser, _ = FAMILIES[family]
    tok = tokenizer(template)
    engine = ScriptedEngine(
        [(output, finish)], tokenizer=tok, chat_template=tok.chat_template, seed=seed, chunks=chunks
    )
    client = ChatClient(engine=engine, tool_parser=parser, **client_kw)
    return list(client.stream(ChatRequest(USER, tools=[WEATHER])))


def thought(family: str, text: str) -> str:
    """The model's thinking as it writes it: Qwen3.5's prompt already opened ``<think>``."""
    return text if family == "qwen3.5" else "<think>" + text


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("closed", [False, True], ids=["no-think-end", "think-end-after"])
def test_a_call_written_while_thinking_is_a_call(family, closed):
    call = FAMILIES[family][2]
    output = thought(family, "I should look it up. " + call) + (" ok</think>" if closed else "")
    for chunks in (1, 5, None):
        message = check_invariants(run(family, output, chunks=chunks))
        assert [(c.name, c.arguments) for c in message.tool_calls] == [
            ("get_weather", {"city": "Paris"})
        ]
        assert message.reasoning.strip() == "I should look it up."
        assert message.finish_reason == "function_call" and not message.reasoning_only
        assert "<tool_call>" not in message.content and "</think>" not in message.content


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_option_turns_it_off_and_deepseek_r1_never_does_it(family):
    call = FAMILIES[family][2]
    output = thought(family, "Maybe " + call)
    for kw in ({"tool_calls_in_reasoning": False}, {"reasoning_parser": "deepseek_r1"}):
        message = check_invariants(run(family, output, **kw))
        assert not message.tool_calls and not message.invalid_tool_calls
        assert call in message.reasoning and message.finish_reason == "stop"
        assert message.reasoning_only


def test_a_malformed_call_while_thinking_is_an_invalid_call_with_its_raw_text():
    output = (
        '<think>Let me try. <tool_call>\n{"name": "get_weather", "arguments": {"city": </tool_call>'
    )
    message = check_invariants(run("qwen3", output, chunks=2))
    assert not message.tool_calls and message.finish_reason == "stop"
    [bad] = message.invalid_tool_calls
    assert bad.name == "get_weather" and '{"city":' in (bad.arguments or "")


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("finish", ["stop", "length"])
def test_a_turn_that_only_thought_is_flagged(family, finish):
    message = check_invariants(run(family, thought(family, "Hmm, let me think"), finish=finish))
    assert message.reasoning_only and message.content == "" and not message.tool_calls
    assert message.finish_reason == finish
    answered = check_invariants(run(family, thought(family, "Easy.</think>\n\nParis is sunny.")))
    assert not answered.reasoning_only and answered.content == "Paris is sunny."


def test_adapters_expose_the_reasoning_only_flag():
    from llama_index.core.base.llms.types import ChatMessage as LlamaMessage

    from langchain_vllm import ChatVLLM
    from llama_index_vllm import Vllm

    tok = tokenizer(FAMILIES["qwen3"][0])

    def engine():
        return ScriptedEngine(
            [("<think>Still thinking", "length")], tokenizer=tok, chat_template=tok.chat_template
        )

    lc = ChatVLLM(engine=engine(), tool_parser="hermes").invoke("Weather?")
    assert lc.response_metadata["reasoning_only"] is True
    assert lc.additional_kwargs["reasoning_content"] == "Still thinking"
    li = Vllm(engine=engine(), tool_parser="hermes").chat([LlamaMessage(role="user", content="Hi")])
    assert li.additional_kwargs["reasoning_only"] is True
    answered = ChatVLLM(
        engine=ScriptedEngine(
            ["<think>x</think>Sunny."], tokenizer=tok, chat_template=tok.chat_template
        )
    ).invoke("Weather?")
    assert "reasoning_only" not in answered.response_metadata


@settings(max_examples=40, deadline=None)
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    before=st.text(alphabet="ab <>/thinkol_c\n", max_size=25),
    after=st.sampled_from(["", " done", "</think>", "</think>\n\nSunny.", " more</think>Rain"]),
    seed=st.integers(0, 10_000),
)
def test_random_splits_keep_the_invariants_and_equal_the_whole_message(family, before, after, seed):
    output = thought(family, before + FAMILIES[family][2] + after)
    streamed = check_invariants(run(family, output, seed=seed))
    whole = check_invariants(run(family, output, chunks=len(output)))
    key = lambda m: (  # noqa: E731
        m.content,
        m.reasoning,
        [(c.name, c.arguments) for c in m.tool_calls],
        [(c.name, c.arguments) for c in m.invalid_tool_calls],
        m.finish_reason,
        m.reasoning_only,
    )
    assert key(streamed) == key(whole)


def reference(text: str, ends_at: tuple[str, ...]) -> list[tuple[bool, str]]:
    """The splitter's rules on the whole text (starting inside reasoning)."""
    end = text.find("</think>")
    hits = [p for p in (text.find(m) for m in ends_at) if p >= 0]
    if hits and (end < 0 or min(hits) < end):
        reasoning, content = text[: min(hits)], text[min(hits) :].replace("</think>", "")
    elif end >= 0:
        reasoning = text[:end]
        content = text[end + len("</think>") :].lstrip().replace("</think>", "")
    else:
        reasoning, content = text, ""
    reasoning = reasoning.replace("<think>", "")
    return [(flag, part) for flag, part in ((True, reasoning), (False, content)) if part]


@given(
    st.lists(
        st.sampled_from(["<tool_call>", "</think>", "<think>", "<tool", "</th", "a", " ", "\n"]),
        max_size=12,
    ).map("".join),
    chunk_sizes,
)
def test_the_splitter_ends_reasoning_at_a_call_marker_over_any_split(text, sizes):
    splitter = ReasoningSplitter(starts_in_reasoning=True, ends_at=("<tool_call>",))
    parts, pos, i = [], 0, 0
    while pos < len(text):
        parts += splitter.feed(text[pos : pos + sizes[i % len(sizes)]])
        pos, i = pos + sizes[i % len(sizes)], i + 1
    parts += splitter.close()
    merged: list[tuple[bool, str]] = []
    for flag, chunk in parts:
        if merged and merged[-1][0] == flag:
            merged[-1] = (flag, merged[-1][1] + chunk)
        else:
            merged.append((flag, chunk))
    assert merged == reference(text, ("<tool_call>",))
