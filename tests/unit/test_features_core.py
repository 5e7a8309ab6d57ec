"""Images, LoRA per request, logprobs, n and guided decoding in the core, on the scripted engine."""

from __future__ import annotations

import asyncio
import base64
import os

import pytest

from vllm_native.chat import ChatClient
from vllm_native.engine import VllmEngine, get_engine
from vllm_native.lora import resolve_adapter
from vllm_native.testing import ScriptedEngine
from vllm_native.types import (
    ChatRequest,
    Finish,
    LogprobsDelta,
    SamplingOptions,
    TextDelta,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
USER = [{"role": "user", "content": "Hi"}]


def image_message(url: str) -> list[dict]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


# -- images ---------------------------------------------------------------------------------------
def test_a_multimodal_engine_gets_local_images_as_data_urls(tmp_path):
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    engine = ScriptedEngine(["A dot.", "A dot."], multimodal=True)
    client = ChatClient(engine=engine)
    for url in (str(path), path.as_uri()):
        assert client.chat(ChatRequest(image_message(url))).content == "A dot."
    for request in engine.requests:
        text, image = request.messages[0]["content"]
        assert text == {"type": "text", "text": "What is this?"}
        assert image["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode(
            "ascii"
        )


def test_data_urls_pass_unchanged_and_remote_urls_need_permission():
    engine = ScriptedEngine(["ok", "ok"], multimodal=True)
    client = ChatClient(engine=engine)
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode("ascii")
    client.chat(ChatRequest(image_message(data_url)))
    assert engine.requests[0].messages[0]["content"][1]["image_url"]["url"] == data_url
    remote = image_message("https://example.com/cat.png")
    with pytest.raises(ValueError, match="fetch_remote_images=True"):
        client.chat(ChatRequest(remote))
    client.chat(ChatRequest(remote, fetch_remote_images=True))
    assert engine.requests[1].messages[0]["content"][1]["image_url"]["url"].startswith("https://")


def test_image_errors_say_what_to_fix(tmp_path):
    client = ChatClient(engine=ScriptedEngine(["unused"], multimodal=True))
    with pytest.raises(ValueError, match="does not exist"):
        client.chat(ChatRequest(image_message(str(tmp_path / "missing.png"))))
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match="not an image"):
        client.chat(ChatRequest(image_message(str(tmp_path / "notes.txt"))))
    audio = [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]
    with pytest.raises(ValueError, match="text and images only"):
        client.chat(ChatRequest(audio))
    text_only = ChatClient(engine=ScriptedEngine(["unused"]))
    with pytest.raises(ValueError, match="text-only"):
        text_only.chat(ChatRequest(image_message("data:image/png;base64,AAAA")))


# -- LoRA -------------------------------------------------------------------------------------------
def test_each_request_carries_its_adapter():
    shipped = resolve_adapter("smollm2_tools")
    engine = ScriptedEngine(["a", "b", "c"])
    client = ChatClient(engine=engine, lora="smollm2_tools")
    client.chat(ChatRequest(USER))
    client.chat(ChatRequest(USER, lora=os.path.relpath(shipped)))
    list(client.complete_stream("Hi", SamplingOptions()))
    assert [r.lora for r in engine.requests] == [shipped, shipped, shipped]
    assert ChatClient(engine=ScriptedEngine([])).lora is None


def test_clients_with_different_adapters_share_one_engine(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "adapter_config.json").write_text('{"r": 8}')
    first = ChatClient("some/base", lora="smollm2_tools")
    second = ChatClient("some/base", lora=str(other))
    assert first.engine is second.engine
    assert first.engine.engine_args == {"enable_lora": True, "max_loras": 4, "max_lora_rank": 16}
    assert ChatClient("some/base").engine is not first.engine  # no LoRA: another configuration
    bigger = tmp_path / "bigger"
    bigger.mkdir()
    (bigger / "adapter_config.json").write_text('{"r": 64}')
    with pytest.raises(ValueError, match="max_lora_rank': 64"):
        first.engine.lora_request(str(bigger))
    assert first.engine.lora_request(str(other)).lora_path == str(other)


def test_lora_needs_a_lora_engine_and_an_adapter_folder(tmp_path):
    engine = get_engine("some/base", {"max_model_len": 64})
    assert isinstance(engine, VllmEngine)
    with pytest.raises(ValueError, match="needs an engine with LoRA enabled"):
        engine.lora_request(resolve_adapter("smollm2_tools"))
    with pytest.raises(ValueError, match="no adapter_config.json"):
        ChatClient(engine=ScriptedEngine([]), lora=str(tmp_path))
    with pytest.raises(ValueError, match="does not exist"):
        ChatClient(engine=ScriptedEngine([]), lora="./no/such/adapter")
    with pytest.raises(ValueError, match="enable_lora=False"):
        ChatClient("some/base", engine_args={"enable_lora": False}, lora="smollm2_tools")


# -- logprobs ---------------------------------------------------------------------------------------
def test_logprobs_stream_with_the_tokens_and_end_up_on_the_message():
    engine = ScriptedEngine(["Paris is big", "Paris is big"])
    client = ChatClient(engine=engine)
    request = ChatRequest(USER, sampling=SamplingOptions(top_logprobs=2))
    events = list(client.stream(request))
    streamed = [t for e in events if isinstance(e, LogprobsDelta) for t in e.tokens]
    final = events[-1]
    assert isinstance(final, Finish) and final.message.logprobs == tuple(streamed)
    assert [t.token for t in streamed] == ["Paris", " is", " big"]
    assert all(len(t.top_logprobs) == 2 for t in streamed)
    assert engine.requests[0].sampling_params.logprobs == 2
    assert client.chat(request).logprobs == final.message.logprobs


def test_no_logprobs_unless_asked_and_bad_values_refused():
    client = ChatClient(engine=ScriptedEngine(["Hi", "unused"]))
    events = list(client.stream(ChatRequest(USER)))
    assert not any(isinstance(e, LogprobsDelta) for e in events)
    assert events[-1].message.logprobs is None
    with pytest.raises(ValueError, match="between 0 and 20"):
        client.chat(ChatRequest(USER, sampling=SamplingOptions(top_logprobs=21)))
    with pytest.raises(
        ValueError, match="logprobs= as its own option .logprobs=True, top_logprobs=k"
    ):
        client.chat(ChatRequest(USER, sampling=SamplingOptions(extra={"logprobs": 3})))


# -- n ----------------------------------------------------------------------------------------------
def test_n_choices_are_separate_requests_with_their_own_seeds():
    engine = ScriptedEngine(["one", "two", "three", "four"])
    client = ChatClient(engine=engine)
    groups = client.choices_batch(
        [
            ChatRequest(USER, sampling=SamplingOptions(n=3, seed=5)),
            ChatRequest(USER, sampling=SamplingOptions()),
        ]
    )
    assert [[m.content for m in g] for g in groups] == [["one", "two", "three"], ["four"]]
    assert [r.sampling_params.seed for r in engine.requests] == [5, 6, 7, None]
    assert all(r.sampling_params.n == 1 for r in engine.requests)


class CountingEngine(ScriptedEngine):
    """A scripted engine that counts how often a prompt is rendered or tokenized."""

    renders = 0

    def render(self, *args, **kwargs):
        self.renders += 1
        return super().render(*args, **kwargs)

    def render_text(self, prompt):
        self.renders += 1
        return super().render_text(prompt)


def test_n_choices_render_their_prompt_once():
    engine = CountingEngine(["a", "b", "c", "d", "e", "f", "g", "h"])
    client = ChatClient(engine=engine)
    request = ChatRequest(USER, sampling=SamplingOptions(n=3, seed=1))
    assert [m.content for m in client.choices(request)] == ["a", "b", "c"]
    assert engine.renders == 1
    assert [m.content for m in asyncio.run(client.achoices(request))] == ["d", "e", "f"]
    assert engine.renders == 2
    groups = client.complete_choices(["x"], SamplingOptions(n=2))
    assert [[m.content for m in g] for g in groups] == [["g", "h"]]
    assert engine.renders == 3
    assert [r.sampling_params.seed for r in engine.requests[:3]] == [1, 2, 3]  # still their own


def test_n_async_and_completions():
    client = ChatClient(engine=ScriptedEngine(["a", "b", "c", "d", "e"]))
    request = ChatRequest(USER, sampling=SamplingOptions(n=2))
    assert [m.content for m in asyncio.run(client.achoices(request))] == ["a", "b"]
    groups = client.complete_choices(["x", "y"], SamplingOptions(n=1))
    assert [[m.content for m in g] for g in groups] == [["c"], ["d"]]
    with pytest.raises(ValueError, match="several generations"):
        list(client.stream(request))
    with pytest.raises(ValueError, match="n=0: must be at least 1"):
        client.choices(ChatRequest(USER, sampling=SamplingOptions(n=0)))


# -- guided decoding --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "constraint",
    [{"regex": "[0-9]{3}"}, {"choice": ["yes", "no"]}, {"grammar": 'root ::= "a" | "b"'}],
)
def test_guided_constraints_reach_vllm(constraint):
    engine = ScriptedEngine(["yes"])
    events = list(
        ChatClient(engine=engine).stream(ChatRequest(USER, structured_outputs=constraint))
    )
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["yes"]
    structured = engine.requests[0].sampling_params.structured_outputs
    kind, value = next(iter(constraint.items()))
    assert getattr(structured, kind) == value


ADD = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"structured_outputs": {"regex": "a", "choice": ["a"]}}, "exactly one of"),
        ({"structured_outputs": {"json": {}}}, "use response_format for JSON"),
        ({"structured_outputs": {"choice": []}}, "list of strings"),
        ({"structured_outputs": {"regex": "("}}, "does not compile"),
        (
            {"structured_outputs": {"regex": "a"}, "response_format": {"type": "json_object"}},
            "cannot be combined with response_format",
        ),
        (
            {"structured_outputs": {"regex": "a"}, "tools": [ADD], "tool_choice": "required"},
            "structured_outputs cannot be combined with tool_choice='required'",
        ),
    ],
)
def test_guided_mistakes_are_refused_before_the_engine(fields, match):
    engine = ScriptedEngine(["unused"])
    with pytest.raises(ValueError, match=match):
        ChatClient(engine=engine, tool_parser="hermes").chat(ChatRequest(USER, **fields))
    assert engine.remaining == 1
