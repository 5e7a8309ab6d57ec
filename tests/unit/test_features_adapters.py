"""Images, LoRA per request, logprobs, n and guided decoding through ChatVLLM, VLLM and LlamaIndex
Vllm, on the scripted engine."""

from __future__ import annotations

import asyncio
import base64

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

from langchain_vllm import VLLM, ChatVLLM
from llama_index_vllm import Vllm
from vllm_native.lora import resolve_adapter
from vllm_native.testing import ScriptedEngine

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode("ascii")
SHIPPED = resolve_adapter("smollm2_tools")


def sent_images(engine: ScriptedEngine) -> list[str]:
    return [
        part["image_url"]["url"]
        for request in engine.requests
        for message in request.messages
        if isinstance(message["content"], list)
        for part in message["content"]
        if part["type"] == "image_url"
    ]


# -- logprobs ---------------------------------------------------------------------------------------
def test_chatvllm_logprobs_on_invoke_and_on_each_streamed_chunk():
    engine = ScriptedEngine(["Paris is big"] * 2)
    llm = ChatVLLM(engine=engine, logprobs=True, top_logprobs=2)
    message = llm.invoke("Capital?")
    content = message.response_metadata["logprobs"]["content"]
    assert [t["token"] for t in content] == ["Paris", " is", " big"]
    assert set(content[0]) == {"token", "bytes", "logprob", "top_logprobs"}
    assert len(content[0]["top_logprobs"]) == 2
    chunks = list(llm.stream("Capital?"))
    with_logprobs = [c for c in chunks if "logprobs" in c.response_metadata]
    assert [len(c.response_metadata["logprobs"]["content"]) for c in with_logprobs] == [1, 1, 1]
    merged = sum(chunks[1:], chunks[0])
    assert merged.response_metadata["logprobs"] == message.response_metadata["logprobs"]


def test_chatvllm_logprobs_per_call_and_through_bind():
    engine = ScriptedEngine(["a b", "a b", "a b"])
    llm = ChatVLLM(engine=engine)
    assert "logprobs" not in llm.invoke("x").response_metadata
    assert len(llm.invoke("x", logprobs=True).response_metadata["logprobs"]["content"]) == 2
    bound = llm.bind(top_logprobs=1).invoke("x")
    assert [len(t["top_logprobs"]) for t in bound.response_metadata["logprobs"]["content"]] == [
        1,
        1,
    ]
    assert engine.requests[2].sampling_params.logprobs == 1


def test_llama_index_logprobs_on_chat_and_stream():
    engine = ScriptedEngine(["one two"] * 2)
    llm = Vllm(engine=engine, logprobs=True, top_logprobs=2)
    response = llm.chat([ChatMessage(role="user", content="Count")])
    assert [[p.token for p in position] for position in response.logprobs] == [
        ["one", "<alt1>"],
        [" two", "<alt1>"],
    ]
    streamed = [r.logprobs for r in llm.stream_chat([ChatMessage(role="user", content="Count")])]
    per_token = [lp for lp in streamed[:-1] if lp is not None]
    assert [p for lp in per_token for p in lp] == response.logprobs == streamed[-1]


def test_vllm_completion_logprobs():
    llm = VLLM(engine=ScriptedEngine(["one two", "one two"]), logprobs=True)
    result = llm.generate(["Count:"])
    info = result.generations[0][0].generation_info
    assert [t["token"] for t in info["logprobs"]["content"]] == ["one", " two"]
    assert "".join(llm.stream("Count:")) == "one two"  # logprobs travel on chunks of no text


# -- n ----------------------------------------------------------------------------------------------
def test_chatvllm_n_gives_several_generations_and_refuses_to_stream():
    engine = ScriptedEngine(["a", "b", "c", "d", "e", "f"])
    llm = ChatVLLM(engine=engine, n=2, seed=3)
    result = llm.generate([[HumanMessage("x")], [HumanMessage("y")]])
    assert [[g.text for g in gens] for gens in result.generations] == [["a", "b"], ["c", "d"]]
    assert [r.sampling_params.seed for r in engine.requests] == [3, 4, 3, 4]
    assert llm.invoke("z").content == "e"  # as ChatOpenAI: invoke returns the first choice
    with pytest.raises(ValueError, match="several generations"):
        list(llm.stream("z"))
    assert (
        asyncio.run(
            ChatVLLM(engine=ScriptedEngine(["p", "q"])).agenerate([[HumanMessage("x")]], n=2)
        )
        .generations[0][1]
        .text
        == "q"
    )


def test_vllm_completion_n():
    llm = VLLM(engine=ScriptedEngine(["a", "b", "c", "d"]), n=2)
    result = llm.generate(["x", "y"])
    assert [[g.text for g in gens] for gens in result.generations] == [["a", "b"], ["c", "d"]]


# -- guided decoding --------------------------------------------------------------------------------
def test_guided_decoding_per_call_bind_and_llama_index():
    engine = ScriptedEngine(["yes", "42", "AB"])
    llm = ChatVLLM(engine=engine)
    assert llm.invoke("?", structured_outputs={"choice": ["yes", "no"]}).content == "yes"
    llm.bind(structured_outputs={"regex": "[0-9]+"}).invoke("?")
    Vllm(engine=engine).chat(
        [ChatMessage(role="user", content="?")], structured_outputs={"grammar": 'root ::= "AB"'}
    )
    kinds = [r.sampling_params.structured_outputs for r in engine.requests]
    assert (kinds[0].choice, kinds[1].regex, kinds[2].grammar) == (
        ["yes", "no"],
        "[0-9]+",
        'root ::= "AB"',
    )
    with pytest.raises(ValueError, match="structured_outputs cannot be combined"):
        llm.invoke("?", structured_outputs={"regex": "a"}, response_format={"type": "json_object"})


# -- LoRA -------------------------------------------------------------------------------------------
def test_lora_from_the_constructor_and_per_call_in_both_frameworks():
    engine = ScriptedEngine(["a", "b", "c", "d"])
    ChatVLLM(engine=engine, lora="smollm2_tools").invoke("x")
    ChatVLLM(engine=engine).invoke("x", lora="smollm2_tools")
    VLLM(engine=engine, lora="smollm2_tools").invoke("x")
    Vllm(engine=engine, lora="smollm2_tools").chat([ChatMessage(role="user", content="x")])
    assert [r.lora for r in engine.requests] == [SHIPPED] * 4


def test_lora_objects_on_one_base_share_an_engine():
    first = ChatVLLM(model="some/base", lora="smollm2_tools")
    second = Vllm(model="some/base", lora="smollm2_tools")
    assert first._client.engine is second.client.engine
    assert first._client.engine.engine_args["enable_lora"] is True


# -- images -----------------------------------------------------------------------------------------
def test_langchain_image_content_reaches_a_multimodal_engine(tmp_path):
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    engine = ScriptedEngine(["ok"] * 3, multimodal=True)
    llm = ChatVLLM(engine=engine)
    text = {"type": "text", "text": "What is it?"}
    llm.invoke([HumanMessage([text, {"type": "image_url", "image_url": {"url": str(path)}}])])
    llm.invoke([HumanMessage([text, {"type": "image_url", "image_url": DATA_URL}])])
    v1 = {"type": "image", "base64": base64.b64encode(PNG).decode(), "mime_type": "image/png"}
    llm.invoke([HumanMessage([text, v1])])
    assert sent_images(engine) == [DATA_URL] * 3
    remote = HumanMessage(
        [text, {"type": "image_url", "image_url": {"url": "https://x.org/a.png"}}]
    )
    with pytest.raises(ValueError, match="fetch_remote_images=True"):
        llm.invoke([remote])
    allowed = ChatVLLM(engine=ScriptedEngine(["ok"], multimodal=True), fetch_remote_images=True)
    assert allowed.invoke([remote]).content == "ok"


def test_llama_index_image_blocks_reach_a_multimodal_engine(tmp_path):
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    engine = ScriptedEngine(["ok", "ok"], multimodal=True)
    llm = Vllm(engine=engine)
    for block in (ImageBlock(image=PNG), ImageBlock(path=path)):
        llm.chat([ChatMessage(role="user", blocks=[TextBlock(text="What?"), block])])
    assert sent_images(engine) == [DATA_URL] * 2
    text_only = Vllm(engine=ScriptedEngine(["unused"]))
    with pytest.raises(ValueError, match="text-only"):
        text_only.chat([ChatMessage(role="user", blocks=[ImageBlock(image=PNG)])])


def test_the_features_page_runs():
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "features.md"
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
