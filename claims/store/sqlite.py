"""The embedded default backend: one SQLite file (stdlib `sqlite3`), WAL, foreign keys.

Why SQLite: no server to run, and WAL lets readers in other processes work while one writer
ingests. Claims are stored as the JSON of the pydantic model (the contract stays the model, never a
column list that drifts from it) beside the few indexed columns the filters need. Vectors are
float32 BLOBs keyed by (claim_id, model_name); search is exact cosine over an in-memory matrix that
is loaded once per model and kept in step with this connection's writes, and reloaded when
`PRAGMA data_version` shows another connection committed (sqlite-vec cannot load here).

Incidents are stored the same way (the `Incident` model's JSON) with a membership table keyed by
document id, so "a document belongs to at most one incident" is a primary key, not a convention,
and deleting a document drops its membership and profile by cascade.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from claims.models import Claim, Document, Incident
from claims.store.ann import ANN_MIN, AnnIndex
from claims.store.base import (
    ClaimFilters,
    DocumentConflictError,
    DocumentNotFoundError,
    SearchHit,
    StoredDocument,
    StoreError,
    Vectors,
)

SCHEMA_VERSION = 2  # 2: document profiles and incidents

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    outlet TEXT COLLATE NOCASE,
    published_at TEXT,
    ingested_at TEXT NOT NULL,
    claim_count INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_outlet ON documents (outlet);
CREATE INDEX IF NOT EXISTS documents_published_at ON documents (published_at);
CREATE TABLE IF NOT EXISTS claims (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    claimant TEXT NOT NULL COLLATE NOCASE,
    kind TEXT NOT NULL,
    stance TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_document ON claims (document_id, position);
CREATE INDEX IF NOT EXISTS claims_claimant ON claims (claimant);
CREATE INDEX IF NOT EXISTS claims_kind ON claims (kind);
CREATE TABLE IF NOT EXISTS vectors (
    claim_id TEXT NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    model_name TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (claim_id, model_name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS vectors_model ON vectors (model_name);
CREATE TABLE IF NOT EXISTS document_profiles (
    document_id TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_updated ON incidents (updated_seq);
CREATE TABLE IF NOT EXISTS incident_documents (
    document_id TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS incident_documents_incident ON incident_documents (incident_id);
"""


def _sortable(moment: datetime) -> str:
    """A fixed-width UTC text form, so SQL string comparison orders datetimes correctly."""
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # within a day of datetime.min/max: clamp, never fail a filter
            moment = datetime.max if moment.year > 1 else datetime.min
    return moment.isoformat(timespec="microseconds")


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    """Slices small enough for SQLite's limit on `?` parameters in one statement."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class _VectorIndex:
    """All vectors of one model as one matrix; appends are batched until the next search.

    From `ANN_MIN` vectors on, an HNSW index (persisted at `ann_path` when given) proposes
    candidates that are re-scored exactly against the matrix."""

    def __init__(self, ids: list[str], matrix: Vectors, ann_path: Path | None = None) -> None:
        self.ids = ids
        self.matrix = matrix
        self._pending: list[tuple[list[str], Vectors]] = []
        self.ann_path = ann_path
        self.ann: AnnIndex | None = None

    def top(self, query: Vectors, k: int) -> tuple[npt.NDArray[np.int64], Vectors]:
        """Row indices of the k best rows, best first, with their exact cosine scores."""
        self.compact()
        if len(self.ids) >= ANN_MIN:
            if self.ann is None:
                self.ann = AnnIndex(self.ids, self.matrix, self.ann_path)
            rows = self.ann.candidates(query, max(k, 4 * k))
            scores = self.matrix[rows] @ query
            order = np.argsort(-scores, kind="stable")[:k]
            return rows[order], scores[order]
        scores = self.matrix @ query
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return top.astype(np.int64), scores[top]

    def save(self) -> None:
        if self.ann is not None:
            self.ann.save()

    def append(self, ids: list[str], matrix: Vectors) -> None:
        self._pending.append((ids, matrix))

    def compact(self) -> None:
        if self._pending:
            dims = {m.shape[1] for _, m in self._pending} | (
                {self.matrix.shape[1]} if self.ids else set()
            )
            if len(dims) > 1:
                raise StoreError(f"vectors of different dimensions {sorted(dims)} for one model")
            parts = ([self.matrix] if self.ids else []) + [m for _, m in self._pending]
            new_ids = [i for ids, _ in self._pending for i in ids]
            self.ids = self.ids + new_ids
            self.matrix = np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)
            if self.ann is not None:
                added = np.concatenate([m for _, m in self._pending])
                self.ann.add(new_ids, added, self.ids)
            self._pending.clear()


class SQLiteClaimStore:
    """`ClaimStore` over one SQLite file, safe to share between the API's worker threads.

    One connection guarded by a lock: SQLite serialises writers anyway, and the API's threads
    would otherwise each need their own connection and their own copy of the vector matrix.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._indexes: dict[str, _VectorIndex] = {}
        try:
            if self.path != ":memory:":
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 30000")
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open SQLite database {self.path!r}: {exc}") from exc
        self._data_version = self._current_data_version()

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path!r} has schema version {version}; this version of claims reads "
                f"{SCHEMA_VERSION} and older"
            )
        self._db.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so the "is it there already?" check and
        the inserts cannot interleave with another process's ingest of the same document."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot start a transaction: {exc}") from exc
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # some errors make SQLite roll back by itself
                    self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._db.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise StoreError(f"query failed: {exc}") from exc

    def add_document(
        self, document: Document, claims: list[Claim], vectors: Vectors, model_name: str
    ) -> bool:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(claims):
            raise ValueError(f"expected {len(claims)} vectors, got an array of {matrix.shape}")
        if any(c.document_id != document.id for c in claims):
            raise ValueError(f"every claim must belong to document {document.id!r}")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)
        content_hash = _content_hash(document.text)
        try:
            with self._lock:
                with self._transaction() as db:
                    row = db.execute(
                        "SELECT content_hash FROM documents WHERE id = ?", (document.id,)
                    ).fetchone()
                    if row is not None:
                        if row[0] != content_hash:
                            raise DocumentConflictError(
                                f"document id {document.id!r} is already stored with other text"
                            )
                        return False
                    db.execute(
                        "INSERT INTO documents (id, content_hash, outlet, published_at,"
                        " ingested_at, claim_count, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            document.id,
                            content_hash,
                            document.outlet,
                            _sortable(document.published_at) if document.published_at else None,
                            datetime.now(UTC).isoformat(),
                            len(claims),
                            document.model_dump_json(),
                        ),
                    )
                    db.executemany(
                        "INSERT INTO claims (id, document_id, position, claimant, kind, stance,"
                        " body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [
                            (
                                c.id,
                                document.id,
                                i,
                                c.claimant.name,
                                c.kind.value,
                                c.stance.value,
                                c.model_dump_json(),
                            )
                            for i, c in enumerate(claims)
                        ],
                    )
                    db.executemany(
                        "INSERT INTO vectors (claim_id, model_name, dim, vector)"
                        " VALUES (?, ?, ?, ?)",
                        [
                            (c.id, model_name, matrix.shape[1], row_.tobytes())
                            for c, row_ in zip(claims, matrix, strict=True)
                        ],
                    )
                # Only after COMMIT, and our own commits leave `data_version` unchanged:
                # keep the matrix in step here.
                index = self._indexes.get(model_name)
                if index is not None and claims:
                    index.append([c.id for c in claims], matrix)
        except sqlite3.Error as exc:
            raise StoreError(f"ingest of {document.id!r} failed, nothing stored: {exc}") from exc
        return True

    def get_document(self, document_id: str) -> StoredDocument | None:
        rows = self._read(
            "SELECT body, claim_count, ingested_at FROM documents WHERE id = ?", (document_id,)
        )
        if not rows:
            return None
        body, count, ingested_at = rows[0]
        return StoredDocument(
            document=Document.model_validate_json(body),
            claim_count=count,
            ingested_at=datetime.fromisoformat(ingested_at),
        )

    def delete_document(self, document_id: str) -> bool:
        try:
            with self._lock, self._transaction() as db:
                deleted = db.execute("DELETE FROM documents WHERE id = ?", (document_id,)).rowcount
                if deleted:
                    # Deletes are rare; rebuilding the matrices lazily is simpler than masking rows.
                    self._indexes.clear()
        except sqlite3.Error as exc:
            raise StoreError(f"delete of {document_id!r} failed: {exc}") from exc
        return bool(deleted)

    def document_claims(self, document_id: str) -> list[Claim]:
        rows = self._read(
            "SELECT body FROM claims WHERE document_id = ? ORDER BY position", (document_id,)
        )
        return [Claim.model_validate_json(r[0]) for r in rows]

    def list_claims(
        self, filters: ClaimFilters, offset: int = 0, limit: int = 50
    ) -> tuple[list[Claim], int]:
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must be 0 or more")
        where: list[str] = []
        params: list[Any] = []
        if filters.claimant is not None:
            where.append("c.claimant = ?")
            params.append(filters.claimant)
        if filters.outlet is not None:
            where.append("d.outlet = ?")
            params.append(filters.outlet)
        if filters.document_id is not None:
            where.append("c.document_id = ?")
            params.append(filters.document_id)
        if filters.since is not None:
            where.append("d.published_at >= ?")
            params.append(_sortable(filters.since))
        if filters.until is not None:
            where.append("d.published_at <= ?")
            params.append(_sortable(filters.until))
        if filters.kind is not None:
            where.append("c.kind = ?")
            params.append(filters.kind.value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        base = f"FROM claims c JOIN documents d ON d.id = c.document_id {clause}"
        with self._lock:
            total = int(self._read(f"SELECT COUNT(*) {base}", params)[0][0])
            rows = self._read(
                f"SELECT c.body {base} ORDER BY d.seq, c.position LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
        return [Claim.model_validate_json(r[0]) for r in rows], total

    def search(self, vector: Vectors, k: int, model_name: str) -> list[SearchHit]:
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(query))
        if k <= 0 or norm == 0.0:
            return []
        query = query / norm
        with self._lock:
            index = self._index(model_name)
            if not index.ids:
                return []
            if index.matrix.shape[1] != query.shape[0]:
                raise ValueError(
                    f"query has {query.shape[0]} dimensions, {model_name!r} vectors have "
                    f"{index.matrix.shape[1]}"
                )
            top, scores = index.top(query, k)
            ids = [index.ids[i] for i in top]
            marks = ",".join("?" * len(ids))
            bodies = dict(self._read(f"SELECT id, body FROM claims WHERE id IN ({marks})", ids))
        return [
            SearchHit(Claim.model_validate_json(bodies[i]), float(s))
            for i, s in zip(ids, scores, strict=True)
            if i in bodies
        ]

    def _current_data_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _index(self, model_name: str) -> _VectorIndex:
        """The model's vector matrix, reloaded when another connection has committed."""
        version = self._current_data_version()
        if version != self._data_version:
            self._indexes.clear()
            self._data_version = version
        index = self._indexes.get(model_name)
        if index is None:
            rows = self._read(
                "SELECT claim_id, dim, vector FROM vectors WHERE model_name = ?", (model_name,)
            )
            dims = {r[1] for r in rows}
            if len(dims) > 1:
                raise StoreError(f"vectors of different dimensions {sorted(dims)} for one model")
            dim = dims.pop() if dims else 0
            matrix = np.empty((len(rows), dim), dtype=np.float32)
            for i, r in enumerate(rows):
                matrix[i] = np.frombuffer(r[2], dtype=np.float32)
            index = _VectorIndex([r[0] for r in rows], matrix, self._ann_path(model_name))
            self._indexes[model_name] = index
        index.compact()
        return index

    # -- incidents ---------------------------------------------------------------------------
    def set_document_profile(self, document_id: str, profile: dict[str, Any]) -> None:
        """Replace the document's profile; a profile of an unknown document is refused (the
        foreign key), since nothing could ever delete it."""
        body = json.dumps(profile, ensure_ascii=False)
        try:
            with self._transaction() as db:
                if not db.execute(
                    "SELECT 1 FROM documents WHERE id = ?", (document_id,)
                ).fetchone():
                    raise DocumentNotFoundError(f"no document {document_id!r}")
                db.execute(
                    "INSERT OR REPLACE INTO document_profiles (document_id, body) VALUES (?, ?)",
                    (document_id, body),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"storing the profile of {document_id!r} failed: {exc}") from exc

    def document_profiles(self, document_ids: Sequence[str] | None = None) -> dict[str, Any]:
        if document_ids is None:
            rows = self._read("SELECT document_id, body FROM document_profiles")
        else:
            rows = [
                row
                for chunk in _chunks(list(dict.fromkeys(document_ids)))
                for row in self._read(
                    "SELECT document_id, body FROM document_profiles WHERE document_id IN"
                    f" ({','.join('?' * len(chunk))})",
                    chunk,
                )
            ]
        return {doc_id: json.loads(body) for doc_id, body in rows}

    def put_incident(self, incident: Incident) -> None:
        """Insert or replace the incident and make its documents its members.

        Documents of `incident.document_ids` that are not stored get no membership row (they may
        have been deleted while the incident was being built). An incident that loses its last
        member to this one is deleted in the same transaction, so no empty incident is left
        behind when a rebuilt incident gets a new id.
        """
        try:
            with self._transaction() as db:
                seq = db.execute(
                    "SELECT COALESCE(MAX(updated_seq), 0) + 1 FROM incidents"
                ).fetchone()[0]
                db.execute(
                    "INSERT INTO incidents (id, body, updated_at, updated_seq) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET body = excluded.body,"
                    " updated_at = excluded.updated_at, updated_seq = excluded.updated_seq",
                    (incident.id, incident.model_dump_json(), datetime.now(UTC).isoformat(), seq),
                )
                members = list(dict.fromkeys(incident.document_ids))
                previous = {
                    row[0]
                    for chunk in _chunks(members)
                    for row in db.execute(
                        "SELECT DISTINCT incident_id FROM incident_documents WHERE document_id IN"
                        f" ({','.join('?' * len(chunk))}) AND incident_id != ?",
                        [*chunk, incident.id],
                    )
                }
                db.execute("DELETE FROM incident_documents WHERE incident_id = ?", (incident.id,))
                db.executemany(
                    "INSERT INTO incident_documents (document_id, incident_id)"
                    " SELECT id, ? FROM documents WHERE id = ?"
                    " ON CONFLICT (document_id) DO UPDATE SET incident_id = excluded.incident_id",
                    [(incident.id, doc_id) for doc_id in members],
                )
                for old in previous:
                    db.execute(
                        "DELETE FROM incidents WHERE id = ? AND NOT EXISTS"
                        " (SELECT 1 FROM incident_documents WHERE incident_id = ?)",
                        (old, old),
                    )
        except sqlite3.Error as exc:
            raise StoreError(f"storing incident {incident.id!r} failed: {exc}") from exc

    def get_incident(self, incident_id: str) -> Incident | None:
        rows = self._read("SELECT body FROM incidents WHERE id = ?", (incident_id,))
        return Incident.model_validate_json(rows[0][0]) if rows else None

    def incident_of_document(self, document_id: str) -> str | None:
        rows = self._read(
            "SELECT incident_id FROM incident_documents WHERE document_id = ?", (document_id,)
        )
        return str(rows[0][0]) if rows else None

    def list_incidents(self, offset: int = 0, limit: int = 50) -> tuple[list[Incident], int]:
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must be 0 or more")
        with self._lock:
            total = int(self._read("SELECT COUNT(*) FROM incidents")[0][0])
            rows = self._read(
                "SELECT body FROM incidents ORDER BY updated_seq DESC LIMIT ? OFFSET ?",
                (limit, offset),
            )
        return [Incident.model_validate_json(r[0]) for r in rows], total

    def delete_incident(self, incident_id: str) -> bool:
        """Remove the incident and its membership rows; the documents stay."""
        try:
            with self._transaction() as db:
                deleted = db.execute("DELETE FROM incidents WHERE id = ?", (incident_id,)).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"delete of incident {incident_id!r} failed: {exc}") from exc
        return bool(deleted)

    def _ann_path(self, model_name: str) -> Path | None:
        """`claims.db.ann/<model>.faiss` beside the database (none for an in-memory store)."""
        if self.path == ":memory:":
            return None
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name)
        return (
            Path(self.path).expanduser().with_name(Path(self.path).name + ".ann") / f"{slug}.faiss"
        )

    def close(self) -> None:
        with self._lock:
            for index in self._indexes.values():
                index.save()
            self._indexes.clear()
            self._db.close()

    def __enter__(self) -> SQLiteClaimStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
