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

import fcntl
import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from claims.models import Claim, Document, Incident
from claims.store.ann import ANN_MIN as ANN_MIN  # tests lower it here; the index reads ann's
from claims.store.base import DocumentNotFoundError, StoreError, Vectors
from claims.store.changes import ChangeLogMixin, NewChange
from claims.store.common import (
    Dialect,
    SQLClaimStoreMixin,
    VectorIndex,
    content_hash,
    unit_rows,
)
from claims.store.feeds import FeedStoreMixin

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
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    change_seq INTEGER NOT NULL REFERENCES changes (seq) ON DELETE CASCADE,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at REAL NOT NULL,
    last_status INTEGER,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries (webhook_id, state);
CREATE TABLE IF NOT EXISTS feeds (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    interval_seconds REAL NOT NULL,
    created_at TEXT NOT NULL,
    next_poll_at REAL NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_polled_at TEXT,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS feed_entries (
    feed_id TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    document_id TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
) WITHOUT ROWID;
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


def _any_of(column: str, values: list[str]) -> tuple[str, list[Any]]:
    return f"{column} IN ({','.join('?' * len(values))})", values


_DIALECT = Dialect(
    mark="?",
    errors=(sqlite3.Error,),
    moment=_sortable,
    now=lambda: datetime.now(UTC).isoformat(),
    read_time=datetime.fromisoformat,
    any_of=_any_of,
    claimant_column="claimant",  # COLLATE NOCASE does the folding
    outlet_column="outlet",
    incident_order="updated_seq",
)


class SQLiteClaimStore(ChangeLogMixin, FeedStoreMixin, SQLClaimStoreMixin):
    """`ClaimStore` over one SQLite file, safe to share between the API's worker threads.

    One connection guarded by a lock: SQLite serialises writers anyway, and the API's threads
    would otherwise each need their own connection and their own copy of the vector matrix.
    """

    _dialect = _DIALECT

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._incident_lock = threading.Lock()
        self._indexes: dict[str, VectorIndex] = {}
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
        matrix = unit_rows(document, claims, vectors)
        text_hash = content_hash(document.text)
        try:
            with self._lock:
                with self._transaction() as db:
                    if self._stored_already(db, document, text_hash):
                        return False
                    self._insert_document(db, document, claims, matrix, model_name, text_hash)
                # Only after COMMIT, and our own commits leave `data_version` unchanged:
                # keep the matrix in step here.
                index = self._indexes.get(model_name)
                if index is not None and claims:
                    index.append([c.id for c in claims], matrix)
        except sqlite3.Error as exc:
            raise StoreError(f"ingest of {document.id!r} failed, nothing stored: {exc}") from exc
        return True

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

    def _current_data_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _index(self, model_name: str) -> VectorIndex:
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
            index = VectorIndex.from_rows(rows, self._ann_path(model_name))
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

    def _profiles_where(
        self, condition: str | None, params: Sequence[Any], tail: str = ""
    ) -> dict[str, Any]:
        """Profiles of the matching documents: the date range walks the `published_at` index
        (`published_at` holds `_sortable` text, fixed-width naive UTC, so text order is time
        order) and each hit looks its profile up by primary key; `tail` orders and limits."""
        where = f" WHERE {condition}" if condition is not None else ""
        rows = self._read(
            "SELECT p.document_id, p.body FROM documents d"
            f" JOIN document_profiles p ON p.document_id = d.id{where}{tail}",
            params,
        )
        return {doc_id: json.loads(body) for doc_id, body in rows}

    def put_incident(self, incident: Incident, changes: Sequence[NewChange] = ()) -> None:
        """Insert or replace the incident and make its documents its members, and record
        `changes`, in one transaction.

        Documents of `incident.document_ids` that are not stored get no membership row (they may
        have been deleted while the incident was being built). An incident that loses its last
        member to this one is deleted in the same transaction, so no empty incident is left
        behind when members move to another incident.
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
                self._record_changes(db, changes)
        except sqlite3.Error as exc:
            raise StoreError(f"storing incident {incident.id!r} failed: {exc}") from exc

    @contextmanager
    def incident_lock(self) -> Iterator[None]:
        """The thread lock, then an exclusive `flock` on `<database>.incidents.lock` beside the
        file, so server workers and batch jobs on one machine take turns. Not `BEGIN IMMEDIATE`:
        a rebuild is many short transactions with the models running in between, and holding
        SQLite's write lock that long would stall every other writer (and reader, in WAL
        checkpoints). The kernel drops a `flock` when its process dies."""
        with self._incident_lock:
            if self.path == ":memory:":  # no other process can open it
                yield
                return
            database = Path(self.path).expanduser()
            lock_path = database.with_name(database.name + ".incidents.lock")
            try:
                handle = open(lock_path, "a+b")  # noqa: SIM115 - closed in the finally below
            except OSError as exc:
                raise StoreError(f"cannot open the incident lock {lock_path}: {exc}") from exc
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
                yield
            finally:
                handle.close()  # closing the file releases the lock

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
