"""``smollm2-tools``: the shipped LoRA adapter and its merge into the prepared base model, with a
tiny fake base (no GGUF is dequantized, no model runs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load, load_file, save, save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from vllm_native import models as vm

Q = "model.layers.0.self_attn.q_proj.weight"
V = "model.layers.0.self_attn.v_proj.weight"
PEFT = "base_model.model."
RNG = np.random.default_rng(0)
BASE_WEIGHTS = {
    Q: RNG.standard_normal((6, 4)).astype(np.float32),
    V: RNG.standard_normal((2, 4)).astype(np.float32),
    "model.norm.weight": np.ones(4, np.float32),
}


def lora_pair(module: str, out: int, inp: int, rank: int = 2) -> dict[str, np.ndarray]:
    return {
        f"{PEFT}{module}.lora_A.weight": RNG.standard_normal((rank, inp)).astype(np.float16),
        f"{PEFT}{module}.lora_B.weight": RNG.standard_normal((out, rank)).astype(np.float16),
    }


ADAPTER = lora_pair("model.layers.0.self_attn.q_proj", 6, 4)
CONFIG = {"peft_type": "LORA", "r": 2, "lora_alpha": 8, "bias": "none", "use_dora": False}


def expected_q(adapter=ADAPTER, scale=4.0) -> np.ndarray:
    a = adapter[f"{PEFT}model.layers.0.self_attn.q_proj.lora_A.weight"].astype(np.float32)
    b = adapter[f"{PEFT}model.layers.0.self_attn.q_proj.lora_B.weight"].astype(np.float32)
    return BASE_WEIGHTS[Q] + scale * (b @ a)


# ----------------------------------------------------------------------------------------------
# The merge itself
# ----------------------------------------------------------------------------------------------


def test_merge_adds_scaled_b_times_a_to_the_targeted_weight_only():
    weights = {k: v.copy() for k, v in BASE_WEIGHTS.items()}
    assert vm.merge_lora(weights, ADAPTER, 4.0) == 1
    np.testing.assert_allclose(weights[Q], expected_q(), rtol=1e-6)
    assert weights[Q].dtype == np.float32
    np.testing.assert_array_equal(weights[V], BASE_WEIGHTS[V])


@pytest.mark.parametrize(
    ("adapter", "message"),
    [
        (lora_pair("model.layers.9.self_attn.q_proj", 6, 4), "does not fit this model"),
        (lora_pair("model.layers.0.self_attn.q_proj", 5, 4), "do not fit"),
        ({**ADAPTER, f"{PEFT}lm_head.weight": np.ones((2, 2))}, "unexpected tensor"),
        ({}, "no lora_A/lora_B pairs"),
    ],
)
def test_an_adapter_that_does_not_fit_is_refused(adapter, message):
    weights = {k: v.copy() for k, v in BASE_WEIGHTS.items()}
    with pytest.raises(vm.ModelPrepareError, match=message):
        vm.merge_lora(weights, adapter, 1.0)


def test_lora_scale_follows_peft_and_refuses_what_a_plain_merge_cannot_express():
    assert vm.lora_scale(CONFIG) == 4.0
    assert vm.lora_scale({**CONFIG, "r": 4, "lora_alpha": 8, "use_rslora": True}) == 4.0
    for extra in ({"use_dora": True}, {"bias": "all"}, {"modules_to_save": ["lm_head"]}):
        with pytest.raises(vm.ModelPrepareError, match="cannot merge"):
            vm.lora_scale({**CONFIG, **extra})


# ----------------------------------------------------------------------------------------------
# prepare_model("smollm2-tools") on a fake base
# ----------------------------------------------------------------------------------------------


class FakeModel:
    def save_pretrained(self, folder: Path) -> None:
        config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}
        (Path(folder) / "config.json").write_text(json.dumps(config))
        save_file(BASE_WEIGHTS, str(Path(folder) / "model.safetensors"))


def byte_level_tokenizer() -> PreTrainedTokenizerFast:
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tok = Tokenizer(models.BPE(vocab={ch: i for i, ch in enumerate(alphabet)}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>"
    )


@pytest.fixture
def fake_base(tmp_path, monkeypatch):
    """Cache in tmp_path, a fake GGUF base, and a fake adapter; counts dequantizations/merges."""
    monkeypatch.setenv("VLLM_NATIVE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(vm, "locate_gguf", lambda name="smollm2": tmp_path / "model.gguf")
    state = {"loads": 0, "merges": 0, "adapter": (save(ADAPTER), json.dumps(CONFIG).encode())}

    def load(path: Path):
        state["loads"] += 1
        source = tmp_path / f"tokenizer-{state['loads']}"
        byte_level_tokenizer().save_pretrained(source)
        return FakeModel(), AutoTokenizer.from_pretrained(source, local_files_only=True)

    real_merge = vm._merge_folder

    def merge(*args):
        state["merges"] += 1
        return real_merge(*args)

    monkeypatch.setattr(vm, "_load_gguf", load)
    monkeypatch.setattr(vm, "_merge_folder", merge)
    monkeypatch.setattr(vm, "adapter_files", lambda adapter: state["adapter"])
    return state


def test_prepare_merges_the_adapter_into_the_prepared_base(fake_base):
    folder = vm.prepare_model("smollm2-tools", progress=False)
    assert folder == vm.model_path("smollm2-tools") != vm.model_path("smollm2")
    weights = load_file(str(folder / "model.safetensors"))
    np.testing.assert_allclose(weights[Q], expected_q(), rtol=1e-6)
    np.testing.assert_array_equal(weights[V], BASE_WEIGHTS[V])
    base = load_file(str(vm.model_path("smollm2") / "model.safetensors"))
    np.testing.assert_array_equal(base[Q], BASE_WEIGHTS[Q])  # the base is left as it was
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    assert tokenizer.chat_template == vm.chat_template("smollm2-tools")
    manifest = json.loads((folder / vm.MANIFEST).read_text())
    assert manifest["source"].endswith("vllm_native/adapters/smollm2_tools")
    assert set(manifest["recipe"]["adapter_sha256"]) == {
        "adapter_model.safetensors",
        "adapter_config.json",
    }
    assert (fake_base["loads"], fake_base["merges"]) == (1, 1)


def test_prepare_is_idempotent_and_rebuilds_when_the_adapter_changes(fake_base):
    folder = vm.prepare_model("smollm2-tools", progress=False)
    assert vm.prepare_model("smollm2-tools", progress=False) == folder
    assert vm.resolve_model("smollm2-tools") == str(folder)
    assert (fake_base["loads"], fake_base["merges"]) == (1, 1)

    retrained = lora_pair("model.layers.0.self_attn.q_proj", 6, 4)
    fake_base["adapter"] = (save(retrained), json.dumps(CONFIG).encode())
    vm.prepare_model("smollm2-tools", progress=False)
    weights = load_file(str(folder / "model.safetensors"))
    np.testing.assert_allclose(weights[Q], expected_q(retrained), rtol=1e-6)
    assert (fake_base["loads"], fake_base["merges"]) == (1, 2)  # the base was reused


def test_a_corrupt_merged_folder_is_rebuilt(fake_base):
    folder = vm.prepare_model("smollm2-tools", progress=False)
    (folder / "model.safetensors").write_bytes(b"broken")
    vm.prepare_model("smollm2-tools", progress=False)
    np.testing.assert_allclose(
        load_file(str(folder / "model.safetensors"))[Q], expected_q(), rtol=1e-6
    )
    assert fake_base["merges"] == 2


# ----------------------------------------------------------------------------------------------
# The committed adapter
# ----------------------------------------------------------------------------------------------

SMOLLM2_135M = {  # (out, in) of each targeted projection: hidden 576, MLP 1536, 3 KV heads of 64
    "self_attn.q_proj": (576, 576),
    "self_attn.k_proj": (192, 576),
    "self_attn.v_proj": (192, 576),
    "self_attn.o_proj": (576, 576),
    "mlp.gate_proj": (1536, 576),
    "mlp.up_proj": (1536, 576),
    "mlp.down_proj": (576, 1536),
}


def test_the_shipped_adapter_fits_smollm2_135m_and_merges():
    weights_bytes, config_bytes = vm.adapter_files("smollm2_tools")
    assert len(weights_bytes) <= 20_000_000
    config = json.loads(config_bytes)
    scale = vm.lora_scale(config)
    assert scale == config["lora_alpha"] / config["r"]
    base = {
        f"model.layers.{layer}.{module}.weight": np.zeros(shape, np.float32)
        for layer in range(30)
        for module, shape in SMOLLM2_135M.items()
    }
    adapter = load(weights_bytes)
    assert vm.merge_lora(base, adapter, scale) == 30 * len(SMOLLM2_135M)
    assert all(np.isfinite(w).all() and np.abs(w).max() > 0 for w in base.values())
