"""The template corpus is what its manifest says: every file listed, unmodified, nothing extra."""

from __future__ import annotations

import hashlib

import pytest
from template_corpus import CORPUS_DIR, corpus_entries, manifest


@pytest.mark.parametrize("entry", corpus_entries(), ids=lambda e: e.id)
def test_file_is_the_recorded_one(entry):
    data = (CORPUS_DIR / entry.file).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry.sha256
    assert entry.source and entry.model and entry.family


def test_every_template_file_is_in_the_manifest():
    on_disk = {p.relative_to(CORPUS_DIR).as_posix() for p in CORPUS_DIR.rglob("*.jinja")}
    assert on_disk == {e.file for e in corpus_entries()}


def test_missing_templates_are_recorded_with_a_reason():
    for item in manifest()["not_found"]:
        assert item["family"] and item["why"]
