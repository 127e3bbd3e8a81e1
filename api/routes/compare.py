"""Stateless comparison: the REST twin of `claims compare`."""

from __future__ import annotations

from fastapi import APIRouter

from api import service
from api.access import Compute
from api.deps import ComparerDep, SettingsDep
from api.routes.responses import AUTH_ERRORS, INPUT_ERRORS, error_doc
from api.schemas import CompareRequest
from claims.models import Comparison

router = APIRouter(tags=["compare"], dependencies=[Compute], responses=AUTH_ERRORS)


@router.post(
    "/compare",
    summary="Group reports into incidents and relate their claims (nothing is stored)",
    response_description="The same JSON `claims compare --format json` prints.",
    responses={
        **INPUT_ERRORS,
        413: error_doc(
            "Body over max_body_bytes, a text over max_text_chars, or more documents than "
            "max_documents_per_request (`too_many_documents`)"
        ),
        422: error_doc("Invalid request (`duplicate_id`, `empty_input`, validation codes)"),
    },
)
def compare(body: CompareRequest, settings: SettingsDep, comparer: ComparerDep) -> Comparison:
    return service.compare(request=body, settings=settings, comparer=comparer)
