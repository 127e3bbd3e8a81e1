"""Slot comparison on hand-built readings: numeric, negation, denial, update, agreement, and
invariants checked with Hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from claims.comparison.facts import Reading, SlotComparer
from claims.models import (
    Claim,
    Claimant,
    ClaimKind,
    Frame,
    Modality,
    Polarity,
    RelationType,
    Span,
    Stance,
)

COMPARER = SlotComparer()


def reading(
    cid: str,
    source: str,
    low: float | None,
    high: float | None,
    *,
    event: str = "killed",
    category: str = "soldiers",
    rank: int = 0,
    text: str = "six soldiers were killed",
    negated: bool = False,
    modality: Modality = Modality.ASSERTED,
    stance: Stance = Stance.ASSERTED,
) -> Reading:
    span = Span(start=0, end=len(text), text=text)
    frame = Frame(
        event=event,
        category=category,
        low=low,
        high=high,
        polarity=Polarity.NEGATED if negated else Polarity.ASSERTED,
        modality=modality,
        trigger=span,
    )
    claim = Claim(
        id=cid,
        document_id=f"doc-{rank}",
        speaker=None,
        cue=None,
        content=span,
        kind=ClaimKind.INDIRECT,
        claimant=Claimant(name=source),
        stance=stance,
        frames=[frame],
    )
    return Reading(claim=claim, frame=frame, source=source, party=source, rank=rank)


def relations(*readings: Reading) -> list[tuple[str, str, str, str]]:
    out = COMPARER.run(readings)
    return sorted((r.a, r.b, r.type.value, r.reason.code) for r in out.relations)


def test_facts_numeric_conflict_between_sources() -> None:
    assert relations(reading("a", "army", 6, 6), reading("b", "rebels", 20, None)) == [
        ("a", "b", "conflicts", "numeric")
    ]


def test_facts_at_least_is_compatible_and_no_agreement() -> None:
    assert relations(reading("a", "mayor", 15, None), reading("b", "chief", 37, 37)) == []


def test_facts_approximate_values_overlap() -> None:
    # "some 20" vs 21: within the tolerance, the same figure
    a = reading("a", "police", 20, 20)
    a = Reading(
        claim=a.claim,
        frame=a.frame.model_copy(update={"approximate": True}),
        source="police",
        party="police",
        rank=0,
    )
    assert relations(a, reading("b", "medics", 21, 21)) == [
        ("a", "b", "corroborates", "numeric_agree")
    ]


def test_facts_negation_and_denial() -> None:
    none = reading("a", "army", 0, 0, negated=True, text="no soldier was killed")
    assert relations(none, reading("b", "rebels", 20, 20)) == [("a", "b", "conflicts", "negation")]
    denied = reading(
        "a", "army", 0, 0, negated=True, text="This is propaganda. Not one soldier died."
    )
    assert relations(denied, reading("b", "rebels", 20, 20)) == [("a", "b", "conflicts", "denial")]


def test_facts_update_by_the_same_source_is_no_conflict() -> None:
    out = relations(reading("a", "police", 7, 7, rank=0), reading("b", "police", 9, 9, rank=1))
    assert out == [("a", "b", "updates", "update")]


def test_facts_different_victims_and_events_do_not_meet() -> None:
    assert (
        relations(reading("a", "army", 12, 12, category="people"), reading("b", "rebels", 20, 20))
        == []
    )
    assert (
        relations(reading("a", "medics", 22, 22, event="wounded"), reading("b", "army", 6, 6)) == []
    )


def test_facts_a_figure_without_an_event_joins_the_one_its_category_has() -> None:
    # "the bid documents put the deal at $3 billion" against "the deal cost $1.2 billion"
    put = reading("a", "papers", 3e9, 3e9, event="put", category="money", text="put it at $3bn")
    cost = reading("b", "ministry", 1.2e9, 1.2e9, event="cost", category="money", text="cost")
    assert relations(put, cost) == [("a", "b", "conflicts", "numeric")]


def test_facts_two_figures_of_a_thing_without_counted_events_meet_as_amounts() -> None:
    # "a valve failure let 12 cubic metres escape" / "12 cubic metres of water leaked out"
    a = reading("a", "operator", 12, 12, event="let", category="volume", text="let 12 m3 out")
    b = reading("b", "inspectors", 12, 12, event="go", category="volume", text="12 m3 went out")
    assert relations(a, b) == [("a", "b", "corroborates", "numeric_agree")]
    # durations stay apart: "worked for 12 hours" is no figure of "drove for 14 hours"
    c = reading("c", "union", 12, 12, event="work", category="hours", text="worked 12 hours")
    d = reading("d", "police", 14, 14, event="drive", category="hours", text="drove 14 hours")
    assert relations(c, d) == []


def test_facts_a_bare_count_of_people_needs_the_event_word() -> None:
    inside = reading("a", "guide", 300, 300, event="be", category="people", text="300 were inside")
    held = reading("b", "group", 300, 300, event="be", category="people", text="300 were held")
    killed = reading("c", "police", 12, 12, event="killed", category="people", text="12 died")
    arrested = reading("d", "police", 40, 40, event="arrested", category="people", text="arrests")
    assert relations(inside, killed) == []  # no toll: nobody said these 300 died
    assert relations(held, killed, arrested) == []  # "held" is no word of either event
    detained = reading("e", "group", 90, 90, event="have", category="people", text="90 detained")
    assert relations(detained, killed, arrested) == [("d", "e", "conflicts", "numeric")]


def test_facts_a_victim_in_words_meets_none_but_not_a_toll() -> None:
    one = reading("a", "daughter", 1, None, category="people", text="the pills killed my mother")
    none = reading("b", "firm", 0, 0, category="people", negated=True, text="nobody died")
    toll = reading("c", "police", 12, 12, category="people", text="12 people died")
    assert relations(one, none) == [("a", "b", "conflicts", "negation")]
    assert relations(one, toll) == []  # one named victim is part of the twelve


def test_facts_hedge_contradicts_nothing() -> None:
    hedge = reading("a", "agency", 30, 30, modality=Modality.HEDGED)
    assert relations(hedge, reading("b", "union", 11, 11)) == []


def test_facts_fact_sheet_row_per_slot() -> None:
    out = COMPARER.run(
        [
            reading("a", "army", 6, 6, rank=0),
            reading("b", "rebels", 20, None, rank=1),
            reading("c", "official", 9, None, rank=2),
            reading("d", "army", 7, 7, rank=3),
        ]
    )
    assert len(out.rows) == 1
    row = out.rows[0]
    assert row.label == "soldiers killed"
    assert [(c.source, c.value) for c in row.cells] == [
        ("army", "6 → 7"),
        ("rebels", "≥ 20"),
        ("official", "≥ 9"),
    ]


values = st.one_of(
    st.tuples(st.integers(0, 50), st.just(True)),
    st.tuples(st.integers(0, 50), st.just(False)),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["army", "rebels", "mayor"]), st.integers(0, 40), st.booleans()),
        min_size=1,
        max_size=7,
    )
)
def test_facts_invariants(items: list[tuple[str, int, bool]]) -> None:
    readings = [
        reading(f"c{i}", src, v, v if exact else None, rank=i)
        for i, (src, v, exact) in enumerate(items)
    ]
    out = COMPARER.run(readings)
    by_id = {r.claim.id: r for r in readings}
    for rel in out.relations:
        assert rel.a < rel.b  # stored once, symmetric by construction
        assert rel.a != rel.b  # no claim relates to itself
        same = by_id[rel.a].source == by_id[rel.b].source
        if rel.type is RelationType.CONFLICTS:
            assert not same  # an update chain from one source never conflicts
        if rel.type is RelationType.UPDATES:
            assert same
    for row in out.rows:
        assert len(row.cells) <= len({r.source for r in readings})


def _with(r: Reading, **update: object) -> Reading:
    return Reading(
        claim=r.claim,
        frame=r.frame.model_copy(update=update),
        source=r.source,
        party=r.party,
        rank=r.rank,
    )


def test_facts_a_denied_count_conflicts_with_the_same_count_only() -> None:
    # "the claim that two of our soldiers died is a lie" against "two soldiers were killed"
    denied = _with(reading("a", "army", 2, 2), polarity=Polarity.DENIED)
    assert relations(denied, reading("b", "ministry", 2, 2)) == [("a", "b", "conflicts", "denial")]
    # denying 40 is not asserting 12, and agrees with nobody
    assert relations(_with(reading("a", "army", 40, 40), polarity=Polarity.DENIED),
                     reading("b", "ministry", 12, 12)) == []  # fmt: skip
    out = COMPARER.run([denied, reading("b", "ministry", 2, 2)])
    assert sorted(len(g) for g in out.groups) == [1, 1]  # the denial is no statement of the fact
    cells = {c.source: c.value for row in out.rows for c in row.cells}
    assert cells == {"army": "not 2", "ministry": "2"}


def test_facts_a_speakers_own_people_meet_its_named_soldiers() -> None:
    # "we suffered no losses" (the border service's own people) vs "two of its soldiers died"
    ours = _with(
        reading("a", "border service", 0, 0, category="people", negated=True),
        side="SELF",
    )
    theirs = _with(reading("b", "ministry", 2, 2), side="border service")
    assert relations(ours, theirs) == [("a", "b", "conflicts", "negation")]
    # someone's unnamed people still do not meet soldiers of no side
    anyone = reading("c", "mayor", 0, 0, category="people", negated=True)
    assert relations(anyone, reading("d", "ministry", 2, 2)) == []


def test_facts_a_figure_its_source_revised_meets_no_other_source() -> None:
    # the operator said five were killed, later seven; the ministry's seven is no conflict
    # with the operator's first figure, and the operator's revision is an update
    first = reading("a", "operator", 5, 5, rank=0)
    later = reading("b", "operator", 7, 7, rank=2)
    ministry = reading("c", "ministry", 7, 7, rank=1)
    assert relations(first, later, ministry) == [
        ("a", "b", "updates", "update"),
        ("b", "c", "corroborates", "numeric_agree"),
    ]
    # a source that never revised its figure still conflicts with a different one
    assert relations(first, reading("d", "union", 9, 9, rank=1)) == [
        ("a", "d", "conflicts", "numeric")
    ]


def test_facts_mass_is_not_volume() -> None:
    five_tonnes = reading("a", "town hall", 5, 5, event="spilled", category="mass")
    twelve_m3 = reading("b", "company", 12, 12, event="spilled", category="volume")
    assert relations(five_tonnes, twelve_m3) == []
