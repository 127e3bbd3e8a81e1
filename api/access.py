"""Who may call an endpoint, and how often: API-key scopes and rate limits, one dependency.

Every `/v1` route declares what it costs the server (`READ`, `COMPUTE`, `WRITE`), and
`access(kind)` checks, in order:

1. **Keys.** `CLAIMS_API_KEYS` hold the write scope (everything), `CLAIMS_READ_API_KEYS` the read
   scope (reads and the stateless endpoints, never a write). Which endpoints need a key at all is
   `CLAIMS_REQUIRE_KEYS_FOR`: `writes` (default: ingest and delete), `compute` (also extract,
   compare and search, which run the models), or `all`. No key where one is needed is 401
   `not_authenticated`, a key that matches none is 403 `invalid_api_key`, a read key on a write
   is 403 `insufficient_scope`. A key given where none is needed is still checked, so a client
   learns early that its key is wrong, and so it is rate-limited as that key.
2. **Rate limits** (the `limits` library, moving window): a request with a valid key counts
   against that key (`CLAIMS_RATE_LIMIT_KEY`), any other against the client's address
   (`CLAIMS_RATE_LIMIT_ANONYMOUS`; behind a proxy uvicorn takes it from X-Forwarded-For). Limits
   are in cost units per window: a read costs 1, a model run 10, so an anonymous client cannot
   keep the parser busy and starve key holders. Over the limit: 429 `rate_limited` with
   `Retry-After`; every limited response carries `RateLimit-Limit` and `RateLimit-Remaining`.

The counters live in `CLAIMS_RATE_LIMIT_STORAGE` (a `limits` storage URI). The default
`memory://` counts per server process: with `claims serve --workers N` a client gets up to N times
the limit; point every worker at one Redis or Memcached (`redis://host:6379`) to share counters.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.errors import (
    InsufficientScopeError,
    InvalidAPIKeyError,
    NotAuthenticatedError,
    RateLimitedError,
)
from api.settings import Settings


class Kind(StrEnum):
    READ = "read"  # reads of the store: cheap
    COMPUTE = "compute"  # stateless model runs: extract, compare, search
    WRITE = "write"  # ingest and delete: model runs that change the store


COST = {Kind.READ: 1, Kind.COMPUTE: 10, Kind.WRITE: 10}

# Which kinds need a key, per CLAIMS_REQUIRE_KEYS_FOR.
_NEEDS_KEY = {
    "writes": {Kind.WRITE},
    "compute": {Kind.WRITE, Kind.COMPUTE},
    "all": {Kind.WRITE, Kind.COMPUTE, Kind.READ},
}

_bearer = HTTPBearer(
    auto_error=False,
    description="A key from CLAIMS_API_KEYS (write scope) or CLAIMS_READ_API_KEYS (read scope).",
)


class RateLimiter:
    """The app's limiter: parsed limits and one storage, built once per app."""

    def __init__(self, settings: Settings) -> None:
        self.anonymous = _limit(settings.rate_limit_anonymous)
        self.per_key = _limit(settings.rate_limit_key)
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))

    def hit(self, item: RateLimitItem, identity: str, cost: int, response: Response) -> None:
        """Count `cost` against `identity`, or raise `RateLimitedError` (nothing counted)."""
        allowed = self._limiter.hit(item, identity, cost=cost)
        stats = self._limiter.get_window_stats(item, identity)
        response.headers["RateLimit-Limit"] = str(item.amount)
        response.headers["RateLimit-Remaining"] = str(max(stats.remaining, 0))
        if not allowed:
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimitedError(
                f"rate limit of {item.amount} per {item.multiples} {item.GRANULARITY.name} "
                f"exceeded (this request costs {cost}); retry in {retry} s",
                retry_after=retry,
                limit=item.amount,
            )


def _limit(text: str | None) -> RateLimitItem | None:
    return parse(text) if text else None


@lru_cache(maxsize=32)
def _key_id(key: str) -> str:
    """The counter name of a key: a hash, so keys never sit in the limiter's storage."""
    return "key:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def scope_of(given: str, settings: Settings) -> str | None:
    """`"write"`, `"read"` or None. Every key is compared in constant time, so timing reveals
    neither a key nor its position."""
    raw = given.encode("utf-8", "surrogateescape")
    write = [hmac.compare_digest(raw, k.encode("utf-8")) for k in settings.api_keys]
    read = [hmac.compare_digest(raw, k.encode("utf-8")) for k in settings.read_api_keys]
    if any(write):
        return "write"
    if any(read):
        return "read"
    return None


def access(kind: Kind) -> Callable[..., None]:
    """The dependency a route of this kind declares (see the module doc)."""
    cost = COST[kind]

    def check(
        request: Request,
        response: Response,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        state = request.app.state.claims
        settings: Settings = state.settings
        configured = bool(settings.api_keys or settings.read_api_keys)
        needed = configured and kind in _NEEDS_KEY[settings.require_keys_for]
        key: str | None = None
        if credentials is not None and configured:
            scope = scope_of(credentials.credentials, settings)
            if scope is None:
                raise InvalidAPIKeyError("the API key is not valid")
            if kind is Kind.WRITE and scope != "write":
                raise InsufficientScopeError("this endpoint needs a key with the write scope")
            key = credentials.credentials
        elif needed:
            raise NotAuthenticatedError("this endpoint needs `Authorization: Bearer <api key>`")
        charge(request, response, key, cost)

    return check


def charge(request: Request, response: Response, key: str | None, cost: int) -> None:
    """Count `cost` against a valid `key`, or against the client's address without one;
    raises `RateLimitedError` when over the limit. Routes get this through `access`; the web
    form that stores reports (its key comes in the form) calls it directly."""
    limiter: RateLimiter = request.app.state.claims.rate_limiter
    if key is not None:
        item, identity = limiter.per_key, _key_id(key)
    else:
        host = request.client.host if request.client is not None else "unknown"
        item, identity = limiter.anonymous, "addr:" + host
    if item is not None:
        limiter.hit(item, identity, cost, response)


Read = Depends(access(Kind.READ))
Compute = Depends(access(Kind.COMPUTE))
Write = Depends(access(Kind.WRITE))
