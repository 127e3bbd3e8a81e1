"""Key scopes, which endpoints need a key, and rate limits (api/access.py), on real apps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import API_KEYS, SCHOOL_VOTE, assert_error, running_app, settings_for
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.settings import Settings
from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor

READ_KEY = "key-reader"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def models(extractor: Extractor, embedder: SentenceTransformerEmbedder) -> tuple[Any, Any]:
    return extractor, embedder


def app_with(directory: Path, models: tuple[Any, Any], **settings: Any) -> Iterator[TestClient]:
    with running_app(settings_for(directory, **settings), *models) as client:
        yield client


@pytest.fixture(scope="module")
def scoped(
    tmp_path_factory: pytest.TempPathFactory, models: tuple[Any, Any]
) -> Iterator[TestClient]:
    """Keys of both scopes; only writes need one (the default)."""
    yield from app_with(
        tmp_path_factory.mktemp("scoped"), models, api_keys=API_KEYS, read_api_keys=[READ_KEY]
    )


def test_api_access_read_key_reads_but_cannot_write(scoped: TestClient) -> None:
    assert scoped.get("/v1/claims", headers=bearer(READ_KEY)).status_code == 200
    assert (
        scoped.post("/v1/extract", json={"text": SCHOOL_VOTE}, headers=bearer(READ_KEY)).status_code
        == 200
    )
    response = scoped.post("/v1/documents", json={"text": SCHOOL_VOTE}, headers=bearer(READ_KEY))
    assert_error(response, 403, "insufficient_scope")
    assert scoped.get("/v1/claims").json()["count"] == 0  # nothing was written
    assert_error(
        scoped.delete("/v1/documents/any", headers=bearer(READ_KEY)), 403, "insufficient_scope"
    )


def test_api_access_write_key_writes(scoped: TestClient) -> None:
    response = scoped.post(
        "/v1/documents", json={"text": SCHOOL_VOTE, "id": "vote"}, headers=bearer(API_KEYS[1])
    )
    assert response.status_code == 201, response.text
    assert scoped.delete("/v1/documents/vote", headers=bearer(API_KEYS[1])).status_code == 204


def test_api_access_wrong_key_is_refused_even_where_none_is_needed(scoped: TestClient) -> None:
    """A client with a mistyped key learns it at once, not at its first write."""
    assert_error(scoped.get("/v1/claims", headers=bearer("nope")), 403, "invalid_api_key")
    assert scoped.get("/v1/claims").status_code == 200


@pytest.mark.parametrize(
    ("required", "open_", "closed"),
    [
        ("compute", ["/v1/claims", "/v1/incidents"], ["/v1/claims/search?q=schools"]),
        ("all", [], ["/v1/claims", "/v1/incidents", "/v1/claims/search?q=schools"]),
    ],
)
def test_api_access_require_keys_for(
    tmp_path: Path,
    models: tuple[Any, Any],
    required: str,
    open_: list[str],
    closed: list[str],
) -> None:
    for client in app_with(
        tmp_path, models, api_keys=API_KEYS, read_api_keys=[READ_KEY], require_keys_for=required
    ):
        for path in open_:
            assert client.get(path).status_code == 200, path
        for path in closed:
            assert_error(client.get(path), 401, "not_authenticated")
            assert client.get(path, headers=bearer(READ_KEY)).status_code == 200, path
        # The stateless model runs need a key under both settings; a read key is enough.
        assert_error(
            client.post("/v1/extract", json={"text": SCHOOL_VOTE}), 401, "not_authenticated"
        )
        ok = client.post("/v1/extract", json={"text": SCHOOL_VOTE}, headers=bearer(READ_KEY))
        assert ok.status_code == 200
        assert client.get("/healthz").status_code == 200  # probes never need a key


def test_api_access_anonymous_rate_limit_is_per_address(
    tmp_path: Path, models: tuple[Any, Any]
) -> None:
    for client in app_with(
        tmp_path,
        models,
        api_keys=API_KEYS,
        rate_limit_anonymous="3/minute",
        rate_limit_key="100/minute",
    ):
        remaining = [client.get("/v1/claims").headers["ratelimit-remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        response = client.get("/v1/claims")
        assert_error(response, 429, "rate_limited")
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert response.headers["ratelimit-limit"] == "3"
        # Key holders count against their own key, so one busy anonymous client cannot starve them.
        keyed = client.get("/v1/claims", headers=bearer(API_KEYS[0]))
        assert keyed.status_code == 200
        assert keyed.headers["ratelimit-limit"] == "100"
        # Another address has its own budget.
        with TestClient(client.app, client=("198.51.100.7", 40000)) as other:
            assert other.get("/v1/claims").status_code == 200


def test_api_access_model_runs_cost_more_than_reads(
    tmp_path: Path, models: tuple[Any, Any]
) -> None:
    """A read costs 1 and a model run 10, so a 25-unit budget allows two extractions."""
    for client in app_with(tmp_path, models, rate_limit_anonymous="25/minute"):
        codes = [
            client.post("/v1/extract", json={"text": SCHOOL_VOTE}).status_code for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        assert client.get("/v1/claims").status_code == 200  # 5 units are left for reads


def test_api_access_each_key_has_its_own_budget(tmp_path: Path, models: tuple[Any, Any]) -> None:
    for client in app_with(tmp_path, models, api_keys=API_KEYS, rate_limit_key="2/minute"):
        for _ in range(2):
            assert client.get("/v1/claims", headers=bearer(API_KEYS[0])).status_code == 200
        assert_error(client.get("/v1/claims", headers=bearer(API_KEYS[0])), 429, "rate_limited")
        assert client.get("/v1/claims", headers=bearer(API_KEYS[1])).status_code == 200


@pytest.mark.parametrize("bad", ["lots", "10/fortnight", "-3/minute"])
def test_api_access_malformed_limit_fails_at_startup(bad: str) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, rate_limit_anonymous=bad)


def test_api_access_limits_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_READ_API_KEYS", "r1, r2")
    monkeypatch.setenv("CLAIMS_RATE_LIMIT_ANONYMOUS", "10/second;600/hour")
    monkeypatch.setenv("CLAIMS_REQUIRE_KEYS_FOR", "compute")
    settings = Settings(_env_file=None)
    assert settings.read_api_keys == ["r1", "r2"]
    assert settings.rate_limit_anonymous == "10/second;600/hour"
    assert settings.require_keys_for == "compute"
    assert "r1" not in repr(settings)
