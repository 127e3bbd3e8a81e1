"""One mapping from the library's error tree to HTTP, and one error body for every failure.

Every error response, ours or FastAPI's own validation errors, has the body
`{"detail": [{"type": <code>, "msg": ..., "loc": [...]}]}`, so clients parse one shape. Statuses
are looked up along the exception's class hierarchy, so a new subclass inherits its parent's status.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from claims.errors import (
    BinaryInputError,
    ClaimsError,
    EmptyInputError,
    EncodingError,
    InputError,
    InputTooLargeError,
    ModelNotAvailableError,
)
from claims.store import DocumentConflictError, DocumentNotFoundError
from claims.store.changes import WebhookNotFoundError
from claims.store.feeds import FeedNotFoundError

logger = logging.getLogger("api")

Loc = Sequence[str | int]


class NotAuthenticatedError(ClaimsError):
    code = "not_authenticated"


class InvalidAPIKeyError(ClaimsError):
    code = "invalid_api_key"


class InsufficientScopeError(ClaimsError):
    """A read-scope key on an endpoint that writes."""

    code = "insufficient_scope"


class RateLimitedError(ClaimsError):
    """Over the rate limit of this key or client address; `retry_after` is in seconds."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, limit: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.limit = limit


class FeedBusyError(ClaimsError):
    """Another worker is polling the feed right now."""

    code = "feed_busy"


class NotReadyError(ClaimsError):
    """The models are still loading (or failed to load); the caller may retry later."""

    code = "not_ready"


class RequestTooLargeError(ClaimsError):
    code = "body_too_large"


class TooManyDocumentsError(InputTooLargeError):
    """More documents in one request than `max_documents_per_request`: comparing costs grows with
    the square of the documents, so the limit is on their number, not only on the body size."""

    code = "too_many_documents"


class DuplicateDocumentIdError(InputError):
    """Two documents of one request share an id; results are keyed by id, so it must be unique."""

    code = "duplicate_id"


class InvalidCursorError(InputError):
    code = "invalid_cursor"


class IncidentNotFoundError(ClaimsError):
    """No stored incident has this id (ids change when an incident gains or loses documents)."""

    code = "incident_not_found"


class UnsupportedMediaTypeError(ClaimsError):
    code = "unsupported_media_type"


STATUS_BY_ERROR: dict[type[ClaimsError], int] = {
    InputError: 422,
    EmptyInputError: 422,
    BinaryInputError: 415,
    EncodingError: 415,
    UnsupportedMediaTypeError: 415,
    InputTooLargeError: 413,
    RequestTooLargeError: 413,
    DocumentNotFoundError: 404,
    IncidentNotFoundError: 404,
    WebhookNotFoundError: 404,
    FeedNotFoundError: 404,
    DocumentConflictError: 409,
    FeedBusyError: 409,
    NotAuthenticatedError: 401,
    InvalidAPIKeyError: 403,
    InsufficientScopeError: 403,
    RateLimitedError: 429,
    ModelNotAvailableError: 503,
    NotReadyError: 503,
}

E = TypeVar("E", bound=ClaimsError)


def at(loc: Loc, exc: E) -> E:
    """Record where in the request the error is (the `loc` of the error body)."""
    exc.__dict__["loc"] = list(loc)
    return exc


def status_for(exc: ClaimsError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_body(code: str, msg: str, loc: Loc = ()) -> dict[str, Any]:
    return {"detail": [{"type": code, "msg": msg, "loc": list(loc)}]}


def error_response(
    status: int, code: str, msg: str, loc: Loc = (), headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, msg, loc), status_code=status, headers=headers)


def claims_error_response(exc: ClaimsError) -> JSONResponse:
    status = status_for(exc)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 503:
        headers["Retry-After"] = "5"
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
        headers["RateLimit-Limit"] = str(exc.limit)
        headers["RateLimit-Remaining"] = "0"
    if status >= 500 and not isinstance(exc, NotReadyError):
        logger.error("%s: %s", exc.code, exc)
    return error_response(status, exc.code, str(exc), exc.__dict__.get("loc", ()), headers)


async def _claims_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClaimsError)
    return claims_error_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 without `input`/`ctx`: echoing a 200 kB text back helps nobody."""
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"type": e.get("type", "invalid"), "msg": str(e.get("msg", "")), "loc": list(e["loc"])}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown route, wrong method) in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = "error"
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    msg = exc.detail if isinstance(exc.detail, str) else phrase
    return error_response(exc.status_code, code, msg, (), dict(exc.headers or {}))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ClaimsError, _claims_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
