"""The `/v1` routers, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    changes,
    claims,
    compare,
    documents,
    extract,
    feeds,
    health,
    incidents,
    webhooks,
)

api_router = APIRouter(prefix="/v1")
api_router.include_router(extract.router)
api_router.include_router(documents.router)
api_router.include_router(claims.router)
api_router.include_router(compare.router)
api_router.include_router(incidents.router)
api_router.include_router(changes.router)
api_router.include_router(webhooks.router)
api_router.include_router(feeds.router)

__all__ = ["api_router", "health"]
