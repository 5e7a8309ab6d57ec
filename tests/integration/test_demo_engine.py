"""``make demo`` on the real engine and the default model: both agents call both tools and
answer from their results, with one finish reason per model turn."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest

from langchain_vllm import ChatVLLM
from llama_index_vllm import Vllm

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import demo  # noqa: E402

pytestmark = pytest.mark.engine

EXPECTED_CALLS = [("get_weather", {"city": "Paris"}), ("calculate", {"expression": "23 * 7"})]


def check(turns: list[demo.Turn]) -> None:
    assert [t.finish_reasons for t in turns] == [["function_call"], ["stop"]]
    assert turns[0].tool_calls == EXPECTED_CALLS
    assert "18 degrees and sunny" in turns[1].text and "161" in turns[1].text


def test_langchain_agent_demo():
    out = io.StringIO()
    check(demo.run_langchain_agent(ChatVLLM(temperature=0, max_tokens=128), out=out))
    assert "tool_call_chunk index=1" in out.getvalue()


def test_llama_index_agent_demo():
    out = io.StringIO()
    llm = Vllm(temperature=0, max_new_tokens=128)
    check(asyncio.run(demo.run_llama_index_agent(llm, out=out)))
    assert "tool result (calculate): 161" in out.getvalue()
