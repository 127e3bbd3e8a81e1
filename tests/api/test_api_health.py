"""Liveness, readiness while the models load, and the OpenAPI document."""

from __future__ import annotations

import threading
from pathlib import Path

from api_support import assert_error, running_app, settings_for
from fastapi.testclient import TestClient

from claims.comparison.embed import SentenceTransformerEmbedder
from claims.errors import ModelNotAvailableError
from claims.extraction.extract import Extractor


class SlowExtractor(Extractor):
    """Blocks in `warm_up()` until released, so a test can look at the app mid-load."""

    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.release = release

    def warm_up(self) -> None:
        self.release.wait(timeout=60)


class BrokenExtractor(Extractor):
    def warm_up(self) -> None:
        raise ModelNotAvailableError("spaCy model 'nope' is not installed")


def test_api_health_live_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_api_health_not_ready_while_loading(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    release = threading.Event()
    with running_app(settings_for(tmp_path), SlowExtractor(release), embedder, ready=False) as c:
        try:
            assert c.get("/healthz").status_code == 200
            assert_error(c.get("/readyz"), 503, "not_ready")
            response = c.post("/v1/extract", json={"text": "The mayor said the bridge is safe."})
            assert_error(response, 503, "not_ready")
            assert response.headers["retry-after"]
            # Reads of the store do not need the models.
            assert c.get("/v1/claims").json() == {"data": [], "count": 0, "next_cursor": None}
        finally:
            release.set()


def test_api_health_model_missing_is_503(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    with running_app(settings_for(tmp_path), BrokenExtractor(), embedder, ready=False) as c:
        for _ in range(500):
            if c.get("/readyz").json()["detail"][0]["type"] != "not_ready":
                break
        assert c.get("/healthz").status_code == 200
        assert_error(c.get("/readyz"), 503, "model_not_available")
        assert_error(c.post("/v1/extract", json={"text": "A b c d."}), 503, "model_not_available")


def test_api_health_unknown_route_has_error_shape(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    assert_error(client.put("/v1/extract", json={}), 405, "method_not_allowed")


def test_api_openapi_documents_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/v1/extract", "post"),
        ("/v1/documents", "post"),
        ("/v1/documents/{document_id}", "get"),
        ("/v1/documents/{document_id}", "delete"),
        ("/v1/documents/{document_id}/claims", "get"),
        ("/v1/claims", "get"),
        ("/v1/claims/search", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        operation = paths[path][method]
        assert operation["summary"], (path, method)
        assert operation["tags"], (path, method)
    schemas = spec["components"]["schemas"]
    assert schemas["ExtractRequest"]["examples"][0]["text"].startswith("Rescue teams")
    assert "id" in schemas["DocumentCreate"]["examples"][0]
    assert {t["name"] for t in spec["tags"]} >= {"extract", "documents", "claims", "health"}
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
