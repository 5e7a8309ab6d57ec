"""Check every vLLM touch point of ``integrations/`` against a vLLM's Python sources, statically.

Nothing is imported from the checked vLLM (no GPU, no torch needed): its ``.py`` files are parsed.
Checked, from our sources' own syntax trees:

* ``from vllm.x import Name``: the module exists and binds ``Name`` (a definition, an import, a
  submodule, or a lazy module ``__getattr__`` that names it);
* ``Name.attr`` on an imported class: the class or one of its vLLM bases defines ``attr``
  (pydantic/enum/typing bases are asked at run time);
* ``Name(keyword=...)``: the class accepts the keyword (its ``__init__``, or its fields);

plus the attributes we use on vLLM *instances* (listed in :data:`INSTANCE_USES`; each listed
attribute must also still appear in our sources, so the list cannot rot unnoticed), and the
defaults of the request fields whose meaning we depend on (:data:`DEFAULTS`, printed).

Run::

    python scripts/check_vllm_compat.py                      # the installed vLLM
    python scripts/check_vllm_compat.py --download 0.33.0    # pip download --no-deps vllm==0.33.0
    python scripts/check_vllm_compat.py --wheel vllm-0.33.0-cp38-abi3-manylinux_2_28_x86_64.whl
    python scripts/check_vllm_compat.py --source /path/to/vllm-checkout

Exit status 1 when a touch point is missing. Results for the releases in
``vllm_native.vllm_version.SUPPORTED`` are in docs/vllm-versions.md.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "integrations"

INSTANCE_USES: dict[str, tuple[str, ...]] = {
    # engine.py: the AsyncLLM it starts and drives
    "vllm.v1.engine.async_llm.AsyncLLM": (
        "from_engine_args",
        "generate",
        "get_tokenizer",
        "model_config",
        "renderer",
        "get_num_unfinished_requests",
        "shutdown",
        "output_handler",
        "errored",
    ),
    "vllm.config.model.ModelConfig": ("max_model_len", "is_multimodal_model"),
    "vllm.platforms.interface.Platform": ("is_cpu",),
    # engine.py: what generate() yields
    "vllm.outputs.RequestOutput": ("outputs", "finished", "prompt_token_ids"),
    "vllm.outputs.CompletionOutput": ("text", "token_ids", "finish_reason"),
    # formats/vllm_adapter.py: vLLM's tool parsers, driven as its OpenAI server drives them
    "vllm.tool_parsers.abstract_tool_parser.ToolParser": (
        "adjust_request",
        "extract_tool_calls",
        "extract_tool_calls_streaming",
    ),
    "vllm.entrypoints.openai.chat_completion.protocol.ChatCompletionRequest": (
        "skip_special_tokens",
        "tools",
        "model_validate",
    ),
}

DEFAULTS = (
    (
        "vllm.entrypoints.openai.chat_completion.protocol.ChatCompletionRequest",
        "skip_special_tokens",
    ),
)
"""Fields whose default changed meaning across releases (0.33: ``None`` = the server default)."""

_RUNTIME_BASES = {"BaseModel": "pydantic", "Enum": "enum", "IntEnum": "enum", "Struct": "msgspec"}


@dataclass
class Module:
    """One parsed module of the checked vLLM."""

    name: str
    tree: ast.Module
    is_package: bool
    bindings: dict[str, ast.AST] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for node in self.tree.body:
            for name, bound in _bound_names(node):
                self.bindings.setdefault(name, bound)

    def lazy_names(self) -> set[str]:
        """Names a module-level ``__getattr__`` answers (string constants in its body)."""
        getattr_fn = self.bindings.get("__getattr__")
        if not isinstance(getattr_fn, ast.FunctionDef):
            return set()
        names = {n.value for n in ast.walk(getattr_fn) if isinstance(n, ast.Constant)}
        return {n for n in names if isinstance(n, str)}


def _bound_names(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name, node
    elif isinstance(node, ast.Assign):
        for target in node.targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    yield sub.id, node
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        yield node.target.id, node
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            yield (alias.asname or alias.name).split(".")[0], node
    elif isinstance(node, (ast.If, ast.Try)):  # TYPE_CHECKING blocks, optional imports
        for child in [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]:
            yield from _bound_names(child)
        for handler in getattr(node, "handlers", []):
            for child in handler.body:
                yield from _bound_names(child)


class Vllm:
    """The checked vLLM's sources under ``root`` (the folder that holds ``vllm/``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._modules: dict[str, Module | None] = {}

    def version(self) -> str:
        for candidate in ("_version.py", "version.py"):
            path = self.root / "vllm" / candidate
            if path.is_file():
                match = re.search(r"""version\s*[:=][^'"]*['"]([^'"]+)['"]""", path.read_text())
                if match:
                    return match.group(1)
        return "unknown"

    def module(self, name: str) -> Module | None:
        if name not in self._modules:
            base = self.root / Path(*name.split("."))
            path, package = (base / "__init__.py", True) if base.is_dir() else (None, False)
            if path is None and base.with_suffix(".py").is_file():
                path = base.with_suffix(".py")
            self._modules[name] = (
                Module(name, ast.parse(path.read_text(encoding="utf-8")), package) if path else None
            )
        return self._modules[name]

    def resolve(self, module: str, name: str, depth: int = 0) -> tuple[Module, ast.AST] | None:
        """Where ``module.name`` is really defined, following re-exports."""
        mod = self.module(module)
        if mod is None or depth > 8:
            return None
        bound = mod.bindings.get(name)
        if isinstance(bound, ast.ImportFrom):
            source = _absolute(bound, mod)
            alias = next(a for a in bound.names if (a.asname or a.name) == name)
            if source.startswith("vllm"):
                return self.resolve(source, alias.name, depth + 1) or (mod, bound)
        return (mod, bound) if bound is not None else None

    def binds(self, module: str, name: str) -> bool:
        mod = self.module(module)
        if mod is None:
            return False
        return (
            name in mod.bindings
            or name in mod.lazy_names()
            or (mod.is_package and self.module(f"{module}.{name}") is not None)
        )

    def class_members(self, module: str, name: str) -> tuple[set[str], bool]:
        """Attribute names of class ``module.name`` and its bases; True when ``**kwargs`` or an
        unknown base may add more."""
        found = self.resolve(module, name)
        if found is None or not isinstance(found[1], ast.ClassDef):
            return set(), True
        mod, cls = found[0], found[1]
        members: set[str] = set()
        open_ended = False
        for node in cls.body:
            members.update(n for n, _ in _bound_names(node))
        for sub in ast.walk(cls):
            if (
                isinstance(sub, ast.Attribute)
                and isinstance(sub.value, ast.Name)
                and sub.value.id == "self"
                and isinstance(sub.ctx, ast.Store)
            ):
                members.add(sub.attr)
        for base in cls.bases:
            base_name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)
            if base_name is None:
                continue
            if base_name in _RUNTIME_BASES:
                members |= _runtime_members(_RUNTIME_BASES[base_name], base_name)
                continue
            located = self._locate(mod, base_name)
            if located is None:
                open_ended = open_ended or base_name not in {"object", "ABC", "Generic", "Protocol"}
                continue
            base_members, base_open = self.class_members(*located)
            members |= base_members
            open_ended |= base_open
        return members, open_ended

    def init_keywords(self, module: str, name: str) -> tuple[set[str], bool]:
        """Keywords class ``module.name`` accepts; True when it takes ``**kwargs``."""
        found = self.resolve(module, name)
        if found is None or not isinstance(found[1], ast.ClassDef):
            return set(), True
        members, open_ended = self.class_members(module, name)
        for node in found[1].body:
            if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                args = node.args
                named = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
                return named - {"self"}, args.kwarg is not None
        return members, open_ended

    def _locate(self, mod: Module, name: str) -> tuple[str, str] | None:
        bound = mod.bindings.get(name)
        if isinstance(bound, ast.ClassDef):
            return mod.name, name
        if isinstance(bound, ast.ImportFrom):
            source = _absolute(bound, mod)
            if source.startswith("vllm"):
                alias = next(a for a in bound.names if (a.asname or a.name) == name)
                return source, alias.name
        return None


def _absolute(node: ast.ImportFrom, mod: Module) -> str:
    if not node.level:
        return node.module or ""
    parts = mod.name.split(".")
    base = parts if mod.is_package else parts[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _runtime_members(module: str, name: str) -> set[str]:
    if importlib.util.find_spec(module) is None:
        return set()
    return set(dir(getattr(__import__(module), name)))


def touch_points(sources: Path = SOURCES) -> Iterator[tuple[str, str, str | None, str | None, str]]:
    """(module, name, attribute, keyword, where) for every vLLM use in ``sources``."""
    for path in sorted(sources.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported: dict[str, tuple[str, str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "vllm":
                for alias in node.names:
                    imported[alias.asname or alias.name] = (node.module or "", alias.name)
                    where = f"{path.relative_to(sources.parent)}:{node.lineno}"
                    yield node.module or "", alias.name, None, None, where
        for node in ast.walk(tree):
            where = f"{path.relative_to(sources.parent)}:{getattr(node, 'lineno', 0)}"
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported
            ):
                module, name = imported[node.value.id]
                yield module, name, node.attr, None, where
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in imported
            ):
                module, name = imported[node.func.id]
                for keyword in node.keywords:
                    if keyword.arg is not None:
                        yield module, name, None, keyword.arg, where


def check(vllm: Vllm, sources: Path = SOURCES) -> list[str]:
    """Problems found (empty when every touch point exists); prints one line per touch point."""
    problems: list[str] = []
    seen: set[tuple[str, str, str | None, str | None]] = set()
    for module, name, attribute, keyword, where in touch_points(sources):
        key = (module, name, attribute, keyword)
        if key in seen:
            continue
        seen.add(key)
        label = f"{module}.{name}" + (f".{attribute}" if attribute else "")
        label += f"({keyword}=)" if keyword else ""
        if vllm.module(module) is None:
            ok, note = False, "module missing"
        elif not vllm.binds(module, name):
            ok, note = False, "name missing"
        elif attribute is not None:
            members, open_ended = vllm.class_members(module, name)
            ok = attribute in members or (open_ended and not members)
            note = "" if attribute in members else "unverified" if ok else "attribute missing"
        elif keyword is not None:
            accepted, takes_any = vllm.init_keywords(module, name)
            ok, note = keyword in accepted or takes_any, "" if keyword in accepted else "keyword"
        else:
            ok, note = True, ""
        _report(ok, label, note, where, problems)
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources.rglob("*.py"))
    for qualified, attributes in INSTANCE_USES.items():
        module, _, name = qualified.rpartition(".")
        for attribute in attributes:
            if not re.search(rf"\b{re.escape(attribute)}\b", text):
                problems.append(f"INSTANCE_USES lists {qualified}.{attribute}, unused in {sources}")
                continue
            members, _ = vllm.class_members(module, name)
            present = attribute in members
            _report(
                present,
                f"{qualified}.{attribute}",
                "" if present else "missing",
                "instance",
                problems,
            )
    for qualified, attribute in DEFAULTS:
        module, _, name = qualified.rpartition(".")
        found = vllm.resolve(module, name)
        default = "?"
        if found is not None and isinstance(found[1], ast.ClassDef):
            for node in found[1].body:
                if (
                    isinstance(node, ast.AnnAssign)
                    and getattr(node.target, "id", None) == attribute
                ):
                    default = ast.unparse(node)
        print(f"  default  {qualified}: {default}")
    return problems


def _report(ok: bool, label: str, note: str, where: str, problems: list[str]) -> None:
    status = "ok" if ok else "MISSING"
    print(f"  {status:7}  {label}" + (f"  [{note}]" if note else "") + f"  ({where})")
    if not ok:
        problems.append(f"{label}: {note} ({where})")


def unpack_wheel(wheel: Path, into: Path) -> Path:
    """The ``.py`` files of a vLLM wheel, unpacked under ``into``."""
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.startswith("vllm/") and member.endswith(".py"):
                archive.extract(member, into)
    return into


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--source", type=Path, help="a folder that holds vllm/")
    where.add_argument("--wheel", type=Path, help="a vLLM wheel file")
    where.add_argument("--download", metavar="VERSION", help="pip download --no-deps vllm==VERSION")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        if args.source:
            root = args.source
        elif args.wheel:
            root = unpack_wheel(args.wheel, Path(scratch))
        elif args.download:
            folder = Path(scratch) / "wheel"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    f"vllm=={args.download}",
                    "-d",
                    str(folder),
                ],
                check=True,
            )
            root = unpack_wheel(next(folder.glob("vllm-*.whl")), Path(scratch) / "src")
        else:
            spec = importlib.util.find_spec("vllm")  # finds it without importing it
            if spec is None or not spec.submodule_search_locations:
                parser.error("vLLM is not installed; use --download, --wheel or --source")
            root = Path(next(iter(spec.submodule_search_locations))).parent
        vllm = Vllm(root)
        print(f"vLLM {vllm.version()} at {root}")
        problems = check(vllm)
    print(f"{len(problems)} problem(s)" if problems else "every touch point is present")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
