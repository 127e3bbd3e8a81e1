"""`POST /v1/compare`: the stateless twin of `claims compare`, with its limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_support import (
    FERRY,
    TARSA,
    TARSA_FIXTURE,
    assert_error,
    incidents_by_members,
    running_app,
    settings_for,
    tarsa_reports,
)
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from claims.cli import app as cli_app
from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor


@pytest.fixture(scope="module")
def compared(client: TestClient) -> dict[str, Any]:
    response = client.post("/v1/compare", json={"documents": tarsa_reports()})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_api_compare_prints_what_the_cli_prints(compared: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli_app, ["compare", str(TARSA_FIXTURE), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert compared == json.loads(result.stdout)


def test_api_compare_groups_like_the_stored_incidents(
    client: TestClient, compared: dict[str, Any]
) -> None:
    groups = [i["document_ids"] for i in compared["incidents"]]
    assert groups == [TARSA, [FERRY]]
    assignment = {d["id"]: d["incident"] for d in compared["documents"]}
    assert {assignment[d] for d in TARSA} == {compared["incidents"][0]["id"]}
    # Stateless: nothing was stored.
    assert client.get("/v1/incidents").json() == {"data": [], "count": 0, "next_cursor": None}
    # Ingesting the same reports one by one builds the same incidents. Only the ids differ: a
    # stored incident keeps the id it got from its first report as others join it.
    for report in tarsa_reports():
        assert client.post("/v1/documents", json=report).status_code == 201
    stored = incidents_by_members(client)
    assert set(stored) == {frozenset(g) for g in groups}
    for incident in compared["incidents"]:
        stored_id = stored[frozenset(incident["document_ids"])]["id"]
        detail = client.get(f"/v1/incidents/{stored_id}").json()
        detail.pop("sources")
        assert detail == {**incident, "id": stored_id}


def test_api_compare_too_many_documents_is_413(
    tmp_path: Path, extractor: Extractor, embedder: SentenceTransformerEmbedder
) -> None:
    settings = settings_for(tmp_path, max_documents_per_request=2)
    with running_app(settings, extractor, embedder) as c:
        response = c.post("/v1/compare", json={"documents": tarsa_reports()[:3]})
        error = assert_error(response, 413, "too_many_documents")
        assert error["loc"] == ["body", "documents"]
        assert c.post("/v1/compare", json={"documents": tarsa_reports()[:2]}).status_code == 200


@pytest.mark.parametrize(
    ("documents", "status", "code", "loc"),
    [
        ([], 422, "too_short", ["body", "documents"]),
        (
            [{"text": "The mayor said the bridge is safe."}, {"text": " "}],
            422,
            "empty_input",
            ["body", "documents", 1, "text"],
        ),
        (
            [{"id": "a", "text": "The mayor said it."}, {"id": "a", "text": "Police said so."}],
            422,
            "duplicate_id",
            ["body", "documents", 1, "id"],
        ),
        (
            [{"text": "The mayor said it.", "colour": "red"}],
            422,
            "extra_forbidden",
            ["body", "documents", 0, "colour"],
        ),
    ],
)
def test_api_compare_invalid_documents(
    client: TestClient, documents: list[Any], status: int, code: str, loc: list[Any]
) -> None:
    error = assert_error(client.post("/v1/compare", json={"documents": documents}), status, code)
    assert error["loc"] == loc


def test_api_compare_text_over_limit_is_413(
    tmp_path: Path, extractor: Extractor, embedder: SentenceTransformerEmbedder
) -> None:
    with running_app(settings_for(tmp_path, max_text_chars=50), extractor, embedder) as c:
        documents = [{"text": "The mayor said the bridge is safe."}, {"text": "x " * 40}]
        error = assert_error(
            c.post("/v1/compare", json={"documents": documents}), 413, "input_too_large"
        )
        assert error["loc"] == ["body", "documents", 1, "text"]


def test_api_compare_mixed_time_zones(client: TestClient) -> None:
    """Naive and zone-aware publication times in one request are compared as UTC."""
    reports = tarsa_reports()
    reports[0]["published_at"] += "+00:00"
    response = client.post("/v1/compare", json={"documents": reports})
    assert response.status_code == 200, response.text
    assert [i["document_ids"] for i in response.json()["incidents"]] == [TARSA, [FERRY]]
