"""The team backend: a PostgreSQL server (psycopg 3), with the same semantics as the SQLite one.

Claims are stored as the JSON of the pydantic model beside the few indexed columns the filters
need; documents and incidents likewise. Bodies are `text` holding JSON rather than `jsonb`, which
rejects `\\u0000` escapes that the SQLite backend stores happily. pgvector is not available, so
vectors are float32 `bytea` keyed by (claim_id, model_name) and search is exact cosine over an
in-memory matrix per model, as in the SQLite backend.

Keeping that matrix in step with other connections: every transaction that adds or removes
vectors bumps one `generation` counter in `store_state`, taking its row lock first. That lock also
serialises ingests, so the "is it there already?" check cannot interleave with another client's
ingest of the same document (as `BEGIN IMMEDIATE` does for SQLite). A search reads the counter:
unchanged means the cached matrix is current; our own writes advance the cache with it; anything
else drops the cache and reloads.

Text columns that hold caller strings (ids, names) go through `_key`, which escapes NUL (PostgreSQL
text cannot hold it) reversibly; claimant and outlet filter columns are folded to ASCII lower case
in Python first, matching SQLite's `COLLATE NOCASE` exactly.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Json

from claims.models import Claim, Document, Incident
from claims.store.base import (
    ClaimFilters,
    DocumentConflictError,
    DocumentNotFoundError,
    InvalidDatabaseURLError,
    SearchHit,
    StoredDocument,
    StoreError,
    Vectors,
)
from claims.store.sqlite import _content_hash, _VectorIndex

SCHEMA_VERSION = 1

# Any constant shared by every client of this schema: serialises concurrent schema creation.
_SCHEMA_LOCK = 0x636C61696D73  # "claims"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_state (
    id integer PRIMARY KEY CHECK (id = 1),
    schema_version integer NOT NULL,
    generation bigint NOT NULL
);
INSERT INTO store_state (id, schema_version, generation) VALUES (1, 0, 0)
    ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS documents (
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text PRIMARY KEY,
    content_hash text NOT NULL,
    outlet_key text,
    published_at timestamptz,
    ingested_at timestamptz NOT NULL,
    claim_count integer NOT NULL,
    body text NOT NULL,
    profile json
);
CREATE INDEX IF NOT EXISTS documents_outlet ON documents (outlet_key);
CREATE INDEX IF NOT EXISTS documents_published_at ON documents (published_at);
CREATE TABLE IF NOT EXISTS claims (
    id text PRIMARY KEY,
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    position integer NOT NULL,
    claimant_key text NOT NULL,
    kind text NOT NULL,
    stance text NOT NULL,
    body text NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_document ON claims (document_id, position);
CREATE INDEX IF NOT EXISTS claims_claimant ON claims (claimant_key);
CREATE INDEX IF NOT EXISTS claims_kind ON claims (kind);
CREATE TABLE IF NOT EXISTS vectors (
    claim_id text NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    model_name text NOT NULL,
    dim integer NOT NULL,
    vector bytea NOT NULL,
    PRIMARY KEY (claim_id, model_name)
);
CREATE INDEX IF NOT EXISTS vectors_model ON vectors (model_name);
CREATE SEQUENCE IF NOT EXISTS incident_revisions;
CREATE TABLE IF NOT EXISTS incidents (
    id text PRIMARY KEY,
    body text NOT NULL,
    updated_at timestamptz NOT NULL,
    revision bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_recent ON incidents (revision DESC);
CREATE TABLE IF NOT EXISTS incident_documents (
    document_id text PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS incident_documents_incident ON incident_documents (incident_id);
"""

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UNESCAPE = re.compile("%(25|00)")


def _key(value: str) -> str:
    """A caller string as PostgreSQL text: `%` and NUL escaped, reversibly (see `_unkey`)."""
    return value.replace("%", "%25").replace("\x00", "%00")


def _unkey(value: str) -> str:
    return _UNESCAPE.sub(lambda m: "%" if m.group(1) == "25" else "\x00", value)


def _folded(value: str) -> str:
    """Case-folded like SQLite's NOCASE (ASCII letters only), then escaped."""
    return _key(value.translate(_ASCII_LOWER))


def _utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive ones are taken as UTC, as `ClaimFilters` documents."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # within a day of datetime.min/max: clamp, never fail a filter
        return (datetime.max if moment.year > 1 else datetime.min).replace(tzinfo=UTC)


def _redacted(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _libpq_url(url: str) -> str:
    """`postgres://`, `postgresql://`, SQLAlchemy's `postgresql+driver://`, as libpq reads them."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or not (scheme in {"postgresql", "postgres"} or scheme.startswith("postgresql+")):
        raise InvalidDatabaseURLError(
            f"database URL {_redacted(url)!r}: expected postgresql://user@host/dbname"
        )
    return f"postgresql://{rest}"


class PostgresClaimStore:
    """`ClaimStore` over one PostgreSQL database, safe to share between the API's worker threads.

    One connection guarded by a lock, like the SQLite backend: the API's threads share one copy of
    the vector matrix. The connection runs in autocommit mode; every write is one explicit
    transaction. A connection the server dropped is replaced on the next call.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._conninfo = _libpq_url(url)
        self._lock = threading.RLock()
        self._indexes: dict[str, _VectorIndex] = {}
        self._generation: int | None = None
        self._closed = False
        self._conn = self._connect()
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        try:
            return psycopg.connect(self._conninfo, autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot open PostgreSQL database {_redacted(self.url)!r}: {exc}"
            ) from exc

    def _db(self) -> psycopg.Connection[tuple[Any, ...]]:
        """The connection, reconnecting when the server dropped it (the cache starts over)."""
        if self._closed:
            raise StoreError("the store is closed")
        if self._conn.closed or self._conn.broken:
            self._conn = self._connect()
            self._indexes.clear()
            self._generation = None
        return self._conn

    def _migrate(self) -> None:
        try:
            with self._lock, self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                self._conn.execute(_SCHEMA)
                row = self._conn.execute(
                    "SELECT schema_version FROM store_state WHERE id = 1 FOR UPDATE"
                ).fetchone()
                version = int(row[0]) if row else 0
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{_redacted(self.url)!r} has schema version {version}; this version of "
                        f"claims reads {SCHEMA_VERSION} and older"
                    )
                self._conn.execute(
                    "UPDATE store_state SET schema_version = %s WHERE id = 1", (SCHEMA_VERSION,)
                )
        except psycopg.Error as exc:
            raise StoreError(f"cannot create the schema in {_redacted(self.url)!r}: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        with self._lock:
            db = self._db()
            with db.transaction():
                yield db

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db().execute(sql, params).fetchall()
            except psycopg.Error as exc:
                raise StoreError(f"query failed: {exc}") from exc

    @staticmethod
    def _bump(db: psycopg.Connection[tuple[Any, ...]]) -> int:
        """Advance the vector generation, holding its row lock until this transaction ends."""
        row = db.execute(
            "UPDATE store_state SET generation = generation + 1 WHERE id = 1 RETURNING generation"
        ).fetchone()
        if row is None:
            raise StoreError("the store_state row is missing; the schema was altered")
        return int(row[0])

    # -- documents, claims, vectors ---------------------------------------------------------
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
        doc_key = _key(document.id)
        model_key = _key(model_name)
        stored = False
        try:
            with self._lock:
                with self._transaction() as db:
                    generation = self._bump(db)  # also serialises concurrent ingests
                    row = db.execute(
                        "SELECT content_hash FROM documents WHERE id = %s", (doc_key,)
                    ).fetchone()
                    if row is not None:
                        if row[0] != content_hash:
                            raise DocumentConflictError(
                                f"document id {document.id!r} is already stored with other text"
                            )
                        raise psycopg.Rollback()  # nothing written, the generation stays
                    db.execute(
                        "INSERT INTO documents (id, content_hash, outlet_key, published_at,"
                        " ingested_at, claim_count, body) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (
                            doc_key,
                            content_hash,
                            _folded(document.outlet) if document.outlet is not None else None,
                            _utc(document.published_at) if document.published_at else None,
                            datetime.now(UTC),
                            len(claims),
                            document.model_dump_json(),
                        ),
                    )
                    with db.cursor() as cur:
                        cur.executemany(
                            "INSERT INTO claims (id, document_id, position, claimant_key, kind,"
                            " stance, body) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                            [
                                (
                                    _key(c.id),
                                    doc_key,
                                    i,
                                    _folded(c.claimant.name),
                                    c.kind.value,
                                    c.stance.value,
                                    c.model_dump_json(),
                                )
                                for i, c in enumerate(claims)
                            ],
                        )
                        cur.executemany(
                            "INSERT INTO vectors (claim_id, model_name, dim, vector)"
                            " VALUES (%s, %s, %s, %s)",
                            [
                                (_key(c.id), model_key, matrix.shape[1], row_.tobytes())
                                for c, row_ in zip(claims, matrix, strict=True)
                            ],
                        )
                    stored = True
                if stored:
                    # Only after COMMIT: if nobody else wrote since our cache was current, keep
                    # the matrix in step; otherwise the next search reloads.
                    if self._generation == generation - 1:
                        self._generation = generation
                        index = self._indexes.get(model_key)
                        if index is not None and claims:
                            index.append([_key(c.id) for c in claims], matrix)
                    else:
                        self._indexes.clear()
                        self._generation = None
        except psycopg.Error as exc:
            raise StoreError(f"ingest of {document.id!r} failed, nothing stored: {exc}") from exc
        return stored

    def get_document(self, document_id: str) -> StoredDocument | None:
        rows = self._read(
            "SELECT body, claim_count, ingested_at FROM documents WHERE id = %s",
            (_key(document_id),),
        )
        if not rows:
            return None
        body, count, ingested_at = rows[0]
        return StoredDocument(
            document=Document.model_validate_json(body),
            claim_count=count,
            ingested_at=ingested_at.astimezone(UTC),
        )

    def delete_document(self, document_id: str) -> bool:
        try:
            with self._lock:
                with self._transaction() as db:
                    self._bump(db)
                    deleted = db.execute(
                        "DELETE FROM documents WHERE id = %s", (_key(document_id),)
                    ).rowcount
                    if not deleted:
                        raise psycopg.Rollback()
                if deleted:
                    # Deletes are rare; rebuilding the matrices lazily is simpler than masking rows.
                    self._indexes.clear()
                    self._generation = None
        except psycopg.Error as exc:
            raise StoreError(f"delete of {document_id!r} failed: {exc}") from exc
        return bool(deleted)

    def document_claims(self, document_id: str) -> list[Claim]:
        rows = self._read(
            "SELECT body FROM claims WHERE document_id = %s ORDER BY position",
            (_key(document_id),),
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
            where.append("c.claimant_key = %s")
            params.append(_folded(filters.claimant))
        if filters.outlet is not None:
            where.append("d.outlet_key = %s")
            params.append(_folded(filters.outlet))
        if filters.document_id is not None:
            where.append("c.document_id = %s")
            params.append(_key(filters.document_id))
        if filters.since is not None:
            where.append("d.published_at >= %s")
            params.append(_utc(filters.since))
        if filters.until is not None:
            where.append("d.published_at <= %s")
            params.append(_utc(filters.until))
        if filters.kind is not None:
            where.append("c.kind = %s")
            params.append(filters.kind.value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        base = f"FROM claims c JOIN documents d ON d.id = c.document_id {clause}"
        with self._lock:
            total = int(self._read(f"SELECT COUNT(*) {base}", params)[0][0])
            rows = self._read(
                f"SELECT c.body {base} ORDER BY d.seq, c.position LIMIT %s OFFSET %s",
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
            index = self._index(_key(model_name))
            if not index.ids:
                return []
            if index.matrix.shape[1] != query.shape[0]:
                raise ValueError(
                    f"query has {query.shape[0]} dimensions, {model_name!r} vectors have "
                    f"{index.matrix.shape[1]}"
                )
            top, scores = index.top(query, k)
            ids = [index.ids[i] for i in top]
            bodies = dict(self._read("SELECT id, body FROM claims WHERE id = ANY(%s)", (ids,)))
        return [
            SearchHit(Claim.model_validate_json(bodies[i]), float(s))
            for i, s in zip(ids, scores, strict=True)
            if i in bodies
        ]

    def _index(self, model_key: str) -> _VectorIndex:
        """The model's vector matrix, reloaded when another connection has changed vectors."""
        rows = self._read("SELECT generation FROM store_state WHERE id = 1")
        generation = int(rows[0][0]) if rows else None
        if generation is None or generation != self._generation:
            self._indexes.clear()
            self._generation = generation
        index = self._indexes.get(model_key)
        if index is None:
            rows = self._read(
                "SELECT claim_id, dim, vector FROM vectors WHERE model_name = %s"
                ' ORDER BY claim_id COLLATE "C"',
                (model_key,),
            )
            dims = {r[1] for r in rows}
            if len(dims) > 1:
                raise StoreError(f"vectors of different dimensions {sorted(dims)} for one model")
            dim = dims.pop() if dims else 0
            matrix = np.frombuffer(b"".join(bytes(r[2]) for r in rows), dtype=np.float32)
            index = _VectorIndex([r[0] for r in rows], matrix.reshape(len(rows), dim).copy())
            self._indexes[model_key] = index
        index.compact()
        return index

    # -- incidents ----------------------------------------------------------------------------
    def set_document_profile(self, document_id: str, profile: dict[str, Any]) -> None:
        try:
            with self._transaction() as db:
                updated = db.execute(
                    "UPDATE documents SET profile = %s WHERE id = %s",
                    (Json(profile), _key(document_id)),
                ).rowcount
        except psycopg.Error as exc:
            raise StoreError(f"storing the profile of {document_id!r} failed: {exc}") from exc
        if not updated:
            raise DocumentNotFoundError(f"no document {document_id!r}")

    def document_profiles(self, document_ids: Sequence[str] | None = None) -> dict[str, Any]:
        if document_ids is None:
            rows = self._read("SELECT id, profile FROM documents WHERE profile IS NOT NULL")
        else:
            rows = self._read(
                "SELECT id, profile FROM documents WHERE profile IS NOT NULL AND id = ANY(%s)",
                ([_key(i) for i in document_ids],),
            )
        return {_unkey(i): profile for i, profile in rows}

    def put_incident(self, incident: Incident) -> None:
        """Insert or replace the incident and make its documents its members.

        As in the SQLite backend: documents that are not stored get no membership row, and an
        incident that loses its last member to this one is deleted in the same transaction.
        """
        incident_key = _key(incident.id)
        members = [_key(d) for d in dict.fromkeys(incident.document_ids)]
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO incidents (id, body, updated_at, revision)"
                    " VALUES (%s, %s, %s, nextval('incident_revisions'))"
                    " ON CONFLICT (id) DO UPDATE SET body = excluded.body,"
                    " updated_at = excluded.updated_at, revision = excluded.revision",
                    (incident_key, incident.model_dump_json(), datetime.now(UTC)),
                )
                previous = [
                    row[0]
                    for row in db.execute(
                        "SELECT DISTINCT incident_id FROM incident_documents"
                        " WHERE document_id = ANY(%s) AND incident_id <> %s",
                        (members, incident_key),
                    )
                ]
                db.execute("DELETE FROM incident_documents WHERE incident_id = %s", (incident_key,))
                db.execute(
                    "INSERT INTO incident_documents (document_id, incident_id)"
                    " SELECT id, %s FROM documents WHERE id = ANY(%s)"
                    " ON CONFLICT (document_id) DO UPDATE SET incident_id = excluded.incident_id",
                    (incident_key, members),
                )
                if previous:
                    db.execute(
                        "DELETE FROM incidents i WHERE i.id = ANY(%s) AND NOT EXISTS"
                        " (SELECT 1 FROM incident_documents m WHERE m.incident_id = i.id)",
                        (previous,),
                    )
        except psycopg.Error as exc:
            raise StoreError(f"storing incident {incident.id!r} failed: {exc}") from exc

    def get_incident(self, incident_id: str) -> Incident | None:
        rows = self._read("SELECT body FROM incidents WHERE id = %s", (_key(incident_id),))
        return Incident.model_validate_json(rows[0][0]) if rows else None

    def incident_of_document(self, document_id: str) -> str | None:
        rows = self._read(
            "SELECT incident_id FROM incident_documents WHERE document_id = %s",
            (_key(document_id),),
        )
        return _unkey(rows[0][0]) if rows else None

    def list_incidents(self, offset: int = 0, limit: int = 50) -> tuple[list[Incident], int]:
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must be 0 or more")
        with self._lock:
            total = int(self._read("SELECT COUNT(*) FROM incidents")[0][0])
            rows = self._read(
                "SELECT body FROM incidents ORDER BY revision DESC LIMIT %s OFFSET %s",
                (limit, offset),
            )
        return [Incident.model_validate_json(r[0]) for r in rows], total

    def delete_incident(self, incident_id: str) -> bool:
        try:
            with self._transaction() as db:
                deleted = db.execute(
                    "DELETE FROM incidents WHERE id = %s", (_key(incident_id),)
                ).rowcount
        except psycopg.Error as exc:
            raise StoreError(f"delete of incident {incident_id!r} failed: {exc}") from exc
        return bool(deleted)

    def close(self) -> None:
        with self._lock:
            self._indexes.clear()
            self._closed = True
            self._conn.close()

    def __enter__(self) -> PostgresClaimStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
