"""The contract every `ClaimStore` backend must pass, written once and run per backend.

`ClaimStoreContract` holds the tests; a backend joins by adding a parameter to the `store_url`
fixture (the PostgreSQL backend will add `postgresql://...` with a skip when no server is found).
Documents, claims and vectors are built by hand, so this suite needs no model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from claims.models import Claim, Claimant, ClaimKind, Document, EntityType, Span
from claims.store import (
    BackendNotImplementedError,
    ClaimFilters,
    ClaimStore,
    DocumentConflictError,
    InvalidDatabaseURLError,
    SQLiteClaimStore,
    StoreError,
    open_store,
)

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


@pytest.fixture(params=["sqlite"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'claims.db'}"
    raise AssertionError(request.param)  # pragma: no cover


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


class TestClaimStore(ClaimStoreContract):
    """Runs the contract for every backend in `store_url`'s parameters."""


@pytest.mark.parametrize(
    "url",
    ["postgresql://user@localhost/claims", "postgres://localhost/x", "postgresql+psycopg://h/d"],
)
def test_store_open_postgresql_not_implemented(url: str) -> None:
    with pytest.raises(BackendNotImplementedError, match="PostgreSQL") as info:
        open_store(url)
    assert info.value.code == "backend_not_implemented"


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
