"""Shared fixtures: the real extraction pipeline, loaded once per test session.

The models are installed packages; nothing is downloaded, so the Hugging Face libraries are told to
stay offline before anything imports them.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from claims.extract import Extractor
from claims.models import Claim, Span

REPORTS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "reports"


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    """The real extractor with the real spaCy model, warmed up once for the whole session."""
    ext = Extractor()
    ext.warm_up()
    return ext


@pytest.fixture(scope="session")
def reports_dir() -> Path:
    return REPORTS_DIR


def _claim_spans(claim: Claim) -> Iterator[tuple[str, Span]]:
    """Every span a claim carries, labelled by where it sits, for span-consistency checks."""
    if claim.speaker is not None:
        yield "speaker", claim.speaker
    if claim.cue is not None:
        yield "cue", claim.cue
    yield "content", claim.content
    if claim.claimant.mention is not None:
        yield "claimant.mention", claim.claimant.mention
    for i, q in enumerate(claim.quantities):
        yield f"quantities[{i}]", q.span
    for i, t in enumerate(claim.times):
        yield f"times[{i}]", t.span
    for i, p in enumerate(claim.places):
        yield f"places[{i}]", p.span
    for i, a in enumerate(claim.actors):
        yield f"actors[{i}]", a.span


@pytest.fixture(scope="session")
def claim_spans() -> Callable[[Claim], Iterator[tuple[str, Span]]]:
    """`claim_spans(claim)` yields `(label, span)` for every span of a claim."""
    return _claim_spans
