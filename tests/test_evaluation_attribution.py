"""Tests for claims.evaluation.attribution on tiny hand-written gold/prediction examples.

Expected numbers are worked out by hand in the comments. No PolNeAR data is used (research-only
licence); the jsonl fixtures are written into tmp_path by the tests themselves.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from claims.evaluation.attribution import (
    ROLES,
    AttributionReport,
    AttributionSpans,
    Fragments,
    GoldArticle,
    Score,
    agreement_pairs,
    load_polnear,
    load_polnear_others,
    score,
    split_articles,
)

# Tokens: Alice said that the sky is blue . " We won , " Bob told reporters , " and we will win
# again . " The rain fell , it was reported .
TEXT = (
    'Alice said that the sky is blue. "We won," Bob told reporters, "and we will win again." '
    "The rain fell, it was reported."
)


def frag(*pieces: str) -> Fragments:
    """Fragments for the first occurrence of each piece in TEXT."""
    spans = []
    for piece in pieces:
        start = TEXT.index(piece)
        spans.append((start, start + len(piece)))
    return Fragments(tuple(spans))


# A1: plain reported speech.
A1 = AttributionSpans(source=frag("Alice"), cue=frag("said"), content=frag("that the sky is blue"))
# A2: a quote split by its attribution: one discontinuous content of 5 + 8 = 13 tokens.
A2 = AttributionSpans(
    source=frag("Bob"),
    cue=frag("told"),
    content=frag('"We won,"', '"and we will win again."'),
)
# A3: no source.
A3 = AttributionSpans(source=None, cue=frag("was reported"), content=frag("The rain fell"))


def article(*attributions: AttributionSpans, article_id: str = "a") -> GoldArticle:
    return GoldArticle(
        article_id=article_id,
        text=TEXT,
        publication_date=date(2016, 9, 12),
        publisher="test",
        attributions=attributions,
    )


def prf(s: Score) -> tuple[float, float, float]:
    return (s.precision, s.recall, s.f1)


def test_perfect_prediction_scores_one_everywhere() -> None:
    gold = [article(A1, A2, A3)]
    report = score(gold, {"a": [A1, A2, A3]})
    for role in ROLES:
        scores = report.role(role)
        for variant in (scores.exact, scores.overlap, scores.token):
            assert prf(variant) == (1.0, 1.0, 1.0)
    assert prf(report.attribution) == (1.0, 1.0, 1.0)
    assert (report.n_gold_attributions, report.n_predicted_attributions) == (3, 3)
    # A3 has no source: 2 source spans on each side.
    assert (report.source.exact.gold, report.source.exact.predicted) == (2, 2)
    # Token counts: A1 content 5, A2 content 13, A3 content 3.
    assert report.content.token.gold == 21


def test_shifted_span_fails_exact_but_matches_overlap() -> None:
    gold = [article(A1)]
    shifted = AttributionSpans(source=A1.source, cue=A1.cue, content=frag("the sky is blue."))
    report = score(gold, {"a": [shifted]})
    assert prf(report.content.exact) == (0.0, 0.0, 0.0)
    assert prf(report.content.overlap) == (1.0, 1.0, 1.0)
    # pred {the sky is blue .} vs gold {that the sky is blue}: 4 shared of 5 each.
    assert prf(report.content.token) == pytest.approx((0.8, 0.8, 0.8))
    assert prf(report.source.exact) == (1.0, 1.0, 1.0)
    assert prf(report.attribution) == (1.0, 1.0, 1.0)


def test_missing_attribution_lowers_recall_exactly() -> None:
    gold = [article(A1, A2, A3)]
    report = score(gold, {"a": [A1, A2]})
    assert prf(report.attribution) == pytest.approx((1.0, 2 / 3, 0.8))
    # A3 has no source, so source recall is untouched.
    assert prf(report.source.exact) == (1.0, 1.0, 1.0)
    assert prf(report.cue.exact) == pytest.approx((1.0, 2 / 3, 0.8))
    assert prf(report.content.overlap) == pytest.approx((1.0, 2 / 3, 0.8))
    # 18 of the 21 gold content tokens are predicted.
    assert report.content.token.recall == pytest.approx(18 / 21)
    assert report.content.token.precision == 1.0


def test_discontinuous_content_is_a_character_set() -> None:
    gold = [article(A2)]
    assert A2.content is not None
    first, second = A2.content.spans
    # Same fragments, reversed, with a leading space that trimming removes: still exact.
    reordered = Fragments(((second[0] - 1, second[1]), first))
    pred = AttributionSpans(source=A2.source, cue=A2.cue, content=reordered)
    report = score(gold, {"a": [pred]})
    assert prf(report.content.exact) == (1.0, 1.0, 1.0)

    # Only the first fragment: not exact, overlaps, and covers 5 of the 13 gold tokens.
    partial = AttributionSpans(source=A2.source, cue=A2.cue, content=Fragments((first,)))
    report = score(gold, {"a": [partial]})
    assert prf(report.content.exact) == (0.0, 0.0, 0.0)
    assert prf(report.content.overlap) == (1.0, 1.0, 1.0)
    assert report.content.token.precision == 1.0
    assert report.content.token.recall == pytest.approx(5 / 13)
    assert prf(report.attribution) == (1.0, 1.0, 1.0)


def test_adjacent_fragments_equal_one_span_and_whitespace_is_trimmed() -> None:
    gold = [article(A1)]
    assert A1.content is not None
    assert A1.source is not None
    start, end = A1.content.spans[0]
    # "that" + " the sky is blue": the space between them is ignored.
    split = Fragments(((start + 4, end), (start, start + 4)))
    padded = Fragments(((A1.source.spans[0][0], A1.source.spans[0][1] + 1),))  # "Alice "
    report = score(gold, {"a": [AttributionSpans(source=padded, cue=A1.cue, content=split)]})
    assert prf(report.content.exact) == (1.0, 1.0, 1.0)
    assert prf(report.source.exact) == (1.0, 1.0, 1.0)


def test_none_source_matches_only_none_source() -> None:
    gold = [article(A3)]
    report = score(gold, {"a": [A3]})
    assert prf(report.attribution) == (1.0, 1.0, 1.0)
    # No source spans on either side: 0/0 is reported as 0.0 by convention.
    assert (report.source.exact.predicted, report.source.exact.gold) == (0, 0)
    assert prf(report.source.exact) == (0.0, 0.0, 0.0)

    with_source = AttributionSpans(source=frag("it"), cue=A3.cue, content=A3.content)
    report = score(gold, {"a": [with_source]})
    assert prf(report.attribution) == (0.0, 0.0, 0.0)
    assert (report.source.exact.predicted, report.source.exact.gold) == (1, 0)
    assert prf(report.content.exact) == (1.0, 1.0, 1.0)

    # Gold has a source, prediction has none: no attribution match either.
    no_source = AttributionSpans(source=None, cue=A1.cue, content=A1.content)
    report = score([article(A1)], {"a": [no_source]})
    assert prf(report.attribution) == (0.0, 0.0, 0.0)
    assert report.source.exact.recall == 0.0


def test_matching_is_one_to_one() -> None:
    gold = [article(A1)]
    halves = [
        AttributionSpans(source=A1.source, cue=A1.cue, content=frag("that the sky")),
        AttributionSpans(source=A1.source, cue=A1.cue, content=frag("sky is blue")),
    ]
    report = score(gold, {"a": halves})
    assert prf(report.content.overlap) == pytest.approx((0.5, 1.0, 2 / 3))
    assert prf(report.attribution) == pytest.approx((0.5, 1.0, 2 / 3))
    # Duplicate exact cue: one hit, one false positive.
    assert prf(report.cue.exact) == pytest.approx((0.5, 1.0, 2 / 3))
    # Token level uses sets, so duplicates cost nothing there.
    assert prf(report.cue.token) == (1.0, 1.0, 1.0)


def test_scores_pool_over_articles_and_ignore_unknown_predictions() -> None:
    gold = [article(A1, article_id="a"), article(A2, A3, article_id="b")]
    # Article b gets no prediction; "zzz" is not gold and is ignored.
    report = score(gold, {"a": [A1], "zzz": [A2]})
    assert report.n_articles == 2
    assert (report.n_gold_attributions, report.n_predicted_attributions) == (3, 1)
    assert prf(report.attribution) == pytest.approx((1.0, 1 / 3, 0.5))
    assert report.content.token.recall == pytest.approx(5 / 21)


def test_nothing_predicted_scores_zero() -> None:
    report = score([article(A1, A2, A3)], {})
    assert prf(report.attribution) == (0.0, 0.0, 0.0)
    assert report.n_predicted_attributions == 0


def test_prediction_beyond_text_is_an_error() -> None:
    bad = AttributionSpans(source=None, cue=None, content=Fragments(((0, len(TEXT) + 5),)))
    with pytest.raises(ValueError, match="'a'"):
        score([article(A1)], {"a": [bad]})
    with pytest.raises(ValueError, match="invalid fragment"):
        Fragments(((5, 2),))


def test_report_to_dict_and_render() -> None:
    report = score([article(A1, A2, A3)], {"a": [A1, A2]})
    data = report.to_dict()
    json.dumps(data)
    assert data["attribution"]["recall"] == 0.6667
    assert data["roles"]["content"]["token"]["gold"] == 21
    assert set(data["roles"]) == {"source", "cue", "content"}
    console = Console(record=True, width=200)
    report.render(console)
    output = console.export_text()
    for row in ("source", "cue", "content", "attribution", "exact P", "overlap F1", "token R"):
        assert row in output
    assert "0.6667" in output
    assert isinstance(report, AttributionReport)


def test_split_articles_is_deterministic_and_disjoint() -> None:
    articles = [article(article_id=f"art-{i:03d}") for i in range(40)]
    dev, held_out = split_articles(articles, held_out_fraction=0.25)
    assert (len(dev), len(held_out)) == (30, 10)
    assert {a.article_id for a in dev}.isdisjoint(a.article_id for a in held_out)
    again = split_articles(list(reversed(articles)), held_out_fraction=0.25)
    assert {a.article_id for a in again[1]} == {a.article_id for a in held_out}
    other_seed = split_articles(articles, held_out_fraction=0.25, seed="other")
    assert {a.article_id for a in other_seed[1]} != {a.article_id for a in held_out}
    assert split_articles(articles, held_out_fraction=0.0)[1] == []
    with pytest.raises(ValueError, match="held_out_fraction"):
        split_articles(articles, held_out_fraction=1.5)


def _line(article_id: str, annotator: str, primary: bool, attributions: object) -> str:
    text = "He said it rained. “It is wet,” she added, “very wet.”"
    return json.dumps(
        {
            "article_id": article_id,
            "annotator": annotator,
            "primary": primary,
            "publisher": "nyt",
            "publication_date": "2016-10-01",
            "title": "t",
            "text": text,
            "attributions": attributions,
            "flags": [],
        },
        ensure_ascii=False,
    )


def _span(start: int, end: int) -> dict[str, object]:
    text = "He said it rained. “It is wet,” she added, “very wet.”"
    return {"start": start, "end": end, "text": text[start:end]}


def test_load_polnear_parses_primary_lines(tmp_path: Path) -> None:
    first = {
        "id": "E1",
        "type": "Attribution",
        "source": [_span(0, 2)],
        "cue": [_span(3, 7)],
        "content": [_span(8, 17)],
    }
    second = {
        "id": "E2",
        "type": "Attribution",
        "source": [_span(32, 35)],
        "cue": [_span(36, 41)],
        "content": [_span(19, 31), _span(43, 54)],
    }
    no_source = {"id": "E3", "type": "Attribution-no-source", "source": None,
                 "cue": [_span(3, 7)], "content": [_span(8, 17)]}  # fmt: skip
    lines = [
        _line("zeta", "aaaa", True, [first, second]),
        _line("zeta", "bbbb", False, [first]),  # secondary annotator: skipped
        _line("alpha", "aaaa", True, [no_source]),
        "",
    ]
    (tmp_path / "attributions.jsonl").write_text("\n".join(lines), encoding="utf-8")
    articles = load_polnear(tmp_path)
    assert [a.article_id for a in articles] == ["alpha", "zeta"]
    alpha, zeta = articles
    assert alpha.publication_date == date(2016, 10, 1)
    assert alpha.publisher == "nyt"
    assert alpha.attributions == (
        AttributionSpans(source=None, cue=Fragments(((3, 7),)), content=Fragments(((8, 17),))),
    )
    assert len(zeta.attributions) == 2
    assert zeta.attributions[1].content == Fragments(((19, 31), (43, 54)))
    assert zeta.text[19:31] == "“It is wet,”"
    # The loaded gold scores perfectly against itself.
    report = score(articles, {a.article_id: a.attributions for a in articles})
    assert prf(report.attribution) == (1.0, 1.0, 1.0)


def test_load_polnear_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"attributions\.jsonl"):
        load_polnear(tmp_path)
    path = tmp_path / "attributions.jsonl"
    path.write_text(_line("a", "x", True, []) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"attributions\.jsonl:2"):
        load_polnear(tmp_path)
    bad_text = {"id": "E1", "source": None, "cue": None,
                "content": [{"start": 0, "end": 2, "text": "xx"}]}  # fmt: skip
    path.write_text(_line("a", "x", True, [bad_text]), encoding="utf-8")
    with pytest.raises(ValueError, match=r"attributions\.jsonl:1"):
        load_polnear(tmp_path)
    path.write_text(json.dumps({"primary": True, "text": "x"}), encoding="utf-8")
    with pytest.raises(ValueError, match="article_id"):
        load_polnear(tmp_path)


def test_agreement_scores_other_annotators_against_the_primary(tmp_path: Path) -> None:
    said = {"id": "E1", "type": "Attribution", "source": [_span(0, 2)], "cue": [_span(3, 7)],
            "content": [_span(8, 17)]}  # fmt: skip
    added = {"id": "E2", "type": "Attribution", "source": [_span(32, 35)],
             "cue": [_span(36, 41)], "content": [_span(19, 31), _span(43, 54)]}  # fmt: skip
    lines = [
        _line("zeta", "aaaa", True, [said, added]),
        _line("zeta", "bbbb", False, [said, added]),  # agrees fully
        _line("zeta", "cccc", False, [said]),  # missed the quote
        _line("alpha", "aaaa", True, [said]),  # annotated once: no agreement pair
    ]
    (tmp_path / "attributions.jsonl").write_text("\n".join(lines), encoding="utf-8")
    gold = load_polnear(tmp_path)
    others = load_polnear_others(tmp_path)
    assert {k: len(v) for k, v in others.items()} == {"zeta": 2}
    pairs, predicted = agreement_pairs(gold, others)
    assert [p.article_id for p in pairs] == ["zeta#1", "zeta#2"]
    report = score(pairs, predicted)
    # 4 gold attributions (2 per pair), 3 predicted, all 3 correct: P 1, R 3/4.
    assert prf(report.attribution) == (1.0, 0.75, pytest.approx(6 / 7))
