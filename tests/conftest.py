"""Test-only fixtures; the shared pipeline fixtures live in the repository's root conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

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


@pytest.fixture
def checkthat_dir(tmp_path: Path) -> Path:
    """A CheckThat! 2020 Task 2 folder in miniature (written here): two claims, two dev tweets."""
    root = tmp_path / "checkthat"
    (root / "dev").mkdir(parents=True)
    (root / "verified_claims.tsv").write_text(
        "\tvclaim\ttitle\n0\tThe mayor took bribes.\tDid the mayor take bribes?\n"
        '1\tThe bridge "collapsed" in May.\tBridge collapse\n',
        encoding="utf-8",
    )
    (root / "dev" / "tweets.queries.tsv").write_text(
        '\ttweet_content\nt1\t"So the bridge ""collapsed"" — in May!"\nt2\tMayor bribes?\n',
        encoding="utf-8",
    )
    (root / "dev" / "tweet-vclaim-pairs.qrels").write_text(
        "t1\t0\t1\t1\nt2\t0\t0\t1\n", encoding="utf-8"
    )
    return root
