"""The stored corpus: ingest, read and delete documents (each write also updates incidents)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api import service
from api.access import Read, Write
from api.deps import (
    ComparerDep,
    EmbedderDep,
    ExtractorDep,
    SettingsDep,
    StoreDep,
)
from api.routes.responses import AUTH_ERRORS, INPUT_ERRORS, NOT_FOUND, error_doc
from api.schemas import ClaimsPublic, DocumentCreate, DocumentPublic

router = APIRouter(prefix="/documents", tags=["documents"])

DocumentId = Annotated[str, Path(description="The document's id.", max_length=200)]


@router.post(
    "",
    summary="Ingest a report: extract, embed and store its claims, and add it to its incident",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Write],
    responses={
        200: {"model": DocumentPublic, "description": "Already stored (same id and text)"},
        409: error_doc("The id is taken by a document with other text"),
        **INPUT_ERRORS,
        **AUTH_ERRORS,
    },
)
def create_document(
    body: DocumentCreate,
    response: Response,
    settings: SettingsDep,
    store: StoreDep,
    extractor: ExtractorDep,
    embedder: EmbedderDep,
    comparer: ComparerDep,
) -> DocumentPublic:
    document, created = service.ingest_document(
        request=body,
        settings=settings,
        store=store,
        extractor=extractor,
        embedder=embedder,
        comparer=comparer,
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/v1/documents/{document.id}"
    return document


@router.get(
    "/{document_id}",
    summary="A stored document",
    dependencies=[Read],
    responses={**NOT_FOUND, **AUTH_ERRORS},
)
def get_document(document_id: DocumentId, store: StoreDep) -> DocumentPublic:
    return service.get_document(store=store, document_id=document_id)


@router.delete(
    "/{document_id}",
    summary="Delete a document with its claims and vectors; its incident is rebuilt without it",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Write],
    responses={
        **NOT_FOUND,
        **AUTH_ERRORS,
        503: error_doc("Models still loading (`not_ready`): the incident rebuild needs them"),
    },
)
def delete_document(document_id: DocumentId, store: StoreDep, comparer: ComparerDep) -> None:
    service.delete_document(store=store, comparer=comparer, document_id=document_id)


@router.get(
    "/{document_id}/claims",
    summary="A stored document's claims",
    dependencies=[Read],
    responses={**NOT_FOUND, **AUTH_ERRORS},
)
def document_claims(document_id: DocumentId, store: StoreDep) -> ClaimsPublic:
    return service.document_claims(store=store, document_id=document_id)
