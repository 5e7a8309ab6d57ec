"""Every corpus template renders a tool conversation through vLLM's own renderer path.

The conversation (user, assistant call, tool result, assistant answer, next user) goes through
``ChatClient`` as a framework sends it: our checks and history rules (``render.py``), then vLLM's
``HfRenderer`` with the template (:mod:`vllm_renderer`), what the real engine runs. The prompt
must hold the call (its name once more than the tools listing has it, its argument), the tool
result and the next question.

Templates that cannot show this are listed in ``SPECIAL`` with the reason, and the reason is
checked: the same OpenAI-shaped messages given straight to vLLM's renderer (what vLLM's own
server does with a request) show the same thing, so the limit is the template's (or vLLM's),
not ours.
"""

from __future__ import annotations

import json

import pytest
from format_helpers import WEATHER
from template_corpus import corpus_entries
from vllm_renderer import VllmRenderedEngine

from vllm_native.chat import ChatClient
from vllm_native.engine import render_with_vllm
from vllm_native.types import ChatRequest

CITY = "Reykjavik"
RESULT = "light rain over the harbour"
NEXT = "And tomorrow?"
CALL_ID = "call_0123456789abcdef01234567"
CONVERSATION = [
    {"role": "user", "content": "Weather in the capital of Iceland?"},
    {
        "role": "assistant",
        "content": None,  # as OpenAI clients send a call turn
        "tool_calls": [
            {
                "id": CALL_ID,
                "type": "function",
                "function": {"name": "get_weather", "arguments": json.dumps({"city": CITY})},
            }
        ],
    },
    {"role": "tool", "tool_call_id": CALL_ID, "content": RESULT},
    # Mistral's templates want an answer after the results before the next user message
    {"role": "assistant", "content": "It is raining."},
    {"role": "user", "content": NEXT},
]

_SANDBOX = (
    "calls list.append, which the sandboxed Jinja refuses: vLLM's HfRenderer renders with "
    "transformers' apply_chat_template, whose ImmutableSandboxedEnvironment forbids mutating "
    "lists (transformers/utils/chat_template_utils.py)"
)
SPECIAL: dict[str, tuple[str, str]] = {
    # file: (what the prompt lacks or "refused", why)
    "llama.cpp/Kimi-K2-Instruct.jinja": ("refused", _SANDBOX),
    "llama.cpp/Kimi-K2-Thinking.jinja": ("refused", _SANDBOX),
    "llama.cpp/deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja": (
        "call",
        "renders a call only when the turn's content is None (and joins its arguments as a "
        "string); vLLM's renderer always passes text content and dict arguments "
        "(chat_utils._parse_chat_message_content, _postprocess_messages)",
    ),
    "vllm/tool_chat_template_glm4.jinja": (
        "call+result",
        "vLLM's GLM-4 template renders only user and assistant text, no calls, no tool results",
    ),
    "llama.cpp/ibm-granite-granite-3.3-2B-Instruct.jinja": (
        "call",
        "Granite 3.3's template renders an assistant turn's content only, never its tool_calls",
    ),
}
ENTRIES = corpus_entries()


def shown(prompt: str, baseline: str) -> dict[str, bool]:
    """What of the conversation ``prompt`` shows (``baseline``: the first question alone)."""
    return {
        "call": prompt.count("get_weather") > baseline.count("get_weather") and CITY in prompt,
        "result": RESULT in prompt,
        "next": NEXT in prompt,
    }


def render_through_client(template: str) -> tuple[str, str]:
    engine = VllmRenderedEngine(["OK.", "OK."], template)
    client = ChatClient(engine=engine)
    client.chat(ChatRequest(CONVERSATION, tools=[WEATHER]))
    client.chat(ChatRequest(CONVERSATION[:1], tools=[WEATHER]))
    return engine.requests[0].prompt, engine.requests[1].prompt


def test_the_special_list_names_corpus_files():
    assert set(SPECIAL) <= {e.file for e in ENTRIES}


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.file not in SPECIAL], ids=lambda e: e.id)
def test_the_tool_conversation_is_in_the_prompt(entry):
    prompt, baseline = render_through_client(entry.text)
    assert shown(prompt, baseline) == {"call": True, "result": True, "next": True}, prompt


@pytest.mark.parametrize("file", sorted(SPECIAL))
def test_what_a_special_template_cannot_show_vllm_cannot_either(file):
    template = next(e.text for e in ENTRIES if e.file == file)
    lacks, _why = SPECIAL[file]
    if lacks == "refused":
        with pytest.raises(Exception, match="append"):
            render_through_client(template)
        with pytest.raises(Exception, match="append"):  # vLLM's server path: the same
            render_with_vllm(VllmRenderedEngine([], template).renderer, CONVERSATION, [WEATHER])
        return
    missing = set(lacks.split("+"))
    ours = shown(*render_through_client(template))
    renderer = VllmRenderedEngine([], template).renderer
    vllms = shown(
        render_with_vllm(renderer, CONVERSATION, [WEATHER]).text or "",
        render_with_vllm(renderer, CONVERSATION[:1], [WEATHER]).text or "",
    )
    assert ours == vllms == {k: k not in missing for k in ("call", "result", "next")}


PARALLEL = [
    CONVERSATION[0],
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{n}",
                "type": "function",
                "function": {"name": "get_weather", "arguments": json.dumps({"city": city})},
            }
            for n, city in enumerate((CITY, "Tromso"))
        ],
    },
    {"role": "tool", "tool_call_id": "call_0", "content": RESULT},
    {"role": "tool", "tool_call_id": "call_1", "content": "snow in the north"},
    *CONVERSATION[3:],
]
ONE_CALL_PER_TURN = {
    e.file
    for e in ENTRIES
    if "This model only supports single tool-calls at once!" in e.text  # Llama 3.x
}


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.file not in SPECIAL], ids=lambda e: e.id)
def test_two_calls_of_one_turn_and_both_results_are_in_the_prompt(entry):
    engine = VllmRenderedEngine(["OK."], entry.text)
    request = ChatRequest(PARALLEL, tools=[WEATHER])
    if entry.file in ONE_CALL_PER_TURN:  # the template refuses it, loudly, as in vLLM's server
        with pytest.raises(Exception, match="single tool-calls"):
            ChatClient(engine=engine).chat(request)
        return
    ChatClient(engine=engine).chat(request)
    prompt = engine.requests[0].prompt
    assert all(t in prompt for t in (CITY, "Tromso", RESULT, "snow in the north")), prompt


def test_gpt_oss_gets_one_message_per_call_each_answered_in_turn():
    # its template renders only tool_calls[0] and names each result after the latest call
    template = next(e.text for e in ENTRIES if e.file == "llama.cpp/openai-gpt-oss-120b.jinja")
    engine = VllmRenderedEngine(["OK."], template)
    ChatClient(engine=engine).chat(ChatRequest(PARALLEL, tools=[WEATHER]))
    call = "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>"
    answer = "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>"
    assert (
        f'{call}{{"city": "{CITY}"}}<|call|>{answer}"{RESULT}"<|end|>'
        f'{call}{{"city": "Tromso"}}<|call|>{answer}"snow in the north"<|end|>'
    ) in engine.requests[0].prompt
