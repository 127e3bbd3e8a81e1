"""The contract every `ClaimStore` backend must pass, written once and run per backend.

`ClaimStoreContract` holds the tests; a backend joins by adding a parameter to the `store_url`
fixture. The PostgreSQL parameter starts one throwaway cluster per session (`tests/pg.py`) and
gives every test an empty database of its own; without the server binaries it fails, naming the
package to install, rather than skipping. Documents, claims and vectors are built by hand, so this
suite needs no model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import psycopg
import pytest
from pg import PostgresCluster, postgres_cluster

from claims.models import (
    Claim,
    Claimant,
    ClaimKind,
    Document,
    EntityType,
    Incident,
    IncidentStatus,
    Span,
)
from claims.store import (
    ClaimFilters,
    ClaimStore,
    DocumentConflictError,
    DocumentNotFoundError,
    InvalidDatabaseURLError,
    PostgresClaimStore,
    SQLiteClaimStore,
    StoreError,
    open_store,
)
from claims.store.changes import NewChange

MODEL = "test-model"
DIM = 4


def make_document(
    doc_id: str,
    sentences: list[tuple[str, str, ClaimKind]],
    *,
    outlet: str | None = "Example Wire",
    published_at: datetime | None = None,
) -> tuple[Document, list[Claim]]:
    """A document whose text is the given sentences, one claim per sentence."""
    text = ""
    claims: list[Claim] = []
    for i, (claimant, content, kind) in enumerate(sentences):
        start = len(text)
        text += content
        claims.append(
            Claim(
                id=f"{doc_id}-c{i}",
                document_id=doc_id,
                speaker=None,
                cue=None,
                content=Span(start=start, end=len(text), text=content),
                kind=kind,
                claimant=Claimant(name=claimant, type=EntityType.ORGANIZATION),
            )
        )
        text += "\n"
    document = Document(id=doc_id, text=text, outlet=outlet, published_at=published_at)
    return document, claims


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def vectors_for(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(n, DIM)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


FLOOD = [
    ("National Flood Agency", "Some 1,200 residents were evacuated", ClaimKind.INDIRECT),
    ("Marta Kolins", "Nine shelters had been opened", ClaimKind.INDIRECT),
    ("Example Wire", "The river burst its banks on Sunday", ClaimKind.UNATTRIBUTED),
]
STRIKE = [
    ("Port Workers Union", "The strike will continue until Friday", ClaimKind.DIRECT),
    ("Marta Kolins", "Talks with the union have stalled", ClaimKind.INDIRECT),
]


def make_incident(incident_id: str, document_ids: list[str], label: str = "") -> Incident:
    return Incident(
        id=incident_id,
        label=label or incident_id,
        document_ids=document_ids,
        claims=[],
        facts=[],
        relations=[],
        status=IncidentStatus.SINGLE_SOURCE,
        independent_sources=len(document_ids),
        first_document_id=document_ids[0],
        provenance=[],
    )


def add_documents(store: ClaimStore, *document_ids: str) -> None:
    """Store small documents (one claim each) under the given ids."""
    for doc_id in document_ids:
        doc, claims = make_document(doc_id, [STRIKE[0]])
        store.add_document(doc, claims, vectors_for(1), MODEL)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the session, started only when a test needs it."""
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'claims.db'}"
    elif request.param == "postgres":
        cluster: PostgresCluster = request.getfixturevalue("postgres_server")
        url = cluster.new_database()
        yield url
        cluster.drop_database(url)
    else:  # pragma: no cover
        raise AssertionError(request.param)


@pytest.fixture
def store(store_url: str) -> Iterator[ClaimStore]:
    s = open_store(store_url)
    yield s
    s.close()


class ClaimStoreContract:
    """Behaviour every backend must show; tests take the `store` and `store_url` fixtures."""

    def test_store_is_a_claim_store(self, store: ClaimStore) -> None:
        assert isinstance(store, ClaimStore)

    def test_store_add_then_get(self, store: ClaimStore) -> None:
        doc, claims = make_document("flood", FLOOD, published_at=datetime(2025, 6, 1, 9, 30))
        assert store.add_document(doc, claims, vectors_for(3), MODEL) is True
        stored = store.get_document("flood")
        assert stored is not None
        assert stored.document == doc
        assert stored.claim_count == 3
        assert store.document_claims("flood") == claims

    def test_store_ingest_is_idempotent(self, store: ClaimStore) -> None:
        doc, claims = make_document("flood", FLOOD)
        assert store.add_document(doc, claims, vectors_for(3), MODEL) is True
        assert store.add_document(doc, claims, vectors_for(3), MODEL) is False
        assert store.list_claims(ClaimFilters())[1] == 3
        assert len(store.search(unit(1, 0, 0, 0), 10, MODEL)) == 3

    def test_store_same_id_other_text_conflicts(self, store: ClaimStore) -> None:
        doc, claims = make_document("flood", FLOOD)
        store.add_document(doc, claims, vectors_for(3), MODEL)
        other, other_claims = make_document("flood", STRIKE)
        with pytest.raises(DocumentConflictError):
            store.add_document(other, other_claims, vectors_for(2), MODEL)
        assert store.document_claims("flood") == claims

    def test_store_document_without_claims(self, store: ClaimStore) -> None:
        doc, _ = make_document("empty", [])
        assert store.add_document(doc, [], np.empty((0, DIM), np.float32), MODEL) is True
        stored = store.get_document("empty")
        assert stored is not None
        assert stored.claim_count == 0

    def test_store_unknown_document(self, store: ClaimStore) -> None:
        assert store.get_document("nope") is None
        assert store.document_claims("nope") == []
        assert store.delete_document("nope") is False

    def test_store_delete_cascades(self, store: ClaimStore) -> None:
        flood, flood_claims = make_document("flood", FLOOD)
        strike, strike_claims = make_document("strike", STRIKE)
        store.add_document(flood, flood_claims, vectors_for(3, seed=1), MODEL)
        store.add_document(strike, strike_claims, vectors_for(2, seed=2), MODEL)
        store.search(unit(1, 1, 0, 0), 10, MODEL)  # build any cached index before the delete
        assert store.delete_document("flood") is True
        assert store.get_document("flood") is None
        assert store.document_claims("flood") == []
        remaining, total = store.list_claims(ClaimFilters())
        assert total == 2
        assert {c.document_id for c in remaining} == {"strike"}
        hits = store.search(unit(1, 1, 0, 0), 10, MODEL)
        assert {h.claim.document_id for h in hits} == {"strike"}
        # The id is free again, even for other text.
        again, again_claims = make_document("flood", STRIKE)
        assert store.add_document(again, again_claims, vectors_for(2), MODEL) is True

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            (ClaimFilters(), 5),
            (ClaimFilters(claimant="Marta Kolins"), 2),
            (ClaimFilters(claimant="marta kolins"), 2),
            (ClaimFilters(claimant="Kolins"), 0),
            (ClaimFilters(outlet="meridian press"), 2),
            (ClaimFilters(outlet="Example Wire"), 3),
            (ClaimFilters(document_id="strike"), 2),
            (ClaimFilters(kind=ClaimKind.INDIRECT), 3),
            (ClaimFilters(kind=ClaimKind.MIXED), 0),
            (
                ClaimFilters(
                    claimant="Marta Kolins", kind=ClaimKind.INDIRECT, outlet="Example Wire"
                ),
                1,
            ),
            (ClaimFilters(since=datetime(2025, 6, 2)), 2),
            (ClaimFilters(until=datetime(2025, 6, 1, 12, 0)), 3),
            (ClaimFilters(until=datetime(2025, 6, 1, 11, 59)), 0),
            (ClaimFilters(since=datetime(2025, 6, 1, 12, 0, tzinfo=UTC)), 5),
            # 14:00 at UTC+2 is 12:00 UTC: the flood report, inclusive bounds.
            (
                ClaimFilters(
                    since=datetime(2025, 6, 1, 14, tzinfo=timezone(timedelta(hours=2))),
                    until=datetime(2025, 6, 1, 14, tzinfo=timezone(timedelta(hours=2))),
                ),
                3,
            ),
            (ClaimFilters(since=datetime(2030, 1, 1)), 0),
        ],
    )
    def test_store_list_claims_filters(
        self, store: ClaimStore, filters: ClaimFilters, expected: int
    ) -> None:
        flood, flood_claims = make_document("flood", FLOOD, published_at=datetime(2025, 6, 1, 12))
        strike, strike_claims = make_document(
            "strike",
            STRIKE,
            outlet="Meridian Press",
            published_at=datetime(2025, 6, 3, 8, tzinfo=UTC),
        )
        undated, undated_claims = make_document("undated", [], published_at=None)
        store.add_document(flood, flood_claims, vectors_for(3), MODEL)
        store.add_document(strike, strike_claims, vectors_for(2), MODEL)
        store.add_document(undated, undated_claims, np.empty((0, DIM), np.float32), MODEL)
        page, total = store.list_claims(filters, 0, 100)
        assert total == expected
        assert len(page) == expected

    def test_store_list_claims_pagination(self, store: ClaimStore) -> None:
        flood, flood_claims = make_document("flood", FLOOD)
        strike, strike_claims = make_document("strike", STRIKE)
        store.add_document(flood, flood_claims, vectors_for(3), MODEL)
        store.add_document(strike, strike_claims, vectors_for(2), MODEL)
        everything = flood_claims + strike_claims  # ingest order, then text order
        pages = [store.list_claims(ClaimFilters(), offset, 2) for offset in (0, 2, 4, 6)]
        assert [total for _, total in pages] == [5, 5, 5, 5]
        assert [c for page, _ in pages for c in page] == everything
        assert pages[-1][0] == []
        assert store.list_claims(ClaimFilters(), 1, 0) == ([], 5)

    def test_store_search_ranks_by_cosine(self, store: ClaimStore) -> None:
        doc, claims = make_document("flood", FLOOD)
        vectors = np.stack([unit(1, 0, 0, 0), unit(0, 1, 0, 0), unit(1, 1, 0, 0)])
        store.add_document(doc, claims, vectors, MODEL)
        hits = store.search(unit(1, 0.2, 0, 0), 3, MODEL)
        assert [h.claim.id for h in hits] == ["flood-c0", "flood-c2", "flood-c1"]
        assert hits[0].score == pytest.approx(float(unit(1, 0.2, 0, 0)[0]), abs=1e-5)
        assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
        assert [h.claim.id for h in store.search(unit(1, 0.2, 0, 0), 1, MODEL)] == ["flood-c0"]

    def test_store_search_sees_later_ingests(self, store: ClaimStore) -> None:
        flood, flood_claims = make_document("flood", FLOOD)
        store.add_document(flood, flood_claims, np.stack([unit(0, 1, 0, 0)] * 3), MODEL)
        assert store.search(unit(0, 0, 0, 1), 1, MODEL)[0].claim.document_id == "flood"
        strike, strike_claims = make_document("strike", STRIKE)
        store.add_document(strike, strike_claims, np.stack([unit(0, 0, 0, 1)] * 2), MODEL)
        hits = store.search(unit(0, 0, 0, 1), 2, MODEL)
        assert [h.claim.document_id for h in hits] == ["strike", "strike"]

    def test_store_search_is_per_model(self, store: ClaimStore) -> None:
        doc, claims = make_document("flood", FLOOD)
        store.add_document(doc, claims, vectors_for(3), MODEL)
        assert store.search(unit(1, 0, 0, 0), 5, "other-model") == []
        assert store.search(unit(1, 0, 0, 0), 0, MODEL) == []

    def test_store_failed_ingest_leaves_nothing(self, store: ClaimStore) -> None:
        # Two claims with one id: the second claim insert fails after the document row and the
        # first claim were written, i.e. a failure in the middle of the transaction.
        doc, claims = make_document("flood", FLOOD)
        broken = [claims[0], claims[1], claims[2].model_copy(update={"id": claims[0].id})]
        with pytest.raises(StoreError):
            store.add_document(doc, broken, vectors_for(3), MODEL)
        assert store.get_document("flood") is None
        assert store.document_claims("flood") == []
        assert store.list_claims(ClaimFilters()) == ([], 0)
        assert store.search(unit(1, 0, 0, 0), 5, MODEL) == []
        # The store is still usable, and the same document can be ingested properly.
        assert store.add_document(doc, claims, vectors_for(3), MODEL) is True

    def test_store_rejects_mismatched_vectors(self, store: ClaimStore) -> None:
        doc, claims = make_document("flood", FLOOD)
        with pytest.raises(ValueError, match="vectors"):
            store.add_document(doc, claims, vectors_for(2), MODEL)
        assert store.get_document("flood") is None

    def test_store_persists_across_reopen(self, store: ClaimStore, store_url: str) -> None:
        doc, claims = make_document("flood", FLOOD, published_at=datetime(2025, 6, 1, tzinfo=UTC))
        vectors = vectors_for(3)
        store.add_document(doc, claims, vectors, MODEL)
        store.close()
        reopened = open_store(store_url)
        try:
            stored = reopened.get_document("flood")
            assert stored is not None
            assert stored.document == doc
            assert reopened.document_claims("flood") == claims
            hits = reopened.search(vectors[1], 1, MODEL)
            assert hits[0].claim == claims[1]
            assert hits[0].score == pytest.approx(1.0, abs=1e-5)
        finally:
            reopened.close()

    def test_store_sees_other_connections_writes(self, store: ClaimStore, store_url: str) -> None:
        flood, flood_claims = make_document("flood", FLOOD)
        store.add_document(flood, flood_claims, np.stack([unit(0, 1, 0, 0)] * 3), MODEL)
        store.search(unit(0, 1, 0, 0), 1, MODEL)  # build any cached index
        other = open_store(store_url)
        try:
            strike, strike_claims = make_document("strike", STRIKE)
            other.add_document(strike, strike_claims, np.stack([unit(0, 0, 1, 0)] * 2), MODEL)
        finally:
            other.close()
        assert store.search(unit(0, 0, 1, 0), 1, MODEL)[0].claim.document_id == "strike"
        assert store.list_claims(ClaimFilters())[1] == 5

    # -- incidents and document profiles ------------------------------------------------------
    def test_store_document_profiles(self, store: ClaimStore) -> None:
        for doc_id in ("flood", "strike", "plain"):
            doc, claims = make_document(doc_id, FLOOD if doc_id == "flood" else STRIKE)
            store.add_document(doc, claims, vectors_for(len(claims)), MODEL)
        assert store.document_profiles() == {}
        flood = {"lemmas": {"river": 2.0, "flood": 1.5}, "entities": ["Kessa"], "date": None}
        store.set_document_profile("flood", flood)
        store.set_document_profile("strike", {"lemmas": {}, "entities": []})
        assert store.document_profiles() == {
            "flood": flood,
            "strike": {"lemmas": {}, "entities": []},
        }
        assert store.document_profiles(["flood", "plain", "nope"]) == {"flood": flood}
        assert store.document_profiles([]) == {}
        store.set_document_profile("flood", {"lemmas": {"river": 1.0}})  # replaced
        assert store.document_profiles(["flood"]) == {"flood": {"lemmas": {"river": 1.0}}}
        store.delete_document("flood")
        assert store.document_profiles() == {"strike": {"lemmas": {}, "entities": []}}

    def test_store_profile_of_unknown_document(self, store: ClaimStore) -> None:
        with pytest.raises(DocumentNotFoundError):
            store.set_document_profile("nope", {"lemmas": {}})

    def test_store_document_profiles_near_window(self, store: ClaimStore) -> None:
        # The window is tested in UTC on the document's `published_at`, both ends inclusive;
        # naive times are UTC. Local clock times are chosen so that comparing them as written
        # would give the other answer.
        plus2, minus5 = timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))
        dates: dict[str, datetime | None] = {
            "low-edge": datetime(2025, 1, 30, 12, 0),  # moment - window, naive
            "low-out": datetime(2025, 1, 30, 11, 59, 59, 999_999),
            "high-edge": datetime(2025, 3, 31, 14, 0, tzinfo=plus2),  # moment + window
            "high-out": datetime(2025, 3, 31, 14, 0, 0, 1, tzinfo=plus2),
            "local-out-utc-in": datetime(2025, 1, 30, 8, 0, tzinfo=minus5),  # 13:00 UTC
            "local-in-utc-out": datetime(2025, 3, 31, 10, 0, tzinfo=minus5),  # 15:00 UTC
            "middle": datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
            "years-away": datetime(2019, 3, 1, 12, 0),
            "undated": None,
        }
        for doc_id, published_at in dates.items():
            doc, claims = make_document(doc_id, [STRIKE[0]], published_at=published_at)
            store.add_document(doc, claims, vectors_for(1), MODEL)
            store.set_document_profile(doc_id, {"doc": doc_id})
        add_documents(store, "unprofiled")  # undated, but has no profile: never returned
        inside = ["high-edge", "local-out-utc-in", "low-edge", "middle", "undated"]
        window = timedelta(days=30)
        for moment in (datetime(2025, 3, 1, 12, 0), datetime(2025, 3, 1, 7, 0, tzinfo=minus5)):
            near = store.document_profiles_near(moment, window)
            assert list(near) == inside  # in id order
            assert near == {doc_id: {"doc": doc_id} for doc_id in inside}
        everything = store.document_profiles_near(None, window)
        assert list(everything) == sorted(dates)
        assert everything == store.document_profiles()
        assert list(store.document_profiles_near(datetime(2025, 3, 1, 12), timedelta(0))) == [
            "middle",
            "undated",
        ]
        assert list(store.document_profiles_near(datetime(2030, 1, 1), window)) == ["undated"]
        with pytest.raises(ValueError, match="negative"):
            store.document_profiles_near(datetime(2025, 3, 1), -window)
        store.delete_document("middle")
        assert "middle" not in store.document_profiles_near(datetime(2025, 3, 1, 12), window)

    def test_store_undated_candidates_are_bounded(self, store: ClaimStore) -> None:
        """An undated ingest must not read the whole archive: the undated (or, for an undated
        document, all) candidates are the most recently ingested `undated_limit`."""
        order = ["u-old", "dated", "u-mid", "u-new"]
        for doc_id in order:
            published = datetime(2025, 3, 1, 12) if doc_id == "dated" else None
            doc, claims = make_document(doc_id, [STRIKE[0]], published_at=published)
            store.add_document(doc, claims, vectors_for(1), MODEL)
            store.set_document_profile(doc_id, {"doc": doc_id})
        window = timedelta(days=30)
        assert list(store.document_profiles_near(None, window, 2)) == ["u-mid", "u-new"]
        assert list(store.document_profiles_near(None, window, 3)) == ["dated", "u-mid", "u-new"]
        assert list(store.document_profiles_near(None, window)) == sorted(order)
        # A dated ingest: every dated neighbour, and the newest undated ones only.
        near = store.document_profiles_near(datetime(2025, 3, 2), window, 1)
        assert list(near) == ["dated", "u-new"]
        assert store.document_profiles_near(datetime(2025, 3, 2), window, 0) == {
            "dated": {"doc": "dated"}
        }
        with pytest.raises(ValueError, match="negative"):
            store.document_profiles_near(None, window, -1)

    def test_store_document_profiles_near_extreme_dates(self, store: ClaimStore) -> None:
        # Bounds past the range of `datetime` are clamped, never an error.
        first, last = datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999_999)
        for doc_id, published_at in {"first": first, "last": last, "undated": None}.items():
            doc, claims = make_document(doc_id, [STRIKE[0]], published_at=published_at)
            store.add_document(doc, claims, vectors_for(1), MODEL)
            store.set_document_profile(doc_id, {"doc": doc_id})
        window = timedelta(days=30)
        assert list(store.document_profiles_near(first, window)) == ["first", "undated"]
        assert list(store.document_profiles_near(last, window)) == ["last", "undated"]
        assert list(store.document_profiles_near(last.replace(tzinfo=UTC), window)) == [
            "last",
            "undated",
        ]
        beyond = datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))  # past 9999 in UTC
        assert list(store.document_profiles_near(beyond, window)) == ["last", "undated"]
        assert list(store.document_profiles_near(first, timedelta.max)) == [
            "first",
            "last",
            "undated",
        ]

    def test_store_document_profiles_near_equals_the_python_filter(self, store: ClaimStore) -> None:
        """The database's window gives exactly what filtering every profile in Python gave
        (the ingest service's rule before the window moved into the store), over dates in
        mixed zones and on both sides of every window edge."""
        window = timedelta(days=30)
        zones = [None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
        moments = [datetime(2025, 6, 1, 0, 0), datetime(2025, 6, 15, 23, 30, tzinfo=zones[2])]
        rng = np.random.default_rng(7)
        dates: list[datetime | None] = [None, None]
        for moment in moments:  # on, just inside and just outside each edge, in every zone
            utc = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
            for edge, step in itertools.product((utc - window, utc + window), (-1, 0, 1)):
                for zone in zones:
                    when = edge + timedelta(microseconds=step)
                    dates.append(
                        when if zone is None else when.replace(tzinfo=UTC).astimezone(zone)
                    )
        for minutes in rng.integers(-120 * 24 * 60, 120 * 24 * 60, size=40):
            when = datetime(2025, 6, 8) + timedelta(minutes=int(minutes))
            zone = zones[int(rng.integers(len(zones)))]
            dates.append(when if zone is None else when.replace(tzinfo=zone))
        for i, published_at in enumerate(dates):
            doc, claims = make_document(f"doc-{i:03d}", [STRIKE[0]], published_at=published_at)
            store.add_document(doc, claims, vectors_for(1), MODEL)
            store.set_document_profile(
                doc.id, {"published_at": published_at.isoformat() if published_at else None}
            )

        def naive_utc(moment: datetime) -> datetime:
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment

        profiles = store.document_profiles()
        for moment in [*moments, *(m.replace(tzinfo=zone) for m in moments for zone in zones)]:
            mine = naive_utc(moment)
            expected = {
                doc_id: profile
                for doc_id, profile in profiles.items()
                if profile["published_at"] is None
                or abs(naive_utc(datetime.fromisoformat(profile["published_at"])) - mine) <= window
            }
            assert 0 < len(expected) < len(profiles)
            assert store.document_profiles_near(moment, window) == expected, moment
        assert store.document_profiles_near(None, window) == profiles

    def test_store_put_then_get_incident(self, store: ClaimStore) -> None:
        add_documents(store, "flood", "flood-2")
        assert store.get_incident("i1") is None
        assert store.incident_of_document("flood") is None
        incident = make_incident("i1", ["flood", "flood-2"], label="Kessa river flood")
        store.put_incident(incident)
        assert store.get_incident("i1") == incident
        assert store.incident_of_document("flood") == "i1"
        assert store.incident_of_document("flood-2") == "i1"
        assert store.list_incidents() == ([incident], 1)

    def test_store_incident_members_must_be_stored(self, store: ClaimStore) -> None:
        # A document deleted while its incident was being built gets no membership row.
        add_documents(store, "a")
        incident = make_incident("i1", ["a", "gone"])
        store.put_incident(incident)
        assert store.get_incident("i1") == incident  # the incident is kept as given
        assert store.incident_of_document("a") == "i1"
        assert store.incident_of_document("gone") is None

    def test_store_put_incident_replaces(self, store: ClaimStore) -> None:
        add_documents(store, "a", "b", "c")
        store.put_incident(make_incident("i1", ["a", "b"]))
        replaced = make_incident("i1", ["a", "c"], label="renamed")
        store.put_incident(replaced)
        assert store.get_incident("i1") == replaced
        assert store.incident_of_document("a") == "i1"
        assert store.incident_of_document("b") is None  # no longer a member
        assert store.incident_of_document("c") == "i1"
        assert store.list_incidents()[1] == 1

    def test_store_document_moves_between_incidents(self, store: ClaimStore) -> None:
        add_documents(store, "a", "b", "c")
        store.put_incident(make_incident("i1", ["a", "b"]))
        store.put_incident(make_incident("i2", ["b", "c"]))
        assert store.incident_of_document("a") == "i1"
        assert store.incident_of_document("b") == "i2"
        assert store.incident_of_document("c") == "i2"
        store.put_incident(make_incident("i1", ["a", "b"]))  # and back again
        assert store.incident_of_document("b") == "i1"
        assert store.incident_of_document("c") == "i2"
        assert store.list_incidents()[1] == 2

    def test_store_incident_that_loses_every_member_is_deleted(self, store: ClaimStore) -> None:
        # A rebuilt incident under a new id takes all the documents: the old one goes.
        add_documents(store, "a", "b", "c")
        store.put_incident(make_incident("old", ["a", "b"]))
        store.put_incident(make_incident("other", ["c"]))
        store.put_incident(make_incident("new", ["a", "b"]))
        assert store.get_incident("old") is None
        assert {i.id for i in store.list_incidents()[0]} == {"new", "other"}
        assert store.incident_of_document("a") == "new"

    def test_store_delete_document_drops_membership(self, store: ClaimStore) -> None:
        add_documents(store, "a", "b")
        store.put_incident(make_incident("i1", ["a", "b"]))
        assert store.delete_document("a") is True
        assert store.incident_of_document("a") is None
        assert store.incident_of_document("b") == "i1"
        assert store.get_incident("i1") is not None

    def test_store_list_incidents_most_recent_first(self, store: ClaimStore) -> None:
        add_documents(store, "i1-doc", "i2-doc", "i3-doc")
        for incident_id in ("i1", "i2", "i3"):
            store.put_incident(make_incident(incident_id, [f"{incident_id}-doc"]))
        incidents, total = store.list_incidents()
        assert total == 3
        assert [i.id for i in incidents] == ["i3", "i2", "i1"]
        store.put_incident(make_incident("i1", ["i1-doc"], label="updated"))
        assert [i.id for i in store.list_incidents()[0]] == ["i1", "i3", "i2"]
        pages = [store.list_incidents(offset, 2) for offset in (0, 2, 4)]
        assert [[i.id for i in page] for page, _ in pages] == [["i1", "i3"], ["i2"], []]
        assert [total for _, total in pages] == [3, 3, 3]
        assert store.list_incidents(1, 0) == ([], 3)

    def test_store_delete_incident(self, store: ClaimStore) -> None:
        add_documents(store, "a", "b", "c")
        store.put_incident(make_incident("i1", ["a", "b"]))
        store.put_incident(make_incident("i2", ["c"]))
        assert store.delete_incident("i1") is True
        assert store.delete_incident("i1") is False
        assert store.delete_incident("nope") is False
        assert store.get_incident("i1") is None
        assert store.incident_of_document("a") is None
        assert store.incident_of_document("b") is None
        assert store.incident_of_document("c") == "i2"
        assert [i.id for i in store.list_incidents()[0]] == ["i2"]
        assert store.get_document("a") is not None  # the documents stay

    def test_store_incidents_persist_across_reopen(self, store: ClaimStore, store_url: str) -> None:
        add_documents(store, "a")
        incident = make_incident("i1", ["a"])
        store.put_incident(incident)
        store.close()
        reopened = open_store(store_url)
        try:
            assert reopened.get_incident("i1") == incident
            assert reopened.incident_of_document("a") == "i1"
        finally:
            reopened.close()

    def test_store_unusual_characters_round_trip(self, store: ClaimStore) -> None:
        # NUL and % in ids, names and text: PostgreSQL text cannot hold NUL, SQLite can.
        sentences = [("Ag\x00ency 100%", "Rain\x00fall was 100%", ClaimKind.INDIRECT)]
        doc, claims = make_document("d%00\x00", sentences, outlet="W\x00ire%")
        assert store.add_document(doc, claims, vectors_for(1), MODEL) is True
        stored = store.get_document(doc.id)
        assert stored is not None
        assert stored.document == doc
        assert store.document_claims(doc.id) == claims
        assert store.list_claims(ClaimFilters(claimant="ag\x00ENCY 100%"))[1] == 1
        assert store.list_claims(ClaimFilters(claimant="ag%00ENCY 100%"))[1] == 0
        assert store.list_claims(ClaimFilters(outlet="w\x00IRE%", document_id=doc.id))[1] == 1
        assert store.search(vectors_for(1)[0], 1, MODEL)[0].claim == claims[0]
        store.set_document_profile(doc.id, {"lemmas": {"rain\x00": 1.0}})
        assert store.document_profiles([doc.id]) == {doc.id: {"lemmas": {"rain\x00": 1.0}}}
        assert store.document_profiles_near(None, timedelta(days=1)) == {
            doc.id: {"lemmas": {"rain\x00": 1.0}}
        }
        store.put_incident(make_incident("i%\x00", [doc.id]))
        assert store.incident_of_document(doc.id) == "i%\x00"
        assert store.delete_document(doc.id) is True

    def test_store_changes_are_written_with_the_incident(self, store: ClaimStore) -> None:
        add_documents(store, "a", "b")
        hook = store.add_webhook("http://127.0.0.1:9/hook", ["incident.created"])
        other = store.add_webhook("http://127.0.0.1:9/other", ["conflict.created"])
        created = NewChange(type="incident.created", incident_id="i%\x00", data={"n": 1})
        store.put_incident(make_incident("i%\x00", ["a", "b"]), [created])
        [change] = store.changes_since(0)
        assert (change.type, change.incident_id, change.data) == (
            "incident.created",
            "i%\x00",
            {"n": 1},
        )
        assert change.id.startswith("evt_")
        assert store.changes_since(change.seq) == []
        # One pending delivery, for the webhook subscribed to the type only.
        assert [d.change for d in store.deliveries(hook.id)] == [change]
        assert store.deliveries(other.id) == []
        gone = NewChange(type="incident.deleted", incident_id="i%\x00")
        assert store.delete_incident("i%\x00", [gone]) is True
        assert [c.type for c in store.changes_since(0)] == ["incident.created", "incident.deleted"]
        assert store.delete_incident("i%\x00", [gone]) is False  # nothing deleted, nothing logged
        assert len(store.changes_since(0)) == 2

    def test_store_deliveries_are_leased_retried_and_die(self, store: ClaimStore) -> None:
        add_documents(store, "a")
        hook = store.add_webhook("http://127.0.0.1:9/hook", ["incident.created"])
        change = NewChange(type="incident.created", incident_id="i1")
        store.put_incident(make_incident("i1", ["a"]), [change])
        [due] = store.claim_deliveries(10, lease_seconds=60)
        assert store.claim_deliveries(10, lease_seconds=60) == []  # leased: no one else takes it
        store.finish_delivery(due.seq, delivered=False, status=500, error="HTTP 500", retry_at=0.0)
        [again] = store.claim_deliveries(10, lease_seconds=60)
        assert (again.seq, again.attempts, again.last_status) == (due.seq, 1, 500)
        store.finish_delivery(again.seq, delivered=False, error="ConnectError", retry_at=None)
        assert store.claim_deliveries(10, lease_seconds=60) == []
        [dead] = store.deliveries(hook.id, "dead")
        assert (dead.attempts, dead.last_error) == (2, "ConnectError")
        assert store.get_webhook(hook.id) == hook
        assert store.list_webhooks() == [hook]
        assert store.delete_webhook(hook.id) is True
        assert store.deliveries(hook.id) == []
        assert store.get_webhook(hook.id) is None
        assert store.delete_webhook(hook.id) is False

    def test_store_feeds_are_leased_and_remember_entries(self, store: ClaimStore) -> None:
        feed = store.add_feed("http://127.0.0.1:9/feed.xml", 600)
        assert (feed.entries, feed.etag, feed.last_polled_at) == (0, None, None)
        [due] = store.claim_feeds(lease_seconds=60)
        assert due == feed
        assert store.claim_feeds(lease_seconds=60) == []  # leased
        store.finish_poll(feed.id, etag='"v1"', last_modified=None, error="x", next_poll_at=0.0)
        add_documents(store, "doc%\x00")
        store.mark_entry(feed.id, "guid%\x00", "doc%\x00")
        store.mark_entry(feed.id, "guid%\x00", "doc%\x00")  # idempotent
        assert store.seen_entries(feed.id, ["guid%\x00", "other"]) == {"guid%\x00"}
        assert store.seen_entries(feed.id, []) == set()
        [again] = store.claim_feeds(lease_seconds=60)
        assert (again.etag, again.last_error, again.entries) == ('"v1"', "x", 1)
        assert again.last_polled_at is not None
        assert store.claim_feeds(60, feed.id) == [store.get_feed(feed.id)]  # by id, even leased
        assert store.list_feeds() == [store.get_feed(feed.id)]
        assert store.delete_feed(feed.id) is True
        assert store.get_feed(feed.id) is None
        assert store.delete_feed(feed.id) is False


class TestClaimStore(ClaimStoreContract):
    """Runs the contract for every backend in `store_url`'s parameters."""


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg", "POSTGRESQL"])
def test_store_open_postgresql_schemes(postgres_server: PostgresCluster, scheme: str) -> None:
    url = postgres_server.new_database()
    try:
        store = open_store(url.replace("postgresql", scheme, 1))
        assert isinstance(store, PostgresClaimStore)
        store.close()
    finally:
        postgres_server.drop_database(url)


def test_store_open_postgresql_unreachable_hides_password() -> None:
    with pytest.raises(StoreError, match="cannot open PostgreSQL") as info:
        open_store("postgresql://user:s3cret@127.0.0.1:1/claims?connect_timeout=5")
    assert "s3cret" not in str(info.value)
    assert info.value.code == "store_error"


@pytest.mark.parametrize("url", ["claims.db", "mysql://localhost/x", "sqlite://", "sqlite:///"])
def test_store_open_invalid_url(url: str) -> None:
    with pytest.raises(InvalidDatabaseURLError):
        open_store(url)


def test_store_open_sqlite_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///./data/claims.db")
    assert isinstance(relative, SQLiteClaimStore)
    relative.close()
    assert (tmp_path / "data" / "claims.db").is_file()
    absolute = open_store(f"sqlite:///{tmp_path / 'abs.db'}")
    absolute.close()
    assert (tmp_path / "abs.db").is_file()
    memory = open_store("sqlite:///:memory:")
    doc, claims = make_document("flood", FLOOD)
    assert memory.add_document(doc, claims, vectors_for(3), MODEL) is True
    memory.close()


def test_store_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    with SQLiteClaimStore(tmp_path / "claims.db") as s:
        db = s._db
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_store_postgres_reconnects_after_server_drop(postgres_server: PostgresCluster) -> None:
    url = postgres_server.new_database()
    store = PostgresClaimStore(url)
    try:
        doc, claims = make_document("flood", FLOOD)
        store.add_document(doc, claims, vectors_for(3), MODEL)
        store.search(unit(1, 0, 0, 0), 1, MODEL)  # build the cached index
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with pytest.raises(StoreError):
            store.get_document("flood")  # the dropped connection shows once, as a StoreError
        assert store.get_document("flood") is not None
        assert len(store.search(unit(1, 0, 0, 0), 5, MODEL)) == 3
    finally:
        store.close()
        postgres_server.drop_database(url)
