"""Fixtures shared by tests/ and benchmarks/: the real pipeline, loaded once, offline.

The models are installed packages; nothing is downloaded, so the Hugging Face libraries are told to
stay offline before anything imports them.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from pathlib import Path

import pytest

from claims.extraction.extract import Extractor

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
REPORTS_DIR = FIXTURES_DIR / "reports"


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    """The real extractor with the real spaCy model, warmed up once for the whole session."""
    ext = Extractor()
    ext.warm_up()
    return ext


@pytest.fixture(scope="session")
def reports_dir() -> Path:
    return REPORTS_DIR


@pytest.fixture(scope="session")
def article_html() -> str:
    """A small invented news page with navigation and footer boilerplate around the article."""
    return (FIXTURES_DIR / "pages" / "bridge-closed.html").read_text(encoding="utf-8")
