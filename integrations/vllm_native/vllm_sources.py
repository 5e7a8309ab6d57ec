"""Facts about the installed vLLM read from its Python sources, without importing it.

Importing vLLM takes seconds (thousands of modules); constructing a model object must stay
instant, yet its checks need three of vLLM's lists: the engine-argument names
(``AsyncEngineArgs``' fields), the ``SamplingParams`` fields and the architectures vLLM runs as
multimodal (``_MULTIMODAL_MODELS`` in its model registry). They are read from the syntax trees of
the installed files, once. Without vLLM installed every list is empty, so nothing is refused on
its account (vLLM itself checks again when the engine starts).

Example:
    >>> "tensor_parallel_size" in engine_arg_names(), "repetition_penalty" in sampling_param_names()
    (True, True)
    >>> "LlavaForConditionalGeneration" in multimodal_architectures()
    True
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path


def vllm_root() -> Path | None:
    """The installed ``vllm`` package folder (found, not imported), or None."""
    spec = importlib.util.find_spec("vllm")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def engine_arg_names(root: Path | None = None) -> frozenset[str]:
    """The keyword arguments ``AsyncEngineArgs`` takes (``engine_args`` keys)."""
    tree = _parse(root, "engine/arg_utils.py")
    return _fields(tree, "EngineArgs") | _fields(tree, "AsyncEngineArgs")


@cache
def sampling_param_names(root: Path | None = None) -> frozenset[str]:
    """The public fields of ``vllm.SamplingParams``."""
    return _fields(_parse(root, "sampling_params.py"), "SamplingParams")


@cache
def multimodal_architectures(root: Path | None = None) -> frozenset[str]:
    """The ``config.json`` architectures vLLM runs as multimodal models."""
    tree = _parse(root, "model_executor/models/registry.py")
    for node in tree.body if tree is not None else []:
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Dict):
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "_MULTIMODAL_MODELS":
            return frozenset(
                k.value
                for k in node.value.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            )
    return frozenset()


def _parse(root: Path | None, relative: str) -> ast.Module | None:
    folder = root if root is not None else vllm_root()
    path = folder / relative if folder is not None else None
    if path is None or not path.is_file():
        return None
    return ast.parse(path.read_text(encoding="utf-8"))


def _fields(tree: ast.Module | None, class_name: str) -> frozenset[str]:
    """The annotated, public class-level names of ``class_name`` (dataclass/msgspec fields)."""
    for node in tree.body if tree is not None else []:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return frozenset(
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and not item.target.id.startswith("_")
                and not _is_classvar(item.annotation)
            )
    return frozenset()


def _is_classvar(annotation: ast.expr) -> bool:
    text = ast.unparse(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))
