"""``make demo``'s agent transcripts, on a scripted engine: what is printed and what is counted."""

from __future__ import annotations

import asyncio
import doctest
import io
import json
import re
import sys
from pathlib import Path

from langchain_vllm import ChatVLLM
from llama_index_vllm import Vllm
from vllm_native.testing import ScriptedEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import demo  # noqa: E402


def call(name: str, **arguments: str) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


BOTH_CALLS = call("get_weather", city="Paris") + call("calculate", expression="23 * 7")
ANSWER = "It is 18 degrees and sunny in Paris, and 23 * 7 = 161."


def test_the_docstring_examples_run():
    result = doctest.testmod(demo)
    assert result.attempted >= 2 and result.failed == 0


def test_tools_answer_from_the_table_and_compute():
    assert demo.get_weather(" paris ") == "18 degrees and sunny"
    assert demo.get_weather("Atlantis") == "no weather data for Atlantis"
    assert demo.calculate("23 * 7") == "161"
    assert demo.calculate("7 / 2") == "3.5"


def test_langchain_transcript_streams_chunks_results_and_one_finish_reason_per_turn():
    engine = ScriptedEngine([BOTH_CALLS, ANSWER], chunks=4)
    out = io.StringIO()
    turns = demo.run_langchain_agent(ChatVLLM(engine=engine, tool_parser="hermes"), out=out)
    text = out.getvalue()

    assert [t.finish_reasons for t in turns] == [["function_call"], ["stop"]]
    assert turns[0].tool_calls == [
        ("get_weather", {"city": "Paris"}),
        ("calculate", {"expression": "23 * 7"}),
    ]
    assert turns[1].text == ANSWER
    chunks = re.findall(r"tool_call_chunk index=(\d)( id=\S+ name=(\S+))? args='(.*)'", text)
    for index, name in (("0", "get_weather"), ("1", "calculate")):
        mine = [c for c in chunks if c[0] == index]
        assert len(mine) > 1  # streamed in fragments
        assert [c[2] for c in mine] == [name] + [""] * (len(mine) - 1)  # name on the first only
    assert "".join(c[3] for c in chunks if c[0] == "1") == '{"expression": "23 * 7"}'
    assert "tool result (get_weather): 18 degrees and sunny" in text
    assert "tool result (calculate): 161" in text
    assert text.count("finish_reason:") == 2
    assert text.rstrip().endswith(f"answer: {ANSWER}")


def test_llama_index_transcript_runs_both_tools_and_reports_each_turns_finish_reason():
    engine = ScriptedEngine([BOTH_CALLS, ANSWER], chunks=4)
    out = io.StringIO()
    llm = Vllm(engine=engine, tool_parser="hermes")
    turns = asyncio.run(demo.run_llama_index_agent(llm, out=out))
    text = out.getvalue()

    assert [t.finish_reasons for t in turns] == [["function_call"], ["stop"]]
    assert turns[0].tool_calls == [
        ("get_weather", {"city": "Paris"}),
        ("calculate", {"expression": "23 * 7"}),
    ]
    assert "tool calls so far: get_weather({'city': 'Paris'})" in text
    assert "tool result (calculate): 161" in text
    assert text.rstrip().endswith(f"answer: {ANSWER}")


def test_a_turn_cut_by_max_tokens_says_length():
    engine = ScriptedEngine([("The answer is lo", "length")])
    turns = demo.run_langchain_agent(ChatVLLM(engine=engine), "Hi", out=io.StringIO())
    assert [t.finish_reasons for t in turns] == [["length"]]
