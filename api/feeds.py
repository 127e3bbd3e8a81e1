"""Feed subscriptions: poll RSS/Atom feeds, fetch new articles, ingest them like POST /v1/documents.

A newsroom subscribes the feeds it follows; each server process runs one `FeedPoller` thread
that claims due feeds (leased in the store, so one poller fetches a feed at a time) and polls:

1. a conditional GET of the feed with the `ETag` / `Last-Modified` the last answer carried
   (`If-None-Match` / `If-Modified-Since`), so an unchanged feed costs a 304 and nothing else;
2. `feedparser` reads the entries (RSS 0.9x–2.0, RSS 1.0, Atom); entries already ingested from
   this feed (by guid, else link) are skipped;
3. each new entry's article page is fetched and reduced to its text with trafilatura (the
   entry's summary when the page has no article text), then ingested through the same service
   call as `POST /v1/documents` — title, link, feed title as outlet, the entry's date, and an
   id from the feed and the entry — so it joins its incident and fires the same change events
   and webhooks.

An entry whose article cannot be fetched is not marked as seen, so the next poll retries it;
the error is kept on the feed (`last_error`).
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser
import httpx

from api import service
from api.schemas import DocumentCreate
from api.state import AppState
from claims.errors import ClaimsError
from claims.extraction.ingest import html_to_text
from claims.store.feeds import Feed

logger = logging.getLogger("api.feeds")

LEASE_SECONDS = 300.0
MAX_ARTICLE_BYTES = 5_000_000
USER_AGENT = "claims-feeds/1 (+https://github.com/claims)"


@dataclass
class PollResult:
    feed_id: str
    not_modified: bool = False
    ingested: list[str] = field(default_factory=list)  # document ids
    skipped: int = 0  # entries already ingested
    errors: list[str] = field(default_factory=list)


def _entry_key(entry: Any) -> str | None:
    key = entry.get("id") or entry.get("link")
    return str(key) if key else None


def _entry_time(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def _document_id(feed: Feed, key: str) -> str:
    """One document per feed entry, named by the feed and the entry: not by the text (the
    default for POST /v1/documents), because a wire story carried word for word by two
    outlets' feeds is two reports, and wire-copy detection should see both."""
    digest = hashlib.sha256(f"{feed.url}\x00{key}".encode()).hexdigest()[:20]
    return f"feed-{digest}"


class FeedPoller:
    """Polls the subscribed feeds of one store (see the module doc)."""

    def __init__(
        self, state: AppState, *, poll_seconds: float = 5.0, timeout_seconds: float = 20.0
    ) -> None:
        self.state = state
        self.poll_seconds = poll_seconds
        self._client = httpx.Client(
            timeout=timeout_seconds, follow_redirects=True, headers={"user-agent": USER_AGENT}
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="claims-feeds", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._client.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            if not self.state.ready.is_set():
                continue  # the models are still loading; feeds stay due
            try:
                for feed in self.state.store.claim_feeds(LEASE_SECONDS):
                    self.poll(feed)
            except Exception:  # the store may be briefly unreachable: log, keep going
                logger.exception("feed polling round failed")

    def poll_now(self, feed_id: str) -> PollResult | None:
        """Poll one feed at once (the API's `POST /v1/feeds/{id}/poll`); None when another
        poller holds it right now."""
        claimed = self.state.store.claim_feeds(LEASE_SECONDS, feed_id)
        return self.poll(claimed[0]) if claimed else None

    def poll(self, feed: Feed) -> PollResult:
        """Poll a claimed feed and record the outcome (the next poll is due one interval on)."""
        result = PollResult(feed.id)
        etag, modified = feed.etag, feed.last_modified
        try:
            headers = {}
            if etag:
                headers["if-none-match"] = etag
            if modified:
                headers["if-modified-since"] = modified
            response = self._client.get(feed.url, headers=headers)
            if response.status_code == 304:
                result.not_modified = True
            else:
                response.raise_for_status()
                parsed = feedparser.parse(response.content)
                if parsed.get("bozo") and not parsed.entries:
                    raise ValueError(f"not a feed: {parsed.get('bozo_exception')}")
                outlet = parsed.feed.get("title") or httpx.URL(feed.url).host
                self._ingest_entries(feed, parsed.entries, str(outlet), result)
                etag = response.headers.get("etag", etag)
                modified = response.headers.get("last-modified", modified)
        except (httpx.HTTPError, ValueError) as exc:
            result.errors.append(f"{feed.url}: {type(exc).__name__}: {exc}")
        self.state.store.finish_poll(
            feed.id,
            etag=etag,
            last_modified=modified,
            error="; ".join(result.errors) or None,
            next_poll_at=time.time() + feed.interval_seconds,
        )
        return result

    def _ingest_entries(
        self, feed: Feed, entries: list[Any], outlet: str, result: PollResult
    ) -> None:
        store = self.state.store
        keyed = [(k, e) for e in entries if (k := _entry_key(e)) is not None]
        seen = store.seen_entries(feed.id, [k for k, _ in keyed])
        for key, entry in keyed:
            if key in seen:
                result.skipped += 1
                continue
            try:
                text = self._article_text(entry)
                request = DocumentCreate(
                    id=_document_id(feed, key),
                    text=text,
                    title=(entry.get("title") or None),
                    outlet=outlet[:200],
                    url=entry.get("link"),
                    published_at=_entry_time(entry),
                )
                self.state.check_ready()
                document, _ = service.ingest_document(
                    request=request,
                    settings=self.state.settings,
                    store=store,
                    extractor=self.state.serial_extractor,
                    embedder=self.state.embedder,
                    comparer=self.state.comparer,
                )
            except (httpx.HTTPError, ClaimsError, ValueError) as exc:
                result.errors.append(f"{entry.get('link') or key}: {type(exc).__name__}: {exc}")
                continue
            store.mark_entry(feed.id, key, document.id)
            result.ingested.append(document.id)

    def _article_text(self, entry: Any) -> str:
        """The article's text, from its page; the entry's own summary when the entry has no
        link or its page holds no article text."""
        link = entry.get("link")
        if link:
            response = self._client.get(link)
            response.raise_for_status()
            if len(response.content) > MAX_ARTICLE_BYTES:
                raise ValueError(f"article is over {MAX_ARTICLE_BYTES} bytes")
            try:
                return html_to_text(response.text, link)
            except ClaimsError:
                pass  # no article text on the page: fall back to the summary
        summary = entry.get("summary") or ""
        return html_to_text(
            f"<html><body><article><p>{summary}</p></article></body></html>", "summary"
        )
