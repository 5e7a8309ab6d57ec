"""Each family's own tool-call syntax, with the format detected from its real template, through
``ChatClient`` on the scripted engine: calls come back as calls, streamed == invoked over random
splits, and no markup is left in ``content``.

The outputs are the ones in vLLM 0.33.0's own parser tests (tests/tool_parsers/test_*.py,
tests/parser/engine/test_seed_oss.py). vLLM's parsers look markers up as tokens, so each family
gets the prepared default model's tokenizer plus that family's marker tokens (no hub).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from format_helpers import WEATHER as WEATHER_TOOL
from template_corpus import corpus_entries

from vllm_native.chat import ChatClient
from vllm_native.models import model_path
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest, Finish

WEATHER = [WEATHER_TOOL]
GLM = ["<tool_call>", "</tool_call>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>"]
DSML = "｜DSML｜"

# family: (template file, marker tokens, model output, city, expected content)
CASES: dict[str, tuple[str, list[str], str, str, str]] = {
    "kimi_k2": (
        "llama.cpp/moonshotai-Kimi-K2.jinja",
        [
            "<|tool_calls_section_begin|>",
            "<|tool_calls_section_end|>",
            "<|tool_call_begin|>",
            "<|tool_call_end|>",
            "<|tool_call_argument_begin|>",
        ],
        "I'll check. <|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0 "
        '<|tool_call_argument_begin|>{"city": "Beijing"}<|tool_call_end|>'
        "<|tool_calls_section_end|>",
        "Beijing",
        "I'll check.",
    ),
    "glm45": (
        "llama.cpp/GLM-4.6.jinja",
        GLM,
        "I'll check it. <tool_call>get_weather\n<arg_key>city</arg_key>\n"
        "<arg_value>Dallas</arg_value>\n</tool_call>",
        "Dallas",
        "I'll check it.",
    ),
    "glm47": (
        "llama.cpp/GLM-4.7-Flash.jinja",
        [*GLM, "<think>", "</think>"],
        "Need the weather.</think><tool_call>get_weather<arg_key>city</arg_key>"
        "<arg_value>Beijing</arg_value></tool_call>",
        "Beijing",
        "",
    ),
    "minimax_m2": (
        "llama.cpp/MiniMax-M2.jinja",
        ["<minimax:tool_call>", "</minimax:tool_call>", "<think>", "</think>"],
        'Look it up.\n</think>\n\nLet me check. <minimax:tool_call><invoke name="get_weather">'
        '<parameter name="city">Seattle</parameter></invoke></minimax:tool_call>',
        "Seattle",
        "Let me check.",
    ),
    "seed_oss": (
        "llama.cpp/ByteDance-Seed-OSS.jinja",
        ["<seed:tool_call>", "</seed:tool_call>", "<seed:think>", "</seed:think>"],
        "<seed:tool_call>\n<function=get_weather>\n<parameter=city>Tokyo</parameter>\n"
        "</function>\n</seed:tool_call>",
        "Tokyo",
        "",
    ),
    "granite": (
        "llama.cpp/ibm-granite-granite-3.3-2B-Instruct.jinja",
        ["<|tool_call|>"],
        '<|tool_call|> [{"name": "get_weather", "arguments": {"city": "Tokyo"}}]',
        "Tokyo",
        "",
    ),
    "granite-20b-fc": (
        "vllm/tool_chat_template_granite_20b_fc.jinja",
        ["<function_call>"],
        '<function_call> {"name": "get_weather", "arguments": {"city": "Tokyo"}}',
        "Tokyo",
        "",
    ),
    "phi4_mini_json": (
        "vllm/tool_chat_template_phi4_mini.jinja",
        ["functools"],
        'functools[{"name": "get_weather", "arguments": {"city": "Tokyo"}}]',
        "Tokyo",
        "",
    ),
    "gemma4": (
        "llama.cpp/google-gemma-4-31B-it.jinja",
        ["<|tool_call>", "<tool_call|>", '<|"|>', "<|channel>", "<channel|>"],
        '<|tool_call>call:get_weather{city:<|"|>London<|"|>}<tool_call|>',
        "London",
        "",
    ),
    "deepseek_v32": (
        "llama.cpp/deepseek-ai-DeepSeek-V3.2.jinja",
        [],
        f'<{DSML}function_calls>\n<{DSML}invoke name="get_weather">\n'
        f'<{DSML}parameter name="city" string="true">SF</{DSML}parameter>\n'
        f"</{DSML}invoke>\n</{DSML}function_calls>",
        "SF",
        "",
    ),
}
TEMPLATES = {e.file: e for e in corpus_entries()}
MARKUP = ["<|tool_call", "<tool_call", "[TOOL_CALLS]", "<|channel", "section_begin", DSML, "<seed:"]


def _tokenizer(markers: list[str], template: str) -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_path())
    if markers:
        tok.add_special_tokens({"additional_special_tokens": markers})
    tok.chat_template = template
    return tok


def _without_ids(message: Any) -> Any:
    return replace(message, tool_calls=tuple(replace(c, id="") for c in message.tool_calls))


@pytest.mark.parametrize("family", sorted(CASES))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_family_output_is_parsed_by_the_detected_format(family, seed):
    file, markers, output, city, content = CASES[family]
    template = TEMPLATES[file].text
    engine = ScriptedEngine(
        [output, output], tokenizer=_tokenizer(markers, template), chat_template=template, seed=seed
    )
    client = ChatClient(engine=engine)
    assert client.detection().tool_parser == family
    request = ChatRequest([{"role": "user", "content": "Weather?"}], tools=WEATHER)
    invoked = client.chat(request)
    events = list(client.stream(request))
    streamed = events[-1]
    assert isinstance(streamed, Finish)
    assert [(c.name, c.arguments) for c in invoked.tool_calls] == [("get_weather", {"city": city})]
    assert invoked.finish_reason == "function_call" and not invoked.invalid_tool_calls
    assert invoked.content == content
    assert not any(m in invoked.content for m in MARKUP)
    assert _without_ids(streamed.message) == _without_ids(invoked)
