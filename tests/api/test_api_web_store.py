"""Storing pasted reports from the Compare page (`POST /compare/store`) on a keyed server.

A form cannot send a bearer header, so the write key comes in the form; without one (or with
a read key) nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from api_support import API_KEYS, HARBOUR_FIRE, running_app, settings_for
from fastapi.testclient import TestClient

from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def keyed(
    tmp_path_factory: pytest.TempPathFactory,
    extractor: Extractor,
    embedder: SentenceTransformerEmbedder,
) -> Iterator[TestClient]:
    settings = settings_for(
        tmp_path_factory.mktemp("web-store"), api_keys=API_KEYS, read_api_keys=["reader"]
    )
    with running_app(settings, extractor, embedder) as client:
        yield client


def post(client: TestClient, key: str) -> tuple[int, str]:
    body = urlencode({"format": "text", "reports": HARBOUR_FIRE, "key": key})
    response = client.post("/compare/store", content=body, headers=FORM)
    return response.status_code, response.text


@pytest.mark.parametrize("key", ["", "reader", "wrong"])
def test_web_store_needs_a_write_key(keyed: TestClient, key: str) -> None:
    status, page = post(keyed, key)
    assert status == 403
    assert "invalid_api_key" in page
    assert keyed.get("/v1/claims").json()["count"] == 0


def test_web_store_with_a_write_key_stores_and_links(keyed: TestClient) -> None:
    status, page = post(keyed, API_KEYS[0])
    assert status == 200, page
    assert "Stored 1 of 1 report" in page
    [document] = [c["document_id"] for c in keyed.get("/v1/claims").json()["data"][:1]]
    assert f'href="/documents/{document}"' in page
    assert 'href="/incidents/' in page
    status, again = post(keyed, API_KEYS[0])
    assert status == 200
    assert "already stored" in again
