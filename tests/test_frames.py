"""Claim frames read from the real parse: slots and values on short invented sentences."""

from __future__ import annotations

import pytest

from claims.extraction.extract import Extractor
from claims.models import Document, Frame, Modality, Polarity


def frames_of(extractor: Extractor, text: str) -> list[Frame]:
    claims = extractor.run(Document(id="t", text=text))
    return [f for c in claims for f in c.frames]


def slots(frames: list[Frame]) -> set[tuple[str, str | None, float | None, float | None]]:
    return {(f.event, f.category, f.low, f.high) for f in frames}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Six soldiers died in the clash, the army said.", ("killed", "soldiers", 6.0, 6.0)),
        ("At least 15 villagers are dead, the mayor said.", ("killed", "people", 15.0, None)),
        ("The clinic treated 22 wounded people, a nurse said.", ("wounded", "people", 22.0, 22.0)),
        ("Police said 40 protesters were arrested.", ("arrested", "protesters", 40.0, 40.0)),
        (
            "The company said about 300 barrels of oil leaked.",
            ("spilled", "volume", 47700.0, 47700.0),
        ),
        ("Medics said 14 fans sought medical help.", ("wounded", "people", 14.0, 14.0)),
        ("The agency counted 5,000 displaced people.", ("displaced", "people", 5000.0, 5000.0)),
        ("Officials said the death toll rose to 12.", ("killed", "people", 12.0, 12.0)),
        (
            "The agency said the number of people hurt in the storm has reached 40.",
            ("wounded", "people", 40.0, 40.0),
        ),
    ],
)
def test_frames_counted_slot_and_value(
    extractor: Extractor, text: str, expected: tuple[str, str, float, float | None]
) -> None:
    assert expected in slots(frames_of(extractor, text))


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("The army said no soldier was killed.", ("killed", "soldiers")),
        ('"Our forces suffered no losses," the navy said.', ("killed", "soldiers")),
        ('"Not one soldier was killed," a spokesman said.', ("killed", "soldiers")),
        ('"Not a lone civilian was hurt," the governor said.', ("wounded", "people")),
        ('"No civilian casualties were recorded," the ministry said.', ("killed", "people")),
    ],
)
def test_frames_zero_readings(extractor: Extractor, text: str, slot: tuple[str, str]) -> None:
    zeros = [f for f in frames_of(extractor, text) if f.polarity is Polarity.NEGATED]
    assert [(f.event, f.category, f.low, f.high) for f in zeros] == [(*slot, 0.0, 0.0)]


def test_frames_wounded_is_not_killed(extractor: Extractor) -> None:
    found = slots(frames_of(extractor, "Nine people were injured, the fire brigade said."))
    assert ("wounded", "people", 9.0, 9.0) in found
    assert not any(event == "killed" for event, *_ in found)


def test_frames_hedge_is_marked(extractor: Extractor) -> None:
    frames = frames_of(
        extractor, "The agency said it could not confirm that 30 workers had died in the fire."
    )
    assert frames
    assert {f.modality for f in frames} == {Modality.HEDGED}


def test_frames_trigger_is_a_span_of_the_text(extractor: Extractor) -> None:
    text = "Officials said more than 200 homes were destroyed and no one was hurt."
    for f in frames_of(extractor, text):
        assert text[f.trigger.start : f.trigger.end] == f.trigger.text


def test_frames_a_number_after_its_noun_names_and_a_rejected_one_counts_nothing(
    extractor: Extractor,
) -> None:
    text = '"Nine of our workers died on platform 3, not five," the foreman said.'
    assert {(f.low, f.high) for f in frames_of(extractor, text)} == {(9.0, 9.0)}


def test_frames_a_part_named_by_pronoun_is_of_the_same_slot(extractor: Extractor) -> None:
    text = "The mayor said 30 firefighters were hurt, six of them badly."
    found = slots(frames_of(extractor, text))
    assert len({(e, c) for e, c, _, _ in found}) == 1  # the six are some of the thirty
    assert {low for _, _, low, _ in found} == {30.0, 6.0}


def test_frames_one_of_the_things_is_no_count_of_them(extractor: Extractor) -> None:
    text = "The owner said a pump taken from one of the flooded sheds was found on Friday."
    assert frames_of(extractor, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Officials said the leaking well loses about 400 barrels a day.",
        "The charity said the camp takes in 300 families per week.",
        "The mayor said 11 people had died in the old town alone.",
    ],
)
def test_frames_a_rate_or_a_part_is_no_total(extractor: Extractor, text: str) -> None:
    assert frames_of(extractor, text) == []


def test_frames_a_day_after_is_a_time_not_a_rate(extractor: Extractor) -> None:
    text = "Rescuers said 12 people died a day after the storm."
    assert ("killed", "people", 12.0, 12.0) in slots(frames_of(extractor, text))


def test_frames_lexicon_reads_a_hedge_off_the_text() -> None:
    from claims.extraction.frames import load_frame_lexicon

    lex = load_frame_lexicon()
    assert lex.hedged("the agency could not confirm that the letters arrived")
    assert lex.hedged("officials say the dam may have been opened early")
    assert not lex.hedged("the agency sent letters to every village")


def test_frames_a_multiword_unit_names_the_thing(extractor: Extractor) -> None:
    text = "The operator said about 12 cubic metres of water escaped from the tank."
    assert {f.category for f in frames_of(extractor, text)} == {"volume"}


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("Police said a 3-year-old boy died in the fire.", ("killed", "people")),
        ("Medics said a man was found dead near the bridge.", ("killed", "people")),
        ('"The crash killed my brother," she said.', ("killed", "people")),
    ],
)
def test_frames_a_victim_in_words_is_at_least_one(
    extractor: Extractor, text: str, slot: tuple[str, str]
) -> None:
    # at least one: it meets "nobody died" as a conflict and any toll as a part of it
    assert (*slot, 1.0, None) in slots(frames_of(extractor, text))


def test_frames_a_tally_of_nothing_counted_stays_a_bare_figure(extractor: Extractor) -> None:
    found = slots(frames_of(extractor, "The mayor said the number of visitors rose to 300."))
    assert all(event not in {"killed", "wounded"} for event, _, _, _ in found)


def test_frames_a_plain_subject_is_no_victim(extractor: Extractor) -> None:
    assert frames_of(extractor, "A man said the bridge was closed all day.") == []
    assert frames_of(extractor, "The mayor said a soldier was not hurt.") == []


def test_frames_no_reports_of_harm_is_a_zero(extractor: Extractor) -> None:
    text = "The firm said there had been no reports of harm to patients."
    zeros = [f for f in frames_of(extractor, text) if f.polarity is Polarity.NEGATED]
    assert [(f.event, f.low) for f in zeros] == [("wounded", 0.0)]


@pytest.mark.parametrize(
    "text",
    [
        '"The claim that two of our soldiers were killed is a lie," the colonel said.',
        "The governor said reports that 40 people died were false.",
        "The ministry denied that 40 people had died.",
        '"We reject the allegation that 12 protesters were arrested," police said.',
    ],
)
def test_frames_a_count_called_false_is_denied(extractor: Extractor, text: str) -> None:
    counted = [f for f in frames_of(extractor, text) if f.low]
    assert counted
    assert all(f.polarity is Polarity.DENIED for f in counted)


def test_frames_a_confirmed_report_is_asserted(extractor: Extractor) -> None:
    text = "The mayor said the report that 12 people died had been confirmed by the hospital."
    counted = [f for f in frames_of(extractor, text) if f.low]
    assert counted
    assert all(f.polarity is Polarity.ASSERTED for f in counted)


def test_frames_it_in_a_bodys_words_is_the_speakers_side(extractor: Extractor) -> None:
    zeros = frames_of(extractor, "The army said it suffered no losses.")
    assert [(f.side, f.polarity) for f in zeros] == [("SELF", Polarity.NEGATED)]


def test_frames_an_age_is_no_count(extractor: Extractor) -> None:
    text = "The hospital said the two victims, a man of 70 and a woman of 34, had died."
    assert slots(frames_of(extractor, text)) == {("killed", "people", 2.0, 2.0)}


def test_frames_recovered_and_tonnes_have_their_own_slots(extractor: Extractor) -> None:
    found = slots(frames_of(extractor, "The agency said 150 barrels of oil were recovered."))
    assert ("recovered", "volume", 150.0 * 159, 150.0 * 159) in found
    found = slots(frames_of(extractor, "The firm said 300 tonnes of oil spilled into the sea."))
    assert ("spilled", "mass", 300_000.0, 300_000.0) in found


def test_frames_not_one_is_a_zero_only(extractor: Extractor) -> None:
    found = frames_of(extractor, '"Not one soldier died at the post," the colonel said.')
    assert [(f.low, f.polarity) for f in found] == [(0.0, Polarity.NEGATED)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The group said it stole two terabytes of data.", ("data", 2000.0)),
        ("The hospital said hackers copied about 60 gigabytes of files.", ("data", 60.0)),
        ("The firm said 12 cubic metres of water escaped.", ("volume", 12000.0)),
        ("Officials said the fire burned 100 square kilometres.", ("area", 10000.0)),
    ],
)
def test_frames_measures_compare_in_one_unit(
    extractor: Extractor, text: str, expected: tuple[str, float]
) -> None:
    assert expected in {(f.category, f.low) for f in frames_of(extractor, text)}


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("The ministry said 32 guards had been on duty that night.", "on_duty"),
        ("The operator said 412 passengers were on board.", "aboard"),
        ("The hospital said 24 patients remain in hospital.", "hospitalised"),
    ],
)
def test_frames_a_state_phrase_names_the_slot(extractor: Extractor, text: str, event: str) -> None:
    assert event in {f.event for f in frames_of(extractor, text)}


def test_frames_a_reported_denial_denies_only_before_the_speakers_own_words(
    extractor: Extractor,
) -> None:
    text = (
        "The ministry rejected claims that the deal cost $4.8 billion, saying it was worth "
        "$2.1 billion."
    )
    polarity = {f.low: f.polarity for f in frames_of(extractor, text)}
    assert polarity == {4.8e9: Polarity.DENIED, 2.1e9: Polarity.ASSERTED}
    quoted = '"The claims are false. Our toll of 41 is verified," the agency said, rejecting them.'
    assert all(f.polarity is Polarity.ASSERTED for f in frames_of(extractor, quoted) if f.low)
