"""The application factory: `create_app(settings)` builds a fresh, independent app.

Nothing is built at import time. The lifespan opens the store, then loads the models in a worker
thread, so the process is alive (`/healthz`) at once and ready (`/readyz`) once both models are
warm; endpoints that need a model answer 503 `not_ready` until then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.feeds import FeedPoller
from api.middleware import BodyLimitMiddleware
from api.routes import api_router, health
from api.settings import Settings, get_settings
from api.state import AppState, default_components
from api.web import (
    DOCS_STATIC,
    STATIC,
    compare_router,
    docs_router,
    docs_static_files,
    static_files,
)
from api.web import router as web_router
from api.webhooks import Dispatcher
from claims.comparison.embed import Embedder
from claims.extraction.extract import Extractor
from claims.store import open_store

logger = logging.getLogger("api")

DESCRIPTION = """Attributed claims from news reports: who said what, stored and searchable.

Errors always have the body `{"detail": [{"type": <code>, "msg": ..., "loc": [...]}]}`.
When API keys are configured, write endpoints need `Authorization: Bearer <key>`.
"""

TAGS = [
    {"name": "extract", "description": "Stateless extraction, the twin of `claims extract`."},
    {"name": "documents", "description": "Ingest, read and delete stored reports."},
    {"name": "claims", "description": "Filter and search the stored claims."},
    {"name": "compare", "description": "Stateless comparison, the twin of `claims compare`."},
    {
        "name": "incidents",
        "description": "Stored reports grouped into incidents, kept up to date on every write.",
    },
    {
        "name": "changes",
        "description": "Every incident change in order, for pollers (`since` cursor) and webhooks.",
    },
    {
        "name": "feeds",
        "description": "RSS/Atom subscriptions: new articles are fetched and ingested.",
    },
    {
        "name": "webhooks",
        "description": "Signed pushes of the same changes (Standard Webhooks), with retries.",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
]


def create_app(
    settings: Settings | None = None,
    *,
    extractor: Extractor | None = None,
    embedder: Embedder | None = None,
) -> FastAPI:
    """Build the app. `extractor`/`embedder` let tests and batch hosts share loaded models;
    by default they are built from `settings` (and loaded at startup)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ext, emb = extractor, embedder
        if ext is None or emb is None:
            default_ext, default_emb = default_components(settings)
            ext = default_ext if ext is None else ext
            emb = default_emb if emb is None else emb
        state = AppState(
            settings=settings, store=open_store(settings.database_url), extractor=ext, embedder=emb
        )
        app.state.claims = state
        loading = asyncio.create_task(asyncio.to_thread(state.load_models))
        dispatcher = None
        if settings.webhook_delivery:
            dispatcher = Dispatcher(
                state.store,
                retry_delays=settings.webhook_retry_delays,
                poll_seconds=settings.webhook_poll_seconds,
                timeout_seconds=settings.webhook_timeout_seconds,
            )
            dispatcher.start()
        poller = FeedPoller(state, poll_seconds=settings.feed_poll_seconds)
        app.state.feed_poller = poller
        if settings.feed_polling:
            poller.start()
        try:
            yield
        finally:
            await asyncio.to_thread(poller.stop)
            if dispatcher is not None:
                await asyncio.to_thread(dispatcher.stop)
            if not loading.done():
                # A thread cannot be interrupted; wait for it so the store outlives its users.
                with contextlib.suppress(Exception):
                    await loading
            state.store.close()

    app = FastAPI(
        title="claims",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served offline by api.web.docs_router instead of from a CDN
        redoc_url=None,
    )
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(api_router)
    app.include_router(docs_router)
    app.include_router(web_router)
    app.include_router(compare_router)
    app.mount(DOCS_STATIC, docs_static_files(), name="docs-static")
    app.mount(STATIC, static_files(), name="web-static")
    return app
