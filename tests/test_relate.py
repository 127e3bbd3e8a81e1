"""The relate stage on hand-written sentence pairs run through the real extractor."""

from __future__ import annotations

import pytest

from claims.comparison.relate import (
    RuleRelationScorer,
    answered_no,
    interval,
    load_relation_cues,
    main_clause_negated,
    negated_clauses,
    relate_all,
)
from claims.extraction.extract import Extractor
from claims.models import Claim, Document, RelationType


@pytest.fixture(scope="session")
def scorer() -> RuleRelationScorer:
    s = RuleRelationScorer()
    s.warm_up()
    return s


def first_claim(extractor: Extractor, text: str, doc_id: str) -> tuple[Claim, str]:
    claims = extractor.run(Document(id=doc_id, text=text))
    assert claims, text
    return claims[0], text


def relate(
    extractor: Extractor, scorer: RuleRelationScorer, x: str, y: str
) -> tuple[RelationType | None, str | None]:
    (a, ta), (b, tb) = first_claim(extractor, x, "a"), first_claim(extractor, y, "b")
    rel = scorer.relate(a, b, ta, tb)
    return (rel.type, rel.reason.code) if rel else (None, None)


CONFLICTS = RelationType.CONFLICTS
CORROBORATES = RelationType.CORROBORATES


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        pytest.param(
            "Six soldiers died in the attack, the Malian army said.",
            "Four soldiers were killed in the attack, the rebels said.",
            (CONFLICTS, "numeric"),
            id="numeric-exact",
        ),
        pytest.param(
            "Six soldiers died in the attack, the Malian army said.",
            "Six troops were killed in the attack, the rebels said.",
            (CORROBORATES, "numeric_agree"),
            id="numeric-synonym-units",
        ),
        pytest.param(
            "About 100 people were displaced, the agency said.",
            "105 people were displaced, aid workers said.",
            (CORROBORATES, "numeric_agree"),
            id="approximate-within-10pct",
        ),
        pytest.param(
            "About 100 people were displaced, the agency said.",
            "130 people were displaced, aid workers said.",
            (CONFLICTS, "numeric"),
            id="approximate-beyond-10pct",
        ),
        pytest.param(
            "At least 24 fighters were killed, officials said.",
            "Twenty fighters were killed, the rebels said.",
            (CONFLICTS, "numeric"),
            id="at-least-below-bound",
        ),
        pytest.param(
            "At least 24 fighters were killed, officials said.",
            "Thirty fighters were killed, the rebels said.",
            (CORROBORATES, "numeric_agree"),
            id="at-least-above-bound",
        ),
        pytest.param(
            "10 to 20 people died, medics said.",
            "Fifteen people died, police said.",
            (CORROBORATES, "numeric_agree"),
            id="range-overlaps",
        ),
        pytest.param(
            "10 to 20 people died, medics said.",
            "Forty people died, police said.",
            (CONFLICTS, "numeric"),
            id="range-disjoint",
        ),
        pytest.param(
            "The army attacked the rebels, the government said.",
            "The army denied that it attacked the rebels.",
            (CONFLICTS, "denial"),
            id="denial-stance",
        ),
        pytest.param(
            "The army attacked the village, witnesses said.",
            "Reports that the army attacked the village are a hoax, the minister said.",
            (CONFLICTS, "denial"),
            id="denial-hoax",
        ),
        pytest.param(
            "The army attacked the village, witnesses said.",
            "The minister laughed off reports that the army attacked the village.",
            (CONFLICTS, "denial"),
            id="denial-dismissal",
        ),
        pytest.param(
            "Ten people were killed in the attack, police said.",
            "No one was killed in the attack, the mayor said.",
            (CONFLICTS, "negation"),
            id="negation-no-one",
        ),
        pytest.param(
            "The army attacked the rebels, the government said.",
            "The army did not attack the rebels, a spokesman said.",
            (CONFLICTS, "negation"),
            id="negation-did-not",
        ),
        pytest.param(
            "The army attacked the rebels, the government said.",
            "The rebels attacked the army, a spokesman said.",
            (CONFLICTS, "role_swap"),
            id="role-swap",
        ),
        pytest.param(
            "The army attacked the village on 3 May 2021, the government said.",
            "The army attacked the village on 10 May 2021, witnesses said.",
            (CONFLICTS, "time"),
            id="time",
        ),
        pytest.param(
            "The army attacked the village on 3 May 2021, the government said.",
            "The army attacked the village on 4 May 2021, witnesses said.",
            (CORROBORATES, "same_fact"),
            id="time-within-a-day",
        ),
        pytest.param(
            "The army attacked the village in Paris, the government said.",
            "The army attacked the village in northern Syria, witnesses said.",
            (CONFLICTS, "place"),
            id="place",
        ),
        pytest.param(
            "The army attacked the village, the government said.",
            "The army attacked the village, witnesses said.",
            (CORROBORATES, "same_fact"),
            id="same-fact",
        ),
        pytest.param(
            "Six soldiers died, the army said.",
            "Four vehicles were destroyed, the rebels said.",
            (None, None),
            id="different-units-no-relation",
        ),
        pytest.param(
            "The photo of the flooded square is fake, the mayor said.",
            "The photo of the flooded square is genuine, the agency said.",
            (CONFLICTS, "denial"),
            id="debunk-vs-assert",
        ),
        pytest.param(
            "The photo of the flooded square is not fake, the mayor said.",
            "The photo of the flooded square shows the flood, the agency said.",
            (None, None),
            id="not-fake-is-no-denial",
        ),
    ],
)
def test_relate_rules(
    extractor: Extractor,
    scorer: RuleRelationScorer,
    x: str,
    y: str,
    expected: tuple[RelationType | None, str | None],
) -> None:
    assert relate(extractor, scorer, x, y) == expected


def test_relate_reason_names_claimants(extractor: Extractor, scorer: RuleRelationScorer) -> None:
    (a, ta) = first_claim(extractor, "Six soldiers died in the attack, the Malian army said.", "a")
    (b, tb) = first_claim(extractor, "Four soldiers were killed in the attack, the CMA said.", "b")
    rel = scorer.relate(a, b, ta, tb)
    assert rel is not None
    assert "Malian army" in rel.reason.text
    assert "CMA" in rel.reason.text
    assert "Six" in rel.reason.text
    assert "Four" in rel.reason.text
    assert 0.0 <= rel.score <= 1.0


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ("Six soldiers died, the army said.", "Four troops were killed, the rebels said."),
        ("The army attacked the rebels, officials said.", "The rebels attacked the army."),
        ("The army attacked the rebels, officials said.", "The army denied attacking the rebels."),
    ],
)
def test_relate_symmetric(extractor: Extractor, scorer: RuleRelationScorer, x: str, y: str) -> None:
    (a, ta), (b, tb) = first_claim(extractor, x, "a"), first_claim(extractor, y, "b")
    ab, ba = scorer.relate(a, b, ta, tb), scorer.relate(b, a, tb, ta)
    assert ab == ba
    assert ab is not None
    assert ab.a < ab.b


def test_relate_all_dedupes_and_orders(extractor: Extractor, scorer: RuleRelationScorer) -> None:
    texts = [
        "Six soldiers died in the attack, the army said.",
        "Four soldiers were killed in the attack, the rebels said.",
        "Six troops died in the attack, a doctor said.",
    ]
    pairs = [first_claim(extractor, t, f"d{i}") for i, t in enumerate(texts)]
    ids = [c.id for c, _ in pairs]
    same = [
        (ids[0], ids[1]),
        (ids[1], ids[0]),
        (ids[0], ids[0]),
        (ids[2], ids[0]),
        (ids[1], ids[2]),
    ]
    rels = relate_all(pairs, scorer, same)
    keys = [(r.a, r.b) for r in rels]
    assert len(keys) == len(set(keys)) == 3
    assert all(a < b for a, b in keys)
    types = {frozenset((r.a, r.b)): r.type for r in rels}
    assert types[frozenset((ids[0], ids[2]))] is RelationType.CORROBORATES
    assert types[frozenset((ids[0], ids[1]))] is RelationType.CONFLICTS


def test_relate_all_unknown_id_raises(scorer: RuleRelationScorer) -> None:
    with pytest.raises(KeyError):
        relate_all([], scorer, [("x", "y")])


def test_interval_bounds(extractor: Extractor) -> None:
    (c, _) = first_claim(extractor, "At least 24 fighters were killed, officials said.", "a")
    bounds = interval(c.quantities[0], 0.1)
    assert bounds is not None
    lo, hi = bounds
    assert lo == 24
    assert hi == float("inf")


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("Council did not sell the stadium", True),
        ("Council says it did not sell the stadium", True),
        # headlinese drops the copula: "the painting was not stolen"
        ("Rare painting not stolen from city museum, police say", True),
        # "No," after a label
        ("Fact check: No, the old bridge did not collapse", True),
        # an infinitive "not to" gives advice, it denies nothing
        ("Four reasons not to cancel your summer trip", False),
        ("Council sold the stadium", False),
        # a purpose clause says what an act should prevent, in either casing
        ("The mayor hired a guard so he won't get robbed again", False),
        ("Mayor Hires Guard So Thieves Won't Return", False),
        # ... but a result "so" after a comma, or a discourse "So, ...", still negates
        ("The mayor is not resigning, so the council will not meet", True),
        ("So, the mayor did not resign", True),
        # a denied past intention admits the act; a present one denies the plan
        ("I never meant to flood the village, says the dam keeper", False),
        ("The keeper did not intend to open the sluice", False),
        ("The council does not intend to sell the stadium", True),
        # a quoted slogan is mentioned, not asserted; a quote someone is said to say is reported
        ("\u201cHands off, don\u2019t touch\u201d spreads to the harbour protests", False),
        ("Dockers march to the harbour: \u2018Hands off, don\u2019t touch\u2019", False),
        ("\u2018We did not attack the convoy,\u2019 rebels say", True),
        ("Rebels: \u201cWe did not attack the convoy\u201d", True),
        # curly apostrophes, as news copy writes them, in either casing
        ("Council didn\u2019t sell the stadium", True),
        ("Mayor Didn\u2019t Sell The Stadium To Pay The Debts", True),
        ("Museum\u2019s painting wasn\u2019t stolen, police say", True),
    ],
)
def test_main_clause_negated(extractor: Extractor, text: str, negated: bool) -> None:
    assert main_clause_negated(extractor.nlp(text)) is negated


def test_negated_clauses_names_the_negated_clause(extractor: Extractor) -> None:
    (head,) = negated_clauses(
        extractor.nlp("The council sold the stadium but the fans never cared")
    )
    assert head.lower_ == "cared"
    assert head.dep_ == "conj"
    (root,) = negated_clauses(extractor.nlp("Council did not sell the stadium"))
    assert root.dep_ == "ROOT"


@pytest.mark.parametrize(
    ("text", "dismissed"),
    [
        ("Director kills stolen car rumour with a photo", True),
        ("Mayor laughs off reports that he will resign", True),
        ("Bridge collapse story is a complete fabrication, engineers say", True),
        ("Rumours of his death greatly exaggerated", True),
        ("Mayor laughs off bribe reports", True),
        # "despite" the story: the headline asserts what the story contradicts
        ("Singer alive and well despite death reports", True),
        # a story noun naming who says it is an attribution, not an object of dismissal
        ("Gunman kills three, reports say", False),
        ("Hostage killed in air strike, group claims", False),
        ("Mayor resigns after bribery reports", False),
        # criticism is no dismissal: "slams X over a report"
        ("Senator slams agency over torture report", False),
    ],
)
def test_dismissal_cues(text: str, dismissed: bool) -> None:
    assert bool(load_relation_cues().dismissal_re.search(text)) is dismissed


@pytest.mark.parametrize(
    ("text", "answered"),
    [
        ("Is the mayor resigning? No", True),
        ("Did the dog save the boy? Probably not", True),
        ("Aliens in the lake? No, says the sheriff", True),
        ("Is the mayor resigning?", False),
        ("Is the mayor resigning? Council meets tonight", False),
        # a long second sentence is no short answer
        ("Who saw it? The crash that nobody survived shook the whole small town", False),
        ("The mayor is not resigning", False),
    ],
)
def test_answered_no(text: str, answered: bool) -> None:
    assert answered_no(text, load_relation_cues()) is answered


@pytest.mark.parametrize(
    ("text", "reference", "contrary"),
    [
        ("Missing sailor found alive on a raft", "Missing sailor died at sea", "alive"),
        ("Aid worker says she is safe", "Aid worker kidnapped by rebels", "safe"),
        ("Museum says the old painting is safe", "Old painting stolen from museum", "safe"),
        # no event the contrary word would contradict
        ("Museum says the old painting is safe", "Museum buys an old painting", None),
        # the reference already uses the word
        ("Sailor found alive", "Sailor found alive after he was feared dead", None),
        ("Experts say the landing photo is real", "The landing photo was faked", "is real"),
        # survivors of an attack do not contradict those it killed
        ("Two crew members safe after the attack", "Attack killed three sailors", None),
    ],
)
def test_contrary_words(text: str, reference: str, contrary: str | None) -> None:
    assert load_relation_cues().contrary(text, reference) == contrary


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        # a negated debunk word affirms the story: no debunk cue, no negation left
        ("Lake monster photo: it's not fake", "Lake monster photo: it's  "),
        ("Mayor says the bribe story is not a hoax", "Mayor says the bribe story is  "),
        ("Ghost video isn't fake at all", "Ghost video is  at all"),
        # debunk phrases that start with a negation stay
        ("The bribe story is not true", "The bribe story is not true"),
        ("There is no evidence of bribes", "There is no evidence of bribes"),
        ("Mayor refuses to confirm or deny the story", "Mayor refuses to   the story"),
        ("Curly ’quotes’ are made straight", "Curly 'quotes' are made straight"),
    ],
)
def test_cue_plain_text(text: str, plain: str) -> None:
    assert load_relation_cues().plain(text) == plain


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        # a quotation mark opening the cue word does not hide it
        ("Mayor 'DENIES taking bribes'", ["DENIES"]),
        ("Mayor ‘denies’ bribes", ["denies"]),
        ("Mayor denies bribes", ["denies"]),
        # an apostrophe inside a word does: "o'deny" is no cue word
        ("The o'deny brand", []),
    ],
)
def test_cues_inside_quotation_marks(text: str, hits: list[str]) -> None:
    assert load_relation_cues().denial_re.findall(text) == hits


@pytest.mark.parametrize(
    ("text", "debunks"),
    [
        ("The minister says the flood report was made up", True),
        ("Did the paper make up this story about the dam?", True),
        # other senses of "make up": deciding, consisting of, compensating
        ("The minister has made up his mind to close the dam", False),
        ("A panel made up of engineers inspected the dam", False),
        ("The council will make up for the lost wages", False),
    ],
)
def test_made_up_senses(text: str, debunks: bool) -> None:
    cues = load_relation_cues()
    assert bool(cues.debunk_re.search(cues.plain(text))) is debunks


def test_relate_clock_times_are_read_in_both_styles() -> None:
    from claims.comparison.relate import clock_times

    assert [m for m, _ in clock_times("the doors opened at 9 am and closed at 5.15 p.m.")] == [
        540,
        1035,
    ]
    assert [m for m, _ in clock_times("the first call came at 04:10")] == [250]
    assert clock_times("a 2.30 per cent rise and 3.5 million people") == []


def test_relate_the_same_happening_at_two_times_of_day_conflicts(
    extractor: Extractor, scorer: RuleRelationScorer
) -> None:
    early = "The museum said its doors opened at 9 am on Saturday."
    late = "A guard said the doors opened at about 11.30 am on Saturday."
    near = "A visitor said the doors opened at 9.10 am on Saturday."
    assert relate(extractor, scorer, early, late) == (CONFLICTS, "time")
    assert relate(extractor, scorer, early, near)[0] is not CONFLICTS
