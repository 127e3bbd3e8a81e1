"""End to end: `claims serve` as a real process on a free loopback port, over a SQLite file:
ingest and read back, clean shutdown, and oversized bodies as seen by real HTTP clients."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from api_support import HARBOUR_FIRE, served, server_env


def test_api_serve_subprocess_ingest_and_read_back(tmp_path: Path) -> None:
    env = server_env(f"sqlite:///{tmp_path / 'served.db'}")
    with served(env, tmp_path) as (base, server):
        created = httpx.post(
            f"{base}/v1/documents",
            json={"id": "velmar-fire", "text": HARBOUR_FIRE, "outlet": "Example Wire"},
            timeout=60.0,
        )
        assert created.status_code == 201, created.text
        got = httpx.get(f"{base}/v1/documents/velmar-fire", timeout=10.0)
        assert got.status_code == 200
        assert got.json() == created.json()
        assert got.json()["text"] == HARBOUR_FIRE
        incidents = httpx.get(f"{base}/v1/incidents", timeout=10.0).json()
        assert [i["document_ids"] for i in incidents["data"]] == [["velmar-fire"]]
    [log] = tmp_path.glob("server-*.log")
    output = log.read_text(errors="replace")
    # uvicorn shuts down cleanly on SIGTERM, then re-raises the signal, so -SIGTERM is expected.
    assert server.returncode in {0, -signal.SIGTERM}, output
    assert "Application shutdown complete" in output
    assert (tmp_path / "served.db").exists()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("live")
    env = server_env(f"sqlite:///{directory / 'live.db'}", relation_scorer="rules")
    with served(env, directory) as (base, _):
        yield base


OVERSIZED = json.dumps({"text": "word " * 1_200_000}).encode()  # 6 MB; the limit is 2 MB


def test_api_serve_oversized_body_is_a_readable_413_with_urllib(live: str) -> None:
    """urllib sends the whole body before it reads: a server that answers early and closes
    would reset the connection under it (the middleware drains the body first)."""
    request = urllib.request.Request(
        f"{live}/v1/extract", data=OVERSIZED, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=60)
    assert caught.value.code == 413
    assert json.loads(caught.value.read())["detail"][0]["type"] == "body_too_large"


def test_api_serve_oversized_body_is_a_readable_413_with_requests_and_httpx(live: str) -> None:
    headers = {"Content-Type": "application/json"}
    by_requests = requests.post(f"{live}/v1/extract", data=OVERSIZED, headers=headers, timeout=60)
    by_httpx = httpx.post(f"{live}/v1/extract", content=OVERSIZED, headers=headers, timeout=60)
    for response in (by_requests, by_httpx):
        assert response.status_code == 413
        assert response.json()["detail"][0]["type"] == "body_too_large"


def test_api_serve_oversized_chunked_body_is_a_readable_413(live: str) -> None:
    """No Content-Length (chunked): refused once the limit is passed, the rest drained."""

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(OVERSIZED), 64 * 1024):
            yield OVERSIZED[start : start + 64 * 1024]

    response = httpx.post(
        f"{live}/v1/extract",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "body_too_large"
    assert httpx.get(f"{live}/healthz", timeout=10).status_code == 200  # still serving
