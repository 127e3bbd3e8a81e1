"""Liveness and readiness, unversioned, for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import StateDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the models are loaded",
    responses={503: {"description": "Models still loading, or failed to load"}},
)
def readyz(state: StateDep) -> Health:
    state.check_ready()
    return Health(status="ready")
