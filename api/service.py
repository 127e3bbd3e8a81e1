"""What the endpoints do, as keyword-only functions over plain values (Netflix Dispatch style).

Routes only translate HTTP to these calls, so the behaviour is testable without HTTP and reusable
by batch jobs. Input is checked before any model runs, and an ingest writes the document to the
store in one call after extraction and embedding succeeded, so a failed extraction leaves nothing
behind.

Incidents are kept up to date incrementally: an ingest stores the document's grouping profile
(from the parse extraction already made), asks `assign_incident` which stored incident it joins,
and rebuilds only that incident; a delete rebuilds only the incident the document left. A batch
`claims compare` regroups everything instead; on a stream of reports the incremental result is
the same grouping for reports that clearly belong together (see tests/api/test_api_incidents.py).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from api.errors import (
    DuplicateDocumentIdError,
    IncidentNotFoundError,
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
from claims.comparison.embed import Embedder
from claims.comparison.incidents import (
    DocumentGrouper,
    Profile,
    assign_incident,
    profile_from_dict,
    profile_is_current,
    profile_to_dict,
)
from claims.errors import ClaimsError, InputTooLargeError
from claims.extraction.ingest import decode, make_document
from claims.formats.export import to_claimreview, to_prov
from claims.models import Claim, Comparison, Document, Incident, RelationType
from claims.store import (
    ClaimFilters,
    ClaimStore,
    DocumentConflictError,
    DocumentNotFoundError,
    StoredDocument,
)

# Candidate documents for joining an incident: published within this many days of the new one.
# The grouper never links documents further apart, so looking further only costs time.
CANDIDATE_WINDOW = timedelta(days=30)


class ClaimExtractor(Protocol):
    def run(self, document: Document) -> list[Claim]: ...

    def analyse(self, document: Document) -> tuple[list[Claim], Profile]:
        """Claims and incident-grouping profile from one parse."""
        ...


class DocumentComparer(Protocol):
    """What the service needs of the app's comparer (see `api.state.SerialComparer`)."""

    updates: threading.Lock

    @property
    def grouper(self) -> DocumentGrouper: ...

    def compare(self, documents: Sequence[Document]) -> Comparison: ...

    def build_incident(
        self, documents: Sequence[Document], claims_by_doc: Mapping[str, list[Claim]]
    ) -> Incident: ...


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
    a repeat returns the stored document without running the models. Metadata of a repeat is
    ignored (first write wins); delete the document to change it. A repeat of a document that
    is in no incident (its incident update failed, or it was stored before incidents existed)
    retries the incident update, so re-posting is the way to repair or backfill.
    """
    document = build_document(request=request, settings=settings, doc_id=request.id)
    existing = store.get_document(document.id)
    if existing is None:
        claims, profile = extractor.analyse(document)
        vectors = embedder.embed([c.content.text for c in claims])
        # The store re-checks inside its transaction, in case another worker got there first.
        created = store.add_document(document, claims, vectors, embedder.model_name)
        if created:
            store.set_document_profile(document.id, profile_to_dict(profile))
        existing = store.get_document(document.id)
        assert existing is not None
    else:
        created = False
    if existing.document.text != document.text:
        raise at(
            ["body", "id"],
            DocumentConflictError(f"document {document.id!r} is already stored with other text"),
        )
    if store.incident_of_document(document.id) is None:
        if not store.document_profiles([document.id]):
            _, profile = extractor.analyse(existing.document)
            store.set_document_profile(document.id, profile_to_dict(profile))
        join_incident(store=store, comparer=comparer, document_id=document.id, extractor=extractor)
    return _public(existing), created


def join_incident(
    *,
    store: ClaimStore,
    comparer: DocumentComparer,
    document_id: str,
    extractor: ClaimExtractor | None = None,
) -> Incident | None:
    """Put a stored, profiled document into the incident it belongs to, or a new one, and
    rebuild only that incident. Does nothing if the document is already in an incident.
    With an `extractor`, candidate profiles stored by an older version are brought up to date
    first (see `_candidate_profiles`)."""
    with comparer.updates:
        if store.incident_of_document(document_id) is not None:
            return None  # another request got there first
        stored = store.get_document(document_id)
        raw = store.document_profiles([document_id]).get(document_id)
        if stored is None or raw is None:
            return None  # deleted meanwhile
        profiles = _candidate_profiles(store, document_id, _profile(raw), extractor)
        incident_of = {
            doc_id: incident_id
            for doc_id in profiles
            if doc_id != document_id
            and (incident_id := store.incident_of_document(doc_id)) is not None
        }
        target = assign_incident(document_id, profiles, incident_of, comparer.grouper)
        current = store.get_incident(target) if target is not None else None
        members = [*(current.document_ids if current is not None else []), document_id]
        return _rebuild_incident(store, comparer, members, replaces=target)


def _profile(raw: Mapping[str, Any]) -> Profile:
    """A stored profile with its date as naive UTC: the grouper subtracts dates, and stored
    documents mix naive and zone-aware publication times."""
    profile = profile_from_dict(dict(raw))
    return replace(profile, published_at=_naive_utc(profile.published_at))


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _candidate_profiles(
    store: ClaimStore,
    document_id: str,
    mine: Profile,
    extractor: ClaimExtractor | None = None,
) -> dict[str, Profile]:
    """The stored profiles a new document is compared with: those published within
    `CANDIDATE_WINDOW` of it, and undated ones (the grouper treats a missing date as "any
    time"); all of them when it is undated. The store applies the window in the database, so an
    ingest reads the profiles near it rather than the whole archive. The new document's profile
    comes last, where `assign_incident` expects nothing.

    A profile stored before the headline-and-lede block existed would look ~25% less similar to
    everything (the block's weight counts with nothing in it), so with an `extractor` it is
    recomputed from the stored text and saved: each old document is re-parsed once."""
    out: dict[str, Profile] = {}
    for doc_id, raw in store.document_profiles_near(mine.published_at, CANDIDATE_WINDOW).items():
        if doc_id == document_id:
            continue
        if extractor is not None and not profile_is_current(raw):
            raw = _refreshed_profile(store, extractor, doc_id) or raw
        out[doc_id] = _profile(raw)
    out[document_id] = mine
    return out


def _refreshed_profile(
    store: ClaimStore, extractor: ClaimExtractor, document_id: str
) -> dict[str, Any] | None:
    stored = store.get_document(document_id)
    if stored is None:
        return None  # deleted meanwhile
    _, profile = extractor.analyse(stored.document)
    fresh = profile_to_dict(profile)
    store.set_document_profile(document_id, fresh)
    return fresh


def _rebuild_incident(
    store: ClaimStore,
    comparer: DocumentComparer,
    member_ids: Sequence[str],
    *,
    replaces: str | None,
) -> Incident | None:
    """Build the incident of these (stored) documents from their stored claims and store it in
    place of `replaces`, under the same id: a newsroom tool that bookmarked an incident keeps
    following it as reports join or leave. A new incident is named by its first members.
    Deletes `replaces` and returns None when no member is left."""
    stored = [s for i in dict.fromkeys(member_ids) if (s := store.get_document(i)) is not None]
    if not stored:
        if replaces is not None:
            store.delete_incident(replaces)
        return None
    stored.sort(key=lambda s: s.ingested_at)  # arrival order, like the input order of a batch
    documents = [s.document for s in stored]
    claims = {d.id: store.document_claims(d.id) for d in documents}
    incident = comparer.build_incident(documents, claims)
    if replaces is not None:
        incident = incident.model_copy(update={"id": replaces})
    store.put_incident(incident)
    return incident


def get_document(*, store: ClaimStore, document_id: str) -> DocumentPublic:
    stored = store.get_document(document_id)
    if stored is None:
        raise at(["path", "document_id"], DocumentNotFoundError(f"no document {document_id!r}"))
    return _public(stored)


def delete_document(*, store: ClaimStore, comparer: DocumentComparer, document_id: str) -> None:
    """Delete the document, then rebuild its incident without it (or delete the incident when
    it was the last member)."""
    with comparer.updates:
        incident_id = store.incident_of_document(document_id)
        if not store.delete_document(document_id):
            raise at(["path", "document_id"], DocumentNotFoundError(f"no document {document_id!r}"))
        if incident_id is not None:
            incident = store.get_incident(incident_id)
            remaining = [i for i in (incident.document_ids if incident else []) if i != document_id]
            _rebuild_incident(store, comparer, remaining, replaces=incident_id)


def document_claims(*, store: ClaimStore, document_id: str) -> ClaimsPublic:
    if store.get_document(document_id) is None:
        raise at(["path", "document_id"], DocumentNotFoundError(f"no document {document_id!r}"))
    claims = store.document_claims(document_id)
    return ClaimsPublic(data=claims, count=len(claims))


def list_claims(
    *, store: ClaimStore, filters: ClaimFilters, offset: int, limit: int
) -> ClaimsPublic:
    claims, total = store.list_claims(filters, offset, limit)
    return ClaimsPublic(data=claims, count=total)


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
    return IncidentsPublic(data=[_summary(i) for i in incidents], count=total)


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
