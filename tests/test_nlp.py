"""The spaCy pipeline as loaded by `claims.extraction.nlp`: what we add to the packaged model."""

from __future__ import annotations

import pytest

from claims.extraction.nlp import load_spacy


@pytest.mark.parametrize(
    "text",
    [
        "The mayor didn\u2019t resign, O\u2019Brien said.",
        "The Mayor Didn\u2019t Resign, O\u2019Brien Said",
    ],
)
def test_curly_apostrophes_parse_like_straight_ones(text: str) -> None:
    nlp = load_spacy()
    curly, straight = nlp(text), nlp(text.replace("\u2019", "'"))
    assert curly.text == text  # offsets into the source stay valid
    assert [t.dep_ for t in curly] == [t.dep_ for t in straight]
    assert [t.tag_ for t in curly] == [t.tag_ for t in straight]
    assert any(t.dep_ == "neg" and t.text == "n\u2019t" for t in curly)


def test_paragraph_breaks_end_sentences() -> None:
    doc = load_spacy()("Rebels attack army post\nSix soldiers died, the army said.")
    assert [s.text.strip() for s in doc.sents] == [
        "Rebels attack army post",
        "Six soldiers died, the army said.",
    ]
