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

import psycopg
from psycopg.types.json import Json

from claims.models import Claim, Document, Incident
from claims.store.base import (
    DocumentNotFoundError,
    InvalidDatabaseURLError,
    StoreError,
    Vectors,
)
from claims.store.changes import ChangeLogMixin, NewChange
from claims.store.common import (
    Dialect,
    SQLClaimStoreMixin,
    VectorIndex,
    content_hash,
    unit_rows,
)
from claims.store.feeds import FeedStoreMixin

SCHEMA_VERSION = 1

# Any constant shared by every client of this schema: serialises concurrent schema creation.
_SCHEMA_LOCK = 0x636C61696D73  # "claims"
_INCIDENT_LOCK = 0x636C61696D73 + 1  # the incidents' read-modify-write (see incident_lock)

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
CREATE TABLE IF NOT EXISTS changes (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    type text NOT NULL,
    incident_id text NOT NULL,
    at text NOT NULL,
    body text NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
    id text PRIMARY KEY,
    url text NOT NULL,
    events text NOT NULL,
    secret text NOT NULL,
    created_at text NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    change_seq bigint NOT NULL REFERENCES changes (seq) ON DELETE CASCADE,
    state text NOT NULL,
    attempts integer NOT NULL,
    next_attempt_at double precision NOT NULL,
    last_status integer,
    last_error text
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries (webhook_id, state);
CREATE TABLE IF NOT EXISTS feeds (
    id text PRIMARY KEY,
    url text NOT NULL,
    interval_seconds double precision NOT NULL,
    created_at text NOT NULL,
    next_poll_at double precision NOT NULL,
    etag text,
    last_modified text,
    last_polled_at text,
    last_error text
);
CREATE TABLE IF NOT EXISTS feed_entries (
    feed_id text NOT NULL,
    entry_key text NOT NULL,
    document_id text NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
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


def _any_of(column: str, values: list[str]) -> tuple[str, list[Any]]:
    return f"{column} = ANY(%s)", [values]


_DIALECT = Dialect(
    mark="%s",
    errors=(psycopg.Error,),
    moment=_utc,
    now=lambda: datetime.now(UTC),
    read_time=lambda moment: moment.astimezone(UTC),
    any_of=_any_of,
    claimant_column="claimant_key",
    outlet_column="outlet_key",
    incident_order="revision",
    key=_key,
    unkey=_unkey,
    fold=_folded,
    skip_locked=" FOR UPDATE SKIP LOCKED",
)


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


class PostgresClaimStore(ChangeLogMixin, FeedStoreMixin, SQLClaimStoreMixin):
    """`ClaimStore` over one PostgreSQL database, safe to share between the API's worker threads.

    One connection guarded by a lock, like the SQLite backend: the API's threads share one copy of
    the vector matrix. The connection runs in autocommit mode; every write is one explicit
    transaction. A connection the server dropped is replaced on the next call.
    """

    _dialect = _DIALECT

    def __init__(self, url: str) -> None:
        self.url = url
        self._conninfo = _libpq_url(url)
        self._lock = threading.RLock()
        self._incident_lock = threading.Lock()
        self._lock_conn: psycopg.Connection[tuple[Any, ...]] | None = None
        self._indexes: dict[str, VectorIndex] = {}
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
        matrix = unit_rows(document, claims, vectors)
        text_hash = content_hash(document.text)
        stored = False
        try:
            with self._lock:
                with self._transaction() as db:
                    generation = self._bump(db)  # also serialises concurrent ingests
                    if self._stored_already(db, document, text_hash):
                        raise psycopg.Rollback()  # nothing written, the generation stays
                    with db.cursor() as cur:
                        self._insert_document(cur, document, claims, matrix, model_name, text_hash)
                    stored = True
                if stored:
                    # Only after COMMIT: if nobody else wrote since our cache was current, keep
                    # the matrix in step; otherwise the next search reloads.
                    if self._generation == generation - 1:
                        self._generation = generation
                        index = self._indexes.get(_key(model_name))
                        if index is not None and claims:
                            index.append([_key(c.id) for c in claims], matrix)
                    else:
                        self._indexes.clear()
                        self._generation = None
        except psycopg.Error as exc:
            raise StoreError(f"ingest of {document.id!r} failed, nothing stored: {exc}") from exc
        return stored

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

    def _index(self, model_key: str) -> VectorIndex:
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
            index = VectorIndex.from_rows(rows)
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

    def _profiles_where(
        self, condition: str | None, params: Sequence[Any], tail: str = ""
    ) -> dict[str, Any]:
        """Profiles of the matching documents: a date range is a bitmap scan of the
        `published_at` index (`IS NULL` included), not a read of every profile; `tail` orders
        and limits."""
        where = f" AND ({condition})" if condition is not None else ""
        rows = self._read(
            f"SELECT d.id, d.profile FROM documents d WHERE d.profile IS NOT NULL{where}{tail}",
            params,
        )
        return {_unkey(i): profile for i, profile in rows}

    def put_incident(self, incident: Incident, changes: Sequence[NewChange] = ()) -> None:
        """Insert or replace the incident and make its documents its members, and record
        `changes`, in one transaction.

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
                self._record_changes(db, changes)
        except psycopg.Error as exc:
            raise StoreError(f"storing incident {incident.id!r} failed: {exc}") from exc

    @contextmanager
    def incident_lock(self) -> Iterator[None]:
        """A session-level advisory lock on a connection of its own, so it is held across the
        many short transactions of an incident rebuild and is released by the server if this
        process dies; the thread lock first, because a session's advisory lock is reentrant
        for every thread that shares the session."""
        with self._incident_lock:
            if self._closed:
                raise StoreError("the store is closed")
            if self._lock_conn is None or self._lock_conn.closed or self._lock_conn.broken:
                self._lock_conn = self._connect()
            conn = self._lock_conn
            try:
                conn.execute("SELECT pg_advisory_lock(%s)", (_INCIDENT_LOCK,))
            except psycopg.Error as exc:
                raise StoreError(f"cannot take the incident lock: {exc}") from exc
            try:
                yield
            finally:
                if not (conn.closed or conn.broken):  # a dropped session released it already
                    try:
                        conn.execute("SELECT pg_advisory_unlock(%s)", (_INCIDENT_LOCK,))
                    except psycopg.Error:
                        conn.close()  # closing the session releases the lock

    def close(self) -> None:
        with self._lock:
            self._indexes.clear()
            self._closed = True
            self._conn.close()
        if self._lock_conn is not None:
            self._lock_conn.close()
