"""An approximate-nearest-neighbour index (faiss HNSW) over one model's claim vectors, persisted
beside the database and rebuilt from it when missing or stale.

Below `ANN_MIN` vectors an exact matrix product is fast enough (100k × 384: a few ms per query,
measured in benchmarks/test_bench_api.py) and has perfect recall, so no index is built; building
HNSW over 100k vectors costs ~100 s on two cores, which only pays off far beyond that.
Above it, HNSW answers in well under a millisecond; its candidates are re-scored exactly, so
scores are true cosines. The file is only a cache: a sidecar records a hash of the ids it was built
from, and any mismatch with the database (a crash, another process's writes) means rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ANN_MIN = 250_000
HNSW_LINKS = 16
EF_CONSTRUCTION = 40
EF_SEARCH = 128

log = logging.getLogger(__name__)
_SAVE_LOCK = threading.Lock()


def ids_digest(ids: list[str]) -> str:
    return hashlib.sha1("\0".join(ids).encode("utf-8")).hexdigest()


class AnnIndex:
    """HNSW over rows of `matrix` (L2-normalised), kept in step with appended rows."""

    def __init__(self, ids: list[str], matrix: NDArray[np.float32], path: Path | None) -> None:
        import faiss

        self.path = path
        self.count = len(ids)
        self.digest = ids_digest(ids)
        self.dirty = False
        self.index: Any = self._load(matrix.shape[1]) if path else None
        if self.index is None:
            self.index = faiss.IndexHNSWFlat(
                matrix.shape[1], HNSW_LINKS, faiss.METRIC_INNER_PRODUCT
            )
            self.index.hnsw.efConstruction = EF_CONSTRUCTION
            self.index.add(np.ascontiguousarray(matrix, dtype=np.float32))
            self.dirty = True
            self.save()
        self.index.hnsw.efSearch = EF_SEARCH

    def _sidecar(self) -> Path:
        assert self.path is not None
        return self.path.with_suffix(".json")

    def _load(self, dim: int) -> Any:
        import faiss

        assert self.path is not None
        try:
            meta = json.loads(self._sidecar().read_text("utf-8"))
            if meta.get("digest") != self.digest or meta.get("dim") != dim:
                return None  # stale: built from other rows than the database holds now
            index = faiss.read_index(str(self.path))
        except (OSError, ValueError, RuntimeError):
            return None
        self.dirty = False
        return index

    def add(self, ids: list[str], matrix: NDArray[np.float32], all_ids: list[str]) -> None:
        assert self.index is not None
        self.index.add(np.ascontiguousarray(matrix, dtype=np.float32))
        self.count += len(ids)
        self.digest = ids_digest(all_ids)
        self.dirty = True

    def candidates(self, query: NDArray[np.float32], k: int) -> NDArray[np.int64]:
        assert self.index is not None
        _, found = self.index.search(query.reshape(1, -1).astype(np.float32), k)
        rows: NDArray[np.int64] = np.asarray(found[0][found[0] >= 0], dtype=np.int64)
        return rows

    def save(self) -> None:
        """Write the index and its sidecar atomically; a failure only costs a rebuild later.
        One writer at a time: a background build and a closing store may both save."""
        if self.path is None or not self.dirty or self.index is None:
            return
        import faiss

        with _SAVE_LOCK:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_suffix(".tmp")
                faiss.write_index(self.index, str(tmp))
                os.replace(tmp, self.path)
                meta = {"digest": self.digest, "dim": self.index.d, "count": self.count}
                self._sidecar().write_text(json.dumps(meta), encoding="utf-8")
                self.dirty = False
            except (OSError, RuntimeError) as exc:
                log.warning("could not persist the vector index at %s: %s", self.path, exc)
