"""Fixtures for the benchmarks: the real pipeline, loaded once, offline."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from pathlib import Path

import pytest
from spacy.language import Language

from claims.extract import Extractor
from claims.nlp import load_spacy

REPORTS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "reports"


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    ext = Extractor()
    ext.warm_up()
    return ext


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The same spaCy pipeline the extractor uses (load_spacy is cached: one object for both)."""
    return load_spacy()


@pytest.fixture(scope="session")
def report_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(REPORTS_DIR.glob("*.txt"))]
    assert texts, f"no reports in {REPORTS_DIR}"
    return texts
