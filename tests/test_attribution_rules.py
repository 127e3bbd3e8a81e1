"""Exact-span tests for single attribution rules, on short hand-written sentences."""

from __future__ import annotations

import pytest

from claims.extraction.attribution import AttributionFinder
from claims.extraction.extract import Extractor
from claims.models import Document

Triple = tuple[str | None, str | None, str]


def triples(extractor: Extractor, text: str) -> list[Triple]:
    doc = extractor.nlp(text)

    def cut(span: tuple[int, int] | None) -> str | None:
        return text[span[0] : span[1]] if span is not None else None

    return [
        (cut(a.speaker), cut(a.cue), text[a.content[0] : a.content[1]])
        for a in AttributionFinder(extractor.lexicon).run(doc)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Polls that showed the mayor ahead were published on Monday.",
        "The figures, which were released late, came from a survey that found little change.",
    ],
)
def test_relative_that_is_not_a_source(extractor: Extractor, text: str) -> None:
    assert all(speaker != "that" for speaker, _, _ in triples(extractor, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The mayor called the plan a disaster for working families.",
            ("The mayor", "called", "the plan a disaster for working families"),
        ),
        (
            "The union has called the offer insulting and late.",
            ("The union", "has called", "the offer insulting and late"),
        ),
    ],
)
def test_called_x_a_y(extractor: Extractor, text: str, expected: Triple) -> None:
    assert expected in triples(extractor, text)


def test_call_without_a_naming_is_not_a_cue(extractor: Extractor) -> None:
    assert triples(extractor, "She called the senator on Monday.") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The ferry company is expected to resume service on Friday.",
            (None, "is expected", "to resume service on Friday"),
        ),
        (
            "The harbour master is considered the most likely candidate.",
            (None, "is considered", "the most likely candidate"),
        ),
    ],
)
def test_raising_passive_without_agent(extractor: Extractor, text: str, expected: Triple) -> None:
    assert triples(extractor, text) == [expected]


def test_complement_of_raising_passive_is_not_its_own_claim(extractor: Extractor) -> None:
    found = triples(extractor, "The agency is expected to announce the new fares next week.")
    assert found == [(None, "is expected", "to announce the new fares next week")]


def test_passive_with_agent_keeps_the_agent(extractor: Extractor) -> None:
    found = triples(extractor, "The delay was expected by the port authority to last a week.")
    assert all(cue != "was expected" or speaker is not None for speaker, cue, _ in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "“The depot was never used for fuel … Why would anyone store it there?”"
            " Dana Irwin said. She left soon after.",
            (
                "Dana Irwin",
                "said",
                "“The depot was never used for fuel … Why would anyone store it there?”",
            ),
        ),
        (
            '"We were told to wait and then nothing happened at all," Ostrander, 64, told the'
            " radio station.",
            ("Ostrander, 64", "told", '"We were told to wait and then nothing happened at all,"'),
        ),
    ],
)
def test_quote_tag_after_the_quote(extractor: Extractor, text: str, expected: Triple) -> None:
    """The parser splits the sentence or misreads the tag; the surface order still names the
    speaker (the quote may come out with or without its marks, depending on the path taken)."""
    speaker, cue, content = expected
    assert any(
        (s, c) == (speaker, cue) and q.strip('"') in content for s, c, q in triples(extractor, text)
    )


def test_colon_introduces_the_next_paragraph(extractor: Extractor) -> None:
    text = "The governor added:\n\nThe bridge will reopen in spring and the tolls will stay.\n"
    assert triples(extractor, text) == [
        ("The governor", "added", "The bridge will reopen in spring and the tolls will stay")
    ]
    (claim,) = extractor.run(Document(id="d", text=text))
    assert claim.kind.value == "direct"  # a block quote: verbatim words without quote marks


def test_words_after_a_colon_on_the_same_line_stay_indirect(extractor: Extractor) -> None:
    (claim,) = extractor.run(Document(id="d", text="The governor added: the bridge will reopen."))
    assert claim.kind.value == "indirect"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Senator Orla has been critical of the port deal.",
            ("Senator Orla", "has been critical of", "the port deal"),
        ),
        (
            "The mayor is confident that the levy will pass.",
            ("The mayor", "is confident", "that the levy will pass"),
        ),
    ],
)
def test_copular_stance(extractor: Extractor, text: str, expected: Triple) -> None:
    assert expected in triples(extractor, text)


def test_two_apostrophes_are_a_double_quote(extractor: Extractor) -> None:
    text = "Mr. Pell said, ''The tax is more tinkering at the edges than reform.''"
    assert triples(extractor, text) == [
        ("Mr. Pell", "said", "''The tax is more tinkering at the edges than reform.''")
    ]


def test_a_stance_inside_reported_speech_is_part_of_it(extractor: Extractor) -> None:
    """`he said he backed the idea`: one claim by the speaker, not a second one by `he`."""
    found = triples(extractor, "The envoy said he backed the idea of a ceasefire.")
    assert found == [("The envoy", "said", "he backed the idea of a ceasefire")]


def test_named_speech_inside_reported_speech_is_kept(extractor: Extractor) -> None:
    found = triples(extractor, "Officials said Governor Tull told reporters the dam was safe.")
    assert ("Governor Tull", "told", "the dam was safe") in found


@pytest.mark.parametrize(
    "text",
    [
        "Little Relief for Farmers: The drought has cut yields by a third this year.",
        "Update: The road was reopened to traffic after the inspection.",
    ],
)
def test_headings_are_not_speakers(extractor: Extractor, text: str) -> None:
    assert triples(extractor, text) == []


def test_capitalised_label_before_a_colon_is_a_speaker(extractor: Extractor) -> None:
    found = triples(extractor, "Marsh: If the levee fails, the valley will flood within hours")
    assert [speaker for speaker, _, _ in found] == ["Marsh"]


def test_a_reporting_participle_speaks_for_its_noun(extractor: Extractor) -> None:
    found = triples(extractor, "The ministry issued a statement saying the talks had failed.")
    assert found == [("a statement", "saying", "the talks had failed")]


@pytest.mark.parametrize(
    "text",
    [
        "The council approved the budget on Monday.",
        "The ministry offered a reward for information.",
        "The army attacked the rebels near the border.",
    ],
)
def test_actions_are_not_stances(extractor: Extractor, text: str) -> None:
    """An action the reporter states is the reporter's claim, not something the actor said."""
    assert triples(extractor, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The union opposes the pension reform.", ("The union", "opposes", "the pension reform")),
        (
            "Mayor Ruiz spoke of a turning point for the city.",
            ("Mayor Ruiz", "spoke", "of a turning point for the city"),
        ),
    ],
)
def test_stance_verbs(extractor: Extractor, text: str, expected: Triple) -> None:
    assert expected in triples(extractor, text)


@pytest.mark.parametrize(
    ("text", "claimant"),
    [
        ("Dana Marsh: If the levee fails, the valley will flood within hours", "Dana Marsh"),
        ("Senator Dana Marsh: the levee will not hold", "Dana Marsh"),
    ],
)
def test_a_two_word_name_before_a_colon_is_the_claimant(
    extractor: Extractor, text: str, claimant: str
) -> None:
    """The label's own head names the claimant: "Dana Marsh:" is Marsh's phrase, not Dana's."""
    (claim,) = extractor.run(Document(id="d", text=text))
    assert claim.claimant.name == claimant


@pytest.mark.parametrize(
    "text",
    [
        # a place, an event, an adjective, an all-caps kicker, a scandal name: the story's topic
        "Norway: Seven fishing boats sink in a storm off the coast",
        "Harbour bridge collapse: Rescuers search the river for survivors",
        "Unbelievable: Man rows across the lake in a bathtub",
        "SHOCKING: Council spends the flood fund on a statue",
        "Pipegate: Mayor approved the contract without a tender",
        # the person the content goes on to name is its subject
        "Dana Marsh: Councillor Dana Marsh resigns after the vote",
    ],
)
def test_topic_labels_are_not_speakers(extractor: Extractor, text: str) -> None:
    assert all(cue != ":" for _, cue, _ in triples(extractor, text))


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Official: The dam will hold through the weekend", "Official"),
        ("Opposition group: The vote was rigged in three districts", "Opposition group"),
        ("Norway: We will not pay for the broken dam", "Norway"),
        ('Jon Hale, author: "Nobody reads the flood reports anymore"', "Jon Hale, author"),
    ],
)
def test_speaker_labels_before_a_colon(extractor: Extractor, text: str, speaker: str) -> None:
    assert [s for s, cue, _ in triples(extractor, text) if cue == ":"] == [speaker]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Flood barrier failed because of a design fault: Engineers",
            ("Engineers", ":", "Flood barrier failed because of a design fault"),
        ),
        (
            "Six soldiers were killed near the border: army",
            ("army", ":", "Six soldiers were killed near the border"),
        ),
        (
            "Velorian mill to close in March -- Reuters",
            ("Reuters", "--", "Velorian mill to close in March"),
        ),
    ],
)
def test_a_headline_credits_its_source_last(
    extractor: Extractor, text: str, expected: Triple
) -> None:
    assert triples(extractor, text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Flood barrier repairs begin on Monday: live",
        "Flood barrier repairs begin on Monday - latest",
        "The council's plan has one flaw: money",
        "The mayor had one rival in the race: Dana Marsh.",
    ],
)
def test_a_line_ending_in_a_non_source_is_no_attribution(extractor: Extractor, text: str) -> None:
    assert all(cue not in {":", "-", "--"} for _, cue, _ in triples(extractor, text))


def test_the_outlet_asserts_the_clause_after_a_kicker(extractor: Extractor) -> None:
    """`Flood update: ...`: no speaker, so the headline's clause is the outlet's own claim, without
    the kicker."""
    text = "Flood update: More families were moved out of the valley overnight"
    (claim,) = extractor.run(Document(id="d", text=text, outlet="valley-news.example"))
    assert claim.kind.value == "unattributed"
    assert claim.claimant.name == "valley-news.example"
    assert claim.content.text == "More families were moved out of the valley overnight"


@pytest.mark.parametrize(
    "text",
    [
        "Cat found stranded on the station roof with a bag of toys",
        "Rare orchid found growing in the council car park",
    ],
)
def test_a_dropped_passive_of_find_is_no_finding(extractor: Extractor, text: str) -> None:
    """Headlinese drops "was": the cat is what was found, not someone who found something out."""
    assert triples(extractor, text) == []


def test_a_gerund_complement_is_a_clause(extractor: Extractor) -> None:
    found = triples(extractor, "The clerk feared losing her job after the audit.")
    assert ("The clerk", "feared", "losing her job after the audit") in found
