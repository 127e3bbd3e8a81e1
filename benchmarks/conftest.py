"""Benchmark fixtures; the extractor and reports_dir come from the root conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from claims.extraction.nlp import load_spacy


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The same spaCy pipeline the extractor uses (load_spacy is cached: one object for both)."""
    return load_spacy()


@pytest.fixture(scope="session")
def report_texts(reports_dir: Path) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(reports_dir.glob("*.txt"))]
    assert texts, f"no reports in {reports_dir}"
    return texts
