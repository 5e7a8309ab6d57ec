"""Images end to end on the real CPU engine, with a tiny Idefics3 (SmolVLM's architecture) of
random weights written locally (no download; see ``tiny_vlm.py``).

The answers of random weights are noise; what is checked is that an image reaches the model:
the prompt grows by the image's placeholder tokens, two different images give different greedy
answers (the vision tower's output is used), the same image sent two ways gives the same answer,
and a text-only model refuses the same request. The engine is closed after the module.
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import psutil
import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

from langchain_vllm import ChatVLLM
from llama_index_vllm import Vllm
from vllm_native.models import prepare_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_vlm import IMAGE_SEQ_LEN, write_tiny_idefics3  # noqa: E402

pytestmark = pytest.mark.engine

PLACEHOLDER_TOKENS = IMAGE_SEQ_LEN + 3
"""Idefics3's prompt for one untiled image: ``<fake_token_around_image><global-img>``, the
``<image>`` tokens, ``<fake_token_around_image>``."""
ENGINE_ARGS = {
    "max_model_len": 256,
    "limit_mm_per_prompt": {"image": 1},
    "enforce_eager": True,  # a start-up without torch.compile: half the time of this module
}


def png(colour: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(colour: str) -> str:
    return "data:image/png;base64," + base64.b64encode(png(colour)).decode("ascii")


@pytest.fixture(scope="module")
def vlm(tmp_path_factory):
    folder = write_tiny_idefics3(tmp_path_factory.mktemp("tiny-idefics3"), prepare_model("smollm2"))
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    llm = ChatVLLM(model=str(folder), engine_args=ENGINE_ARGS, temperature=0, max_tokens=8)
    llm.invoke("Hi")  # start it, to see its processes
    engine = [  # multiprocessing's resource tracker lives with us, not with the engine
        p
        for p in psutil.Process().children(recursive=True)
        if p.pid not in before and "resource_tracker" not in " ".join(p.cmdline())
    ]
    assert engine, "the engine should run in a child process"
    yield llm
    llm.close()
    _, alive = psutil.wait_procs(engine, timeout=15)
    assert not alive, f"engine processes left behind: {alive}"


def ask(image: dict | None) -> list[HumanMessage]:
    content: list = [{"type": "text", "text": "What is in the picture?"}]
    if image is not None:
        content.append(image)
    return [HumanMessage(content=content)]


def test_images_reach_the_vision_model_through_langchain(vlm, tmp_path):
    red = tmp_path / "red.png"
    red.write_bytes(png("red"))
    text_only = vlm.invoke(ask(None))
    from_file = vlm.invoke(ask({"type": "image_url", "image_url": {"url": str(red)}}))
    v1_block = vlm.invoke(
        ask(
            {
                "type": "image",
                "base64": base64.b64encode(png("red")).decode(),
                "mime_type": "image/png",
            }
        )
    )
    blue = vlm.invoke(ask({"type": "image_url", "image_url": {"url": data_url("blue")}}))
    grown = from_file.usage_metadata["input_tokens"] - text_only.usage_metadata["input_tokens"]
    assert grown == PLACEHOLDER_TOKENS
    assert from_file.content  # random weights, but real tokens
    assert v1_block.content == from_file.content  # the same picture, sent two ways
    assert blue.content != from_file.content  # another picture, another answer
    with pytest.raises(ValueError, match="fetch_remote_images=True"):
        vlm.invoke(ask({"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}))


def test_images_reach_the_vision_model_through_llama_index(vlm):
    llm = Vllm(model=vlm.model, engine_args=ENGINE_ARGS, temperature=0, max_new_tokens=8)
    assert llm.client.engine is vlm._client.engine  # one engine for both frameworks

    def chat(colour: str):
        blocks = [TextBlock(text="What is in the picture?"), ImageBlock(image=png(colour))]
        return llm.chat([ChatMessage(role="user", blocks=blocks)])

    red, blue = chat("red"), chat("blue")
    text_only = vlm.invoke(ask(None))
    grown = red.raw["usage"]["prompt_tokens"] - text_only.usage_metadata["input_tokens"]
    assert grown == PLACEHOLDER_TOKENS
    lc = vlm.invoke(ask({"type": "image_url", "image_url": {"url": data_url("red")}}))
    assert red.message.content == lc.content  # the same picture through either framework
    assert blue.message.content != red.message.content


def test_a_text_only_model_refuses_images():
    llm = ChatVLLM(max_tokens=4)  # the default model, text-only
    with pytest.raises(ValueError, match="text-only"):
        llm.invoke(ask({"type": "image_url", "image_url": {"url": data_url("red")}}))
