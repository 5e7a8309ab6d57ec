"""Granite 3.3 in thinking mode: its template asks for ``<think></think>`` then
``<response></response>``; the response tags are taken out of the content (as vLLM's ``ernie45``
reasoning parser takes them out), streamed and invoked alike, with the real template."""

from __future__ import annotations

import pytest
from family_tokenizers import tokenizer_with_markers
from template_corpus import corpus_entries
from test_chat_stream import check_invariants

from vllm_native.chat import ChatClient
from vllm_native.formats.detect import detect_family
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest

GRANITE_33 = next(
    e.text
    for e in corpus_entries()
    if e.file == "llama.cpp/ibm-granite-granite-3.3-2B-Instruct.jinja"
)
USER = [{"role": "user", "content": "Weather in Tokyo?"}]
THINKING = {"thinking": True}  # the template's switch for the <think>/<response> instructions


def run(output: str, seed: int, template: str = GRANITE_33):
    engine = ScriptedEngine(
        [output, output],
        tokenizer=tokenizer_with_markers("<|tool_call|>"),
        chat_template=template,
        seed=seed,
    )
    client = ChatClient(engine=engine)
    request = ChatRequest(USER, chat_template_kwargs=THINKING)
    invoked = client.chat(request)
    streamed = check_invariants(list(client.stream(request)))
    assert streamed == invoked
    return invoked, engine


def test_granite_33_is_detected_with_its_response_tags():
    found = detect_family(GRANITE_33)
    assert (found.tool_parser, found.reasoning) == ("granite", "think")
    assert found.content_wrapper == ("<response>", "</response>")


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_response_tags_are_not_content(seed):
    message, engine = run(
        "<think>The user wants Tokyo's weather.</think>\n<response>\nIt is 24 C in Tokyo.\n"
        "</response>",
        seed,
    )
    assert "<response>" in engine.requests[0].prompt  # thinking mode was asked for
    assert message.reasoning == "The user wants Tokyo's weather."
    assert message.content.strip() == "It is 24 C in Tokyo."
    assert "response>" not in message.content


def test_an_answer_without_tags_is_unchanged():
    message, _ = run("<think>Easy.</think>It is 24 C in Tokyo.", 1)
    assert (message.reasoning, message.content) == ("Easy.", "It is 24 C in Tokyo.")


def test_other_families_keep_response_tags_as_text():
    qwen3 = next(e.text for e in corpus_entries() if e.file == "llama.cpp/Qwen-Qwen3-0.6B.jinja")
    assert detect_family(qwen3).content_wrapper == ()
    message, _ = run("<think>x</think><response>kept</response>", 2, template=qwen3)
    assert message.content == "<response>kept</response>"
