"""Request-body checks that must happen before FastAPI parses anything.

A pure ASGI middleware (not `BaseHTTPMiddleware`), so it can refuse an oversized body without
ever holding more than `max_body_bytes + 1` bytes of it, whatever Content-Length claims, and hand
the body it read on to the app.

An oversized body is read to its end and thrown away before the 413 is sent (up to
`DRAIN_LIMIT` bytes). Why: a server that answers and closes while the client is still sending
leaves unread data in the socket, the kernel answers it with a reset, and clients that send the
whole body before reading (Python's urllib and requests) see "connection reset" instead of the
coded 413. A client that sent `Expect: 100-continue` (curl) is answered at once: it has not sent
the body and will not.

On the JSON API (`/v1/...`) it also refuses bodies that are not UTF-8 JSON with a coded 415,
because the JSON parser would otherwise fail on them with an uncoded 400; the web pages' forms
(`/compare`) post urlencoded bodies and are only size-limited.
"""

from __future__ import annotations

import codecs
import email.message

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# The most an oversized request is read (and discarded) so its client can read the 413.
DRAIN_LIMIT = 64 * 1024 * 1024
# UTF-32 first: its little-endian BOM starts with UTF-16's.
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            waiting = headers.get("expect", "").lower() == "100-continue"
            drain = not waiting and int(declared) <= DRAIN_LIMIT
            if drain and not await _drain(receive, 0):
                return  # the client went away
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                more = message.get("more_body", False)
                if more and not await _drain(receive, size):
                    return
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and scope["path"].startswith("/v1/"):  # the JSON API; web forms are urlencoded
            problem = _json_problem(headers.get("content-type"), body)
            if problem is not None:
                code, msg = problem
                await error_response(415, code, msg, ["body"])(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "body_too_large",
            f"request body is larger than {self.max_body_bytes} bytes",
            ["body"],
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


async def _drain(receive: Receive, size: int) -> bool:
    """Read the rest of the body and drop it, up to `DRAIN_LIMIT` bytes in all; False when the
    client disconnected first."""
    while size <= DRAIN_LIMIT:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return True  # past the limit: answer anyway and let the connection close


def _json_problem(content_type: str | None, body: bytes) -> tuple[str, str] | None:
    """`(code, message)` when the body is not UTF-8 JSON, else None."""
    if content_type is None:
        return ("unsupported_media_type", "missing Content-Type; send application/json")
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    if message.get_content_maintype() != "application" or not (
        subtype == "json" or subtype.endswith("+json")
    ):
        return ("unsupported_media_type", f"expected application/json, got {content_type!r}")
    charset = message.get_content_charset()
    if charset is not None and charset.lower().replace("_", "-") not in {"utf-8", "utf8"}:
        return ("not_utf8", f"JSON bodies must be UTF-8, got charset {charset!r}")
    if body.startswith(_WIDE_BOMS):
        return ("not_utf8", "the body is UTF-16 or UTF-32; JSON bodies must be UTF-8")
    if b"\x00" in body:
        return ("binary_input", "the body contains NUL bytes; expected UTF-8 JSON text")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ("not_utf8", f"the body is not valid UTF-8 (byte {exc.start})")
    return None
