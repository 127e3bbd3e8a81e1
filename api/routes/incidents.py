"""Stored incidents: the reports of one event grouped, with their facts, relations and sources.

Reads only: incidents are written by the document endpoints (each ingest or delete rebuilds the
one incident it touches), so they never need the models and work while those still load.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from api import service
from api.access import Read
from api.deps import StoreDep
from api.routes.responses import AUTH_ERRORS, error_doc
from api.schemas import ExportFormat, IncidentPublic, IncidentsPublic

router = APIRouter(
    prefix="/incidents", tags=["incidents"], dependencies=[Read], responses=AUTH_ERRORS
)

IncidentId = Annotated[str, Path(description="The incident's id.", max_length=200)]
INCIDENT_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: error_doc("No such incident (`incident_not_found`); ids change when members change")
}


@router.get("", summary="List incidents, most recently updated first")
def list_incidents(
    store: StoreDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IncidentsPublic:
    return service.list_incidents(
        store=store, offset=service.read_cursor(cursor, offset), limit=limit
    )


@router.get(
    "/{incident_id}",
    summary="An incident: claims grouped by fact, relations with reasons, provenance, sources",
    responses=INCIDENT_NOT_FOUND,
)
def get_incident(incident_id: IncidentId, store: StoreDep) -> IncidentPublic:
    return service.get_incident(store=store, incident_id=incident_id)


@router.get(
    "/{incident_id}/export",
    summary="An incident as schema.org ClaimReview (JSON-LD) or W3C PROV-JSON",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "`claimreview`: a list of ClaimReview objects, one per fact "
            "(application/ld+json); `prov`: one PROV-JSON document (application/json).",
            "content": {"application/ld+json": {}, "application/json": {}},
        },
        **INCIDENT_NOT_FOUND,
    },
)
def export_incident(
    incident_id: IncidentId,
    store: StoreDep,
    format: Annotated[ExportFormat, Query(description="claimreview or prov")],
) -> JSONResponse:
    export = service.export_incident(store=store, incident_id=incident_id, format=format)
    return JSONResponse(export.content, media_type=export.media_type)
