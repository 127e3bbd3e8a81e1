"""The Emergent/FNC-1 runners on tiny hand-written inputs (no corpus data)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from claims.comparison.embed import Vectors
from claims.comparison.relate import RuleRelationScorer, load_relation_cues
from claims.evaluation.conflicts import EmergentClaim, FncPair, Headline, score_flags
from claims.evaluation.conflicts_run import (
    EmergentSettings,
    FncFeatures,
    FncSettings,
    _own_negations,
    _plain,
    _topic_words,
    apply_fnc_rules,
    body_lead,
    headline_stance,
    negation_about,
    predict_emergent,
    predict_fnc1,
    reference_text,
    stance_scores,
)
from claims.extraction.extract import Extractor


def _claim(claim_id: str, text: str, headlines: Sequence[tuple[str, str]]) -> EmergentClaim:
    heads = tuple(Headline(f"{claim_id}-{i}", h, s) for i, (h, s) in enumerate(headlines))
    stances = {s for _, s in headlines}
    return EmergentClaim(claim_id, text, heads, {"for", "against"} <= stances)


CLAIMS = [
    _claim(
        "c1",
        "A giant squid was found on a beach in Cornwall",
        [
            ("Giant squid washes up on Cornwall beach", "for"),
            ("Cornwall giant squid photo is a hoax, experts say", "against"),
            ("Was a giant squid really found in Cornwall?", "observing"),
        ],
    ),
    _claim(
        "c2",
        "The mayor of Springfield resigned",
        [
            ("Springfield mayor resigns after budget row", "for"),
            ("Mayor of Springfield quits his post", "for"),
            ("Springfield mayor reportedly set to resign", "observing"),
        ],
    ),
    _claim(
        "c3",
        "A famous singer died in a car crash",
        [
            ("No, the singer did not die in a car crash", "against"),
            ("Singer death story is fake, says manager", "against"),
        ],
    ),
]


@pytest.fixture(scope="module")
def scorer() -> RuleRelationScorer:
    return RuleRelationScorer()


def test_predict_emergent_flags_conflicting(
    extractor: Extractor, scorer: RuleRelationScorer
) -> None:
    prediction = predict_emergent(CLAIMS, extractor, scorer)
    assert prediction.flags == {"c1": True, "c2": False, "c3": False}
    gold = {c.claim_id: c.gold_conflicting for c in CLAIMS}
    assert score_flags(gold, prediction.flags).f1 == 1.0


def test_predict_emergent_headline_stances(
    extractor: Extractor, scorer: RuleRelationScorer
) -> None:
    prediction = predict_emergent(CLAIMS, extractor, scorer)
    got = {
        h.headline: prediction.stances[c.claim_id][h.article_id].stance
        for c in CLAIMS
        for h in c.headlines
    }
    assert got == {h.headline: h.stance for c in CLAIMS for h in c.headlines}
    assert stance_scores(CLAIMS, prediction)["macro_f1"] == 1.0


def test_predict_emergent_relations_setting_runs(
    extractor: Extractor, scorer: RuleRelationScorer
) -> None:
    settings = EmergentSettings(use_relations=True, negation="lexical")
    prediction = predict_emergent(CLAIMS, extractor, scorer, settings=settings)
    assert set(prediction.flags) == {"c1", "c2", "c3"}


@pytest.mark.parametrize(
    ("headline", "reference", "expected"),
    [
        ("Pope did not say pets go to heaven", "Pope says pets go to heaven", "against"),
        ("Pope says pets will not go to heaven", "Pope says pets will not go to heaven", "for"),
        ("Pope refuses to confirm or deny pets report", "Pope says pets go to heaven", "observing"),
    ],
)
def test_headline_stance_relative_to_reference(
    extractor: Extractor, headline: str, reference: str, expected: str
) -> None:
    from claims.comparison.relate import main_clause_negated

    negated = (
        main_clause_negated(extractor.nlp(headline)),
        main_clause_negated(extractor.nlp(reference)),
    )
    got = headline_stance(
        headline, reference, load_relation_cues(), EmergentSettings(), negated=negated
    )
    assert got.stance == expected


class BagOfWordsEmbedder:
    """A deterministic fake: hashed word counts, normalised (no model needed)."""

    model_name = "bow"
    dimension = 64

    def warm_up(self) -> None:
        return None

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, sum(map(ord, word.strip(".,"))) % self.dimension] += 1.0
            norm = float(np.linalg.norm(out[i]))
            if norm:
                out[i] /= norm
        return out


def test_predict_fnc1_labels() -> None:
    body = "The bridge over the river collapsed on Monday. Officials say the bridge is closed."
    hoax = "Claims that the bridge over the river collapsed are a hoax, officials say."
    pairs = [
        FncPair("Bridge over the river collapsed", 1, body, "agree"),
        FncPair("Bridge over the river collapsed", 2, hoax, "disagree"),
        FncPair("Cat elected mayor of small town", 1, body, "unrelated"),
    ]
    assert predict_fnc1(pairs, BagOfWordsEmbedder()) == ["agree", "disagree", "unrelated"]


@pytest.mark.parametrize(
    ("body_debunk", "headline_debunk", "headline_hedged", "headline_negated", "expected"),
    [
        (2, 0, False, False, "disagree"),  # "Bridge collapsed" vs a body calling it a hoax
        (2, 1, False, False, "agree"),  # "Bridge collapse was a hoax" vs the same body
        (2, 0, False, True, "agree"),  # "Bridge did not collapse" vs the same body
        (2, 0, True, False, "discuss"),  # "Bridge reportedly collapsed?" is only asked
        (0, 0, False, True, "disagree"),  # "Bridge did not collapse" vs a body reporting it
        (0, 0, True, True, "agree"),  # "Bridge did not collapse, engineer says": only reported
        (0, 0, False, False, "agree"),
    ],
)
def test_fnc_body_against_headline_polarity(
    body_debunk: int,
    headline_debunk: int,
    headline_hedged: bool,
    headline_negated: bool,
    expected: str,
) -> None:
    features = FncFeatures(
        similarity=0.9,
        overlap=1.0,
        debunk=body_debunk,
        hedge=0,
        headline_debunk=headline_debunk,
        headline_hedged=headline_hedged,
        headline_negated=headline_negated,
    )
    assert apply_fnc_rules([features], FncSettings()) == [expected]


def test_fnc_features_parse_headline_negation() -> None:
    from claims.extraction.nlp import load_spacy

    body = "The bridge over the river collapsed on Monday. Officials say the bridge is closed."
    pairs = [
        FncPair("Bridge over the river did not collapse", 1, body, "disagree"),
        FncPair("Bridge over the river collapsed", 1, body, "agree"),
    ]
    got = predict_fnc1(pairs, BagOfWordsEmbedder(), nlp=load_spacy())
    assert got == ["disagree", "agree"]


def test_body_lead_keeps_first_sentences() -> None:
    assert body_lead("One. Two!  Three? Four.", 2) == "One. Two!"


def test_own_negations_skip_the_reference_wording() -> None:
    cues = load_relation_cues()
    # idioms deny nothing: "can't stop", "not the first time"
    reference = "The mayor of Springfield resigned"
    assert _own_negations(_plain("You won't believe why the mayor resigned"), reference, cues) == 0
    assert _own_negations(_plain("Not the first mayor to resign"), reference, cues) == 0
    reference = "Fans adopted the chant 'never walk alone' at the final"
    assert _own_negations("Never walk alone chant spreads to the final", reference, cues) == 0
    assert _own_negations("Fans did not adopt the chant", reference, cues) == 1


def test_negation_about_the_claim(extractor: Extractor) -> None:
    topic = _topic_words(extractor.nlp("The council is selling the stadium"))
    aside = extractor.nlp("The council sold the stadium but the fans never cared")
    denial = extractor.nlp("Council says it did not sell the stadium")
    assert not negation_about(aside, topic)
    assert negation_about(denial, topic)


@pytest.mark.parametrize(
    ("headline", "similarity", "expected"),
    [
        ("The mayor did not resign", 0.8, "against"),
        # a negated headline far from the claim denies something else
        ("The mayor did not resign", 0.2, "for"),
    ],
)
def test_negation_needs_similarity(headline: str, similarity: float, expected: str) -> None:
    got = headline_stance(
        headline,
        "The mayor of Springfield resigned",
        load_relation_cues(),
        EmergentSettings(),
        similarity=similarity,
        negated=(True, False),
    )
    assert got.stance == expected


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        ("Springfield mayor accused of taking bribes", "observing"),
        ("Springfield mayor says bribe stories are rubbish", "against"),
        ("Springfield mayor laughs off bribe reports", "against"),
        ("Springfield mayor took bribes? No, says the auditor", "against"),
        ("Springfield mayor took bribes?", "observing"),
        ("Bribe photo of Springfield mayor was doctored", "against"),
        # everyday senses that deny nothing: fired, refused bail
        ("Springfield mayor dismissed after bribery scandal", "for"),
        ("Springfield mayor denied bail in bribery case", "for"),
        ("Springfield mayor's bribes mocked by satirical magazine", "for"),
        ("Protesters staged a sit-in over Springfield mayor's bribes", "for"),
        # "not fake" affirms: the double negative is no debunk and no denial
        ("Springfield mayor's bribe photo is not fake, experts say", "observing"),
        ("Springfield mayor: bribe photos are not fake", "for"),
    ],
)
def test_accusation_hedges_and_debunk_cues(headline: str, expected: str) -> None:
    got = headline_stance(
        headline, "The mayor of Springfield took bribes", load_relation_cues(), EmergentSettings()
    )
    assert got.stance == expected


@pytest.mark.parametrize(
    ("headline", "reference", "expected"),
    [
        # a label on the reference ("Claim ...") does not cancel the headline's own hedge
        ("Acme plans to split in two: report", "Claim Acme will split itself in two", "observing"),
        ("Acme to split in two", "Claim Acme will split itself in two", "for"),
        # a cue word that is part of the claim's wording is no hedge ("Ben May" is a name)
        ("Acme names Ben May as its new chief", "Acme named Ben May chief", "for"),
        # attribution reports what someone says; the outlet does not assert it
        ("Acme will split in two, analyst says", "Acme will split itself in two", "observing"),
        ("Acme apparently splitting in two", "Acme will split itself in two", "observing"),
        ("Acme mulls splitting in two", "Acme will split itself in two", "observing"),
    ],
)
def test_hedges_are_the_headline_own(headline: str, reference: str, expected: str) -> None:
    got = headline_stance(headline, reference, load_relation_cues(), EmergentSettings())
    assert got.stance == expected


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("Claim Acme will split in two", "Acme will split in two"),
        ("Claim: Acme will split in two", "Acme will split in two"),
        ("Claims about Acme are false", "Claims about Acme are false"),
        ("Acme will split in two", "Acme will split in two"),
    ],
)
def test_reference_text_drops_the_claim_label(claim: str, expected: str) -> None:
    assert reference_text(EmergentClaim("c", claim, (), False)) == expected


def test_run_climate_fever_scores_claims_and_evidence(tmp_path: Path) -> None:
    from claims.evaluation.conflicts_run import run_climate_fever

    evidence = [
        ("SUPPORTS", "The glacier has grown every year since 1990, surveys show."),
        ("REFUTES", "Claims that the glacier has grown are false, the survey office said."),
    ]
    record = {
        "claim_id": "1",
        "claim": "The glacier has grown since 1990.",
        "claim_label": "DISPUTED",
        "evidences": [
            {"evidence_id": f"e{i}", "evidence_label": label, "evidence": text}
            for i, (label, text) in enumerate(evidence)
        ],
    }
    path = tmp_path / "climate-fever.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    block = run_climate_fever(path)
    assert block["conflicting"]["true_positives"] == 1  # one "for", one explicit debunk
    assert block["stance"]["per_class"]["against"]["true_positives"] == 1
    assert block["f1_ci95"] == [1.0, 1.0]
