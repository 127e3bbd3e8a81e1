"""What the SQLite and PostgreSQL backends share: the in-memory vector index (with its ANN layer),
content hashing, row→model decoding, the claim filters as SQL, and the reads and writes whose SQL
differs only by dialect.

A backend says how it differs in one `Dialect` (placeholders, how caller strings and datetimes are
stored, which columns fold case) and supplies the parts that really are its own: the connection,
transactions (`_read`, `_transaction`), keeping its vector cache current (`_index`), its schema.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from claims.models import Claim, Document, Incident
from claims.store import ann
from claims.store.base import (
    ClaimFilters,
    DocumentConflictError,
    SearchHit,
    StoredDocument,
    StoreError,
    Vectors,
)

if TYPE_CHECKING:
    from claims.store.changes import NewChange


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _same(value: str) -> str:
    return value


class VectorIndex:
    """All vectors of one model as one matrix; appends are batched until the next search.

    From `ann.ANN_MIN` vectors on, an HNSW index (persisted at `ann_path` when given) proposes
    candidates that are re-scored exactly against the matrix. Building it takes minutes at that
    size, so it is built on a background thread from a snapshot of the matrix while searches stay
    exact (tens of ms there) and the store stays free for writes; the first search after the build
    adopts it, adding the rows appended meanwhile."""

    def __init__(self, ids: list[str], matrix: Vectors, ann_path: Path | None = None) -> None:
        self.ids = ids
        self.matrix = matrix
        self._pending: list[tuple[list[str], Vectors]] = []
        self.ann_path = ann_path
        self.ann: ann.AnnIndex | None = None
        self._builder: threading.Thread | None = None
        self._built: ann.AnnIndex | None = None

    @classmethod
    def from_rows(
        cls, rows: Sequence[tuple[Any, ...]], ann_path: Path | None = None
    ) -> VectorIndex:
        """The index of `(claim_id, dim, float32 bytes)` rows, in their order."""
        dims = {r[1] for r in rows}
        if len(dims) > 1:
            raise StoreError(f"vectors of different dimensions {sorted(dims)} for one model")
        dim = dims.pop() if dims else 0
        matrix = np.frombuffer(b"".join(bytes(r[2]) for r in rows), dtype=np.float32)
        return cls([r[0] for r in rows], matrix.reshape(len(rows), dim).copy(), ann_path)

    def top(self, query: Vectors, k: int) -> tuple[npt.NDArray[np.int64], Vectors]:
        """Row indices of the k best rows, best first, with their exact cosine scores."""
        self.compact()
        index = self._ann() if len(self.ids) >= ann.ANN_MIN else None
        if index is not None:
            rows = index.candidates(query, max(k, 4 * k))
            scores = self.matrix[rows] @ query
            order = np.argsort(-scores, kind="stable")[:k]
            return rows[order], scores[order]
        scores = self.matrix @ query
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return top.astype(np.int64), scores[top]

    def _ann(self) -> ann.AnnIndex | None:
        """The HNSW index once built (None meanwhile: search exactly); starts the build."""
        if self.ann is not None:
            return self.ann
        if self._builder is None:
            # `compact` replaces `self.matrix` and never writes into it: the snapshot is stable
            ids, matrix = list(self.ids), self.matrix
            self._builder = threading.Thread(
                target=self._build, args=(ids, matrix), name="claims-ann-build", daemon=True
            )
            self._builder.start()
            return None
        built = self._built
        if built is None:
            return None  # still building (or the build failed: exact search keeps working)
        if built.count < len(self.ids):
            built.add(self.ids[built.count :], self.matrix[built.count :], self.ids)
        self.ann = built
        return built

    def _build(self, ids: list[str], matrix: Vectors) -> None:
        try:
            self._built = ann.AnnIndex(ids, matrix, self.ann_path)
        except Exception:  # a failed build must not take searches down with it
            ann.log.exception("building the vector index failed; searches stay exact")

    def wait_for_ann(self, timeout: float | None = None) -> bool:
        """Wait for a background build (tests, shutdown); True when no build is running."""
        if self._builder is not None:
            self._builder.join(timeout)
            return not self._builder.is_alive()
        return True

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


def unit_rows(document: Document, claims: list[Claim], vectors: Vectors) -> Vectors:
    """The claims' vectors checked against them and L2-normalised (zero rows stay zero)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(claims):
        raise ValueError(f"expected {len(claims)} vectors, got an array of {matrix.shape}")
    if any(c.document_id != document.id for c in claims):
        raise ValueError(f"every claim must belong to document {document.id!r}")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)


def window_bounds(moment: datetime, window: timedelta) -> tuple[datetime, datetime]:
    """`moment - window` and `moment + window` as naive UTC (naive `moment` is taken as UTC).

    The bounds go through the dialect's `moment` like any filter value, so they compare with the
    stored `published_at` exactly as `ClaimFilters.since`/`until` do. A bound past the range of
    `datetime` is clamped to it: every storable time is then on the open side of that bound, which
    is what "within the window" means there, and an ingest never fails on an extreme date."""
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # within a day of datetime.min/max, as the dialects clamp
            moment = datetime.max if moment.year > 1 else datetime.min
    try:
        low = moment - window
    except OverflowError:
        low = datetime.min
    try:
        high = moment + window
    except OverflowError:
        high = datetime.max
    return low, high


def check_page(offset: int, limit: int) -> None:
    if offset < 0 or limit < 0:
        raise ValueError("offset and limit must be 0 or more")


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one backend's SQL and stored values differ from the other's.

    Shared SQL is written with `?` placeholders; `sql` turns them into the backend's `mark`."""

    mark: str
    errors: tuple[type[Exception], ...]  # the driver's errors, reported as `StoreError`
    moment: Callable[[datetime], Any]  # a datetime as `published_at` holds it (and filters)
    now: Callable[[], Any]  # the current time as `ingested_at` holds it
    read_time: Callable[[Any], datetime]  # `ingested_at` as read back, as an aware datetime
    any_of: Callable[[str, list[str]], tuple[str, list[Any]]]  # "column IN values" and params
    claimant_column: str
    outlet_column: str
    incident_order: str  # the incidents column that grows with each update
    key: Callable[[str], str] = _same  # a caller string (id, model name) as stored
    unkey: Callable[[str], str] = _same  # ... and back
    fold: Callable[[str], str] = _same  # a claimant or outlet as stored and compared
    skip_locked: str = ""  # appended to a SELECT that claims rows other workers must skip

    def sql(self, text: str) -> str:
        return text if self.mark == "?" else text.replace("?", self.mark)


class SQLBackend:
    """What the shared SQL mixins (here, `changes`, `feeds`) need of a backend class: its
    `Dialect`, a read, and a write transaction (SQLite and PostgreSQL supply them)."""

    _dialect: ClassVar[Dialect]

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError


class SQLClaimStoreMixin(SQLBackend):
    """The `ClaimStore` methods whose logic both backends share, written once over a `Dialect`."""

    _lock: threading.RLock
    _indexes: dict[str, VectorIndex]

    # -- supplied by the backend ------------------------------------------------------------

    def _index(self, model_key: str) -> VectorIndex:
        raise NotImplementedError

    def _record_changes(self, db: Any, changes: Sequence[NewChange]) -> None:
        raise NotImplementedError  # claims.store.changes.ChangeLogMixin

    def _profiles_where(
        self, condition: str | None, params: Sequence[Any], tail: str = ""
    ) -> dict[str, Any]:
        """The stored profiles of the documents matching `condition` (SQL over `documents d`,
        `?` placeholders; None: every document), by document id. Profiles live in a table of
        their own in SQLite and in a `documents` column in PostgreSQL, hence backend code."""
        raise NotImplementedError

    # -- documents, claims, vectors ---------------------------------------------------------
    def _stored_already(self, db: Any, document: Document, text_hash: str) -> bool:
        """True when the document is stored with this text; a conflict when with other text."""
        d = self._dialect
        row = db.execute(
            d.sql("SELECT content_hash FROM documents WHERE id = ?"), (d.key(document.id),)
        ).fetchone()
        if row is None:
            return False
        if row[0] != text_hash:
            raise DocumentConflictError(
                f"document id {document.id!r} is already stored with other text"
            )
        return True

    def _insert_document(
        self,
        cur: Any,
        document: Document,
        claims: list[Claim],
        matrix: Vectors,
        model_name: str,
        text_hash: str,
    ) -> None:
        """The rows of a new document, its claims and their vectors (`cur` has executemany)."""
        d = self._dialect
        doc_key = d.key(document.id)
        cur.execute(
            d.sql(
                f"INSERT INTO documents (id, content_hash, {d.outlet_column}, published_at,"
                " ingested_at, claim_count, body) VALUES (?, ?, ?, ?, ?, ?, ?)"
            ),
            (
                doc_key,
                text_hash,
                d.fold(document.outlet) if document.outlet is not None else None,
                d.moment(document.published_at) if document.published_at else None,
                d.now(),
                len(claims),
                document.model_dump_json(),
            ),
        )
        cur.executemany(
            d.sql(
                f"INSERT INTO claims (id, document_id, position, {d.claimant_column}, kind,"
                " stance, body) VALUES (?, ?, ?, ?, ?, ?, ?)"
            ),
            [
                (
                    d.key(c.id),
                    doc_key,
                    i,
                    d.fold(c.claimant.name),
                    c.kind.value,
                    c.stance.value,
                    c.model_dump_json(),
                )
                for i, c in enumerate(claims)
            ],
        )
        cur.executemany(
            d.sql("INSERT INTO vectors (claim_id, model_name, dim, vector) VALUES (?, ?, ?, ?)"),
            [
                (d.key(c.id), d.key(model_name), matrix.shape[1], row.tobytes())
                for c, row in zip(claims, matrix, strict=True)
            ],
        )

    def get_document(self, document_id: str) -> StoredDocument | None:
        d = self._dialect
        rows = self._read(
            d.sql("SELECT body, claim_count, ingested_at FROM documents WHERE id = ?"),
            (d.key(document_id),),
        )
        if not rows:
            return None
        body, count, ingested_at = rows[0]
        return StoredDocument(
            document=Document.model_validate_json(body),
            claim_count=count,
            ingested_at=d.read_time(ingested_at),
        )

    def document_claims(self, document_id: str) -> list[Claim]:
        d = self._dialect
        rows = self._read(
            d.sql("SELECT body FROM claims WHERE document_id = ? ORDER BY position"),
            (d.key(document_id),),
        )
        return [Claim.model_validate_json(r[0]) for r in rows]

    def _claim_filters(self, filters: ClaimFilters) -> tuple[str, list[Any]]:
        """The WHERE clause (or "") over `claims c JOIN documents d`, and its parameters."""
        d = self._dialect
        terms: list[tuple[str, Any]] = []
        if filters.claimant is not None:
            terms.append((f"c.{d.claimant_column} = ?", d.fold(filters.claimant)))
        if filters.outlet is not None:
            terms.append((f"d.{d.outlet_column} = ?", d.fold(filters.outlet)))
        if filters.document_id is not None:
            terms.append(("c.document_id = ?", d.key(filters.document_id)))
        if filters.since is not None:
            terms.append(("d.published_at >= ?", d.moment(filters.since)))
        if filters.until is not None:
            terms.append(("d.published_at <= ?", d.moment(filters.until)))
        if filters.kind is not None:
            terms.append(("c.kind = ?", filters.kind.value))
        clause = f"WHERE {' AND '.join(t for t, _ in terms)}" if terms else ""
        return d.sql(clause), [p for _, p in terms]

    def list_claims(
        self, filters: ClaimFilters, offset: int = 0, limit: int = 50
    ) -> tuple[list[Claim], int]:
        check_page(offset, limit)
        clause, params = self._claim_filters(filters)
        base = f"FROM claims c JOIN documents d ON d.id = c.document_id {clause}"
        with self._lock:
            total = int(self._read(f"SELECT COUNT(*) {base}", params)[0][0])
            rows = self._read(
                self._dialect.sql(
                    f"SELECT c.body {base} ORDER BY d.seq, c.position LIMIT ? OFFSET ?"
                ),
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
            index = self._index(self._dialect.key(model_name))
            if not index.ids:
                return []
            if index.matrix.shape[1] != query.shape[0]:
                raise ValueError(
                    f"query has {query.shape[0]} dimensions, {model_name!r} vectors have "
                    f"{index.matrix.shape[1]}"
                )
            top, scores = index.top(query, k)
            ids = [index.ids[i] for i in top]
            where, params = self._dialect.any_of("id", ids)
            bodies = dict(self._read(f"SELECT id, body FROM claims WHERE {where}", params))
        return [
            SearchHit(Claim.model_validate_json(bodies[i]), float(s))
            for i, s in zip(ids, scores, strict=True)
            if i in bodies
        ]

    # -- incidents ----------------------------------------------------------------------------
    def document_profiles_near(
        self, moment: datetime | None, window: timedelta, undated_limit: int | None = None
    ) -> dict[str, Any]:
        """See `ClaimStore.document_profiles_near`: the date tests run in the database, over
        the indexed `published_at`, so an ingest reads the profiles near it, not the whole
        archive; the undated ones (all, when `moment` is None) are the `undated_limit` most
        recently ingested, newest first by the `seq` key.

        Sorted by document id, so the caller sees one order whatever plan the database chose
        (the incident grouper's tie-breaks follow its input order)."""
        if window < timedelta(0):
            raise ValueError(f"the window must not be negative, got {window}")
        if undated_limit is not None and undated_limit < 0:
            raise ValueError(f"undated_limit must not be negative, got {undated_limit}")
        d = self._dialect
        tail = "" if undated_limit is None else f" ORDER BY d.seq DESC LIMIT {int(undated_limit)}"
        if moment is None:
            profiles = self._profiles_where(None, (), tail)
        else:
            low, high = window_bounds(moment, window)
            profiles = self._profiles_where(
                d.sql("d.published_at BETWEEN ? AND ?"), (d.moment(low), d.moment(high))
            )
            profiles.update(self._profiles_where("d.published_at IS NULL", (), tail))
        return dict(sorted(profiles.items()))

    def get_incident(self, incident_id: str) -> Incident | None:
        d = self._dialect
        rows = self._read(d.sql("SELECT body FROM incidents WHERE id = ?"), (d.key(incident_id),))
        return Incident.model_validate_json(rows[0][0]) if rows else None

    def incident_of_document(self, document_id: str) -> str | None:
        d = self._dialect
        rows = self._read(
            d.sql("SELECT incident_id FROM incident_documents WHERE document_id = ?"),
            (d.key(document_id),),
        )
        return d.unkey(str(rows[0][0])) if rows else None

    def list_incidents(self, offset: int = 0, limit: int = 50) -> tuple[list[Incident], int]:
        check_page(offset, limit)
        d = self._dialect
        with self._lock:
            total = int(self._read("SELECT COUNT(*) FROM incidents")[0][0])
            rows = self._read(
                d.sql(
                    f"SELECT body FROM incidents ORDER BY {d.incident_order} DESC LIMIT ? OFFSET ?"
                ),
                (limit, offset),
            )
        return [Incident.model_validate_json(r[0]) for r in rows], total

    def delete_incident(self, incident_id: str, changes: Sequence[NewChange] = ()) -> bool:
        """Remove the incident and its membership rows (the documents stay), and record
        `changes`, in one transaction."""
        d = self._dialect
        try:
            with self._transaction() as db:
                deleted = db.execute(
                    d.sql("DELETE FROM incidents WHERE id = ?"), (d.key(incident_id),)
                ).rowcount
                if deleted:
                    self._record_changes(db, changes)
        except d.errors as exc:
            raise StoreError(f"delete of incident {incident_id!r} failed: {exc}") from exc
        return bool(deleted)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError
