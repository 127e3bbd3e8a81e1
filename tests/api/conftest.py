"""Fixtures for the API tests: the real models, loaded once per session, and real apps.

Each test module gets its own app over its own SQLite file (module-scoped), driven through
FastAPI's TestClient, which runs the lifespan like a server would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import running_app, settings_for
from fastapi.testclient import TestClient

from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real all-MiniLM-L6-v2 embedder, one torch thread (see tests/test_embed.py)."""
    emb = SentenceTransformerEmbedder(threads=1)
    emb.warm_up()
    return emb


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory,
    extractor: Extractor,
    embedder: SentenceTransformerEmbedder,
) -> Iterator[TestClient]:
    """An open app (no API keys) over this module's own SQLite file."""
    settings = settings_for(tmp_path_factory.mktemp("api"))
    with running_app(settings, extractor, embedder) as c:
        yield c
