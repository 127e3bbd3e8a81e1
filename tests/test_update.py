"""The incremental incident update (`claims.comparison.update`), driven directly, without the API.

Each test gets an empty SQLite store of its own; the real models (the session's extractor, one
embedder and one comparer per module) are shared. The reports are invented: a chemical spill on
the river Lenna at Brask, told by two outlets, and an unrelated chess festival in Moravane.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from claims.comparison.compare import Comparer
from claims.comparison.embed import SentenceTransformerEmbedder
from claims.comparison.update import (
    DocumentTextConflictError,
    ExtractorAnalyser,
    Ingested,
    incident_changes,
    ingest,
    remove,
)
from claims.extraction.extract import Extractor
from claims.extraction.ingest import make_document
from claims.models import Document, Relation, RelationType
from claims.store import ClaimStore, DocumentNotFoundError, SQLiteClaimStore

SPILL_COURIER = (
    "Thousands of dead fish were found in the river Lenna near Brask on Monday after a chemical "
    "spill at the Feldt dye works.\n"
    "“The valve failed during the night and the tank emptied into the river,” plant manager "
    "Oskar Feldt told reporters in Brask.\n"
    "The Brask water board said that 12,000 litres of dye had reached the Lenna.\n"
    "Fishermen in Brask said the river had turned red for three kilometres.\n"
)
SPILL_WIRE = (
    "A chemical spill from the Feldt dye works has killed thousands of fish in the river Lenna "
    "at Brask, the Brask water board said on Monday.\n"
    "Plant manager Oskar Feldt said a valve had failed and a tank of dye had emptied into the "
    "Lenna overnight.\n"
    "“We have never seen the river this colour,” a Brask fisherman said.\n"
    "The water board said that about 12,000 litres of dye had leaked from the tank.\n"
)
CHESS = (
    "The Moravane chess festival opened on Saturday with 300 players from eleven countries.\n"
    "“We have never had so many young players,” organiser Petra Quell said at the town hall.\n"
    "The festival's final round will be played in the Moravane library on 14 June.\n"
)
MONDAY = datetime(2025, 6, 2, 9, 0)

Add = Callable[[Document], Ingested]


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    """The real embedder, one torch thread; the model itself is loaded once per process."""
    emb = SentenceTransformerEmbedder(threads=1)
    emb.warm_up()
    return emb


@pytest.fixture(scope="module")
def comparer(extractor: Extractor, embedder: SentenceTransformerEmbedder) -> Comparer:
    comp = Comparer(extractor=extractor, embedder=embedder)
    comp.warm_up()
    return comp


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ClaimStore]:
    s = SQLiteClaimStore(tmp_path / "claims.db")
    yield s
    s.close()


@pytest.fixture
def add(
    store: ClaimStore,
    extractor: Extractor,
    embedder: SentenceTransformerEmbedder,
    comparer: Comparer,
) -> Add:
    """`add(document)`: ingest one document into this test's store."""

    def _add(document: Document) -> Ingested:
        return ingest(
            store=store,
            extractor=ExtractorAnalyser(extractor),
            embedder=embedder,
            comparer=comparer,
            document=document,
        )

    return _add


def report(doc_id: str, text: str, published_at: datetime | None = MONDAY) -> Document:
    return make_document(
        text, doc_id=doc_id, outlet=doc_id.split("-")[0], published_at=published_at
    )


def courier() -> Document:
    return report("courier-spill", SPILL_COURIER)


def wire() -> Document:
    return report("wire-spill", SPILL_WIRE, MONDAY + timedelta(hours=3))


def chess() -> Document:
    return report("herald-chess", CHESS, MONDAY - timedelta(days=2))


def test_two_reports_of_one_incident_share_it(store: ClaimStore, add: Add) -> None:
    first = add(courier())
    second = add(wire())
    assert first.created
    assert second.created
    assert first.incident_id is not None
    assert second.incident_id == first.incident_id
    incident = store.get_incident(first.incident_id)
    assert incident is not None
    assert incident.document_ids == ["courier-spill", "wire-spill"]
    assert {c.document_id for c in incident.claims} == {"courier-spill", "wire-spill"}
    assert store.list_incidents()[1] == 1


def test_an_unrelated_report_starts_a_second_incident(store: ClaimStore, add: Add) -> None:
    spill = add(courier()).incident_id
    add(wire())
    festival = add(chess()).incident_id
    assert festival is not None
    assert festival != spill
    incidents, total = store.list_incidents()
    assert total == 2
    assert {tuple(i.document_ids) for i in incidents} == {
        ("courier-spill", "wire-spill"),
        ("herald-chess",),
    }


def test_a_report_outside_the_window_is_not_a_candidate(store: ClaimStore, add: Add) -> None:
    spill = add(courier()).incident_id
    late = report("wire-spill", SPILL_WIRE, MONDAY + timedelta(days=45))
    assert add(late).incident_id != spill
    assert store.list_incidents()[1] == 2


def test_removing_a_report_rebuilds_its_incident_under_the_same_id(
    store: ClaimStore, add: Add, comparer: Comparer
) -> None:
    spill = add(courier()).incident_id
    add(wire())
    festival = add(chess()).incident_id
    assert spill is not None
    assert festival is not None

    remove(store=store, comparer=comparer, document_id="wire-spill")
    assert store.get_document("wire-spill") is None
    incident = store.get_incident(spill)
    assert incident is not None
    assert incident.document_ids == ["courier-spill"]
    assert {c.document_id for c in incident.claims} == {"courier-spill"}
    assert store.incident_of_document("courier-spill") == spill
    assert store.get_incident(festival) is not None  # the other incident is left alone

    # The last member leaving deletes the incident; a second delete is not found.
    remove(store=store, comparer=comparer, document_id="courier-spill")
    assert store.get_incident(spill) is None
    with pytest.raises(DocumentNotFoundError, match="no document 'courier-spill'"):
        remove(store=store, comparer=comparer, document_id="courier-spill")
    assert store.list_incidents()[1] == 1


def test_a_report_that_rejoins_keeps_the_incident_id(
    store: ClaimStore, add: Add, comparer: Comparer
) -> None:
    spill = add(courier()).incident_id
    add(wire())
    remove(store=store, comparer=comparer, document_id="wire-spill")
    again = add(wire())
    assert again.created
    assert spill is not None
    assert again.incident_id == spill
    incident = store.get_incident(spill)
    assert incident is not None
    assert incident.document_ids == ["courier-spill", "wire-spill"]


def test_ingesting_the_same_report_again_is_idempotent(store: ClaimStore, add: Add) -> None:
    first = add(courier())
    add(wire())
    assert first.incident_id is not None
    before = store.get_incident(first.incident_id)
    assert before is not None
    claims_before = store.document_claims("courier-spill")

    # Other metadata under the same id and text is ignored: the first write wins.
    repeat = add(report("courier-spill", SPILL_COURIER, MONDAY + timedelta(days=1)))
    assert not repeat.created
    assert repeat.stored == first.stored
    assert repeat.incident_id == first.incident_id
    assert store.get_incident(first.incident_id) == before
    assert store.document_claims("courier-spill") == claims_before
    assert store.list_incidents()[1] == 1


def test_the_same_id_with_other_text_is_a_conflict(store: ClaimStore, add: Add) -> None:
    first = add(courier())
    with pytest.raises(DocumentTextConflictError, match="already stored with other text"):
        add(report("courier-spill", CHESS))
    assert store.get_document("courier-spill") == first.stored
    assert store.list_incidents()[1] == 1


def test_a_stored_report_in_no_incident_joins_one_when_ingested_again(
    store: ClaimStore, add: Add, extractor: Extractor, embedder: SentenceTransformerEmbedder
) -> None:
    """A report stored before incidents existed (no profile, no incident) is backfilled by
    ingesting it again."""
    spill = add(courier()).incident_id
    document = wire()
    claims = extractor.run(document)
    vectors = embedder.embed([c.content.text for c in claims])
    assert store.add_document(document, claims, vectors, embedder.model_name)
    assert store.incident_of_document(document.id) is None

    again = add(document)
    assert not again.created
    assert again.incident_id == spill
    assert store.document_profiles([document.id])
    assert store.incident_of_document(document.id) == spill


def test_each_rebuild_records_what_changed(store: ClaimStore, add: Add) -> None:
    """The change log follows the incident: created, then changed when a report joins, then
    changed and deleted as reports leave; a repeat ingest records nothing."""
    first = add(courier())
    add(wire())
    add(report("courier-spill", SPILL_COURIER, MONDAY))  # a repeat: no rebuild, no change
    assert first.incident_id is not None
    log = store.changes_since(0)
    assert [c.type for c in log if c.type.startswith("incident.")] == [
        "incident.created",
        "incident.changed",
    ]
    assert {c.incident_id for c in log} == {first.incident_id}
    changed = next(c for c in log if c.type == "incident.changed")
    assert changed.data["document_ids"] == ["courier-spill", "wire-spill"]
    after = log[-1].seq
    remove(store=store, comparer=Comparer(), document_id="wire-spill")
    remove(store=store, comparer=Comparer(), document_id="courier-spill")
    assert [c.type for c in store.changes_since(after)] == ["incident.changed", "incident.deleted"]


def test_incident_changes_between_versions(store: ClaimStore, add: Add) -> None:
    ingested = add(courier())
    assert ingested.incident_id is not None
    incident = store.get_incident(ingested.incident_id)
    assert incident is not None
    assert incident_changes(incident, incident, incident.id) == []  # nothing changed
    assert [c.type for c in incident_changes(None, incident, incident.id)] == ["incident.created"]
    assert [c.type for c in incident_changes(incident, None, incident.id)] == ["incident.deleted"]
    assert incident_changes(None, None, incident.id) == []
    a, b = incident.claims[0].id, incident.claims[1].id
    conflict = Relation.between(a, b, RelationType.CONFLICTS, "numeric", "6 vs 20", 0.9, "frames")
    with_conflict = incident.model_copy(update={"relations": [*incident.relations, conflict]})
    changes = incident_changes(incident, with_conflict, incident.id)
    assert [c.type for c in changes] == ["incident.changed", "conflict.created"]
    assert {c["id"] for c in changes[1].data["claims"]} == {a, b}
    # Known conflicts are not announced again.
    assert [c.type for c in incident_changes(with_conflict, with_conflict, incident.id)] == []
