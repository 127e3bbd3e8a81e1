"""Feed subscriptions against a real feed and article pages served on loopback.

The site serves an RSS feed with an ETag (and answers 304 to a matching If-None-Match) and one
HTML page per entry, built from the Tarsa fixture reports; it records every request, so the
tests can tell what the poller fetched.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from api_support import API_KEYS, assert_error, running_app, settings_for, tarsa_reports
from fastapi.testclient import TestClient

from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor

KEY = {"Authorization": f"Bearer {API_KEYS[0]}"}


def article_page(report: dict[str, Any]) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in report["text"].splitlines() if p)
    title = html.escape(report.get("title") or report["id"])
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        f"<footer>© Example News. All rights reserved.</footer></body></html>"
    ).encode()


class Site:
    """A news site on loopback: `/feed.xml` and `/articles/<id>`."""

    def __init__(self) -> None:
        self.reports: dict[str, dict[str, Any]] = {}
        self.in_feed: list[str] = []
        self.missing: set[str] = set()  # article pages answering 404
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(
                    ("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                if self.path == "/feed.xml":
                    etag = f'"v{len(site.in_feed)}"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.end_headers()
                        return
                    body = site.feed()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("ETag", etag)
                elif self.path.startswith("/articles/"):
                    doc_id = self.path.removeprefix("/articles/")
                    if doc_id in site.missing or doc_id not in site.reports:
                        self.send_response(404)
                        self.end_headers()
                        return
                    body = article_page(site.reports[doc_id])
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, *reports: dict[str, Any]) -> None:
        for report in reports:
            self.reports[report["id"]] = report
            self.in_feed.append(report["id"])

    def feed(self) -> bytes:
        items = []
        for doc_id in reversed(self.in_feed):  # newest first, as feeds list them
            report = self.reports[doc_id]
            published = format_datetime(datetime.fromisoformat(report["published_at"]))
            items.append(
                f"<item><title>{html.escape(report.get('title') or doc_id)}</title>"
                f"<link>{self.base}/articles/{doc_id}</link><guid>{doc_id}</guid>"
                f"<pubDate>{published}</pubDate><description>Summary.</description></item>"
            )
        return (
            "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
            f"<title>Example News</title><link>{self.base}/</link>"
            f"<description>News</description>{''.join(items)}</channel></rss>"
        ).encode()

    def fetched(self, prefix: str) -> list[str]:
        return [path for _, path, _ in self.requests if path.startswith(prefix)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    yield served
    served.close()


@contextmanager
def make_app(
    tmp_path: Path, extractor: Extractor, embedder: SentenceTransformerEmbedder, **settings: Any
) -> Iterator[TestClient]:
    config = settings_for(tmp_path, api_keys=API_KEYS, webhook_delivery=False, **settings)
    with running_app(config, extractor, embedder) as client:
        yield client


@pytest.fixture
def app(
    tmp_path: Path, extractor: Extractor, embedder: SentenceTransformerEmbedder
) -> Iterator[TestClient]:
    with make_app(tmp_path, extractor, embedder, feed_polling=False) as client:
        yield client


def subscribe(app: TestClient, url: str, **body: Any) -> dict[str, Any]:
    response = app.post("/v1/feeds", json={"url": url, **body}, headers=KEY)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def poll(app: TestClient, feed_id: str) -> dict[str, Any]:
    response = app.post(f"/v1/feeds/{feed_id}/poll", headers=KEY)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_api_feeds_new_entries_are_fetched_and_ingested_once(app: TestClient, site: Site) -> None:
    reports = tarsa_reports()
    site.publish(*reports[:3])
    feed = subscribe(app, f"{site.base}/feed.xml")
    first = poll(app, feed["id"])
    assert first["errors"] == []
    assert len(first["ingested"]) == 3
    # One document per entry, even where two outlets carry the same wire text word for word.
    assert len(set(first["ingested"])) == 3
    documents = [app.get(f"/v1/documents/{i}").json() for i in first["ingested"]]
    by_url = {d["url"]: d for d in documents}
    for report in reports[:3]:
        document = by_url[f"{site.base}/articles/{report['id']}"]
        assert document["outlet"] == "Example News"
        assert document["title"] == report.get("title")
        assert "All rights reserved" not in document["text"]  # trafilatura dropped the chrome
        assert report["text"].splitlines()[0] in document["text"]
        got = datetime.fromisoformat(document["published_at"])
        assert got == datetime.fromisoformat(report["published_at"]).replace(tzinfo=UTC)
    incidents = app.get("/v1/incidents").json()["data"]
    assert sorted(len(i["document_ids"]) for i in incidents) == [3]

    # Unchanged feed: the poller sends the ETag back, gets a 304 and fetches nothing else.
    articles_before = len(site.fetched("/articles/"))
    second = poll(app, feed["id"])
    assert second["not_modified"] is True
    assert second["ingested"] == []
    assert site.requests[-1][2].get("if-none-match") == '"v3"'
    assert len(site.fetched("/articles/")) == articles_before

    # Two new entries: only they are fetched; the old ones are skipped by guid.
    site.publish(*reports[3:5])
    third = poll(app, feed["id"])
    assert len(third["ingested"]) == 2
    assert third["skipped"] == 3
    assert len(site.fetched("/articles/")) == articles_before + 2
    stored = app.get(f"/v1/feeds/{feed['id']}", headers=KEY).json()
    assert stored["entries"] == 5
    assert stored["etag"] == '"v5"'
    assert stored["last_error"] is None


def test_api_feeds_article_that_fails_is_retried_next_poll(app: TestClient, site: Site) -> None:
    reports = tarsa_reports()
    site.publish(*reports[:2])
    site.missing.add(reports[1]["id"])
    feed = subscribe(app, f"{site.base}/feed.xml")
    first = poll(app, feed["id"])
    assert len(first["ingested"]) == 1
    assert len(first["errors"]) == 1
    assert "404" in first["errors"][0]
    assert "404" in app.get(f"/v1/feeds/{feed['id']}", headers=KEY).json()["last_error"]
    site.missing.clear()
    site.publish(reports[2])  # a new ETag, so the feed is read again
    second = poll(app, feed["id"])
    assert len(second["ingested"]) == 2  # the failed entry and the new one
    assert second["skipped"] == 1
    assert app.get(f"/v1/feeds/{feed['id']}", headers=KEY).json()["last_error"] is None


def test_api_feeds_are_polled_in_the_background(
    tmp_path: Path, extractor: Extractor, embedder: SentenceTransformerEmbedder, site: Site
) -> None:
    site.publish(tarsa_reports()[0])
    with make_app(tmp_path, extractor, embedder, feed_polling=True, feed_poll_seconds=0.1) as app:
        feed = subscribe(app, f"{site.base}/feed.xml", interval_seconds=3600)
        path = f"/v1/feeds/{feed['id']}"
        wait_for(lambda: app.get(path, headers=KEY).json()["entries"] == 1)
        assert app.get("/v1/claims").json()["count"] > 0


def test_api_feeds_management(app: TestClient, site: Site) -> None:
    assert_error(
        app.post("/v1/feeds", json={"url": f"{site.base}/feed.xml"}), 401, "not_authenticated"
    )
    assert app.post("/v1/feeds", json={"url": "file:///etc/passwd"}, headers=KEY).status_code == 422
    feed = subscribe(app, f"{site.base}/feed.xml")
    assert [f["id"] for f in app.get("/v1/feeds", headers=KEY).json()["data"]] == [feed["id"]]
    assert app.delete(f"/v1/feeds/{feed['id']}", headers=KEY).status_code == 204
    assert_error(app.get(f"/v1/feeds/{feed['id']}", headers=KEY), 404, "feed_not_found")
    assert_error(app.post(f"/v1/feeds/{feed['id']}/poll", headers=KEY), 404, "feed_not_found")


def test_api_feeds_not_a_feed_is_an_error_on_the_feed(app: TestClient, site: Site) -> None:
    feed = subscribe(app, f"{site.base}/articles/none")  # a 404 page
    result = poll(app, feed["id"])
    assert result["ingested"] == []
    assert "404" in result["errors"][0]


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)
