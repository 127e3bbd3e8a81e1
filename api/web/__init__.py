"""The web pages of `claims serve`: fact-checkers' views of the store, and offline API docs.

`create_app` includes `router` (the pages), `compare_router` ("Compare now"), `docs_router`
(`/docs`, `/redoc`) and mounts `static_files()` at `STATIC` (this package's own CSS) and
`docs_static_files()` at `DOCS_STATIC` (the Swagger UI and ReDoc bundles). Every asset is
served by the app itself, so the pages work on a machine without internet.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.staticfiles import StaticFiles

from api.web.compare import router as compare_router
from api.web.docs import DOCS_STATIC, docs_static_files
from api.web.docs import router as docs_router
from api.web.pages import router

STATIC = "/static/web"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


__all__ = [
    "DOCS_STATIC",
    "STATIC",
    "compare_router",
    "docs_router",
    "docs_static_files",
    "router",
    "static_files",
]
