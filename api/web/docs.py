"""`/docs` (Swagger UI) and `/redoc` served offline.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a machine without internet they
are blank. The same pages are built here with FastAPI's own HTML helpers, pointed at the
Swagger UI and ReDoc bundles that the `fastapi-offline` package ships (only its asset folder is
used; its app factory is not), mounted under `DOCS_STATIC`. No font or favicon comes from
elsewhere either.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_STATIC = "/static/docs"
REDOC_JS = "/docs/redoc.standalone.js"
# ReDoc's bundle hard-codes the logo of its sidebar credit on Redocly's CDN; the bundle is served
# with that one URL replaced by an empty inline image, so the page makes no outside request.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
BLANK_LOGO = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"
# Belt and braces: the bundles reach for nothing else (ReDoc's sidebar logo excepted, which this
# blocks), and the browser is told so, so a future bundle cannot quietly load from a CDN.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)


def docs_static_files() -> StaticFiles:
    """The bundles of `fastapi-offline` (swagger-ui-bundle.js, swagger-ui.css,
    redoc.standalone.js, favicon.png), served as they are installed."""
    return StaticFiles(directory=_assets())


def _assets() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    return (
        (_assets() / "redoc.standalone.js")
        .read_bytes()
        .replace(REDOC_LOGO.encode(), BLANK_LOGO.encode())
    )


def _urls(request: Request) -> tuple[str, str, str]:
    """The root path (behind a proxy), the schema URL and the assets' prefix under it."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return root, f"{root}{request.app.openapi_url}", f"{root}{DOCS_STATIC}"


def _confined(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    _, openapi_url, static = _urls(request)
    return _confined(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{request.app.title} – Swagger UI",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon.png",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            swagger_ui_parameters=request.app.swagger_ui_parameters,
        )
    )


@router.get(OAUTH2_REDIRECT)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    root, openapi_url, static = _urls(request)
    return _confined(
        get_redoc_html(
            openapi_url=openapi_url,
            title=f"{request.app.title} – ReDoc",
            redoc_js_url=f"{root}{REDOC_JS}",
            redoc_favicon_url=f"{static}/favicon.png",
            with_google_fonts=False,
        )
    )


@router.get(REDOC_JS)
def redoc_bundle() -> Response:
    """ReDoc's bundle without its one CDN reference (see `REDOC_LOGO`)."""
    return Response(
        _redoc_bundle(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )
