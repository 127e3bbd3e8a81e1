"""Tests for claims.evaluation.conflicts on tiny hand-written Emergent and FNC-1 files.

No Emergent or FNC-1 content is used (research-only data): the CSV fixtures are written into
tmp_path by the tests, with the real column layout and made-up headlines.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from rich.console import Console

from claims.evaluation.conflicts import (
    FNC_STANCES,
    BinaryReport,
    Headline,
    bootstrap_f1,
    is_conflicting,
    load_emergent,
    load_fnc1,
    score_flags,
    score_fnc1,
    split_items,
)

EMERGENT_HEADER = [
    "claimId",
    "claimHeadline",
    "claimTruth",
    "articleId",
    "articleHeadline",
    "articleHeadlineStance",
    "source",
    "url",
    "split",
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], newline: str = "\n") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator=newline)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def emergent_row(claim: str, article: str, stance: str, truth: str = "unknown") -> list[str]:
    return [
        claim,
        f"Made-up claim {claim}, with a comma",
        truth,
        article,
        f"Outlet says {claim}",
        stance,
        f"{article}.example.org",
        f"http://{article}.example.org/story",
        "train",
    ]


# --------------------------------------------------------------------------------------------------
# Emergent


def test_conflicting_rule() -> None:
    assert is_conflicting(["for", "against"])
    assert is_conflicting(["observing", "against", "for", "for"])
    assert not is_conflicting(["for", "for", "observing"])
    assert not is_conflicting(["against", "observing"])
    assert not is_conflicting([])


def test_load_emergent(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "emergent.csv",
        EMERGENT_HEADER,
        [
            emergent_row("c1", "a1", "for", "false"),
            emergent_row("c2", "a2", "observing"),
            emergent_row("c1", "a3", "observing", "false"),
            emergent_row("c1", "a4", "against", "false"),
            emergent_row("c2", "a5", "for"),
            emergent_row("c3", "a6", "against", "true"),
            emergent_row("c3", "a7", "observing", "true"),
        ],
    )
    claims = load_emergent(path)
    assert load_emergent(tmp_path) == claims  # a directory holding emergent.csv also works
    assert [c.claim_id for c in claims] == ["c1", "c2", "c3"]  # first-seen order
    assert [c.gold_conflicting for c in claims] == [True, False, False]
    c1 = claims[0]
    assert c1.claim_text == "Made-up claim c1, with a comma"
    assert c1.truth == "false"
    assert c1.headlines == (
        Headline("a1", "Outlet says c1", "for", "a1.example.org"),
        Headline("a3", "Outlet says c1", "observing", "a3.example.org"),
        Headline("a4", "Outlet says c1", "against", "a4.example.org"),
    )


def test_load_emergent_errors(tmp_path: Path) -> None:
    path = tmp_path / "emergent.csv"
    with pytest.raises(FileNotFoundError, match=r"emergent\.csv"):
        load_emergent(path)

    write_csv(path, EMERGENT_HEADER, [emergent_row("c1", "a1", "supports")])
    with pytest.raises(ValueError, match=r"emergent\.csv:2: unknown articleHeadlineStance"):
        load_emergent(path)

    write_csv(path, [h for h in EMERGENT_HEADER if h != "articleHeadlineStance"], [])
    with pytest.raises(ValueError, match=r"missing column.*articleHeadlineStance"):
        load_emergent(path)

    rows = [emergent_row("c1", "a1", "for"), emergent_row("c1", "a2", "for", truth="true")]
    write_csv(path, EMERGENT_HEADER, rows)
    with pytest.raises(ValueError, match=r"emergent\.csv:3: claim 'c1' has headline/truth"):
        load_emergent(path)

    write_csv(path, EMERGENT_HEADER, [emergent_row("c1", "a1", "for")] * 2)
    with pytest.raises(ValueError, match="second row for article 'a1'"):
        load_emergent(path)

    write_csv(path, EMERGENT_HEADER, [])
    with pytest.raises(ValueError, match="no rows"):
        load_emergent(path)


def test_score_flags() -> None:
    gold = {"c1": True, "c2": True, "c3": False, "c4": False, "c5": True}
    # c1 TP, c2 FN (missing counts as False), c3 FP, c4 TN, c5 FN; "zz" is not gold: ignored.
    predicted = {"c1": True, "c3": True, "c4": False, "c5": False, "zz": True}
    report = score_flags(gold, predicted)
    assert (
        report.true_positives,
        report.false_positives,
        report.false_negatives,
        report.true_negatives,
    ) == (1, 1, 2, 1)
    # P = 1/2, R = 1/3, F1 = 2·(1/6) / (5/6) = 2/5, accuracy = 2/5.
    assert (report.precision, report.recall, report.f1) == pytest.approx((0.5, 1 / 3, 0.4))
    assert report.accuracy == pytest.approx(0.4)
    assert (report.n_items, report.n_gold_positive, report.n_predicted_positive) == (5, 3, 2)

    data = report.to_dict()
    assert data["f1"] == 0.4
    assert data["false_negatives"] == 2
    json.dumps(data)
    console = Console(record=True, width=120)
    report.render(console)
    text = console.export_text()
    assert "conflicting" in text
    assert "0.3333" in text


def test_score_flags_nothing_predicted() -> None:
    report = score_flags({"a": True, "b": False}, {})
    assert (report.precision, report.recall, report.f1, report.accuracy) == (0.0, 0.0, 0.0, 0.5)
    assert BinaryReport(0, 0, 0, 0).accuracy == 0.0


# --------------------------------------------------------------------------------------------------
# FNC-1


def write_fnc(directory: Path) -> Path:
    write_csv(
        directory / "competition_test_bodies.csv",
        ["Body ID", "articleBody"],
        [
            ["3", "First made-up body.\n\nIt has two paragraphs, and a comma."],
            ["10", 'A second body with "quotes".'],
            ["11", "A body nobody refers to."],
        ],
    )
    write_csv(
        directory / "competition_test_stances.csv",
        ["Headline", "Body ID", "Stance"],
        [
            ["Made-up headline, one", "10", "agree"],
            ["Made-up headline two", "3", "unrelated"],
            ["Made-up headline two", "3", "unrelated"],  # duplicates exist in the real data
            ["Made-up headline three", "10", "disagree"],
        ],
        newline="\r\n",  # the real stances file has CRLF line ends
    )
    return directory


def test_load_fnc1(tmp_path: Path) -> None:
    pairs = load_fnc1(write_fnc(tmp_path))
    assert [(p.headline, p.body_id, p.stance) for p in pairs] == [
        ("Made-up headline, one", 10, "agree"),
        ("Made-up headline two", 3, "unrelated"),
        ("Made-up headline two", 3, "unrelated"),
        ("Made-up headline three", 10, "disagree"),
    ]
    assert pairs[1].body_text == "First made-up body.\n\nIt has two paragraphs, and a comma."
    assert pairs[0].body_text == 'A second body with "quotes".'


def test_load_fnc1_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"competition_test_bodies\.csv"):
        load_fnc1(tmp_path)
    write_fnc(tmp_path)
    stances = tmp_path / "competition_test_stances.csv"

    write_csv(stances, ["Headline", "Body ID", "Stance"], [["h", "10", "neutral"]])
    with pytest.raises(ValueError, match=r"stances\.csv:2: unknown Stance 'neutral'"):
        load_fnc1(tmp_path)

    write_csv(stances, ["Headline", "Body ID", "Stance"], [["h", "99", "agree"]])
    with pytest.raises(ValueError, match="Body ID 99 not in"):
        load_fnc1(tmp_path)

    write_csv(stances, ["Headline", "Body ID", "Stance"], [["h", "ten", "agree"]])
    with pytest.raises(ValueError, match="should be an integer"):
        load_fnc1(tmp_path)

    write_csv(stances, ["Headline", "Body", "Stance"], [["h", "10", "agree"]])
    with pytest.raises(ValueError, match="missing column"):
        load_fnc1(tmp_path)

    write_csv(
        tmp_path / "competition_test_bodies.csv", ["Body ID", "articleBody"], [["1", "x"]] * 2
    )
    with pytest.raises(ValueError, match=r"bodies\.csv:3: duplicate Body ID 1"):
        load_fnc1(tmp_path)


def test_score_fnc1_per_class() -> None:
    gold = ["agree", "agree", "disagree", "discuss", "unrelated", "unrelated"]
    predicted = ["agree", "disagree", "disagree", "unrelated", "unrelated", "discuss"]
    report = score_fnc1(gold, predicted)
    per_class = report.per_class()
    # agree: TP 1 of 1 predicted, 2 gold. disagree: TP 1 of 2 predicted, 1 gold.
    # discuss: TP 0 (1 predicted, 1 gold). unrelated: TP 1 of 2 predicted, 2 gold.
    expected = {
        "agree": (1.0, 0.5, 2 / 3),
        "disagree": (0.5, 1.0, 2 / 3),
        "discuss": (0.0, 0.0, 0.0),
        "unrelated": (0.5, 0.5, 0.5),
    }
    for label, prf in expected.items():
        score = per_class[label]
        assert (score.precision, score.recall, score.f1) == pytest.approx(prf), label
    assert report.disagree_f1 == pytest.approx(2 / 3)
    # Macro-F1 = (2/3 + 2/3 + 0 + 1/2) / 4 = 11/24.
    assert report.macro_f1 == pytest.approx(11 / 24)
    assert report.accuracy == pytest.approx(3 / 6)
    # Official score: 1 + 0.25 (both related) + 1 + 0 + 0.25 + 0 = 2.5; max 4·1 + 2·0.25 = 4.5.
    assert (report.fnc_score, report.fnc_max_score) == (2.5, 4.5)
    assert report.relative_fnc_score == pytest.approx(5 / 9)
    assert report.confusion[FNC_STANCES.index("agree")] == (1, 1, 0, 0)

    data = report.to_dict()
    assert data["macro_f1"] == round(11 / 24, 4)
    assert data["per_class"]["disagree"]["precision"] == 0.5
    assert data["confusion"]["unrelated"] == {
        "agree": 0,
        "disagree": 0,
        "discuss": 1,
        "unrelated": 1,
    }
    json.dumps(data)
    console = Console(record=True, width=120)
    report.render(console)
    text = console.export_text()
    assert "macro" in text
    assert "0.4583" in text


def test_score_fnc1_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="2 gold stances but 1"):
        score_fnc1(["agree", "agree"], ["agree"])
    with pytest.raises(ValueError, match="predicted stance #0 is 'AGREE'"):
        score_fnc1(["agree"], ["AGREE"])
    empty = score_fnc1([], [])
    assert (empty.macro_f1, empty.accuracy, empty.relative_fnc_score) == (0.0, 0.0, 0.0)


# --------------------------------------------------------------------------------------------------
# Splitting


def test_split_items_groups_by_key_and_is_deterministic() -> None:
    items = [(body, headline) for body in range(8) for headline in range(3)]
    dev, held_out = split_items(items, key=lambda item: str(item[0]))
    assert len({b for b, _ in held_out}) == 4
    assert not {b for b, _ in dev} & {b for b, _ in held_out}
    assert sorted(dev + held_out) == items
    assert dev == sorted(dev)  # input order kept
    reversed_split = split_items(items[::-1], key=lambda item: str(item[0]))
    assert reversed_split == (dev[::-1], held_out[::-1])
    assert split_items(items, key=lambda item: str(item[0]), held_out_fraction=0.0) == (items, [])
    assert split_items(items, key=lambda item: str(item[0]), held_out_fraction=1.0) == ([], items)
    with pytest.raises(ValueError, match="held_out_fraction"):
        split_items(items, key=str, held_out_fraction=-0.1)


def test_bootstrap_interval_brackets_the_f1() -> None:
    gold = {f"c{i}": i % 3 == 0 for i in range(60)}
    predicted = {f"c{i}": i % 3 == 0 or i % 7 == 0 for i in range(60)}
    f1 = score_flags(gold, predicted).f1
    low, high = bootstrap_f1(gold, predicted, samples=500)
    assert 0.0 < low < f1 < high <= 1.0
    assert (low, high) == bootstrap_f1(gold, predicted, samples=500)  # seeded
    assert bootstrap_f1(gold, gold, samples=200) == (1.0, 1.0)  # perfect flags: no spread
    assert bootstrap_f1({}, {}) == (0.0, 0.0)


def climate_record(cid: str, label: str, evidence: list[tuple[str, str]]) -> dict[str, object]:
    return {
        "claim_id": cid,
        "claim": "The glacier has grown since 1990.",
        "claim_label": label,
        "evidences": [
            {"evidence_id": f"{cid}:{i}", "evidence_label": lab, "evidence": text}
            for i, (lab, text) in enumerate(evidence)
        ],
    }


def test_load_climate_fever_as_emergent_claims(tmp_path: Path) -> None:
    from claims.evaluation.conflicts import load_climate_fever

    records = [
        climate_record("1", "DISPUTED", [("SUPPORTS", "It grew."), ("REFUTES", "It shrank.")]),
        climate_record("2", "SUPPORTS", [("NOT_ENOUGH_INFO", "Glaciers are ice.")]),
    ]
    path = tmp_path / "climate-fever.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    claims = load_climate_fever(tmp_path)
    assert [c.gold_conflicting for c in claims] == [True, False]
    assert [h.stance for h in claims[0].headlines] == ["for", "against"]
    assert claims[1].headlines[0] == Headline("2:0", "Glaciers are ice.", "observing")
    bad = climate_record("3", "SUPPORTS", [("MAYBE", "x")])
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"climate-fever\.jsonl:1: bad evidence"):
        load_climate_fever(path)
