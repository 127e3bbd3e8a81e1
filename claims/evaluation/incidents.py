"""Score document-level incident grouping against ECB+ subtopics or NewsWCL50 events.

Both corpora ship a ``documents.jsonl`` with one document per line (see their READMEs). The gold
incident is ``subtopic_id`` in ECB+ (each topic holds two similar incidents, e.g. ``36ecb`` and
``36ecbplus``, two different earthquakes) and ``event_id`` in NewsWCL50 (ten events, five outlets
each). ECB+ also gives a ``topic_id``, so grouping can be scored within each topic (the usual
setting: the topic is given, the two incidents must be told apart) or across all documents.

Definitions
-----------
*Items.* The items are the documents of the gold set. A predicted clustering maps document ids to
cluster labels; ids not in the gold set are ignored (so one prediction can be scored against any
split or topic), and a gold document with no predicted label is a singleton cluster of its own.

*B³* (Bagga & Baldwin 1998). For a document ``d`` let ``G(d)`` be its gold cluster and ``C(d)``
its predicted cluster, both restricted to the items. Then

    ``P(d) = |G(d) ∩ C(d)| / |C(d)|``    ``R(d) = |G(d) ∩ C(d)| / |G(d)|``

``P`` and ``R`` are the means of ``P(d)`` and ``R(d)`` over all items (every document weighs the
same), and ``F1 = 2PR / (P + R)``. Putting everything in one cluster gives ``R = 1``; leaving every
document alone gives ``P = 1``. With no items, or ``P + R = 0``, the scores are 0.0.

*Per topic.* ``score_incidents`` also scores each topic's documents on their own (the same
definitions with the items restricted to the topic). When the predicted clusters never cross topics,
the all-documents P and R are the document-weighted means of the per-topic ones.

*Cluster counts.* The number of gold clusters is the number of distinct gold labels among the
items; the number of predicted clusters counts the distinct predicted labels among the items plus
one per unlabelled document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from claims.evaluation.conflicts import split_items
from claims.evaluation.records import json_records

GOLD_FIELDS: tuple[str, ...] = ("subtopic_id", "event_id")
"""Gold incident fields tried, in this order, when ``gold_field`` is not given."""


@dataclass(frozen=True)
class IncidentDoc:
    """One document of an incident-grouping corpus.

    ``title``, ``published_at`` and ``outlet`` are read from the optional ``title``,
    ``published_at`` and ``outlet`` fields (NewsWCL50 has ``outlet``; ECB+ has none of them). Fields
    that describe the gold incident itself (``incident_description``, ``event_name``) are never
    exposed here, so that they cannot leak into a system's input.
    """

    doc_id: str
    text: str
    title: str | None
    published_at: date | None
    outlet: str | None
    gold: str
    topic: str | None


def load_incident_corpus(directory: Path, gold_field: str | None = None) -> list[IncidentDoc]:
    """Read ``directory/documents.jsonl`` into documents, in file order (a BASIL folder, which
    has ``articles.jsonl`` instead, is read by `load_basil`).

    The gold incident is ``gold_field``, or else the first of ``GOLD_FIELDS`` present in the first
    record; every record must then have it. ``doc_key`` is the document id and must be unique;
    ``topic_id``, when present, is the topic. Missing files, bad JSON and missing or mistyped
    fields raise errors naming the file (and line).
    """
    path = Path(directory) / "documents.jsonl"
    if not path.exists() and (Path(directory) / "articles.jsonl").exists():
        return load_basil(directory)
    docs: list[IncidentDoc] = []
    seen: set[str] = set()
    for where, record in json_records(path, "incident corpus file"):
        if gold_field is None:
            gold_field = next((name for name in GOLD_FIELDS if name in record), None)
            if gold_field is None:
                raise ValueError(
                    f"{where}: no gold incident field; expected one of {GOLD_FIELDS} "
                    "(or pass gold_field)"
                )
        doc = _parse_doc(record, gold_field, where)
        if doc.doc_id in seen:
            raise ValueError(f"{where}: duplicate doc_key {doc.doc_id!r}")
        seen.add(doc.doc_id)
        docs.append(doc)
    if not docs:
        raise ValueError(f"{path}: no documents")
    return docs


def load_basil(directory: Path) -> list[IncidentDoc]:
    """Read BASIL's ``articles.jsonl`` (100 events, each covered by NYT, Fox News and HuffPost,
    2010-2019): the id is ``file`` (the upstream path; a few ``uuid`` values are "empty"), the
    text is the title and the body paragraphs, one per line; the gold incident is
    ``triplet-uuid``. ``main-event`` describes the gold event, so it is never read."""
    path = Path(directory) / "articles.jsonl"
    docs: list[IncidentDoc] = []
    seen: set[str] = set()
    for where, record in json_records(path, "BASIL articles file"):
        doc_id = _required_label(record, "file", where)  # some uuids are "empty"
        if doc_id in seen:
            raise ValueError(f"{where}: duplicate file {doc_id!r}")
        seen.add(doc_id)
        paragraphs = record.get("body-paragraphs")
        if not isinstance(paragraphs, list) or not all(
            isinstance(p, list) and all(isinstance(x, str) for x in p) for p in paragraphs
        ):
            raise ValueError(f"{where}: 'body-paragraphs' should be a list of lists of sentences")
        title = _optional_str(record, "title", where)
        body = "\n".join(" ".join(sentence.strip() for sentence in p) for p in paragraphs)
        published = _iso_date(record, "date", where)
        docs.append(
            IncidentDoc(
                doc_id=doc_id,
                text=f"{title}\n{body}" if title else body,
                title=title,
                published_at=published,
                outlet=_optional_str(record, "source", where),
                gold=_required_label(record, "triplet-uuid", where),
                topic=None,
            )
        )
    if not docs:
        raise ValueError(f"{path}: no documents")
    return docs


def _label(record: Mapping[str, Any], key: str, where: str) -> str | None:
    """An optional string or integer id field as a string (``None`` when absent)."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{where}: field {key!r} should be a string, got {value!r}")
    return str(value)


def _required_label(record: Mapping[str, Any], key: str, where: str) -> str:
    value = _label(record, key, where)
    if value is None:
        raise ValueError(f"{where}: missing field {key!r}")
    return value


def _optional_str(record: Mapping[str, Any], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: field {key!r} should be a string, got {value!r}")
    return value or None


def _iso_date(record: Mapping[str, Any], key: str, where: str) -> date | None:
    """An optional ISO date (or date-time, whose date is kept) field."""
    raw = _optional_str(record, key, where)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        try:
            return datetime.fromisoformat(raw).date()
        except ValueError as error:
            raise ValueError(f"{where}: bad {key} {raw!r}") from error


def _parse_doc(record: Mapping[str, Any], gold_field: str, where: str) -> IncidentDoc:
    doc_id = _required_label(record, "doc_key", where)
    gold = _required_label(record, gold_field, where)
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError(f"{where}: field 'text' should be a string, got {text!r}")
    published_at = _iso_date(record, "published_at", where)
    return IncidentDoc(
        doc_id=doc_id,
        text=text,
        title=_optional_str(record, "title", where),
        published_at=published_at,
        outlet=_optional_str(record, "outlet", where),
        gold=gold,
        topic=_label(record, "topic_id", where),
    )


def split_by_topic(
    docs: Sequence[IncidentDoc], held_out_fraction: float = 0.5, seed: str = "claims"
) -> tuple[list[IncidentDoc], list[IncidentDoc]]:
    """Split into ``(dev, held_out)`` by a keyed hash of the topic, so held-out topics are unseen.

    ``round(held_out_fraction * number of topics)`` whole topics are held out, chosen as in
    ``claims.evaluation.conflicts.split_items``; both lists keep the input order. Documents without
    a topic (NewsWCL50) raise ValueError: split those with ``split_items`` and a key of your choice.
    """
    untopiced = [doc.doc_id for doc in docs if doc.topic is None]
    if untopiced:
        raise ValueError(f"{len(untopiced)} documents have no topic, e.g. {untopiced[0]!r}")
    return split_items(docs, lambda doc: doc.topic or "", held_out_fraction, seed)


# --------------------------------------------------------------------------------------------------
# Scoring


def bcubed(gold: Mapping[str, str], predicted: Mapping[str, str]) -> tuple[float, float, float]:
    """B³ ``(precision, recall, F1)`` of ``predicted`` against ``gold`` (module docstring).

    Both map item ids to cluster labels. Computed from the gold × predicted contingency counts
    ``n``: ``P = Σ n² / |C| / N`` and ``R = Σ n² / |G| / N``, which is the per-item definition
    summed cluster by cluster.
    """
    n_items = len(gold)
    if not n_items:
        return 0.0, 0.0, 0.0
    # Tagged labels: an unlabelled item's own singleton can never collide with a real label.
    labels: dict[str, tuple[bool, str]] = {
        item: (True, predicted[item]) if item in predicted else (False, item) for item in gold
    }
    joint = Counter((gold[item], labels[item]) for item in gold)
    gold_sizes = Counter(gold.values())
    predicted_sizes = Counter(labels.values())
    precision = sum(n * n / predicted_sizes[c] for (_, c), n in joint.items()) / n_items
    recall = sum(n * n / gold_sizes[g] for (g, _), n in joint.items()) / n_items
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


@dataclass(frozen=True)
class IncidentReport:
    """B³ scores of one incident grouping; ``to_dict`` is what experiment logs should store."""

    precision: float
    recall: float
    f1: float
    n_docs: int
    n_gold_clusters: int
    n_predicted_clusters: int
    label: str = "all"
    """What was scored: ``all`` documents, or one topic's id."""
    per_topic: tuple[IncidentReport, ...] = field(default=())
    """The same scores for each topic's documents alone, in topic order; empty without topics."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary, ratios rounded to 4 decimals."""
        data: dict[str, Any] = {
            "label": self.label,
            "bcubed_precision": round(self.precision, 4),
            "bcubed_recall": round(self.recall, 4),
            "bcubed_f1": round(self.f1, 4),
            "n_docs": self.n_docs,
            "n_gold_clusters": self.n_gold_clusters,
            "n_predicted_clusters": self.n_predicted_clusters,
        }
        if self.per_topic:
            data["per_topic"] = [report.to_dict() for report in self.per_topic]
        return data

    def render(self, console: Console) -> None:
        """Print one row for all documents, then one per topic."""
        table = Table(
            title="Incident grouping (B³)",
            caption=(
                f"{self.n_docs} docs, {self.n_gold_clusters} gold / "
                f"{self.n_predicted_clusters} predicted clusters"
            ),
        )
        table.add_column("scope")
        for column in ("docs", "gold clusters", "pred clusters", "B³ P", "B³ R", "B³ F1"):
            table.add_column(column, justify="right")
        for index, report in enumerate((self, *self.per_topic)):
            table.add_row(
                report.label if index == 0 else f"topic {report.label}",
                str(report.n_docs),
                str(report.n_gold_clusters),
                str(report.n_predicted_clusters),
                f"{report.precision:.4f}",
                f"{report.recall:.4f}",
                f"{report.f1:.4f}",
                end_section=index == 0 and bool(self.per_topic),
            )
        console.print(table)


def _report(
    docs: Sequence[IncidentDoc], predicted: Mapping[str, str], label: str
) -> IncidentReport:
    gold = {doc.doc_id: doc.gold for doc in docs}
    precision, recall, f1 = bcubed(gold, predicted)
    predicted_labels = {predicted[item] for item in gold if item in predicted}
    unlabelled = sum(1 for item in gold if item not in predicted)
    return IncidentReport(
        precision=precision,
        recall=recall,
        f1=f1,
        n_docs=len(gold),
        n_gold_clusters=len(set(gold.values())),
        n_predicted_clusters=len(predicted_labels) + unlabelled,
        label=label,
    )


def _topic_order(topic: str) -> tuple[int, int, str]:
    # Numeric topics ("2", "10") sort as numbers, anything else after them as text.
    return (0, int(topic), "") if topic.isdigit() else (1, 0, topic)


def score_incidents(docs: Sequence[IncidentDoc], predicted: Mapping[str, str]) -> IncidentReport:
    """Score ``predicted`` (cluster label per doc id) on ``docs``, overall and per topic.

    Gold labels are taken as given: ECB+ subtopic and NewsWCL50 event ids are unique corpus-wide.
    """
    ids = [doc.doc_id for doc in docs]
    if len(set(ids)) != len(ids):
        raise ValueError("doc ids must be unique")
    by_topic: dict[str, list[IncidentDoc]] = {}
    for doc in docs:
        if doc.topic is not None:
            by_topic.setdefault(doc.topic, []).append(doc)
    overall = _report(docs, predicted, "all")
    per_topic = tuple(
        _report(by_topic[topic], predicted, topic) for topic in sorted(by_topic, key=_topic_order)
    )
    return IncidentReport(
        precision=overall.precision,
        recall=overall.recall,
        f1=overall.f1,
        n_docs=overall.n_docs,
        n_gold_clusters=overall.n_gold_clusters,
        n_predicted_clusters=overall.n_predicted_clusters,
        per_topic=per_topic,
    )
