"""The notebooks as a reader finds them: valid, every code cell run with its output stored, no
cell that failed; and every notebook on the real engine proves that re-running cells starts no
second engine. ``make test`` re-executes them all (scripts/run_notebooks.py)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_the_five_walkthroughs_are_there():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_ran_in_order_and_none_failed(path: Path):
    cells = code_cells(path)
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), "run it with `make notebooks`"
    errors = [o for cell in cells for o in cell.outputs if o.output_type == "error"]
    assert not errors
    printed = [o for cell in cells for o in cell.outputs if o.get("name") == "stdout"]
    assert len(printed) >= len(cells) // 2  # what the markdown explains is there to read


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_real_engine_notebooks_check_that_one_engine_serves_them(path: Path):
    source = "\n".join(cell.source for cell in code_cells(path))
    if "ScriptedEngine" in source:
        return  # no vLLM engine at all
    (check,) = [c for c in code_cells(path) if "shared_engines()" in c.source]
    assert "assert len(engines) == 1" in check.source
    printed = "".join(o.get("text", "") for o in check.outputs if o.get("name") == "stdout")
    assert "1 engine, started: True" in printed.splitlines()
