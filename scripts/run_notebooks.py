"""Execute notebooks with nbclient, as Jupyter does (cells inside a running event loop); fail if
any cell raises.

Run: ``python scripts/run_notebooks.py notebooks`` (what ``make test`` does: nothing is written),
``python scripts/run_notebooks.py --write notebooks/05_testing_without_gpu.ipynb`` to store the
outputs in the notebook (``make notebooks`` does it for all).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient


def notebooks(paths: list[str]) -> list[pathlib.Path]:
    found: list[pathlib.Path] = []
    for name in paths:
        path = pathlib.Path(name)
        found.extend(sorted(path.glob("*.ipynb")) if path.is_dir() else [path])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", default=["notebooks"], help="notebooks or folders")
    parser.add_argument("--write", action="store_true", help="store the outputs in the notebooks")
    args = parser.parse_args(argv)
    found = notebooks(args.paths)
    if not found:
        print(f"no notebooks in {args.paths}")
        return 1
    for path in found:
        started = time.perf_counter()
        print(f"==> executing {path}", flush=True)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            timeout=900,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        if args.write:
            nbformat.write(nb, path)
        print(f"    ok in {time.perf_counter() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
