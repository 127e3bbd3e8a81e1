"""Property-based robustness: schemathesis over the app's whole OpenAPI schema.

Every operation of `/openapi.json` gets generated requests, valid and invalid, sent in-process
(ASGI) to the real app with the real models over a fresh SQLite file. Every response must not be
a server error (5xx) and must match the status codes, content types and schemas the schema
declares. Two apps: one open (no API keys) and one with keys, driven with a right bearer token.

Deterministic for CI: Hypothesis is derandomized, without its example database, with a fixed
number of examples per operation and no deadline (extraction takes real time).

The app's lifespan (store, background model loading) runs in the fixture's own TestClient, which
waits for `/readyz`; schemathesis reaches the app through a wrapper that answers the lifespan
protocol itself, so schemathesis never restarts the app between operations (a restarted app
would answer 503 `not_ready` while its models reload). The cases come from the schema as a dict
(`from_dict`, checked against what the apps serve) rather than `schemathesis.pytest.from_fixture`,
whose lazy loading reads `Function._nodeid`, which pytest 9 no longer has.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from api_support import API_KEYS, running_app, settings_for
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from api.app import create_app
from api.settings import Settings
from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor

BEARER = f"Bearer {API_KEYS[1]}"
MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


class WithoutLifespan:
    """The app for requests only: lifespan events are acknowledged here and never reach it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


# The schema the cases are generated from, built without starting anything (no store, no
# models); `test_api_schemathesis_schema_is_served` checks the running apps serve the same one.
OPENAPI = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
SCHEMA = schemathesis.openapi.from_dict(OPENAPI)


@pytest.fixture(scope="module")
def open_app(
    tmp_path_factory: pytest.TempPathFactory,
    extractor: Extractor,
    embedder: SentenceTransformerEmbedder,
) -> Iterator[TestClient]:
    """An open app (no API keys), started and ready, over a fresh SQLite file."""
    settings = settings_for(tmp_path_factory.mktemp("st-open"))
    with running_app(settings, extractor, embedder) as client:
        yield client


@pytest.fixture(scope="module")
def keyed_app(
    tmp_path_factory: pytest.TempPathFactory,
    extractor: Extractor,
    embedder: SentenceTransformerEmbedder,
) -> Iterator[TestClient]:
    """An app with API keys, started and ready, over a fresh SQLite file."""
    settings = settings_for(tmp_path_factory.mktemp("st-keyed"), api_keys=API_KEYS)
    with running_app(settings, extractor, embedder) as client:
        yield client


def test_api_schemathesis_schema_is_served(open_app: TestClient, keyed_app: TestClient) -> None:
    assert open_app.get("/openapi.json").json() == OPENAPI
    assert keyed_app.get("/openapi.json").json() == OPENAPI


@SCHEMA.parametrize()
@HYPOTHESIS
def test_api_schemathesis_open(case: Case, open_app: TestClient) -> None:
    """No API keys configured: nothing needs a token."""
    case.call_and_validate(app=WithoutLifespan(open_app.app), checks=CHECKS)


@SCHEMA.parametrize()
@HYPOTHESIS
def test_api_schemathesis_keyed(case: Case, keyed_app: TestClient) -> None:
    """API keys configured: every request carries a right bearer token."""
    response = case.call_and_validate(
        app=WithoutLifespan(keyed_app.app), headers={"Authorization": BEARER}, checks=CHECKS
    )
    # Schemathesis drops the header in its own missing-auth cases; the right token always passes.
    if response.request.headers.get("Authorization") == BEARER:
        assert response.status_code not in (401, 403), response.text
