"""The real-template corpus under ``tests/data/templates`` (see its ``MANIFEST.json``).

Example:
    >>> entries = corpus_entries()
    >>> len(entries) > 40 and all(e.text for e in entries)
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CORPUS_DIR = Path(__file__).parent.parent / "data" / "templates"


@dataclass(frozen=True)
class CorpusEntry:
    """One real template: its family, file, source and what detection must find for it."""

    family: str
    file: str
    model: str
    source: str
    tool_parser: str
    reasoning: str
    notes: str
    sha256: str

    @property
    def text(self) -> str:
        return (CORPUS_DIR / self.file).read_text(encoding="utf-8")

    @property
    def id(self) -> str:
        return self.file.replace("/", ":")


@cache
def manifest() -> dict:
    return json.loads((CORPUS_DIR / "MANIFEST.json").read_text(encoding="utf-8"))


@cache
def corpus_entries() -> tuple[CorpusEntry, ...]:
    return tuple(
        CorpusEntry(
            family=e["family"],
            file=e["file"],
            model=e["model"],
            source=e["source"],
            tool_parser=e["expected"]["tool_parser"],
            reasoning=e["expected"]["reasoning"],
            notes=e["notes"],
            sha256=e["sha256"],
        )
        for e in manifest()["templates"]
    )
