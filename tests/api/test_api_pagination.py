"""Cursor pagination (`{data, next_cursor}`) on the list endpoints."""

from __future__ import annotations

from typing import Any

from api_support import HARBOUR_FIRE, SCHOOL_VOTE, assert_error
from fastapi.testclient import TestClient


def walk(client: TestClient, path: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        page = client.get(path, params=params).json()
        items.extend(page["data"])
        if page["next_cursor"] is None:
            return items
        params = {"limit": limit, "cursor": page["next_cursor"]}


def test_api_pagination_cursor_walks_every_item_once(client: TestClient) -> None:
    for doc_id, text in (("vote", SCHOOL_VOTE), ("fire", HARBOUR_FIRE)):
        assert client.post("/v1/documents", json={"id": doc_id, "text": text}).status_code == 201
    everything = client.get("/v1/claims", params={"limit": 200}).json()
    assert everything["next_cursor"] is None
    assert everything["count"] >= 4
    assert walk(client, "/v1/claims", 2) == everything["data"]
    incidents = client.get("/v1/incidents", params={"limit": 200}).json()["data"]
    assert walk(client, "/v1/incidents", 1) == incidents
    assert len(incidents) == 2


def test_api_pagination_foreign_cursor_is_a_coded_422(client: TestClient) -> None:
    for path in ("/v1/claims", "/v1/incidents"):
        # not UTF-8 after base64; "x:5"; "o:-1"; an offset past the ceiling
        for cursor in ("nonsense", "eDo1", "bzotMQ", "bzo5OTk5OTk5OTk5OQ"):
            assert_error(client.get(path, params={"cursor": cursor}), 422, "invalid_cursor")
