"""The stored corpus: documents, their claims and claim vectors, behind one `ClaimStore` Protocol.

The API and batch jobs program against the Protocol; `open_store(url)` picks the backend from the
database URL, so switching from the embedded SQLite file to a team PostgreSQL server is a setting,
not a code change. Every backend must pass the shared contract suite in `tests/test_store.py`.
"""

from __future__ import annotations

from claims.store.base import (
    BackendNotImplementedError,
    ClaimFilters,
    ClaimStore,
    DocumentConflictError,
    DocumentNotFoundError,
    InvalidDatabaseURLError,
    SearchHit,
    StoredDocument,
    StoreError,
)
from claims.store.open import open_store
from claims.store.postgres import PostgresClaimStore
from claims.store.sqlite import SQLiteClaimStore

__all__ = [
    "BackendNotImplementedError",
    "ClaimFilters",
    "ClaimStore",
    "DocumentConflictError",
    "DocumentNotFoundError",
    "InvalidDatabaseURLError",
    "PostgresClaimStore",
    "SQLiteClaimStore",
    "SearchHit",
    "StoreError",
    "StoredDocument",
    "open_store",
]
