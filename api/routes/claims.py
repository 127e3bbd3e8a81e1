"""Querying stored claims: filtered listing and semantic search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api import service
from api.access import Compute, Read
from api.deps import EmbedderDep, StoreDep
from api.routes.responses import AUTH_ERRORS, error_doc
from api.schemas import ClaimsPublic, SearchResults
from claims.models import ClaimKind
from claims.store import ClaimFilters

router = APIRouter(prefix="/claims", tags=["claims"], responses=AUTH_ERRORS)


@router.get("", summary="List stored claims, filtered and paginated", dependencies=[Read])
def list_claims(
    store: StoreDep,
    claimant: Annotated[
        str | None, Query(max_length=500, description="Claimant name (whole, any case)")
    ] = None,
    outlet: Annotated[str | None, Query(max_length=200, description="Outlet (any case)")] = None,
    document_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[
        datetime | None, Query(description="Published at or after (naive = UTC)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Published at or before (naive = UTC)")
    ] = None,
    kind: Annotated[ClaimKind | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ClaimsPublic:
    filters = ClaimFilters(claimant, outlet, document_id, since, until, kind)
    return service.list_claims(
        store=store, filters=filters, offset=service.read_cursor(cursor, offset), limit=limit
    )


@router.get(
    "/search",
    summary="Semantic search: stored claims closest in meaning to a query",
    dependencies=[Compute],
    responses={503: error_doc("Models still loading (`not_ready`)")},
)
def search_claims(
    store: StoreDep,
    embedder: EmbedderDep,
    q: Annotated[str, Query(min_length=1, max_length=2_000, description="Text to search for")],
    k: Annotated[int, Query(ge=1, le=100, description="How many claims to return")] = 10,
) -> SearchResults:
    return service.search_claims(store=store, embedder=embedder, q=q, k=k)
