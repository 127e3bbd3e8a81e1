"""`Comparer` and `claims eval cases` on the project's own invented cases (fixtures/cases):
frames meet across reports as slots, a source's revision is an update, the fact sheet is built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from claims.cli import app
from claims.comparison.compare import Comparer
from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor
from claims.extraction.ingest import read_jsonl_documents
from claims.models import Comparison, Incident, RelationType

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
BORDER = CASES / "kuruzan-border-clash" / "documents.jsonl"


@pytest.fixture(scope="module")
def border(extractor: Extractor) -> Comparison:
    comparer = Comparer(extractor=extractor, embedder=SentenceTransformerEmbedder(threads=1))
    return comparer.run(read_jsonl_documents(str(BORDER)))


def main_incident(comparison: Comparison) -> Incident:
    return max(comparison.incidents, key=lambda i: len(i.document_ids))


def test_compare_cases_a_revised_toll_is_an_update(border: Comparison) -> None:
    incident = main_incident(border)
    updates = [r for r in incident.relations if r.type is RelationType.UPDATES]
    assert any("from 3 to 4" in r.reason.text for r in updates)
    revised = {(r.a, r.b) for r in updates}
    conflicting = {(r.a, r.b) for r in incident.relations if r.type is RelationType.CONFLICTS}
    assert not revised & conflicting  # a revision is never also a conflict


def test_compare_cases_none_against_a_count_is_a_negation(border: Comparison) -> None:
    incident = main_incident(border)
    claims = {c.id: c for c in incident.claims}
    pairs = {
        (claims[r.a].content.text, claims[r.b].content.text)
        for r in incident.relations
        if r.type is RelationType.CONFLICTS and r.reason.code == "negation"
    }
    # the border service raised its three to four the next day: "none" meets its latest figure
    assert any(
        ("No Ulvarian serviceman" in a and "four Ulvarian servicemen" in b)
        or ("No Ulvarian serviceman" in b and "four Ulvarian servicemen" in a)
        for a, b in pairs
    )
    assert not any(
        "No Ulvarian serviceman" in a + b and "Three Ulvarian servicemen" in a + b for a, b in pairs
    )


def test_compare_cases_fact_sheet_rows_by_side(border: Comparison) -> None:
    rows = {row.label: row for row in main_incident(border).fact_sheet}
    ulvarian = rows["Ulvarian soldiers killed"]
    assert ulvarian.status.value in {"conflicting", "mixed"}
    values = {cell.value for cell in ulvarian.cells}
    assert any(v.startswith("3") for v in values)
    for row in rows.values():
        for cell in row.cells:
            assert cell.claim_ids


def test_compare_cases_relations_are_stored_once(border: Comparison) -> None:
    for incident in border.incidents:
        ids = {c.id for c in incident.claims}
        for r in incident.relations:
            assert r.a < r.b
            assert {r.a, r.b} <= ids


def test_eval_cases_cli_scores_the_fixture_cases(tmp_path: Path) -> None:
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(app, ["eval", "cases", str(CASES), "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    summary = data["summary"]
    assert len(data["cases"]) == 4
    assert summary["gold_conflicts"] == 38
    # measured when the frames landed (9 of 38); a drop below is a regression to look at
    assert summary["matched_conflicts"] >= 8
    assert summary["same_source_found"] == summary["same_source_total"] == 3
