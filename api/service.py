"""What the endpoints do, as keyword-only functions over plain values (Netflix Dispatch style).

Routes only translate HTTP to these calls, so the behaviour is testable without HTTP and reusable
by batch jobs. Input is checked before any model runs, and an ingest writes the document to the
store in one call after extraction and embedding succeeded, so a failed extraction leaves nothing
behind.

Incidents are kept up to date incrementally by `claims.comparison.update` (an ingest rebuilds only
the incident the document joins, a delete only the one it left); this module maps its errors to
where they sit in the request.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Protocol

from api.errors import (
    DuplicateDocumentIdError,
    IncidentNotFoundError,
    InvalidCursorError,
    Loc,
    TooManyDocumentsError,
    at,
)
from api.schemas import (
    ClaimsPublic,
    CompareRequest,
    DocumentCreate,
    DocumentPublic,
    ExportFormat,
    Extraction,
    ExtractRequest,
    IncidentPublic,
    IncidentSource,
    IncidentsPublic,
    IncidentSummary,
    ScoredClaim,
    SearchResults,
)
from api.settings import Settings
from claims.comparison import update
from claims.comparison.embed import Embedder
from claims.comparison.update import DocumentAnalyser, IncidentBuilder
from claims.errors import ClaimsError, InputTooLargeError
from claims.extraction.ingest import decode, make_document
from claims.formats.export import to_claimreview, to_prov
from claims.models import Claim, Comparison, Document, Incident, RelationType
from claims.store import (
    ClaimFilters,
    ClaimStore,
    DocumentNotFoundError,
    StoredDocument,
)


class ClaimExtractor(DocumentAnalyser, Protocol):
    def run(self, document: Document) -> list[Claim]: ...


class DocumentComparer(IncidentBuilder, Protocol):
    """What the service needs of the app's comparer (see `api.state.SerialComparer`). The
    stored incidents' read-modify-write is serialised by the store's `incident_lock()`."""

    def compare(self, documents: Sequence[Document]) -> Comparison: ...


def build_document(
    *,
    request: ExtractRequest,
    settings: Settings,
    doc_id: str | None = None,
    loc: Loc = ("body",),
) -> Document:
    """The `Document` for a request, after the same checks the CLI applies to a file; `loc` is
    where the request sits in the body (a compare request holds many)."""
    text = request.text
    if len(text) > settings.max_text_chars:
        raise at(
            [*loc, "text"],
            InputTooLargeError(
                f"text has {len(text)} characters, the limit is {settings.max_text_chars}"
            ),
        )
    try:
        decode(text.encode("utf-8"), "text")  # empty, NUL bytes, control characters
        return make_document(
            text,
            doc_id=doc_id,
            name="text",
            title=request.title,
            outlet=request.outlet,
            url=request.url,
            published_at=request.published_at,
        )
    except ClaimsError as exc:  # empty, binary, or over the library's own ceiling
        at([*loc, "text"], exc)
        raise


def extract(
    *, request: ExtractRequest, settings: Settings, extractor: ClaimExtractor
) -> Extraction:
    document = build_document(request=request, settings=settings)
    return Extraction(document=document, claims=extractor.run(document))


def _public(stored: StoredDocument) -> DocumentPublic:
    return DocumentPublic(
        **stored.document.model_dump(),
        claim_count=stored.claim_count,
        ingested_at=stored.ingested_at,
    )


def ingest_document(
    *,
    request: DocumentCreate,
    settings: Settings,
    store: ClaimStore,
    extractor: ClaimExtractor,
    embedder: Embedder,
    comparer: DocumentComparer,
) -> tuple[DocumentPublic, bool]:
    """Extract, embed and store a document, then add it to its incident; `(document, created)`.

    Idempotent: the same text under the same id (by default the text's hash) is stored once, and
    a repeat returns the stored document without running the models; a repeat of a document
    that is in no incident retries the incident update, so re-posting is the way to repair or
    backfill (see `claims.comparison.update.ingest`).
    """
    document = build_document(request=request, settings=settings, doc_id=request.id)
    try:
        ingested = update.ingest(
            store=store,
            extractor=extractor,
            embedder=embedder,
            comparer=comparer,
            document=document,
            undated_limit=settings.max_undated_candidates,
        )
    except update.DocumentTextConflictError as exc:
        at(["body", "id"], exc)
        raise
    return _public(ingested.stored), ingested.created


def get_document(*, store: ClaimStore, document_id: str) -> DocumentPublic:
    stored = store.get_document(document_id)
    if stored is None:
        raise at(["path", "document_id"], DocumentNotFoundError(f"no document {document_id!r}"))
    return _public(stored)


def delete_document(*, store: ClaimStore, comparer: DocumentComparer, document_id: str) -> None:
    """Delete the document, then rebuild its incident without it (or delete the incident when
    it was the last member)."""
    try:
        update.remove(store=store, comparer=comparer, document_id=document_id)
    except DocumentNotFoundError as exc:
        at(["path", "document_id"], exc)
        raise


def document_claims(*, store: ClaimStore, document_id: str) -> ClaimsPublic:
    if store.get_document(document_id) is None:
        raise at(["path", "document_id"], DocumentNotFoundError(f"no document {document_id!r}"))
    claims = store.document_claims(document_id)
    return ClaimsPublic(data=claims, count=len(claims))


def next_cursor(offset: int, limit: int, total: int) -> str | None:
    """The opaque cursor of the page after `offset`+`limit`, None past the end. It holds the
    position (claims are listed in ingest order, so pages stay put as reports arrive; incidents
    most recently updated first, so follow `/v1/changes` to see every change exactly once)."""
    after = offset + limit
    if after >= total:
        return None
    return base64.urlsafe_b64encode(f"o:{after}".encode()).decode().rstrip("=")


def read_cursor(cursor: str | None, offset: int) -> int:
    """The offset a cursor stands for (`offset` itself without one); a cursor this server did
    not give out is a coded 422."""
    if cursor is None:
        return offset
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "o" or not value.isdigit() or int(value) > 10_000_000:
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise at(["query", "cursor"], InvalidCursorError("not a cursor this API gave out")) from exc


def list_claims(
    *, store: ClaimStore, filters: ClaimFilters, offset: int, limit: int
) -> ClaimsPublic:
    claims, total = store.list_claims(filters, offset, limit)
    return ClaimsPublic(data=claims, count=total, next_cursor=next_cursor(offset, limit, total))


def search_claims(*, store: ClaimStore, embedder: Embedder, q: str, k: int) -> SearchResults:
    vector = embedder.embed([q])[0]
    hits = store.search(vector, k, embedder.model_name)
    return SearchResults(
        data=[ScoredClaim(score=h.score, claim=h.claim) for h in hits],
        count=len(hits),
        model=embedder.model_name,
    )


def compare(
    *, request: CompareRequest, settings: Settings, comparer: DocumentComparer
) -> Comparison:
    """Stateless comparison, the twin of `claims compare`: the same checks per document, ids
    unique, at most `max_documents_per_request` documents."""
    count = len(request.documents)
    if count > settings.max_documents_per_request:
        raise at(
            ["body", "documents"],
            TooManyDocumentsError(
                f"{count} documents, the limit is {settings.max_documents_per_request} per request"
            ),
        )
    documents: list[Document] = []
    seen: set[str] = set()
    for i, item in enumerate(request.documents):
        loc: Loc = ("body", "documents", i)
        document = build_document(request=item, settings=settings, doc_id=item.id, loc=loc)
        if document.id in seen:
            raise at([*loc, "id"], DuplicateDocumentIdError(f"duplicate id {document.id!r}"))
        seen.add(document.id)
        documents.append(document)
    return comparer.compare(_comparable_times(documents))


def _comparable_times(documents: list[Document]) -> list[Document]:
    """When some publication times carry a zone and some do not, the naive ones are taken as
    UTC (as the claim filters do), since naive and aware times cannot be compared. Inputs that
    do not mix are left exactly as given, so the result equals `claims compare`'s."""
    kinds = {d.published_at.tzinfo is None for d in documents if d.published_at is not None}
    if len(kinds) < 2:
        return documents
    return [
        d.model_copy(update={"published_at": d.published_at.replace(tzinfo=UTC)})
        if d.published_at is not None and d.published_at.tzinfo is None
        else d
        for d in documents
    ]


def _summary(incident: Incident) -> IncidentSummary:
    types = [r.type for r in incident.relations]
    return IncidentSummary(
        id=incident.id,
        label=incident.label,
        status=incident.status,
        document_ids=incident.document_ids,
        first_document_id=incident.first_document_id,
        independent_sources=incident.independent_sources,
        time_start=incident.time_start,
        time_end=incident.time_end,
        places=incident.places,
        actors=incident.actors,
        claim_count=len(incident.claims),
        fact_count=len(incident.facts),
        conflict_count=types.count(RelationType.CONFLICTS),
        corroboration_count=types.count(RelationType.CORROBORATES),
    )


def list_incidents(*, store: ClaimStore, offset: int, limit: int) -> IncidentsPublic:
    incidents, total = store.list_incidents(offset, limit)
    return IncidentsPublic(
        data=[_summary(i) for i in incidents],
        count=total,
        next_cursor=next_cursor(offset, limit, total),
    )


def _stored_incident(store: ClaimStore, incident_id: str) -> tuple[Incident, list[Document]]:
    incident = store.get_incident(incident_id)
    if incident is None:
        raise at(["path", "incident_id"], IncidentNotFoundError(f"no incident {incident_id!r}"))
    documents = [
        s.document for i in incident.document_ids if (s := store.get_document(i)) is not None
    ]
    return incident, documents


def get_incident(*, store: ClaimStore, incident_id: str) -> IncidentPublic:
    incident, documents = _stored_incident(store, incident_id)
    claim_ids: dict[str, list[str]] = {d.id: [] for d in documents}
    for claim in incident.claims:
        claim_ids.setdefault(claim.document_id, []).append(claim.id)
    sources = [
        IncidentSource(
            id=d.id,
            title=d.title,
            outlet=d.outlet,
            url=d.url,
            published_at=d.published_at,
            claim_ids=claim_ids[d.id],
        )
        for d in documents
    ]
    return IncidentPublic(**dict(incident), sources=sources)


@dataclass(frozen=True)
class Export:
    content: Any
    media_type: str


def export_incident(*, store: ClaimStore, incident_id: str, format: ExportFormat) -> Export:
    incident, documents = _stored_incident(store, incident_id)
    if format is ExportFormat.CLAIMREVIEW:
        return Export(to_claimreview(incident, documents), "application/ld+json")
    return Export(to_prov(incident, documents), "application/json")
