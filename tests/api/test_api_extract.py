"""`POST /v1/extract`: the stateless twin of `claims extract`."""

from __future__ import annotations

from datetime import datetime

from api_support import HARBOUR_FIRE
from fastapi.testclient import TestClient

from claims.cli import _extraction
from claims.extraction.extract import Extractor
from claims.extraction.ingest import content_id, make_document


def test_api_extract_matches_cli_output(client: TestClient, extractor: Extractor) -> None:
    body = {"text": HARBOUR_FIRE, "outlet": "Example Wire", "published_at": "2025-03-04T08:00:00"}
    response = client.post("/v1/extract", json=body)
    assert response.status_code == 200, response.text
    document = make_document(
        HARBOUR_FIRE,
        doc_id=content_id(HARBOUR_FIRE),
        outlet="Example Wire",
        published_at=datetime(2025, 3, 4, 8),
    )
    assert response.json() == _extraction(document, extractor.run(document))


def test_api_extract_finds_the_quote(client: TestClient) -> None:
    result = client.post("/v1/extract", json={"text": HARBOUR_FIRE, "title": "Fire"}).json()
    assert result["document"]["id"] == content_id(HARBOUR_FIRE)
    assert result["document"]["title"] == "Fire"
    quotes = [c for c in result["claims"] if c["kind"] == "direct"]
    assert quotes
    assert quotes[0]["speaker"]["text"] == "fire chief Anton Brell"
    assert quotes[0]["claimant"]["name"] == "Anton Brell"
    for claim in result["claims"]:
        span = claim["content"]
        assert HARBOUR_FIRE[span["start"] : span["end"]] == span["text"]


def test_api_extract_stores_nothing(client: TestClient) -> None:
    client.post("/v1/extract", json={"text": HARBOUR_FIRE})
    assert client.get(f"/v1/documents/{content_id(HARBOUR_FIRE)}").status_code == 404
    assert client.get("/v1/claims").json()["count"] == 0
