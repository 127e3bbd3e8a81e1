"""`open_store(url)`: the backend a database URL names."""

from __future__ import annotations

from claims.store.base import ClaimStore, InvalidDatabaseURLError
from claims.store.postgres import PostgresClaimStore
from claims.store.sqlite import SQLiteClaimStore


def open_store(url: str) -> ClaimStore:
    """Open the backend a database URL names.

    - `sqlite:///relative.db`, `sqlite:////abs.db`, `sqlite:///:memory:`: the embedded file;
    - `postgresql://user:password@host:port/dbname` (also `postgres://`, and SQLAlchemy's
      `postgresql+psycopg://`), with libpq's query parameters, e.g.
      `postgresql:///claims?host=/run/postgresql` for a local socket.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise InvalidDatabaseURLError(f"database URL {url!r} has no scheme (sqlite:///path)")
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise InvalidDatabaseURLError(
                f"database URL {url!r}: expected sqlite:///relative/path or sqlite:////abs/path"
            )
        return SQLiteClaimStore(rest[1:])
    if scheme in {"postgresql", "postgres"} or scheme.startswith("postgresql+"):
        return PostgresClaimStore(url)
    raise InvalidDatabaseURLError(f"database URL {url!r}: unsupported scheme {scheme!r}")
