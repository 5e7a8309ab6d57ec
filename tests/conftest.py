"""Shared test setup: one real engine per session (shared by configuration), closed at the end."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Property tests run the same examples every time (CI must not turn red by chance); explore new
# ones with `pytest --hypothesis-profile=explore`.
# Generation speed and example timing depend on the machine's load, not on our code: neither may
# fail a run.
settings.register_profile(
    "default",
    derandomize=True,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile("default")

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_collection_modifyitems(config, items):
    """Fast tests first (before the shared engine starts), then real-engine tests, then the
    ones marked ``engine_last`` (they shut the shared engine down)."""

    def order(item):
        return (
            item.get_closest_marker("engine_last") is not None,
            item.get_closest_marker("engine") is not None,
        )

    items.sort(key=order)


@pytest.fixture(scope="session", autouse=True)
def _close_engines_at_exit():
    yield
    from vllm_native.engine import close_all

    close_all()
