"""The per-token objects take the fast path with the installed frameworks, and stay correct
(through pydantic's model_construct) when a framework adds a field the adapters do not know."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from llama_index.core.base.llms.types import ChatResponse
from pydantic import BaseModel

from langchain_vllm._output import content_chunk, generation_chunk
from llama_index_vllm.responses import _text_response
from vllm_native.trusted_models import trusted


def refuse(*args, **kwargs):
    raise AssertionError("model_construct used: the adapters' field lists are out of date")


def test_installed_framework_objects_take_the_fast_path(monkeypatch):
    for cls in (AIMessageChunk, ChatGenerationChunk, ChatResponse):
        monkeypatch.setattr(cls, "model_construct", classmethod(refuse))
    chunk = generation_chunk(content_chunk("Hi", message_id="run-1"))
    assert chunk.message.content == "Hi" and chunk.text == "Hi"
    assert _text_response("Hi", "", "Hi", {}, None).delta == "Hi"


class Newer(BaseModel):
    content: str
    added_later: list[str] = []


@pytest.mark.parametrize("known", [{"content": "x"}, {"content": "x", "unknown": 1}])
def test_a_class_with_other_fields_is_built_by_pydantic(known):
    built = trusted(Newer, {"content"}, dict(known))
    assert built == Newer(content="x")
    assert built.added_later == [] and built.model_fields_set == {"content"}
