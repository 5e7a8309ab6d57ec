"""Model-family detection on real material: every template of the corpus (tests/data/templates),
the config.json excerpts of its manifest, and vLLM's mistral_common tokenizer built from the
tokenizer files mistral_common itself ships.

What a user sees: ``ChatClient`` with ``tool_parser``/``reasoning_parser`` left to detection
picks the family's format and reasoning, says once when it cannot tell, and reads the local
``config.json`` of the model directory.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
from format_helpers import WEATHER as WEATHER_TOOL
from template_corpus import corpus_entries, manifest

from vllm_native.chat import ChatClient
from vllm_native.formats import detect_family, detect_format, read_model_config
from vllm_native.testing import ScriptedEngine
from vllm_native.types import ChatRequest

WEATHER = [WEATHER_TOOL]
ASK = [{"role": "user", "content": "Weather in Paris?"}]


@pytest.mark.parametrize("entry", corpus_entries(), ids=lambda e: e.id)
def test_template_alone_gives_the_family(entry):
    found = detect_family(entry.text)
    assert (found.tool_parser, found.reasoning) == (entry.tool_parser, entry.reasoning)
    assert found.source == "chat template"


@pytest.mark.parametrize("entry", corpus_entries(), ids=lambda e: e.id)
def test_detect_format_keeps_working_for_existing_callers(entry):
    assert detect_format(entry.text) == entry.tool_parser


CONFIGS = manifest()["configs"]


@pytest.mark.parametrize("item", CONFIGS, ids=lambda c: c["model"])
def test_config_alone(item):
    found = detect_family(None, config=item["config"])
    assert found.tool_parser == item["expected"]["tool_parser"]
    assert found.reasoning == item["expected"]["reasoning"]


def test_a_config_never_overrides_what_the_template_says():
    qwen3 = next(e for e in corpus_entries() if e.family == "qwen3")
    found = detect_family(qwen3.text, config={"model_type": "gpt_oss"})
    assert found.tool_parser == "hermes" and found.source == "chat template"


def test_llama_3_2_is_not_hermes():
    """The official Llama 3.2 template has no <|python_tag|>: its instructions decide."""
    entry = next(e for e in corpus_entries() if "Llama-3.2-3B" in e.file)
    assert "<|python_tag|>" not in entry.text
    assert detect_family(entry.text).tool_parser == "llama3_json"


def test_a_close_think_only_template_starts_in_reasoning():
    entry = next(
        e for e in corpus_entries() if e.file == "vllm/tool_chat_template_deepseekr1.jinja"
    )
    assert "<think>" not in entry.text and "</think>" in entry.text
    assert detect_family(entry.text).reasoning == "starts_in_reasoning"


# -- the client: detection on the engine it runs on -------------------------------------------


def _model_dir(tmp_path: Path, config: dict[str, Any]) -> str:
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return str(tmp_path)


def test_read_model_config_reads_a_local_directory_only(tmp_path):
    folder = _model_dir(tmp_path, {"model_type": "seed_oss"})
    assert read_model_config(folder) == {"model_type": "seed_oss"}
    assert read_model_config(str(tmp_path / "missing")) is None
    assert read_model_config("ByteDance-Seed/Seed-OSS-36B-Instruct") is None  # a hub id


def test_client_detects_from_the_local_config(tmp_path):
    folder = _model_dir(tmp_path, {"model_type": "gpt_oss", "architectures": ["GptOssForCausalLM"]})
    client = ChatClient(engine=ScriptedEngine([], model_name=folder))
    assert client.detection().tool_parser == "openai"
    assert client.detection().source == "config.json"


def test_detection_runs_once_per_client(monkeypatch):
    import vllm_native.chat as chat

    calls = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return detect_family(*args, **kwargs)

    monkeypatch.setattr(chat, "detect_family", counting)
    entry = next(e for e in corpus_entries() if e.family == "llama3")
    client = ChatClient(engine=ScriptedEngine(["Sunny."] * 3, chat_template=entry.text))
    for _ in range(3):
        client.chat(ChatRequest(ASK, tools=WEATHER))
    assert len(calls) == 1


def test_llama_call_is_a_call_with_the_official_template():
    entry = next(e for e in corpus_entries() if "Llama-3.2-3B" in e.file)
    call = '{"name": "get_weather", "parameters": {"city": "Paris"}}'
    client = ChatClient(engine=ScriptedEngine([call], chat_template=entry.text, seed=3))
    message = client.chat(ChatRequest(ASK, tools=WEATHER))
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert message.content == ""


def test_deepseek_r1_thought_stays_out_of_content():
    entry = next(
        e for e in corpus_entries() if e.file == "vllm/tool_chat_template_deepseekr1.jinja"
    )
    engine = ScriptedEngine(["Paris is in France.</think>\n\nParis."], chat_template=entry.text)
    message = ChatClient(engine=engine).chat(ChatRequest(ASK))
    assert (message.reasoning, message.content) == ("Paris is in France.", "Paris.")


def test_undetectable_with_tools_warns_once_naming_tool_parser():
    engine = ScriptedEngine(["Sunny."] * 3, chat_template="{{ messages }}")
    client = ChatClient(engine=engine)
    with pytest.warns(UserWarning, match="tool_parser=") as caught:
        client.chat(ChatRequest(ASK, tools=WEATHER))
        client.chat(ChatRequest(ASK, tools=WEATHER))
    assert len([w for w in caught if "tool_parser=" in str(w.message)]) == 1


@pytest.mark.parametrize("tool_parser", [None, "hermes"])
def test_no_warning_without_tools_or_with_an_explicit_parser(tool_parser):
    engine = ScriptedEngine(["Sunny."], chat_template="{{ messages }}")
    client = ChatClient(engine=engine, tool_parser=tool_parser)
    tools = WEATHER if tool_parser else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client.chat(ChatRequest(ASK, tools=tools)).content == "Sunny."


# -- mistral_common: no chat template at all ---------------------------------------------------


def _mistral_tokenizer(tmp_path: Path, shipped: str, name: str) -> Any:
    import mistral_common
    from vllm.tokenizers.mistral import MistralTokenizer

    data = Path(mistral_common.__file__).parent / "data" / shipped
    shutil.copyfile(data, tmp_path / name)
    return MistralTokenizer.from_pretrained(str(tmp_path))


@pytest.mark.parametrize(
    ("shipped", "name"),
    [
        ("tekken_240911.json", "tekken.json"),  # Mistral Nemo / Pixtral (tekken)
        ("mistral_instruct_tokenizer_240323.model.v3", "tokenizer.model.v3"),  # 7B v0.3
    ],
)
def test_mistral_common_tokenizer_is_mistral(tmp_path, shipped, name):
    tokenizer = _mistral_tokenizer(tmp_path, shipped, name)
    assert getattr(tokenizer, "chat_template", None) is None
    found = detect_family(None, tokenizer=tokenizer)
    assert (found.tool_parser, found.reasoning) == ("mistral", "none")
    assert "[TOOL_CALLS]" in tokenizer.all_special_tokens
