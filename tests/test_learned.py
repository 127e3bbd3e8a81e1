"""The shipped NLI model and the learned scorer: the real adapters, loaded once per test run.

Sentences here are our own plain English; what is asserted is the scorer's bookkeeping (veto,
confirm, propose, which scorer is named) plus a few pairs any reader would label the same way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.comparison.learned import MODEL, SIMILARITY, LearnedScorer, LearnedSettings
from claims.comparison.nli import ADAPTER_FILE, CONFIG_FILE, NliClassifier, bundled_weights_dir
from claims.models import (
    Claim,
    Claimant,
    ClaimKind,
    Reason,
    Relation,
    RelationType,
    Span,
    Stance,
)

CONTRADICTING = (
    "No passengers were hurt in the collision on Sunday.",
    "Four passengers were hurt in the collision on Sunday.",
)
ENTAILED = (
    "Three people were injured on Monday when a bus overturned near the central station.",
    "People were hurt when a bus overturned.",
)
UNRELATED = (
    "The council approved a new budget for the city's libraries.",
    "Heavy rain is expected along the coast this weekend.",
)


@pytest.fixture(scope="module")
def classifier() -> NliClassifier:
    return NliClassifier().warm_up()


@pytest.fixture(scope="module")
def scorer(classifier: NliClassifier) -> LearnedScorer:
    return LearnedScorer(classifier=classifier)


def claim(cid: str, text: str, who: str, stance: Stance = Stance.ASSERTED) -> Claim:
    return Claim(
        stance=stance,
        id=cid,
        document_id=f"doc-{cid}",
        speaker=None,
        cue=None,
        content=Span(start=0, end=len(text), text=text),
        kind=ClaimKind.INDIRECT,
        claimant=Claimant(name=who),
    )


def conflict(a: Claim, b: Claim, scorer: str) -> Relation:
    x, y = sorted((a.id, b.id))
    return Relation(
        a=x,
        b=y,
        type=RelationType.CONFLICTS,
        reason=Reason(code="denial", text="a rule said so"),
        score=0.8,
        scorer=scorer,
    )


def test_shipped_weights_are_small_and_load_offline(classifier: NliClassifier) -> None:
    weights = bundled_weights_dir()
    assert (weights / CONFIG_FILE).is_file()
    assert (weights / ADAPTER_FILE).stat().st_size <= 10 * 2**20  # adapters and head only
    assert (weights / "MODEL_CARD.md").is_file()
    assert classifier.config.labels == ("entailment", "neutral", "contradiction")
    assert classifier.config.trained["data_sha256"]


def test_classifier_reads_plain_pairs(classifier: NliClassifier) -> None:
    contra, entailed, unrelated = classifier.predict([CONTRADICTING, ENTAILED, UNRELATED])
    assert contra.label == "contradiction"
    assert entailed.label == "entailment"
    assert unrelated.contradiction < contra.contradiction
    for s in (contra, entailed, unrelated):
        assert s.entailment + s.neutral + s.contradiction == pytest.approx(1.0, abs=1e-5)


def test_predict_keeps_input_order_and_handles_empty(classifier: NliClassifier) -> None:
    pairs = [UNRELATED, CONTRADICTING, ENTAILED, CONTRADICTING]
    batched = classifier.predict(pairs)
    single = [classifier.predict([p])[0] for p in pairs]
    for x, y in zip(batched, single, strict=True):
        assert x.contradiction == pytest.approx(y.contradiction, abs=1e-4)
    assert classifier.predict([]) == []


def test_pair_order_does_not_change_the_judgement(scorer: LearnedScorer) -> None:
    a, b = claim("a", CONTRADICTING[0], "police"), claim("b", CONTRADICTING[1], "mayor")
    assert scorer.score([(a, b)])[0] == scorer.score([(b, a)])[0]


def test_review_vetoes_confirms_and_proposes(scorer: LearnedScorer) -> None:
    hurt_a, hurt_b = claim("h1", ENTAILED[0], "police"), claim("h2", ENTAILED[1], "a witness")
    open_a, open_b = claim("o1", CONTRADICTING[0], "police"), claim("o2", CONTRADICTING[1], "mayor")
    rain_a, rain_b = claim("r1", UNRELATED[0], "council"), claim("r2", UNRELATED[1], "forecaster")
    claims = {c.id: c for c in (hurt_a, hurt_b, open_a, open_b, rain_a, rain_b)}
    relations = [
        conflict(hurt_a, hurt_b, "rules"),  # entailed: vetoed whoever found it
        conflict(rain_a, rain_b, SIMILARITY),  # closeness of meaning alone, no contradiction: out
    ]
    strict = LearnedScorer(
        scorer.classifier, LearnedSettings(confirm_contradiction=0.5, propose_contradiction=0.7)
    )
    out = strict.review(relations, claims, candidates=[(open_a, open_b)])
    assert [(r.a, r.b) for r in out] == [("o1", "o2")]
    (proposed,) = out
    assert proposed.type is RelationType.CONFLICTS
    assert proposed.reason.code == "contradiction"
    assert proposed.scorer == MODEL
    assert "police" in proposed.reason.text
    assert "mayor" in proposed.reason.text


def test_review_marks_a_confirmed_similarity_conflict(scorer: LearnedScorer) -> None:
    a, b = claim("o1", CONTRADICTING[0], "police"), claim("o2", CONTRADICTING[1], "mayor")
    (kept,) = scorer.review([conflict(a, b, SIMILARITY)], {"o1": a, "o2": b}, candidates=[])
    assert kept.scorer == f"{SIMILARITY}+{MODEL}"
    assert kept.reason.code == "denial"  # the rule's reason stays; the model's score is added
    assert "model: contradiction" in kept.reason.text


def test_a_denial_of_what_the_other_asserts_is_a_conflict_not_a_veto(
    scorer: LearnedScorer,
) -> None:
    # "the operator denied that three people were injured ..." against the police's account
    denied = claim("d", ENTAILED[0], "the operator", Stance.DENIED)
    told = claim("t", ENTAILED[1], "police")
    kept = scorer.review([conflict(denied, told, "rules")], {"d": denied, "t": told}, [])
    assert [(r.a, r.b, r.reason.code) for r in kept] == [("d", "t", "denial")]
    (found,) = scorer.review([], {"d": denied, "t": told}, candidates=[(denied, told)])
    assert found.type is RelationType.CONFLICTS
    assert found.reason.code == "denial"
    assert found.scorer == MODEL
    assert found.reason.text.startswith("the operator denies")


def test_review_leaves_unreviewed_relations_alone(scorer: LearnedScorer) -> None:
    a, b = claim("h1", ENTAILED[0], "police"), claim("h2", ENTAILED[1], "a witness")
    agree = Relation(
        a="h1",
        b="h2",
        type=RelationType.CORROBORATES,
        reason=Reason(code="same_fact", text="same"),
        score=0.7,
    )
    assert scorer.review([agree], {"h1": a, "h2": b}, candidates=[]) == [agree]


def test_relate_is_the_relation_scorer_protocol(scorer: LearnedScorer) -> None:
    a, b = claim("o1", CONTRADICTING[0], "police"), claim("o2", CONTRADICTING[1], "mayor")
    strict = LearnedScorer(scorer.classifier, LearnedSettings(propose_contradiction=0.5))
    rel = strict.relate(a, b, a.content.text, b.content.text)
    assert rel is not None
    assert rel.type is RelationType.CONFLICTS
    assert rel.scorer == MODEL


def test_missing_weights_give_a_coded_error(tmp_path: Path) -> None:
    from claims.errors import ModelNotAvailableError

    with pytest.raises(ModelNotAvailableError, match="claims train nli"):
        NliClassifier(tmp_path).warm_up()


def test_a_hedge_without_figures_is_no_assertion_to_dispute() -> None:
    from claims.comparison.compare import _assertion

    hedge = claim("h", "it could not say whether the letters had reached every farm", "the agency")
    plain = claim("p", "the letters reached every farm on Monday", "the agency")
    assert not _assertion(hedge)  # no frame carries its modality: the text does
    assert _assertion(plain)
