"""Stateless extraction: the REST twin of `claims extract`."""

from __future__ import annotations

from fastapi import APIRouter

from api import service
from api.access import Compute
from api.deps import ExtractorDep, SettingsDep
from api.routes.responses import AUTH_ERRORS, INPUT_ERRORS
from api.schemas import Extraction, ExtractRequest

router = APIRouter(tags=["extract"], dependencies=[Compute], responses=AUTH_ERRORS)


@router.post(
    "/extract",
    summary="Extract the claims of one report (nothing is stored)",
    response_description="The same JSON `claims extract` prints for one file.",
    responses=INPUT_ERRORS,
)
def extract(body: ExtractRequest, settings: SettingsDep, extractor: ExtractorDep) -> Extraction:
    return service.extract(request=body, settings=settings, extractor=extractor)
