"""The stored corpus: ingest (idempotent), read, list a document's claims, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import HARBOUR_FIRE, SCHOOL_VOTE, assert_error, running_app, settings_for
from fastapi.testclient import TestClient

from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor
from claims.extraction.ingest import content_id


def test_api_documents_ingest_then_repeat(client: TestClient) -> None:
    body = {"text": HARBOUR_FIRE, "outlet": "Example Wire", "title": "Harbour fire"}
    first = client.post("/v1/documents", json=body)
    assert first.status_code == 201, first.text
    doc = first.json()
    assert doc["id"] == content_id(HARBOUR_FIRE)
    assert doc["claim_count"] > 0
    assert doc["outlet"] == "Example Wire"
    assert first.headers["location"] == f"/v1/documents/{doc['id']}"
    again = client.post("/v1/documents", json=body)
    assert again.status_code == 200
    assert again.json() == doc
    assert (
        client.get("/v1/claims", params={"document_id": doc["id"]}).json()["count"]
        == (doc["claim_count"])
    )


def test_api_documents_get_and_claims(client: TestClient) -> None:
    created = client.post("/v1/documents", json={"text": SCHOOL_VOTE, "id": "dornfeld-1"}).json()
    got = client.get("/v1/documents/dornfeld-1")
    assert got.status_code == 200
    assert got.json() == created
    assert got.json()["text"] == SCHOOL_VOTE
    claims = client.get("/v1/documents/dornfeld-1/claims").json()
    assert claims["count"] == created["claim_count"] == len(claims["data"])
    assert {c["document_id"] for c in claims["data"]} == {"dornfeld-1"}
    assert any(c["claimant"]["name"] == "Ilse Varga" for c in claims["data"])


def test_api_documents_same_id_other_text_conflicts(client: TestClient) -> None:
    first = client.post("/v1/documents", json={"text": SCHOOL_VOTE, "id": "taken"})
    assert first.status_code == 201
    response = client.post("/v1/documents", json={"text": HARBOUR_FIRE, "id": "taken"})
    assert_error(response, 409, "document_conflict")
    assert client.get("/v1/documents/taken").json()["text"] == SCHOOL_VOTE


def test_api_documents_delete(client: TestClient) -> None:
    text = "The museum of Kerrow reopened on Friday, its director said.\n"
    doc = client.post("/v1/documents", json={"text": text, "id": "kerrow"}).json()
    assert doc["claim_count"] >= 1
    response = client.delete("/v1/documents/kerrow")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(client.get("/v1/documents/kerrow"), 404, "document_not_found")
    assert_error(client.get("/v1/documents/kerrow/claims"), 404, "document_not_found")
    assert client.get("/v1/claims", params={"document_id": "kerrow"}).json()["count"] == 0
    hits = client.get("/v1/claims/search", params={"q": "the museum reopened", "k": 50}).json()
    assert all(h["claim"]["document_id"] != "kerrow" for h in hits["data"])
    assert_error(client.delete("/v1/documents/kerrow"), 404, "document_not_found")
    # The id can be used again once deleted.
    assert client.post("/v1/documents", json={"text": text, "id": "kerrow"}).status_code == 201


@pytest.mark.parametrize("bad_id", ["", "a/b", "-leading-dash", "x" * 201, "spaces here"])
def test_api_documents_invalid_id(client: TestClient, bad_id: str) -> None:
    response = client.post("/v1/documents", json={"text": SCHOOL_VOTE, "id": bad_id})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "id"]


def test_api_documents_failed_ingest_leaves_nothing(
    tmp_path: Path,
    extractor: Extractor,
    embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fault after extraction (here: the embedder) is a 500, and nothing is half-written."""
    with running_app(
        settings_for(tmp_path), extractor, embedder, raise_server_exceptions=False
    ) as c:

        def broken(texts: object) -> object:
            raise RuntimeError("embedding backend crashed")

        monkeypatch.setattr(embedder, "embed", broken)
        response = c.post("/v1/documents", json={"text": HARBOUR_FIRE, "id": "fire"})
        assert_error(response, 500, "internal_error")
        assert "crashed" not in response.text  # internals stay in the log
        monkeypatch.undo()
        assert_error(c.get("/v1/documents/fire"), 404, "document_not_found")
        assert c.get("/v1/claims").json() == {"data": [], "count": 0, "next_cursor": None}
        assert c.post("/v1/documents", json={"text": HARBOUR_FIRE, "id": "fire"}).status_code == 201
