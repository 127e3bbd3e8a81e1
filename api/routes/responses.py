"""Documented error responses, shared by the routes' OpenAPI entries."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorItem(BaseModel):
    type: str
    msg: str
    loc: list[str | int]


class ErrorBody(BaseModel):
    detail: list[ErrorItem]


def error_doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


INPUT_ERRORS: dict[int | str, dict[str, Any]] = {
    413: error_doc("Body over max_body_bytes (`body_too_large`) or text over max_text_chars"),
    415: error_doc("Body not UTF-8 JSON (`unsupported_media_type`, `not_utf8`, `binary_input`)"),
    422: error_doc("Invalid request (`empty_input`, FastAPI validation codes)"),
    503: error_doc("Models still loading (`not_ready`) or not installed"),
}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: error_doc("No API key where one is required (`not_authenticated`)"),
    403: error_doc(
        "Wrong API key (`invalid_api_key`) or a read key on a write (`insufficient_scope`)"
    ),
    429: error_doc("Over the rate limit (`rate_limited`); see `Retry-After`"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error_doc("No such document")}
