"""Test-only fixtures; the shared pipeline fixtures live in the repository's root conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from claims.models import Claim, Span


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
