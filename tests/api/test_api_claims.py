"""`GET /v1/claims` (filters, pagination) and `GET /v1/claims/search` over a small corpus."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import HARBOUR_FIRE, SCHOOL_VOTE, assert_error
from fastapi.testclient import TestClient

ORSK = (
    "Rescue teams evacuated some 1,200 residents from the town of Orsk on Sunday.\n"
    "Regional governor Marta Kolins said that nine shelters had been opened in schools.\n"
    "The flood agency denied that its sirens had failed.\n"
)


@pytest.fixture(scope="module")
def corpus(client: TestClient) -> dict[str, Any]:
    docs = {
        "fire": {"text": HARBOUR_FIRE, "outlet": "Example Wire", "published_at": "2025-03-04"},
        "school": {"text": SCHOOL_VOTE, "outlet": "Meridian Press", "published_at": "2025-03-10"},
        "orsk": {"text": ORSK, "outlet": "Example Wire", "published_at": "2025-06-01T18:00:00Z"},
    }
    created = {}
    for doc_id, body in docs.items():
        response = client.post("/v1/documents", json={"id": doc_id, **body})
        assert response.status_code == 201, response.text
        created[doc_id] = response.json()
    return created


def claims(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/claims", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_api_claims_all(client: TestClient, corpus: dict[str, Any]) -> None:
    total = sum(d["claim_count"] for d in corpus.values())
    body = claims(client)
    assert body["count"] == total
    assert len(body["data"]) == total


def test_api_claims_filters(client: TestClient, corpus: dict[str, Any]) -> None:
    varga = claims(client, claimant="ilse varga")
    assert varga["count"] >= 1
    assert {c["claimant"]["name"] for c in varga["data"]} == {"Ilse Varga"}
    wire = claims(client, outlet="Example Wire")
    assert wire["count"] == corpus["fire"]["claim_count"] + corpus["orsk"]["claim_count"]
    assert claims(client, document_id="school")["count"] == corpus["school"]["claim_count"]
    direct = claims(client, kind="direct")
    assert direct["count"] >= 1
    assert {c["kind"] for c in direct["data"]} == {"direct"}
    march = claims(client, since="2025-03-01T00:00:00", until="2025-03-31T23:59:59")
    assert march["count"] == corpus["fire"]["claim_count"] + corpus["school"]["claim_count"]
    assert (
        claims(client, since="2025-06-01T19:00:00+02:00")["count"]
        == (corpus["orsk"]["claim_count"])
    )
    assert claims(client, outlet="Example Wire", kind="unattributed", since="2025-05-01")[
        "data"
    ] == [c for c in claims(client, document_id="orsk")["data"] if c["kind"] == "unattributed"]
    assert claims(client, claimant="Nobody At All") == {"data": [], "count": 0, "next_cursor": None}


def test_api_claims_pagination(client: TestClient, corpus: dict[str, Any]) -> None:
    everything = claims(client, limit=200)["data"]
    pages = [claims(client, offset=offset, limit=3) for offset in range(0, len(everything), 3)]
    assert {p["count"] for p in pages} == {len(everything)}
    assert [c for p in pages for c in p["data"]] == everything
    assert claims(client, offset=len(everything), limit=3)["data"] == []


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 201}, ["query", "limit"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
        ({"kind": "rumour"}, ["query", "kind"]),
        ({"since": "last tuesday"}, ["query", "since"]),
    ],
)
def test_api_claims_bad_query(client: TestClient, params: dict[str, Any], loc: list[str]) -> None:
    response = client.get("/v1/claims", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_api_claims_search_finds_paraphrase(client: TestClient, corpus: dict[str, Any]) -> None:
    response = client.get(
        "/v1/claims/search", params={"q": "no one was in the building when the ceiling fell in"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "all-MiniLM-L6-v2"
    top = body["data"][0]
    assert top["claim"]["document_id"] == "fire"
    assert "Nobody was inside" in top["claim"]["content"]["text"]
    scores = [h["score"] for h in body["data"]]
    assert scores == sorted(scores, reverse=True)
    assert -1.0 <= scores[-1] <= scores[0] <= 1.0


def test_api_claims_search_k(client: TestClient, corpus: dict[str, Any]) -> None:
    body = client.get("/v1/claims/search", params={"q": "schools closing", "k": 2}).json()
    assert body["count"] == len(body["data"]) == 2
    assert body["data"][0]["claim"]["document_id"] == "school"


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x", "k": 0}, {"q": "x", "k": 101}])
def test_api_claims_search_bad_query(client: TestClient, params: dict[str, Any]) -> None:
    assert client.get("/v1/claims/search", params=params).status_code == 422


def test_api_claims_search_k_not_an_integer(client: TestClient) -> None:
    assert_error(client.get("/v1/claims/search", params={"q": "x", "k": "ten"}), 422, "int_parsing")
