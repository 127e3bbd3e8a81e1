"""Exact-span tests for single attribution rules, on short hand-written sentences."""

from __future__ import annotations

import pytest

from claims.attribution import AttributionFinder
from claims.extract import Extractor

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
