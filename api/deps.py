"""`Annotated` dependency aliases the routes declare (full-stack-fastapi-template style).

Everything comes from the app's state, set up by `create_app`, so two apps in one process (tests)
never share settings or stores; tests can still swap any of them with `dependency_overrides`.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import InvalidAPIKeyError, NotAuthenticatedError
from api.settings import Settings
from api.state import AppState, SerialComparer, SerialExtractor
from claims.comparison.embed import Embedder
from claims.store import ClaimStore


def get_state(request: Request) -> AppState:
    state = request.app.state.claims
    assert isinstance(state, AppState)
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_app_settings(state: StateDep) -> Settings:
    return state.settings


def get_store(state: StateDep) -> ClaimStore:
    return state.store


def get_extractor(state: StateDep) -> SerialExtractor:
    state.check_ready()
    return state.serial_extractor


def get_embedder(state: StateDep) -> Embedder:
    state.check_ready()
    return state.embedder


def get_comparer(state: StateDep) -> SerialComparer:
    state.check_ready()
    return state.comparer


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[ClaimStore, Depends(get_store)]
ExtractorDep = Annotated[SerialExtractor, Depends(get_extractor)]
EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
ComparerDep = Annotated[SerialComparer, Depends(get_comparer)]

_bearer = HTTPBearer(auto_error=False, description="One of the keys in CLAIMS_API_KEYS.")


def require_api_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Guards write endpoints when keys are configured: 401 without a key, 403 with a wrong one."""
    if not settings.api_keys:
        return
    if credentials is None:
        raise NotAuthenticatedError("this endpoint needs `Authorization: Bearer <api key>`")
    given = credentials.credentials.encode("utf-8", "surrogateescape")
    # Compare against every key in constant time, so timing reveals neither key nor position.
    matches = [hmac.compare_digest(given, key.encode("utf-8")) for key in settings.api_keys]
    if not any(matches):
        raise InvalidAPIKeyError("the API key is not valid")


WriteAccess = Depends(require_api_key)
