"""End-to-end extraction on the hand-labelled reports in fixtures/reports.

Each `<name>.txt` has a `<name>.json` with the claims a careful annotator marks under
docs/conventions.md. Every expected claim is its own test, so a failure names the exact claim. The
comparison is exact: content span, kind, speaker text and span, cue text and span, claimant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from claims.extraction.extract import Extractor
from claims.models import Claim, ClaimKind, Document, Span

REPORTS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
REPORTS = sorted(p.stem for p in REPORTS_DIR.glob("*.txt"))


@dataclass(frozen=True)
class Report:
    name: str
    text: str
    outlet: str
    published_at: datetime
    claims: list[dict[str, Any]]
    unattributed: list[str]

    def document(self) -> Document:
        return Document(
            id=self.name, text=self.text, outlet=self.outlet, published_at=self.published_at
        )


@cache
def load_report(name: str) -> Report:
    text = (REPORTS_DIR / f"{name}.txt").read_text(encoding="utf-8")
    meta = json.loads((REPORTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return Report(
        name=name,
        text=text,
        outlet=meta["outlet"],
        published_at=datetime.fromisoformat(meta["published_at"]),
        claims=meta["claims"],
        unattributed=meta["unattributed"],
    )


def _expected_claim_params() -> Iterator[Any]:
    for name in REPORTS:
        for i, expected in enumerate(load_report(name).claims):
            label = re.sub(r"\W+", "-", expected["content"][:32].strip('“”"')).strip("-")
            yield pytest.param(name, i, id=f"{name}-{i}-{label}")


def nth_occurrence(text: str, needle: str, n: int) -> int:
    """Start of the n-th (0-based) occurrence of `needle` in `text`, or -1."""
    pos = -1
    for _ in range(n + 1):
        pos = text.find(needle, pos + 1)
        if pos == -1:
            return -1
    return pos


def nearest_occurrence(text: str, needle: str, start: int, end: int) -> int:
    """Start of the whole-word occurrence of `needle` closest to the content range [start, end).

    Only the paragraph(s) the content touches are searched (speaker and cue share the content's
    paragraph in news copy), so "X said on social media that …" is not matched to the "said" of the
    next paragraph, which can be nearer in characters. -1 when there is none.
    """
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end == -1 else para_end
    pattern = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)")
    best, best_distance = -1, len(text) + 1
    for m in pattern.finditer(text, para_start, para_end):
        if m.end() <= start:
            distance = start - m.end()
        elif m.start() >= end:
            distance = m.start() - end
        else:
            distance = 0
        if distance < best_distance:
            best, best_distance = m.start(), distance
    return best


def describe(claims: list[Claim]) -> str:
    def short(span: Span | None) -> str:
        return "None" if span is None else f"{span.text!r}@{span.start}"

    rows = [
        f"  ({c.kind.value}, speaker={short(c.speaker)}, cue={short(c.cue)}, "
        f"content={c.content.text[:60]!r}@{c.content.start}:{c.content.end}, "
        f"claimant={c.claimant.name!r} anonymous={c.claimant.anonymous})"
        for c in claims
    ]
    return "extracted claims:\n" + "\n".join(rows)


@pytest.fixture(scope="module")
def extracted(extractor: Extractor) -> Callable[[str], list[Claim]]:
    """`extracted(name)`: the claims the extractor finds in a report, computed once per report."""
    results: dict[str, list[Claim]] = {}

    def get(name: str) -> list[Claim]:
        if name not in results:
            results[name] = extractor.run(load_report(name).document())
        return results[name]

    return get


def test_extract_fixtures_are_consistent() -> None:
    """The fixtures themselves: every labelled string occurs in its report."""
    assert REPORTS, f"no reports in {REPORTS_DIR}"
    for name in REPORTS:
        report = load_report(name)
        for expected in report.claims:
            assert nth_occurrence(report.text, expected["content"], expected["occurrence"]) >= 0
            assert expected["speaker"] in report.text
            assert expected["cue"] in report.text
            assert expected["kind"] in {k.value for k in ClaimKind}
        for sentence in report.unattributed:
            assert sentence in report.text


@pytest.mark.parametrize(("report_name", "index"), list(_expected_claim_params()))
def test_extract_fixtures_expected_claim(
    extracted: Callable[[str], list[Claim]], report_name: str, index: int
) -> None:
    report = load_report(report_name)
    expected = report.claims[index]
    text = report.text
    claims = extracted(report_name)
    listing = describe(claims)

    start = nth_occurrence(text, expected["content"], expected["occurrence"])
    assert start >= 0, f"fixture content not found in {report_name}.txt"
    end = start + len(expected["content"])
    matches = [c for c in claims if (c.content.start, c.content.end) == (start, end)]
    assert matches, (
        f"no claim with content span {start}:{end} {expected['content'][:60]!r}\n{listing}"
    )
    assert len(matches) == 1, f"{len(matches)} claims share content span {start}:{end}\n{listing}"
    claim = matches[0]

    def where(span: Span | None) -> tuple[str, int] | None:
        return None if span is None else (span.text, span.start)

    speaker_start = nearest_occurrence(text, expected["speaker"], start, end)
    cue_start = nearest_occurrence(text, expected["cue"], start, end)
    want = {
        "kind": expected["kind"],
        "speaker": (expected["speaker"], speaker_start),
        "cue": (expected["cue"], cue_start),
        "claimant.name": expected["claimant"],
        "claimant.anonymous": expected["anonymous"],
    }
    got = {
        "kind": claim.kind.value,
        "speaker": where(claim.speaker),
        "cue": where(claim.cue),
        "claimant.name": claim.claimant.name,
        "claimant.anonymous": claim.claimant.anonymous,
    }
    wrong = {k: f"expected {want[k]!r}, got {got[k]!r}" for k in want if want[k] != got[k]}
    assert not wrong, (
        f"claim {expected['content'][:60]!r}: "
        + "; ".join(f"{k} {v}" for k, v in wrong.items())
        + f"\n{describe([claim])}"
    )


@pytest.mark.parametrize("report_name", REPORTS)
def test_extract_fixtures_unattributed_sentences(
    extracted: Callable[[str], list[Claim]], report_name: str
) -> None:
    report = load_report(report_name)
    claims = extracted(report_name)
    unattributed = {c.content.text: c for c in claims if c.kind is ClaimKind.UNATTRIBUTED}
    missing = [s for s in report.unattributed if s not in unattributed]
    assert not missing, f"unattributed sentences not extracted: {missing}\n{describe(claims)}"
    wrong_claimant = {
        s: unattributed[s].claimant.name
        for s in report.unattributed
        if unattributed[s].claimant.name != report.outlet
    }
    assert not wrong_claimant, f"claimant should be the outlet {report.outlet!r}: {wrong_claimant}"


@pytest.mark.parametrize("report_name", REPORTS)
def test_extract_fixtures_spans_consistent(
    extracted: Callable[[str], list[Claim]],
    claim_spans: Callable[[Claim], Iterator[tuple[str, Span]]],
    report_name: str,
) -> None:
    text = load_report(report_name).text
    claims = extracted(report_name)
    seen: dict[tuple[int, int], Claim] = {}
    for claim in claims:
        key = (claim.content.start, claim.content.end)
        assert key not in seen, (
            f"two claims share content span {key}:\n{describe([seen[key], claim])}"
        )
        seen[key] = claim
        for label, span in claim_spans(claim):
            assert 0 <= span.start <= span.end <= len(text), f"{label} out of bounds: {span}"
            assert span.text == text[span.start : span.end], f"{label} text mismatch: {span}"
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids)), "claim ids are not unique"
    assert all(c.document_id == report_name for c in claims)


@pytest.mark.parametrize("report_name", REPORTS)
def test_extract_fixtures_no_unexpected_claims(
    extracted: Callable[[str], list[Claim]], report_name: str
) -> None:
    """The labels are exhaustive: every extracted claim's content is a labelled content span."""
    report = load_report(report_name)
    labelled = {
        (start, start + len(e["content"]))
        for e in report.claims
        if (start := nth_occurrence(report.text, e["content"], e["occurrence"])) >= 0
    }
    labelled |= {
        (start, start + len(s)) for s in report.unattributed if (start := report.text.find(s)) >= 0
    }
    claims = extracted(report_name)
    unexpected = [c for c in claims if (c.content.start, c.content.end) not in labelled]
    assert not unexpected, f"claims not in the labels:\n{describe(unexpected)}"
