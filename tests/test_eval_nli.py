"""The NLI scorers (`claims.evaluation.nli`) and the model runners of `conflicts_run`, on tiny
hand-written inputs with known answers; one `claims eval nli` run with the shipped weights."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from claims.cli import app
from claims.comparison.nli import ADAPTER_FILE, NliScores, bundled_weights_dir
from claims.evaluation.conflicts import EmergentClaim, FncPair, Headline
from claims.evaluation.nli import (
    binary_label,
    conflict_flags,
    emergent_headlines,
    emergent_pairs,
    emergent_stances,
    fnc_stances,
    label_scores,
    predict_unique,
    present_labels,
    sample,
    score_nli_dev,
    without_headlines,
)
from claims.training.nli import Pair

E, N, C, NE = "entailment", "neutral", "contradiction", "not_entailment"


def _pair(label: str, source: str, n: int = 0) -> Pair:
    return Pair(f"The library opens at {n} o'clock.", "The library opens.", label, source, "dev")


# --------------------------------------------------------------------------------------------------
# Label scores


def test_label_scores_counts_each_label_one_vs_rest() -> None:
    report = label_scores([E, E, C, N], [E, C, C, E], (E, N, C))
    per = {s.label: s for s in report.per_class}
    assert (per[E].precision, per[E].recall, per[E].f1) == (0.5, 0.5, 0.5)
    assert (per[C].precision, per[C].recall) == (0.5, 1.0)
    assert per[C].f1 == pytest.approx(2 / 3)
    assert per[N].f1 == 0.0
    assert report.accuracy == 0.5
    assert report.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.0) / 3)


def test_label_scores_rejects_misaligned_input() -> None:
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        label_scores([E, C], [E], (E, C))


def test_present_labels_keeps_the_report_order() -> None:
    assert present_labels([C, E, C], (E, N, C)) == (E, C)


@pytest.mark.parametrize(("label", "binary"), [(E, E), (N, NE), (C, NE)])
def test_binary_label_merges_neutral_and_contradiction(label: str, binary: str) -> None:
    assert binary_label(label) == binary


def test_score_nli_dev_per_source_binary_and_overall() -> None:
    gold = [
        ("three", E), ("three", E), ("three", C), ("three", N),
        ("two", E), ("two", C),
        ("bin", E), ("bin", NE), ("bin", NE),
    ]  # fmt: skip
    predicted = [E, C, C, E, N, C, E, N, E]
    pairs = [_pair(label, source, i) for i, (source, label) in enumerate(gold)]
    report = score_nli_dev(pairs, predicted)
    three, two, binary = (report["per_source"][s] for s in ("three", "two", "bin"))
    assert report["n_pairs"] == 9
    assert (three["kind"], three["accuracy"], three["macro_f1"]) == ("3-way", 0.5, 0.3889)
    # No neutral in this source's gold: macro over entailment and contradiction only.
    assert (two["labels"], two["accuracy"], two["macro_f1"]) == ([E, C], 0.5, 0.5)
    # Predicted neutral counts as not_entailment: E F1 2/3, ¬E F1 2/3.
    assert (binary["kind"], binary["labels"]) == ("binary", [E, NE])
    assert (binary["accuracy"], binary["macro_f1"]) == (0.6667, 0.6667)
    overall = report["overall"]  # the six rows of "three" and "two"; E F1 0.4, C 0.8, N 0
    assert (overall["n_pairs"], overall["accuracy"], overall["macro_f1"]) == (6, 0.5, 0.4)


def test_score_nli_dev_rejects_a_label_the_model_cannot_give() -> None:
    with pytest.raises(ValueError, match="not_entailment"):
        score_nli_dev([_pair(E, "s")], [NE])


def test_sample_is_seeded_and_keeps_input_order() -> None:
    items = list(range(20))
    picked = sample(items, 5)
    assert picked == sorted(picked)
    assert len(picked) == 5
    assert picked == sample(items, 5)
    assert sample(items, None) == items
    assert sample(items, 50) == items


# --------------------------------------------------------------------------------------------------
# Conflict corpora


def _claim(claim_id: str, text: str, headlines: Sequence[tuple[str, str]]) -> EmergentClaim:
    heads = tuple(Headline(f"{claim_id}-{i}", h, s) for i, (h, s) in enumerate(headlines))
    return EmergentClaim(claim_id, text, heads, {"for", "against"} <= {s for _, s in headlines})


CLAIMS = [
    _claim(
        "c1",
        "The council approved a new park",
        [("Council approves park by the river", "for"), ("Council denies park vote", "against")],
    ),
    _claim(
        "c2",
        "The bakery opened a second shop",
        [("Bakery opens second shop", "for"), ("Bakery may open a shop", "observing")],
    ),
]


def test_emergent_pairs_read_the_headline_as_premise() -> None:
    assert emergent_pairs(CLAIMS)[1] == (
        "Council denies park vote",
        "The council approved a new park",
    )
    assert emergent_pairs(CLAIMS, lambda c: c.claim_id)[3] == ("Bakery may open a shop", "c2")


def test_emergent_stances_and_the_conflict_rule() -> None:
    stances = emergent_stances(CLAIMS, [E, C, E, N])
    assert stances == {
        "c1": {"c1-0": "for", "c1-1": "against"},
        "c2": {"c2-0": "for", "c2-1": "observing"},
    }
    assert conflict_flags(stances) == {"c1": True, "c2": False}
    # "against" and "observing" alone are no conflict: it takes a "for" as well.
    assert conflict_flags({"c": {"a": "against", "b": "observing"}}) == {"c": False}


def test_emergent_stances_rejects_misaligned_labels() -> None:
    with pytest.raises(ValueError, match="4 headlines but 3 labels"):
        emergent_stances(CLAIMS, [E, C, E])


def test_without_headlines_matches_across_case_and_spaces() -> None:
    known = emergent_headlines(CLAIMS)
    assert "council denies park vote" in known
    assert "the bakery opened a second shop" in known  # the claim itself counts too
    pairs = [
        FncPair("  COUNCIL denies\tpark   vote ", 1, "Body one.", "agree"),
        FncPair("Council denies park vote again", 1, "Body one.", "discuss"),
        FncPair("The Bakery opened a second shop", 2, "Body two.", "unrelated"),
    ]
    assert without_headlines(pairs, known) == [pairs[1]]


def test_fnc_stances_fill_unrelated_around_the_model_labels() -> None:
    assert fnc_stances([True, False, True, True], [C, E, N]) == [
        "disagree",
        "unrelated",
        "agree",
        "discuss",
    ]
    with pytest.raises(ValueError, match="2 related pairs but 1 labels"):
        fnc_stances([True, True], [E])


class FakeClassifier:
    """Stands in for `NliClassifier`: "denies" contradicts, "may" is neutral, else entails."""

    weights_dir = Path("fake-weights")

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    def warm_up(self) -> FakeClassifier:
        return self

    def predict(self, pairs: Sequence[tuple[str, str]]) -> list[NliScores]:
        self.calls.append(list(pairs))
        return [self._score(premise) for premise, _ in pairs]

    @staticmethod
    def _score(premise: str) -> NliScores:
        if "denies" in premise:
            return NliScores(0.1, 0.1, 0.8)
        if " may " in premise:
            return NliScores(0.1, 0.8, 0.1)
        return NliScores(0.8, 0.1, 0.1)


def test_predict_unique_scores_each_distinct_pair_once() -> None:
    fake = FakeClassifier()
    pairs = [
        ("Rain fell.", "It rained."),
        ("He denies it.", "He did it."),
        ("Rain fell.", "It rained."),
    ]
    labels, seconds = predict_unique(fake, pairs)  # type: ignore[arg-type]
    assert labels == [E, C, E]
    assert fake.calls == [pairs[:2]]
    assert seconds >= 0


def _write_emergent(path: Path) -> Path:
    header = (
        "claimId,claimHeadline,claimTruth,articleId,articleHeadline,articleHeadlineStance,source"
    )
    rows = [
        f"{c.claim_id},{c.claim_text},unknown,{h.article_id},{h.headline},{h.stance},example.org"
        for c in CLAIMS
        for h in c.headlines
    ]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_run_emergent_nli_scores_the_model_stances(tmp_path: Path) -> None:
    from claims.evaluation.conflicts_run import run_emergent_nli

    fake = FakeClassifier()
    report = run_emergent_nli(_write_emergent(tmp_path / "emergent.csv"), fake)  # type: ignore[arg-type]
    assert len(fake.calls) == 1
    assert report["all"]["conflicting"]["f1"] == 1.0
    assert report["all"]["conflicting"]["true_negatives"] == 1
    assert report["all"]["stance"]["macro_f1"] == 1.0
    assert (
        report["dev"]["conflicting"]["n_items"] + report["held_out"]["conflicting"]["n_items"] == 2
    )
    assert report["model_pairs"] == 4
    assert report["weights"] == "fake-weights"


def test_run_climate_fever_nli_disputed_needs_support_and_refutation(tmp_path: Path) -> None:
    from claims.evaluation.conflicts_run import run_climate_fever_nli

    disputed = [("SUPPORTS", "Snow fell all week."), ("REFUTES", "The office denies snow fell.")]
    supported = [("SUPPORTS", "Snow fell on Monday."), ("NOT_ENOUGH_INFO", "It may snow.")]
    records = [("1", "DISPUTED", disputed), ("2", "SUPPORTS", supported)]
    lines = [
        json.dumps(
            {
                "claim_id": claim_id,
                "claim": "Snow fell this week.",
                "claim_label": label,
                "evidences": [
                    {"evidence_id": f"e{i}", "evidence_label": e, "evidence": text}
                    for i, (e, text) in enumerate(evidence)
                ],
            }
        )
        for claim_id, label, evidence in records
    ]
    path = tmp_path / "climate-fever.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fake = FakeClassifier()
    block = run_climate_fever_nli(path, fake)  # type: ignore[arg-type]
    assert fake.calls[0][1] == ("The office denies snow fell.", "Snow fell this week.")
    assert block["conflicting"]["true_positives"] == 1
    assert block["conflicting"]["true_negatives"] == 1
    assert block["stance"]["per_class"]["against"]["f1"] == 1.0
    assert block["stance"]["macro_f1"] == 1.0


# --------------------------------------------------------------------------------------------------
# The command, with the real shipped weights


FIELDS = ("premise", "hypothesis", "label", "source", "split")


def _write_pairs(path: Path, rows: Sequence[tuple[str, ...]]) -> None:
    lines = [json.dumps(dict(zip(FIELDS, r, strict=True))) + "\n" for r in rows]
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.skipif(
    not (bundled_weights_dir() / ADAPTER_FILE).is_file(),
    reason="no trained NLI weights in claims/data/nli (build them with `claims train nli`)",
)
def test_cli_eval_nli_on_a_tiny_file(tmp_path: Path) -> None:
    rows = [
        ("A woman is riding a red bicycle.", "A woman is riding a bicycle.", E, "tiny", "dev"),
        ("A woman is riding a red bicycle.", "A woman is asleep in bed.", C, "tiny", "dev"),
        ("A woman is riding a red bicycle.", "The woman is late for work.", N, "tiny", "dev"),
        ("The bridge opened in 1990.", "The bridge opened in 1990.", E, "tinybin", "dev"),
        ("The bridge opened in 1990.", "The bridge opened in 2004.", NE, "tinybin", "dev"),
        ("The bridge opened in 1990.", "The bridge is old.", E, "tiny", "train"),
    ]
    _write_pairs(tmp_path / "pairs.jsonl", rows)
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(app, ["eval", "nli", str(tmp_path), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "tinybin" in result.output
    assert "pairs/s" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["n_pairs"] == 5
    assert report["per_source"]["tiny"]["kind"] == "3-way"
    assert report["per_source"]["tinybin"]["kind"] == "binary"
    assert report["overall"]["n_pairs"] == 3
    assert report["pairs_per_second"] > 0


def test_cli_eval_nli_missing_weights_is_a_clear_error(tmp_path: Path) -> None:
    _write_pairs(tmp_path / "pairs.jsonl", [("It rained.", "It was wet.", E, "tiny", "dev")])
    result = CliRunner().invoke(
        app, ["eval", "nli", str(tmp_path), "--weights", str(tmp_path / "none")]
    )
    assert result.exit_code == 2
    assert "model_not_available" in result.output
