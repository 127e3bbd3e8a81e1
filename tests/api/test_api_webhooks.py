"""Webhooks and the change feed against real receivers on loopback.

Every delivery is checked with the `standardwebhooks` library's own verifier, the way a
newsroom tool would check it. Retry delays are shortened to a tenth of a second.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from api_support import (
    API_KEYS,
    HARBOUR_FIRE,
    TARSA,
    assert_error,
    free_port,
    running_app,
    settings_for,
    tarsa_reports,
)
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor

FAST = {"webhook_retry_delays": [0.1, 0.1, 0.1], "webhook_poll_seconds": 0.05}
KEY = {"Authorization": f"Bearer {API_KEYS[0]}"}


class Receiver:
    """An HTTP server on loopback that answers `fail_first` requests with 500, then 204, and
    keeps every request it got (headers, body) in order."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.requests.append((dict(self.headers.items()), body))
                    failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory() -> Iterator[Callable[[int], Receiver]]:
    made: list[Receiver] = []

    def make(fail_first: int = 0) -> Receiver:
        made.append(Receiver(fail_first))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def app(
    tmp_path: Path, extractor: Extractor, embedder: SentenceTransformerEmbedder
) -> Iterator[TestClient]:
    settings = settings_for(tmp_path, api_keys=API_KEYS, **FAST)
    with running_app(settings, extractor, embedder) as client:
        yield client


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def subscribe(client: TestClient, url: str, events: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url} if events is None else {"url": url, "events": events}
    response = client.post("/v1/webhooks", json=body, headers=KEY)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created["secret"].startswith("whsec_")
    return created


def all_changes(client: TestClient) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = "0"
    while True:
        page = client.get("/v1/changes", params={"since": cursor, "limit": 3}).json()
        out.extend(page["data"])
        if not page["data"]:
            assert page["next_cursor"] == cursor  # nothing new: the same cursor again
            return out
        cursor = page["next_cursor"]


def test_api_webhooks_every_change_arrives_signed_once(
    app: TestClient, receiver_factory: Callable[[int], Receiver]
) -> None:
    receiver = receiver_factory(0)
    hook = subscribe(app, receiver.url)
    for report in tarsa_reports()[:5]:
        assert app.post("/v1/documents", json=report, headers=KEY).status_code == 201
    changes = all_changes(app)
    types = [c["type"] for c in changes]
    assert types[0] == "incident.created"
    assert "incident.changed" in types
    assert "conflict.created" in types  # the fixture's tolls disagree
    wait_for(lambda: len(receiver.requests) == len(changes))
    verifier = Webhook(hook["secret"])
    got = []
    for headers, body in receiver.requests:
        message = verifier.verify(body, headers)  # raises on a bad signature
        got.append((headers["webhook-id"], message["type"]))
    assert sorted(got) == sorted((c["id"], c["type"]) for c in changes)
    conflict = next(c for c in changes if c["type"] == "conflict.created")
    assert {"relation", "claims"} <= set(conflict["data"])
    assert conflict["data"]["relation"]["type"] == "conflicts"
    assert len(conflict["data"]["claims"]) == 2
    # The feed agrees with the stored incident.
    incident = app.get(f"/v1/incidents/{changes[-1]['incident_id']}").json()
    assert set(incident["document_ids"]) == set(TARSA)


def test_api_webhooks_receiver_failing_three_times_gets_the_event_once(
    app: TestClient, receiver_factory: Callable[[int], Receiver]
) -> None:
    receiver = receiver_factory(3)
    hook = subscribe(app, receiver.url, ["incident.created"])
    response = app.post("/v1/documents", json={"text": HARBOUR_FIRE, "id": "fire"}, headers=KEY)
    assert response.status_code == 201
    wait_for(lambda: len(receiver.requests) == 4)
    time.sleep(0.5)  # no fifth attempt after the success
    assert len(receiver.requests) == 4
    ids = {headers["webhook-id"] for headers, _ in receiver.requests}
    assert len(ids) == 1  # one event, retried under one id
    for headers, body in receiver.requests:
        Webhook(hook["secret"]).verify(body, headers)
    dead = app.get(f"/v1/webhooks/{hook['id']}/dead-letters", headers=KEY).json()
    assert dead["data"] == []


def test_api_webhooks_dead_receiver_ends_in_the_dead_letter_list(app: TestClient) -> None:
    dead_url = f"http://127.0.0.1:{free_port()}/nobody-listens"
    hook = subscribe(app, dead_url)
    response = app.post("/v1/documents", json={"text": HARBOUR_FIRE, "id": "fire"}, headers=KEY)
    assert response.status_code == 201

    def dead_letters() -> list[dict[str, Any]]:
        body = app.get(f"/v1/webhooks/{hook['id']}/dead-letters", headers=KEY).json()
        letters: list[dict[str, Any]] = body["data"]
        return letters

    wait_for(lambda: len(dead_letters()) == 1)
    [letter] = dead_letters()
    assert letter["state"] == "dead"
    assert letter["attempts"] == 4  # the first try and three retries
    assert "ConnectError" in letter["last_error"]
    assert letter["change"]["type"] == "incident.created"


def test_api_webhooks_subscriptions_are_managed_with_a_write_key(
    app: TestClient, receiver_factory: Callable[[int], Receiver]
) -> None:
    receiver = receiver_factory(0)
    assert_error(app.post("/v1/webhooks", json={"url": receiver.url}), 401, "not_authenticated")
    hook = subscribe(app, receiver.url, ["conflict.created"])
    listed = app.get("/v1/webhooks", headers=KEY).json()["data"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]  # shown once, at creation
    assert app.get(f"/v1/webhooks/{hook['id']}", headers=KEY).json()["events"] == [
        "conflict.created"
    ]
    assert app.delete(f"/v1/webhooks/{hook['id']}", headers=KEY).status_code == 204
    assert_error(app.get(f"/v1/webhooks/{hook['id']}", headers=KEY), 404, "webhook_not_found")
    assert_error(app.delete(f"/v1/webhooks/{hook['id']}", headers=KEY), 404, "webhook_not_found")


@pytest.mark.parametrize(
    "body",
    [{"url": "ftp://example.org/x"}, {"url": "http://x.example", "events": ["nope"]}, {}],
)
def test_api_webhooks_bad_subscription_is_422(app: TestClient, body: dict[str, Any]) -> None:
    response = app.post("/v1/webhooks", json=body, headers=KEY)
    assert response.status_code == 422, response.text


def test_api_changes_feed_cursor(app: TestClient) -> None:
    assert app.get("/v1/changes").json() == {"data": [], "next_cursor": "0"}
    app.post("/v1/documents", json={"text": HARBOUR_FIRE, "id": "fire"}, headers=KEY)
    first = app.get("/v1/changes").json()
    assert [c["type"] for c in first["data"]] == ["incident.created"]
    assert first["data"][0]["data"]["document_ids"] == ["fire"]
    assert app.delete("/v1/documents/fire", headers=KEY).status_code == 204
    later = app.get("/v1/changes", params={"since": first["next_cursor"]}).json()
    assert [c["type"] for c in later["data"]] == ["incident.deleted"]
    assert json.dumps(later).count(first["data"][0]["id"]) == 0  # only what came after
    response = app.get("/v1/changes", params={"since": "abc"})
    assert response.status_code == 422


def test_api_webhooks_dead_letters_are_sent_again_on_request(
    app: TestClient, receiver_factory: Callable[[int], Receiver]
) -> None:
    receiver = receiver_factory(1_000)  # fails until told otherwise
    hook = subscribe(app, receiver.url, ["incident.created"])
    app.post("/v1/documents", json={"text": HARBOUR_FIRE, "id": "fire"}, headers=KEY)
    letters = f"/v1/webhooks/{hook['id']}/dead-letters"
    wait_for(lambda: len(app.get(letters, headers=KEY).json()["data"]) == 1)
    receiver.fail_first = 0  # the receiver is fixed
    retried = app.post(f"{letters}/retry", headers=KEY)
    assert retried.json() == {"retried": 1}
    wait_for(lambda: app.get(letters, headers=KEY).json()["data"] == [])
    headers, body = receiver.requests[-1]
    assert Webhook(hook["secret"]).verify(body, headers)["type"] == "incident.created"
    assert app.post(f"{letters}/retry", headers=KEY).json() == {"retried": 0}
