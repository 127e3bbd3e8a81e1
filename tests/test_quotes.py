"""Tests for claims.extraction.quotes.find_quotes on short hand-written strings."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.extraction.quotes import CLOSERS, OPENERS, STRAIGHT, Quote, find_quotes


def spans(text: str) -> list[str]:
    return [text[q.start : q.end] for q in find_quotes(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He said “yes” today.", ["“yes”"]),
        ('He said "yes" today.', ['"yes"']),
        ("“We won,” she said.", ["“We won,”"]),
        ('"We won," she said.', ['"We won,"']),
        ("« Nous avons gagné » a-t-il dit.", ["« Nous avons gagné »"]),
        ('She said: "No."', ['"No."']),
        ('(“fine”) and ("good")', ["“fine”", '"good"']),
        ("“One.” Then “two.”", ["“One.”", "“two.”"]),
        ('"One," she said, "and two."', ['"One,"', '"and two."']),
    ],
)
def test_quotes_balanced(text: str, expected: list[str]) -> None:
    quotes = find_quotes(text)
    assert spans(text) == expected
    assert all(q.closed for q in quotes)


@pytest.mark.parametrize(
    "text",
    [
        "It's the ’90s again.",
        "The company's figures for the ’90s don't add up.",
        "Rock ’n’ roll isn't dead, it's resting.",
        'a 5" pipe and a 10" one',
        "No quotes at all here.",
        "",
    ],
)
def test_quotes_apostrophes_and_inch_marks_are_not_quotes(text: str) -> None:
    assert find_quotes(text) == []


@pytest.mark.parametrize("opener", ["“", '"'])
def test_quotes_multi_paragraph_continuation(opener: str) -> None:
    closer = "”" if opener == "“" else '"'
    text = f"She said: {opener}We tried.\n{opener}Nobody came.\n{opener}Now we wait.{closer}\nNext."
    quotes = find_quotes(text)
    start = text.index(opener)
    assert [(q.start, q.end, q.closed) for q in quotes] == [(start, text.index("\nNext"), True)]


@pytest.mark.parametrize("opener", ["“", '"'])
def test_quotes_unbalanced_closed_at_paragraph_end(opener: str) -> None:
    text = f"He said {opener}we will never give up   \nThe rest is reporting. It has no quotes."
    quotes = find_quotes(text)
    assert quotes == [Quote(8, text.index("up") + 2, closed=False)]


def test_quotes_unbalanced_at_end_of_text() -> None:
    text = "He said “we will never give up "
    assert find_quotes(text) == [Quote(8, len(text) - 1, closed=False)]


def test_quotes_unbalanced_then_balanced_in_next_paragraph() -> None:
    text = "A “broken quote\nB said “fine” here."
    quotes = find_quotes(text)
    assert [(text[q.start : q.end], q.closed) for q in quotes] == [
        ("“broken quote", False),
        ("“fine”", True),
    ]


@pytest.mark.parametrize("text", ["“", '"', "”", "“ ", '" \n"', "x“", "“\n“\n“", "\n\n\n"])
def test_quotes_degenerate_inputs_do_not_raise(text: str) -> None:
    for q in find_quotes(text):
        assert 0 <= q.start < q.end <= len(text)


def test_quotes_inner_strips_marks() -> None:
    text = "She said “We won.” today"
    (quote,) = find_quotes(text)
    assert quote.inner(text) == "We won."


QUOTE_ALPHABET = st.sampled_from(
    ["“", "”", '"', "'", "‘", "’", "«", "»", "„", "\n", " ", "a", "b", ".", ",", "—", "(", ":"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.one_of(QUOTE_ALPHABET, st.characters(exclude_categories=("Cs",))),
        max_size=200,
    )
)
def test_quotes_never_raise_ordered_non_overlapping(text: str) -> None:
    quotes = find_quotes(text)
    previous_end = 0
    for q in quotes:
        assert previous_end <= q.start < q.end <= len(text), (quotes, text)
        assert q.end - q.start > 1
        assert (
            text[q.start] in OPENERS
            or text[q.start] == STRAIGHT
            or text[q.start] == "‘"
            or text[q.start : q.start + 2] == "''"
        )
        if q.closed:
            assert text[q.end - 1] in CLOSERS | {STRAIGHT, "'", "’"}
        else:
            assert not text[q.end - 1].isspace()
        previous_end = q.end


def test_two_apostrophes_quote() -> None:
    text = "He said, ''It is more tinkering,'' and the mayor's aide's view ''differs.''"
    quotes = [text[q.start : q.end] for q in find_quotes(text)]
    assert quotes == ["''It is more tinkering,''", "''differs.''"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mayor calls levy ‘a tax on rain’ at rally", ["‘a tax on rain’"]),
        ("The voters’ view, ‘we don’t care’, was plain", ["‘we don’t care’"]),
        ("The ‘90s were different", []),
    ],
)
def test_single_curly_quotes(text: str, expected: list[str]) -> None:
    assert [text[q.start : q.end] for q in find_quotes(text)] == expected
