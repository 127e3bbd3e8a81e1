"""Tests for claims.evaluation.cases on a tiny invented case written into tmp_path.

No text from shared/eval/cases is used: the case below (a flood in the invented town of
Brindlemoor, and a barn fire in Hollowmere) and the comparisons are made up, in the real layouts.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from claims.evaluation.cases import (
    Case,
    CaseScore,
    evaluate_cases,
    load_case,
    load_cases,
    render,
    score_case,
    summarise,
)

DOCUMENTS: list[dict[str, Any]] = [
    {
        "id": "wire-1",
        "title": "Four dead as the Sallow floods Brindlemoor",
        "outlet": "Pellam Wire",
        "published_at": "2031-05-02T06:00:00+00:00",
        "url": "https://wire.example/brindlemoor",
        "text": "Brindlemoor council said four people were dead. Engineer Tobias Quillby said "
        "the embankment failed overnight.",
    },
    {
        "id": "paper-2",
        "outlet": "Brindlemoor Courier",
        "published_at": "2031-05-02T08:30:00+01:00",
        "text": "Brindlemoor council said four people were dead.",
    },
    {
        "id": "radio-3",
        "outlet": "Radio Sallow",
        "published_at": "2031-05-02T12:00:00+00:00",
        "text": "Residents say nine people are dead. The council said the embankment did not fail. "
        "Police said 4 people were dead. Earlier the council had said three people were dead.",
    },
    {
        "id": "gazette-4",
        "outlet": "Hollowmere Gazette",
        "published_at": "2031-05-03T09:00:00+00:00",
        "text": "The fire service said a barn burned down in Hollowmere.",
    },
]

COUNCIL = "council|Marrow"
GOLD: dict[str, Any] = {
    "about": "Invented: a flood in Brindlemoor; toll and embankment disputes; a wire rerun.",
    "incidents": [["wire-1", "paper-2", "radio-3"], ["gazette-4"]],
    "claims": {
        "council-4-dead": {
            "claimant": COUNCIL,
            "content": r"\b(4|four)\b[^.]*dead",
            "docs": ["wire-1", "paper-2"],
        },
        "residents-9-dead": {"claimant": "resident", "content": r"\b(9|nine)\b[^.]*dead"},
        "council-no-breach": {"claimant": COUNCIL, "content": "did not fail|no breach"},
        "engineer-breach": {"claimant": "engineer|Quillby", "content": "embankment failed"},
        "police-4-dead": {"claimant": "police", "content": r"\b(4|four)\b[^.]*dead"},
        "council-3-dead": {"claimant": COUNCIL, "content": r"\b(3|three)\b[^.]*dead"},
    },
    "conflicts": [
        {"a": "council-4-dead", "b": "residents-9-dead", "reason": "numeric"},
        {"a": "council-no-breach", "b": "engineer-breach", "reason": "denial"},
    ],
    "corroborations": [{"a": "council-4-dead", "b": "police-4-dead"}],
    "neutral": [{"a": "council-3-dead", "b": "council-4-dead", "why": "an update, same source"}],
    "same_source": [["wire-1", "paper-2"]],
    "first_report": {"council-4-dead": "wire-1"},
}


def write_case(root: Path, name: str = "brindlemoor-flood", gold: Any = None) -> Path:
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "documents.jsonl").write_text(
        "".join(json.dumps(doc) + "\n" for doc in DOCUMENTS), encoding="utf-8"
    )
    (directory / "gold.json").write_text(json.dumps(GOLD if gold is None else gold), "utf-8")
    return directory


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return load_case(write_case(tmp_path))


def claim(claim_id: str, doc: str, claimant: str, text: str) -> dict[str, Any]:
    # Extra keys (kind, stance, spans) as in Comparison JSON: the metric must ignore them.
    return {
        "id": claim_id,
        "document_id": doc,
        "speaker": None,
        "cue": {"start": 0, "end": 4, "text": "said"},
        "content": {"start": 5, "end": 5 + len(text), "text": text},
        "kind": "reported",
        "claimant": {"name": claimant, "type": "org", "anonymous": False},
        "stance": "asserted",
    }


def relation(a: str, b: str, type_: str, code: str) -> dict[str, Any]:
    return {"a": a, "b": b, "type": type_, "reason": {"code": code, "text": "x"}, "score": 0.9}


CLAIMS = {
    "c1": claim("c1", "wire-1", "Brindlemoor council", "four people were dead"),
    "c2": claim("c2", "paper-2", "Brindlemoor council", "four people were dead"),
    "c3": claim("c3", "radio-3", "residents", "nine people are dead"),
    "c4": claim("c4", "radio-3", "the council", "the embankment did not fail"),
    "c5": claim("c5", "wire-1", "Engineer Tobias Quillby", "the embankment failed overnight"),
    "c6": claim("c6", "radio-3", "Police", "4 people were dead"),
    "c7": claim("c7", "radio-3", "the council", "three people were dead"),
    "c8": claim("c8", "gazette-4", "the fire service", "a barn burned down in Hollowmere"),
}


def perfect() -> dict[str, Any]:
    """What an ideal system would output for the Brindlemoor case."""
    flood = {
        "id": "inc-1",
        "label": "flood",
        "document_ids": ["wire-1", "paper-2", "radio-3"],
        "claims": [CLAIMS[c] for c in ("c1", "c2", "c3", "c4", "c5", "c6", "c7")],
        "relations": [
            relation("c1", "c3", "conflicts", "numeric"),
            relation("c2", "c3", "conflicts", "numeric"),
            relation("c4", "c5", "conflicts", "denial"),
            relation("c6", "c1", "corroborates", "same_fact"),
            relation("c7", "c1", "update", "same_source_update"),
        ],
        "facts": [
            {"id": "f1", "claim_ids": ["c1", "c2", "c6"], "first_claim_id": "c1"},
            {"id": "f2", "claim_ids": ["c7"], "first_claim_id": "c7"},
        ],
        "provenance": [
            {"source": "paper-2", "target": "wire-1", "kind": "wire_copy", "detail": "same text"}
        ],
        "status": "disputed",
    }
    # A second incident repeating claims c1 and c3 and their relation (reversed): one relation.
    fire = {
        "id": "inc-2",
        "label": "fire",
        "document_ids": ["gazette-4"],
        "claims": [CLAIMS["c8"], CLAIMS["c1"], CLAIMS["c3"]],
        "relations": [relation("c3", "c1", "conflicts", "numeric")],
        "facts": [{"id": "f3", "claim_ids": ["c8"], "first_claim_id": "c8"}],
        "provenance": [],
    }
    return {
        "documents": [
            {"id": "wire-1", "incident": "inc-1"},
            {"id": "paper-2", "incident": "inc-1"},
            {"id": "radio-3", "incident": "inc-1"},
            {"id": "gazette-4", "incident": "inc-2"},
        ],
        "incidents": [flood, fire],
        "generated_by": "ignored",
    }


def counts(score: CaseScore) -> dict[str, Any]:
    data = score.to_dict()
    return {key: data[key] for key in PERFECT_COUNTS}


PERFECT_COUNTS = {
    "gold_conflicts": 2,
    "matched_conflicts": 2,
    "reported_conflicts": 3,
    "true_reported_conflicts": 3,
    "reason_correct": 2,
    "gold_corroborations": 1,
    "matched_corroborations": 1,
    "neutral_total": 1,
    "neutral_violations": 0,
    "same_source_total": 1,
    "same_source_found": 1,
    "first_total": 1,
    "first_right": 1,
}


# --------------------------------------------------------------------------------------------------
# Loading


def test_load_case_reads_documents_and_gold(case: Case) -> None:
    assert case.name == "brindlemoor-flood"
    assert [doc.id for doc in case.documents] == ["wire-1", "paper-2", "radio-3", "gazette-4"]
    wire = case.documents[0]
    assert wire.outlet == "Pellam Wire"
    assert wire.url == "https://wire.example/brindlemoor"
    assert wire.published_at is not None
    assert wire.published_at.utcoffset() is not None
    assert case.documents[1].title is None
    assert case.gold.conflicts == [
        ("council-4-dead", "residents-9-dead", "numeric"),
        ("council-no-breach", "engineer-breach", "denial"),
    ]
    assert case.gold.corroborations == [("council-4-dead", "police-4-dead")]
    assert case.gold.neutral == [("council-3-dead", "council-4-dead", "an update, same source")]
    assert case.gold.same_source == [["wire-1", "paper-2"]]
    assert case.gold.first_report == {"council-4-dead": "wire-1"}
    assert case.gold.claims["council-4-dead"].docs == ("wire-1", "paper-2")
    assert case.gold.claims["residents-9-dead"].docs is None


def test_pattern_is_case_insensitive_and_honours_docs(case: Case) -> None:
    pattern = case.gold.claims["council-4-dead"]
    assert pattern.matches(claim("x", "wire-1", "BRINDLEMOOR COUNCIL", "FOUR people DEAD"))
    assert not pattern.matches(claim("x", "radio-3", "Brindlemoor council", "four people dead"))
    assert not pattern.matches(claim("x", "wire-1", "Police", "four people were dead"))
    assert not pattern.matches(claim("x", "wire-1", "the council", "four were hurt. one dead"))


def test_bad_json_line_names_the_file(tmp_path: Path) -> None:
    directory = write_case(tmp_path)
    path = directory / "documents.jsonl"
    path.write_text(json.dumps(DOCUMENTS[0]) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"documents\.jsonl:2"):
        load_case(directory)


def test_bad_gold_is_refused(tmp_path: Path) -> None:
    undefined = copy.deepcopy(GOLD)
    undefined["conflicts"].append({"a": "council-4-dead", "b": "mayor-7", "reason": "numeric"})
    with pytest.raises(ValueError, match="undefined claim 'mayor-7'"):
        load_case(write_case(tmp_path, "a", undefined))
    missing_doc = copy.deepcopy(GOLD)
    missing_doc["incidents"] = [["wire-1", "paper-2", "radio-3"]]
    with pytest.raises(ValueError, match="every document exactly once"):
        load_case(write_case(tmp_path, "b", missing_doc))
    bad_regex = copy.deepcopy(GOLD)
    bad_regex["claims"]["police-4-dead"]["content"] = "(unclosed"
    with pytest.raises(ValueError, match="police-4-dead"):
        load_case(write_case(tmp_path, "c", bad_regex))


def test_load_cases_sorted_and_skips_folders_without_gold(tmp_path: Path) -> None:
    write_case(tmp_path, "zeta-flood")
    write_case(tmp_path, "alpha-flood")
    (tmp_path / "notes").mkdir()
    assert [c.name for c in load_cases(tmp_path)] == ["alpha-flood", "zeta-flood"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no case folders"):
        load_cases(empty)


# --------------------------------------------------------------------------------------------------
# Scoring


def test_perfect_comparison_scores_one_everywhere(case: Case) -> None:
    score = score_case(case, perfect())
    assert counts(score) == PERFECT_COUNTS
    assert score.b3 == (1.0, 1.0, 1.0)
    assert score.conflict_recall == score.conflict_precision == 1.0
    assert score.reason_accuracy == score.corroboration_recall == 1.0
    assert score.missed_conflicts == score.false_conflicts == score.wrong_reasons == []
    assert score.unmatched_claims == []


def test_false_conflict_on_neutral_pair_is_a_violation(case: Case) -> None:
    comparison = perfect()
    relations = comparison["incidents"][0]["relations"]
    relations.append(relation("c7", "c1", "conflicts", "numeric"))  # 3 vs 4: an update
    relations.append(relation("c5", "c6", "conflicts", "other"))  # matches nothing
    score = score_case(case, comparison)
    assert counts(score) == {
        **PERFECT_COUNTS,
        "reported_conflicts": 5,
        "neutral_violations": 1,
    }
    assert score.conflict_precision == pytest.approx(3 / 5)
    assert score.conflict_recall == 1.0
    assert [(r.a, r.b) for r in score.false_conflicts] == [("c7", "c1"), ("c5", "c6")]
    assert score.false_conflicts[0].a_text == "three people were dead"
    [violation] = score.neutral_violations
    assert (violation.a, violation.b, violation.why) == (
        "council-3-dead",
        "council-4-dead",
        "an update, same source",
    )
    assert (violation.relation.a, violation.relation.b) == ("c7", "c1")


def test_wrong_reason_lowers_reason_accuracy_only(case: Case) -> None:
    comparison = perfect()
    comparison["incidents"][0]["relations"][2] = relation("c4", "c5", "conflicts", "negation")
    # One of two relations matching the numeric conflict has the gold reason: that is enough.
    comparison["incidents"][0]["relations"][1] = relation("c2", "c3", "conflicts", "other")
    score = score_case(case, comparison)
    assert counts(score) == {**PERFECT_COUNTS, "reason_correct": 1}
    assert score.reason_accuracy == 0.5
    assert score.conflict_precision == score.conflict_recall == 1.0
    [wrong] = score.wrong_reasons
    assert (wrong.a, wrong.b, wrong.gold, wrong.reported) == (
        "council-no-breach",
        "engineer-breach",
        "denial",
        ("negation",),
    )


def test_missing_wire_copy_edge_fails_same_source(case: Case) -> None:
    comparison = perfect()
    comparison["incidents"][0]["provenance"][0]["kind"] = "cites"
    score = score_case(case, comparison)
    assert counts(score) == {**PERFECT_COUNTS, "same_source_found": 0}
    assert score.missed_same_source == [["wire-1", "paper-2"]]


def test_wrong_first_claim_fails_first_report(case: Case) -> None:
    comparison = perfect()
    comparison["incidents"][0]["facts"][0]["first_claim_id"] = "c2"  # paper-2, not wire-1
    score = score_case(case, comparison)
    assert counts(score) == {**PERFECT_COUNTS, "first_right": 0}
    [first] = score.first_reports
    assert (first.claim, first.expected, first.fact, first.got) == (
        "council-4-dead",
        "wire-1",
        "f1",
        "paper-2",
    )


def test_first_report_takes_the_fact_with_most_matches_ties_to_the_first(case: Case) -> None:
    comparison = perfect()
    facts = comparison["incidents"][0]["facts"]
    facts[:] = [
        {"id": "fa", "claim_ids": ["c2", "c7"], "first_claim_id": "c2"},
        {"id": "fb", "claim_ids": ["c1", "c6"], "first_claim_id": "c1"},
    ]
    assert score_case(case, comparison).first_reports[0].fact == "fa"  # 1 match each: first
    facts.append({"id": "fc", "claim_ids": ["c1", "c2"], "first_claim_id": "c1"})
    score = score_case(case, comparison)
    assert (score.first_reports[0].fact, score.first_right) == ("fc", 1)
    comparison["incidents"][0]["facts"] = []
    score = score_case(case, comparison)
    assert (score.first_reports[0].fact, score.first_right) == (None, 0)


def test_docs_restriction_is_honoured(case: Case) -> None:
    comparison = perfect()
    # The council's "four dead" heard only on the radio is not the named claim (docs: wire, paper).
    radio_council = claim("c9", "radio-3", "Brindlemoor council", "four people were dead")
    flood = comparison["incidents"][0]
    flood["claims"].append(radio_council)
    flood["relations"] = [
        relation("c9", "c3", "conflicts", "numeric"),
        relation("c4", "c5", "conflicts", "denial"),
    ]
    comparison["incidents"][1]["relations"] = []
    score = score_case(case, comparison)
    assert score.matched_conflicts == 1
    assert score.missed_conflicts == [("council-4-dead", "residents-9-dead", "numeric")]
    assert (score.reported_conflicts, score.true_reported_conflicts) == (2, 1)
    assert [(r.a, r.b) for r in score.false_conflicts] == [("c9", "c3")]
    assert score.matched_corroborations == 0  # the corroborates relation was dropped too


def test_bcubed_of_merged_and_split_groupings(case: Case) -> None:
    merged = perfect()
    for doc in merged["documents"]:
        doc["incident"] = "inc-1"
    # Gold {wire, paper, radio} {gazette}; all in one: P = (3·3/4 + 1/4) / 4 = 10/16, R = 1.
    precision, recall, f1 = score_case(case, merged).b3
    assert precision == pytest.approx(10 / 16)
    assert recall == 1.0
    assert f1 == pytest.approx(10 / 13)
    split = perfect()
    split["documents"][2]["incident"] = "inc-3"
    # {wire, paper} {radio} {gazette}: P = 1, R = (2·2/3 + 1/3 + 1) / 4 = 2/3, F1 = 4/5.
    assert score_case(case, split).b3 == pytest.approx((1.0, 2 / 3, 4 / 5))


def test_empty_comparison_scores_zero(case: Case) -> None:
    score = score_case(case, {"documents": [], "incidents": []})
    assert score.matched_conflicts == score.reported_conflicts == score.first_right == 0
    assert score.conflict_precision == 0.0
    assert sorted(score.unmatched_claims) == sorted(GOLD["claims"])


# --------------------------------------------------------------------------------------------------
# Totals, report, evaluate_cases


def test_summarise_pools_counts(case: Case) -> None:
    good = score_case(case, perfect())
    noisy = perfect()
    noisy["incidents"][0]["relations"].append(relation("c7", "c1", "conflicts", "numeric"))
    noisy["incidents"][0]["provenance"] = []
    total = summarise([good, score_case(case, noisy)])
    json.dumps(total)
    assert total["cases"] == 2
    assert (total["gold_conflicts"], total["matched_conflicts"]) == (4, 4)
    assert (total["reported_conflicts"], total["true_reported_conflicts"]) == (7, 6)
    assert total["conflict_precision"] == round(6 / 7, 4)
    assert total["conflict_recall"] == total["reason_accuracy"] == 1.0
    assert total["corroboration_recall"] == 1.0
    assert (total["neutral_violations"], total["neutral_total"]) == (1, 2)
    assert (total["same_source_found"], total["same_source_total"]) == (1, 2)
    assert (total["first_right"], total["first_total"]) == (2, 2)
    assert total["b3_f1"] == 1.0
    assert summarise([])["cases"] == 0


def test_render_lists_errors_when_verbose(case: Case) -> None:
    comparison = perfect()
    long_text = "three people were dead " + "and the water kept rising " * 10
    comparison["incidents"][0]["claims"][6] = claim("c7", "radio-3", "the council", long_text)
    comparison["incidents"][0]["relations"].append(relation("c7", "c1", "conflicts", "numeric"))
    score = score_case(case, comparison)
    console = Console(record=True, width=200)
    render([score], console, verbose=False)
    quiet = console.export_text()
    assert "brindlemoor-flood" in quiet
    assert "all" in quiet
    assert "false conflict" not in quiet
    render([score], console, verbose=True)
    text = console.export_text()
    assert "false conflict: the council:" in text
    assert "neutral violation: council-3-dead vs council-4-dead" in text
    assert "…" in text
    assert long_text not in text


def test_evaluate_cases_runs_compare_on_each_case(tmp_path: Path) -> None:
    write_case(tmp_path, "one")
    write_case(tmp_path, "two")
    seen: list[list[str]] = []

    def compare(documents: list[Any]) -> dict[str, Any]:
        seen.append([doc.id for doc in documents])
        return perfect()

    scores = evaluate_cases(tmp_path, compare)
    assert [s.name for s in scores] == ["one", "two"]
    assert len(seen) == 2
    assert seen[0] == ["wire-1", "paper-2", "radio-3", "gazette-4"]
    assert all(counts(s) == PERFECT_COUNTS for s in scores)
