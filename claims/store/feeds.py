"""Feed subscriptions (RSS/Atom) and the entries already ingested from them, over a `Dialect`.

Why in the store: any server process may poll a feed, so the polling state (the ETag and
Last-Modified to send back, when it is due, which entries became which documents) must be shared
and claimed like webhook deliveries: a due feed is leased to one poller at a time.
The HTTP side (conditional GETs, feedparser, trafilatura) is the service's (`api/feeds.py`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from claims.errors import ClaimsError
from claims.store.common import SQLBackend


class Feed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    url: str
    interval_seconds: float
    created_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_error: str | None = None
    entries: int = 0  # entries ingested so far


class FeedNotFoundError(ClaimsError):
    code = "feed_not_found"


_FEED_COLUMNS = (
    "f.id, f.url, f.interval_seconds, f.created_at, f.etag, f.last_modified, f.last_polled_at,"
    " f.last_error, (SELECT COUNT(*) FROM feed_entries e WHERE e.feed_id = f.id)"
)


class FeedStoreMixin(SQLBackend):
    @staticmethod
    def _feed(row: Sequence[Any]) -> Feed:
        feed_id, url, interval, created, etag, modified, polled, error, entries = row
        return Feed(
            id=str(feed_id),
            url=str(url),
            interval_seconds=float(interval),
            created_at=datetime.fromisoformat(str(created)),
            etag=etag,
            last_modified=modified,
            last_polled_at=None if polled is None else datetime.fromisoformat(str(polled)),
            last_error=error,
            entries=int(entries),
        )

    def add_feed(self, url: str, interval_seconds: float) -> Feed:
        """Subscribe; the feed is due at once."""
        feed_id = "feed_" + uuid.uuid4().hex[:16]
        d = self._dialect
        with self._transaction() as db:
            db.execute(
                d.sql(
                    "INSERT INTO feeds (id, url, interval_seconds, created_at, next_poll_at)"
                    " VALUES (?, ?, ?, ?, ?)"
                ),
                (feed_id, url, interval_seconds, datetime.now(UTC).isoformat(), 0.0),
            )
        feed = self.get_feed(feed_id)
        assert feed is not None
        return feed

    def get_feed(self, feed_id: str) -> Feed | None:
        d = self._dialect
        rows = self._read(
            d.sql(f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.id = ?"), (d.key(feed_id),)
        )
        return self._feed(rows[0]) if rows else None

    def list_feeds(self) -> list[Feed]:
        return [
            self._feed(r) for r in self._read(f"SELECT {_FEED_COLUMNS} FROM feeds f ORDER BY f.id")
        ]

    def delete_feed(self, feed_id: str) -> bool:
        """Unsubscribe; the documents ingested from it stay."""
        d = self._dialect
        with self._transaction() as db:
            db.execute(d.sql("DELETE FROM feed_entries WHERE feed_id = ?"), (d.key(feed_id),))
            deleted = db.execute(
                d.sql("DELETE FROM feeds WHERE id = ?"), (d.key(feed_id),)
            ).rowcount
        return bool(deleted)

    def claim_feeds(self, lease_seconds: float, feed_id: str | None = None) -> list[Feed]:
        """The due feeds (or the one named, due or not), leased to the caller for
        `lease_seconds`, so no other poller fetches them meanwhile."""
        d = self._dialect
        now = time.time()
        with self._transaction() as db:
            if feed_id is None:
                rows = db.execute(
                    d.sql(
                        f"SELECT id FROM feeds WHERE next_poll_at <= ? ORDER BY id{d.skip_locked}"
                    ),
                    (now,),
                ).fetchall()
            else:
                rows = db.execute(
                    d.sql(f"SELECT id FROM feeds WHERE id = ?{d.skip_locked}"), (d.key(feed_id),)
                ).fetchall()
            ids = [str(r[0]) for r in rows]
            for claimed in ids:
                db.execute(
                    d.sql("UPDATE feeds SET next_poll_at = ? WHERE id = ?"),
                    (now + lease_seconds, claimed),
                )
        return [f for i in ids if (f := self.get_feed(d.unkey(i))) is not None]

    def finish_poll(
        self,
        feed_id: str,
        *,
        etag: str | None,
        last_modified: str | None,
        error: str | None,
        next_poll_at: float,
    ) -> None:
        d = self._dialect
        with self._transaction() as db:
            db.execute(
                d.sql(
                    "UPDATE feeds SET etag = ?, last_modified = ?, last_error = ?,"
                    " last_polled_at = ?, next_poll_at = ? WHERE id = ?"
                ),
                (
                    etag,
                    last_modified,
                    None if error is None else error[:500],
                    datetime.now(UTC).isoformat(),
                    next_poll_at,
                    d.key(feed_id),
                ),
            )

    def seen_entries(self, feed_id: str, keys: Iterable[str]) -> set[str]:
        """Which of these entry keys (guid, else link) were ingested from the feed already."""
        d = self._dialect
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return set()
        condition, params = d.any_of("entry_key", [d.key(k) for k in wanted])
        rows = self._read(
            d.sql("SELECT entry_key FROM feed_entries WHERE feed_id = ? AND ") + condition,
            [d.key(feed_id), *params],
        )
        return {d.unkey(str(r[0])) for r in rows}

    def mark_entry(self, feed_id: str, key: str, document_id: str) -> None:
        d = self._dialect
        with self._transaction() as db:
            db.execute(
                d.sql(
                    "INSERT INTO feed_entries (feed_id, entry_key, document_id) VALUES (?, ?, ?)"
                    " ON CONFLICT (feed_id, entry_key) DO NOTHING"
                ),
                (d.key(feed_id), d.key(key), d.key(document_id)),
            )
