"""`Annotated` dependency aliases the routes declare (full-stack-fastapi-template style).

Everything comes from the app's state, set up by `create_app`, so two apps in one process (tests)
never share settings or stores; tests can still swap any of them with `dependency_overrides`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

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
