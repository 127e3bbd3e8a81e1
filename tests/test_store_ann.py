"""The persisted HNSW index behind claim search (claims/store/ann.py), at a small ANN_MIN.

The index is built on a background thread; `_built` waits for it where a test needs it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from claims.models import Claim, Claimant, ClaimKind, Document, EntityType, Span
from claims.store import ann
from claims.store.sqlite import SQLiteClaimStore

DIM = 16
MODEL = "test-model"


def _ingest(store: SQLiteClaimStore, doc_id: str, vectors: np.ndarray) -> list[str]:
    text = " ".join(f"claim{i}." for i in range(len(vectors)))
    claims = []
    for i in range(len(vectors)):
        start = text.index(f"claim{i}.")
        end = start + len(f"claim{i}.")
        claims.append(
            Claim(
                id=f"{doc_id}-{i}",
                document_id=doc_id,
                speaker=None,
                cue=None,
                content=Span(start=start, end=end, text=text[start:end]),
                kind=ClaimKind.UNATTRIBUTED,
                claimant=Claimant(name="Example Wire", type=EntityType.OUTLET),
            )
        )
    store.add_document(Document(id=doc_id, text=text), claims, vectors, MODEL)
    return [c.id for c in claims]


def _unit(n: int, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def _built(store: SQLiteClaimStore) -> None:
    """Wait for the background builds, then let the next search adopt them."""
    for index in store._indexes.values():
        assert index.wait_for_ann(timeout=60)


@pytest.fixture
def small_ann(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "ANN_MIN", 50)
    import claims.store.sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "ANN_MIN", 50)


@pytest.mark.usefixtures("small_ann")
def test_store_ann_search_finds_the_exact_neighbour_and_persists(tmp_path: Path) -> None:
    db = tmp_path / "claims.db"
    vectors = _unit(300, seed=1)
    store = SQLiteClaimStore(db)
    ids = _ingest(store, "d1", vectors)
    for _ in range(2):  # exact while the index builds, then through the index
        for i in (0, 123, 299):
            hits = store.search(vectors[i], 3, MODEL)
            assert hits[0].claim.id == ids[i]
            assert hits[0].score == pytest.approx(1.0, abs=1e-5)
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        _built(store)
    assert store._indexes[MODEL].ann is not None
    store.close()
    index_file = tmp_path / "claims.db.ann" / "test-model.faiss"
    assert index_file.exists()
    assert index_file.with_suffix(".json").exists()


@pytest.mark.usefixtures("small_ann")
def test_store_ann_index_rebuilt_when_stale(tmp_path: Path) -> None:
    db = tmp_path / "claims.db"
    store = SQLiteClaimStore(db)
    _ingest(store, "d1", _unit(100, seed=2))
    store.search(_unit(1, seed=3)[0], 1, MODEL)
    _built(store)
    store.close()
    # another writer adds rows behind the persisted index's back
    other = SQLiteClaimStore(db)
    new = _unit(60, seed=4)
    new_ids = _ingest(other, "d2", new)
    other._indexes.clear()  # it never searched: its index is not the one on disk
    other.close()
    store = SQLiteClaimStore(db)
    store.search(new[7], 1, MODEL)
    _built(store)
    hits = store.search(new[7], 1, MODEL)
    assert store._indexes[MODEL].ann is not None
    assert hits[0].claim.id == new_ids[7]  # the stale file was not trusted
    store.close()


@pytest.mark.usefixtures("small_ann")
def test_store_ann_sees_appends_after_build(tmp_path: Path) -> None:
    store = SQLiteClaimStore(tmp_path / "claims.db")
    _ingest(store, "d1", _unit(80, seed=5))
    store.search(_unit(1, seed=6)[0], 1, MODEL)  # starts building the index
    _built(store)
    store.search(_unit(1, seed=6)[0], 1, MODEL)  # adopts it
    new = _unit(10, seed=7)
    new_ids = _ingest(store, "d2", new)
    assert store.search(new[3], 1, MODEL)[0].claim.id == new_ids[3]
    store.close()


@pytest.mark.usefixtures("small_ann")
def test_store_ann_build_blocks_neither_searches_nor_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the index builds (held here until released), searches answer exactly and ingests go
    through; the first search after the build adopts it, with the rows added meanwhile."""
    release = threading.Event()
    started = threading.Event()

    class SlowIndex(ann.AnnIndex):
        def __init__(self, *args: Any) -> None:
            started.set()
            assert release.wait(timeout=60)
            super().__init__(*args)

    monkeypatch.setattr(ann, "AnnIndex", SlowIndex)
    store = SQLiteClaimStore(tmp_path / "claims.db")
    first = _unit(80, seed=8)
    first_ids = _ingest(store, "d1", first)
    assert store.search(first[5], 1, MODEL)[0].claim.id == first_ids[5]
    assert started.wait(timeout=60)
    late = _unit(10, seed=9)
    late_ids = _ingest(store, "d2", late)  # not blocked by the build
    assert store.search(late[2], 1, MODEL)[0].claim.id == late_ids[2]  # exact meanwhile
    index = store._indexes[MODEL]
    assert index.ann is None
    release.set()
    assert index.wait_for_ann(timeout=60)
    assert store.search(late[4], 1, MODEL)[0].claim.id == late_ids[4]
    assert index.ann is not None
    assert index.ann.count == 90  # built from 80 rows, the 10 added later appended on adoption
    store.close()
