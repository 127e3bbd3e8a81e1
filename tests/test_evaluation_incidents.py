"""Tests for claims.evaluation.incidents on tiny hand-written corpora.

No ECB+ or NewsWCL50 text is used (research-only licences): the documents.jsonl fixtures are
written into tmp_path by the tests, in the real field layout, with made-up sentences.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from claims.evaluation.incidents import (
    IncidentDoc,
    bcubed,
    load_incident_corpus,
    score_incidents,
    split_by_topic,
)

# Gold: {a, b} and {c, d, e}.
GOLD = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Y"}


def write_jsonl(directory: Path, records: list[Any]) -> Path:
    path = directory / "documents.jsonl"
    path.write_text(
        "".join(json.dumps(r) + "\n" if not isinstance(r, str) else r + "\n" for r in records),
        encoding="utf-8",
    )
    return directory


def ecb_record(
    doc_key: str, topic: str, subtopic: str, sentences: list[list[str]]
) -> dict[str, Any]:
    return {
        "doc_key": doc_key,
        "topic_id": topic,
        "subtopic_id": subtopic,
        "incident_description": "made-up incident",
        "original_split": "val",
        "sentences": sentences,
        "text": "\n".join(" ".join(tokens) for tokens in sentences),
    }


def wcl_record(doc_key: str, event: str, outlet_code: str, outlet: str) -> dict[str, Any]:
    sentences = [["A", "made", "-", "up", "sentence", "."]]
    return {
        "doc_key": doc_key,
        "event_id": event,
        "event_name": f"{event}_MadeUpEvent",
        "outlet_code": outlet_code,
        "outlet": outlet,
        "sentences": sentences,
        "text": "A made - up sentence .",
    }


def doc(doc_id: str, gold: str, topic: str | None) -> IncidentDoc:
    return IncidentDoc(
        doc_id=doc_id, text="", title=None, published_at=None, outlet=None, gold=gold, topic=topic
    )


# --------------------------------------------------------------------------------------------------
# B³


def test_bcubed_perfect() -> None:
    # Labels differ from the gold names but the partition is identical.
    predicted = {"a": "1", "b": "1", "c": "2", "d": "2", "e": "2"}
    assert bcubed(GOLD, predicted) == (1.0, 1.0, 1.0)


def test_bcubed_all_in_one_cluster() -> None:
    # P(a) = P(b) = 2/5, P(c..e) = 3/5: P = (2·2/5 + 3·3/5) / 5 = 13/25; R = 1;
    # F1 = 2·(13/25) / (38/25) = 13/19.
    predicted = dict.fromkeys(GOLD, "all")
    assert bcubed(GOLD, predicted) == pytest.approx((13 / 25, 1.0, 13 / 19))


def test_bcubed_all_singletons() -> None:
    # P = 1; R(a) = R(b) = 1/2, R(c..e) = 1/3: R = (2·1/2 + 3·1/3) / 5 = 2/5; F1 = 0.8/1.4 = 4/7.
    predicted = {item: item for item in GOLD}
    assert bcubed(GOLD, predicted) == pytest.approx((1.0, 2 / 5, 4 / 7))


def test_bcubed_missing_items_are_singletons() -> None:
    expected = pytest.approx((1.0, 2 / 5, 4 / 7))
    assert bcubed(GOLD, {}) == expected
    # A label that equals a missing item's id must not merge with that item's singleton.
    assert bcubed(GOLD, {"a": "b"}) == expected


def test_bcubed_ignores_predicted_items_outside_gold() -> None:
    predicted = {"a": "1", "b": "1", "c": "2", "d": "2", "e": "2", "zz": "1", "yy": "2"}
    assert bcubed(GOLD, predicted) == (1.0, 1.0, 1.0)


def test_bcubed_bagga_baldwin_example() -> None:
    # Bagga & Baldwin (1998), fig. 2: gold {1..5}, {6, 7}, {8..12}; the system merges the last two.
    # P = (5·1 + 2·2/7 + 5·5/7) / 12 = 16/21 (their 76%), R = 1, F1 = 2·16/21 / (37/21) = 32/37.
    gold = {str(i): "A" if i <= 5 else "B" if i <= 7 else "C" for i in range(1, 13)}
    predicted = {str(i): "x" if i <= 5 else "y" for i in range(1, 13)}
    assert bcubed(gold, predicted) == pytest.approx((16 / 21, 1.0, 32 / 37))


def test_bcubed_empty_gold() -> None:
    assert bcubed({}, {"a": "1"}) == (0.0, 0.0, 0.0)


# --------------------------------------------------------------------------------------------------
# Reports


def test_score_incidents_overall_and_per_topic() -> None:
    docs = [
        doc("1/1a/1", "1a", "1"),
        doc("1/1a/2", "1a", "1"),
        doc("1/1b/1", "1b", "1"),
        doc("10/10a/1", "10a", "10"),
        doc("10/10a/2", "10a", "10"),
        doc("2/2a/1", "2a", "2"),
    ]
    # One cluster per topic.
    predicted = {d.doc_id: f"t{d.topic}" for d in docs}
    report = score_incidents(docs, predicted)
    # Topic 1: P = (2·2/3 + 1·1/3) / 3 = 5/9, R = 1. Topics 10 and 2: perfect.
    # Overall: P = (3·5/9 + 3·1) / 6 = 7/9 (document-weighted), R = 1.
    assert (report.precision, report.recall) == pytest.approx((7 / 9, 1.0))
    assert (report.n_docs, report.n_gold_clusters, report.n_predicted_clusters) == (6, 4, 3)
    assert [r.label for r in report.per_topic] == ["1", "2", "10"]  # numeric topic order
    topic_1 = report.per_topic[0]
    assert (topic_1.precision, topic_1.recall, topic_1.f1) == pytest.approx((5 / 9, 1.0, 5 / 7))
    assert (topic_1.n_docs, topic_1.n_gold_clusters, topic_1.n_predicted_clusters) == (3, 2, 1)
    assert report.per_topic[1].f1 == 1.0

    data = report.to_dict()
    assert data["bcubed_precision"] == round(7 / 9, 4)
    assert [t["label"] for t in data["per_topic"]] == ["1", "2", "10"]
    json.dumps(data)
    console = Console(record=True, width=120)
    report.render(console)
    text = console.export_text()
    assert "topic 10" in text
    assert "0.5556" in text


def test_score_incidents_counts_unlabelled_docs_as_clusters() -> None:
    docs = [doc("a", "X", None), doc("b", "X", None), doc("c", "Y", None)]
    report = score_incidents(docs, {"a": "1"})
    assert report.n_predicted_clusters == 3
    assert report.per_topic == ()
    assert "per_topic" not in report.to_dict()
    with pytest.raises(ValueError, match="unique"):
        score_incidents([*docs, docs[0]], {})


# --------------------------------------------------------------------------------------------------
# Loading


def test_load_ecbplus_format(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path,
        [
            ecb_record("7/7ecb/1", "7", "7ecb", [["One", "thing", "happened", "."], ["Then", "."]]),
            ecb_record("7/7ecbplus/3", "7", "7ecbplus", [["Another", "thing", "."]]),
        ],
    )
    docs = load_incident_corpus(tmp_path)
    assert [(d.doc_id, d.gold, d.topic) for d in docs] == [
        ("7/7ecb/1", "7ecb", "7"),
        ("7/7ecbplus/3", "7ecbplus", "7"),
    ]
    assert docs[0].text == "One thing happened .\nThen ."
    assert (docs[0].title, docs[0].published_at, docs[0].outlet) == (None, None, None)


def test_load_newswcl50_format(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path,
        [
            wcl_record("0/-/0_L", "0", "L", "Left Daily"),
            "",  # blank lines are skipped
            wcl_record("1/-/1_R", "1", "R", "Right Herald"),
        ],
    )
    docs = load_incident_corpus(tmp_path)
    assert [(d.doc_id, d.gold, d.topic, d.outlet) for d in docs] == [
        ("0/-/0_L", "0", None, "Left Daily"),
        ("1/-/1_R", "1", None, "Right Herald"),
    ]


def test_load_explicit_gold_field_and_optional_fields(tmp_path: Path) -> None:
    record = ecb_record("1/1ecb/1", "1", "1ecb", [["x"]])
    record.update(title="A headline", published_at="2013-04-06T10:00:00", outlet="Wire")
    write_jsonl(tmp_path, [record])
    (loaded,) = load_incident_corpus(tmp_path, gold_field="topic_id")
    assert loaded.gold == "1"
    assert (loaded.title, loaded.published_at, loaded.outlet) == (
        "A headline",
        date(2013, 4, 6),
        "Wire",
    )


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"documents\.jsonl"):
        load_incident_corpus(tmp_path)

    write_jsonl(tmp_path, ["{not json"])
    with pytest.raises(ValueError, match=r"documents\.jsonl:1: invalid JSON"):
        load_incident_corpus(tmp_path)

    write_jsonl(tmp_path, [{"doc_key": "a", "text": "x"}])
    with pytest.raises(ValueError, match=r"documents\.jsonl:1: no gold incident field"):
        load_incident_corpus(tmp_path)

    second = wcl_record("b", "1", "L", "L")
    del second["event_id"]
    write_jsonl(tmp_path, [wcl_record("a", "0", "L", "L"), second])
    with pytest.raises(ValueError, match=r"documents\.jsonl:2: missing field 'event_id'"):
        load_incident_corpus(tmp_path)

    write_jsonl(tmp_path, [wcl_record("a", "0", "L", "L"), wcl_record("a", "1", "R", "R")])
    with pytest.raises(ValueError, match=r"documents\.jsonl:2: duplicate doc_key 'a'"):
        load_incident_corpus(tmp_path)

    bad_text = wcl_record("a", "0", "L", "L")
    bad_text["text"] = None
    write_jsonl(tmp_path, [bad_text])
    with pytest.raises(ValueError, match="'text' should be a string"):
        load_incident_corpus(tmp_path)

    write_jsonl(tmp_path, [])
    with pytest.raises(ValueError, match="no documents"):
        load_incident_corpus(tmp_path)


# --------------------------------------------------------------------------------------------------
# Splitting


def test_split_by_topic_keeps_topics_whole_and_is_deterministic() -> None:
    docs = [doc(f"{t}/{t}a/{i}", f"{t}a", str(t)) for t in range(10) for i in range(3)]
    dev, held_out = split_by_topic(docs)
    dev_topics = {d.topic for d in dev}
    held_topics = {d.topic for d in held_out}
    assert len(held_topics) == 5
    assert not dev_topics & held_topics
    assert len(dev) + len(held_out) == len(docs)
    # Independent of input order; input order kept within each part.
    assert split_by_topic(docs[::-1]) == (dev[::-1], held_out[::-1])
    assert dev == [d for d in docs if d in dev]
    # Another seed or fraction changes the split.
    assert len({d.topic for d in split_by_topic(docs, held_out_fraction=0.2)[1]}) == 2
    assert any(split_by_topic(docs, seed=s)[1] != held_out for s in ("a", "b", "c"))


def test_split_by_topic_requires_topics() -> None:
    with pytest.raises(ValueError, match="no topic"):
        split_by_topic([doc("a", "X", None)])
    with pytest.raises(ValueError, match="held_out_fraction"):
        split_by_topic([doc("a", "X", "1")], held_out_fraction=1.5)


def basil_record(file: str, triplet: str, source: str, title: str) -> dict[str, Any]:
    return {
        "file": file,
        "uuid": "empty",  # BASIL has a few of these: the id is the file
        "title": title,
        "date": "2012-03-04",
        "source": source,
        "triplet-uuid": triplet,
        "main-event": "must never reach the system",
        "body-paragraphs": [["First sentence.", " Second sentence."], ["Next paragraph."]],
    }


def test_load_basil_format(tmp_path: Path) -> None:
    records = [
        basil_record("a/t1_1.json", "t1", "nyt", "Dam opens early"),
        basil_record("a/t1_2.json", "t1", "fox", "Early dam opening"),
    ]
    (tmp_path / "articles.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8"
    )
    docs = load_incident_corpus(tmp_path)
    assert [(d.doc_id, d.gold, d.outlet, d.published_at) for d in docs] == [
        ("a/t1_1.json", "t1", "nyt", date(2012, 3, 4)),
        ("a/t1_2.json", "t1", "fox", date(2012, 3, 4)),
    ]
    assert docs[0].text == "Dam opens early\nFirst sentence. Second sentence.\nNext paragraph."
    assert all("never reach" not in d.text for d in docs)


def test_load_basil_rejects_malformed_paragraphs(tmp_path: Path) -> None:
    record = basil_record("a/1.json", "t1", "nyt", "Title")
    record["body-paragraphs"] = "not a list"
    (tmp_path / "articles.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"articles\.jsonl:1"):
        load_incident_corpus(tmp_path)
