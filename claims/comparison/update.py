"""Incremental incident update: one stored incident rebuilt as a report arrives or leaves.

A batch `claims compare` regroups everything it is given. A store that receives reports one at a
time (the API, a batch ingest job) keeps its incidents up to date incrementally instead: an
ingest stores the document's grouping profile (from the parse extraction already made), asks
`assign_incident` which stored incident it joins, and rebuilds only that incident; a delete
rebuilds only the incident the document left. On a stream of reports the incremental result is
the same grouping for reports that clearly belong together (see tests/api/test_api_incidents.py).

Keyword-only functions over a `ClaimStore`, so the API, the CLI and batch jobs share one
implementation; callers map the errors (`DocumentTextConflictError`, `DocumentNotFoundError`) to
their own surface. The read-modify-write of stored incidents (read memberships, rebuild, write)
runs under the store's `incident_lock()`, which holds across threads and processes (an advisory
lock in PostgreSQL, a file lock beside an SQLite file), so two ingests, in one server or in
several workers, cannot both build an incident from the same old state and lose a document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from claims.comparison.embed import Embedder
from claims.comparison.incidents import (
    DocumentGrouper,
    Profile,
    assign_incident,
    profile_from_dict,
    profile_is_current,
    profile_to_dict,
)
from claims.extraction.extract import Extractor
from claims.models import Claim, Document, Incident, RelationType
from claims.store.base import (
    ClaimStore,
    DocumentConflictError,
    DocumentNotFoundError,
    StoredDocument,
)
from claims.store.changes import NewChange

__all__ = [
    "CANDIDATE_WINDOW",
    "UNDATED_CANDIDATES",
    "DocumentAnalyser",
    "DocumentTextConflictError",
    "ExtractorAnalyser",
    "IncidentBuilder",
    "Ingested",
    "candidate_profiles",
    "incident_changes",
    "incident_summary",
    "ingest",
    "join_incident",
    "remove",
    "stored_profile",
]

# Candidate documents for joining an incident: published within this many days of the new one.
# The grouper never links documents further apart, so looking further only costs time.
CANDIDATE_WINDOW = timedelta(days=30)
# Undated candidates (an undated report may belong with anything): the most recently ingested
# this many, so an undated ingest costs the same on a year of archive as on a day of it.
UNDATED_CANDIDATES = 2000


class DocumentAnalyser(Protocol):
    def analyse(self, document: Document) -> tuple[list[Claim], Profile]:
        """Claims and incident-grouping profile from one parse."""
        ...


class IncidentBuilder(Protocol):
    """What the update needs of a comparer: a plain `Comparer`, or the API's locked one."""

    @property
    def grouper(self) -> DocumentGrouper: ...

    def build_incident(
        self, documents: Sequence[Document], claims_by_doc: Mapping[str, list[Claim]]
    ) -> Incident: ...


@dataclass(frozen=True)
class ExtractorAnalyser:
    """A `DocumentAnalyser` over a plain `Extractor`, for single-threaded callers (the CLI, batch
    jobs, tests). The API uses `api.state.SerialExtractor`, which does the same under the lock
    its spaCy pipeline needs."""

    extractor: Extractor

    def analyse(self, document: Document) -> tuple[list[Claim], Profile]:
        [(_, doc, claims)] = list(self.extractor.process_many([document]))
        return claims, Profile.from_doc(doc, document.published_at)


class DocumentTextConflictError(DocumentConflictError):
    """The id of the document being ingested is stored with other text. A subclass (same code)
    so a caller can tell its own input's id from a conflict the store reports in a race."""


class Ingested(NamedTuple):
    stored: StoredDocument
    created: bool
    incident_id: str | None  # None only if the incident update found the document deleted


def ingest(
    *,
    store: ClaimStore,
    extractor: DocumentAnalyser,
    embedder: Embedder,
    comparer: IncidentBuilder,
    document: Document,
    window: timedelta = CANDIDATE_WINDOW,
    undated_limit: int | None = UNDATED_CANDIDATES,
) -> Ingested:
    """Extract, embed and store a document, then add it to its incident.

    The document is written to the store in one call after extraction and embedding succeeded,
    so a failed extraction leaves nothing behind.

    Idempotent: the same text under the same id is stored once, and a repeat returns the stored
    document without running the models. Metadata of a repeat is ignored (first write wins);
    delete the document to change it. A repeat of a document that is in no incident (its
    incident update failed, or it was stored before incidents existed) retries the incident
    update, so re-ingesting is the way to repair or backfill. Raises `DocumentTextConflictError`
    when the id is stored with other text.
    """
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
        raise DocumentTextConflictError(
            f"document {document.id!r} is already stored with other text"
        )
    incident_id = store.incident_of_document(document.id)
    if incident_id is None:
        if not store.document_profiles([document.id]):
            _, profile = extractor.analyse(existing.document)
            store.set_document_profile(document.id, profile_to_dict(profile))
        incident = join_incident(
            store=store,
            comparer=comparer,
            document_id=document.id,
            extractor=extractor,
            window=window,
            undated_limit=undated_limit,
        )
        # None: another caller put it in an incident first, or it was deleted meanwhile.
        incident_id = (
            incident.id if incident is not None else store.incident_of_document(document.id)
        )
    return Ingested(existing, created, incident_id)


def join_incident(
    *,
    store: ClaimStore,
    comparer: IncidentBuilder,
    document_id: str,
    extractor: DocumentAnalyser | None = None,
    window: timedelta = CANDIDATE_WINDOW,
    undated_limit: int | None = UNDATED_CANDIDATES,
) -> Incident | None:
    """Put a stored, profiled document into the incident it belongs to, or a new one, and
    rebuild only that incident. Does nothing if the document is already in an incident.
    With an `extractor`, candidate profiles stored by an older version are brought up to date
    first (see `candidate_profiles`)."""
    with store.incident_lock():
        if store.incident_of_document(document_id) is not None:
            return None  # another request got there first
        stored = store.get_document(document_id)
        raw = store.document_profiles([document_id]).get(document_id)
        if stored is None or raw is None:
            return None  # deleted meanwhile
        profiles = candidate_profiles(
            store,
            document_id,
            stored_profile(raw),
            extractor,
            window=window,
            undated_limit=undated_limit,
        )
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


def remove(
    *,
    store: ClaimStore,
    comparer: IncidentBuilder,
    document_id: str,
) -> None:
    """Delete the document, then rebuild its incident without it (or delete the incident when
    it was the last member). Raises `DocumentNotFoundError` when there is no such document."""
    with store.incident_lock():
        incident_id = store.incident_of_document(document_id)
        if not store.delete_document(document_id):
            raise DocumentNotFoundError(f"no document {document_id!r}")
        if incident_id is not None:
            incident = store.get_incident(incident_id)
            remaining = [i for i in (incident.document_ids if incident else []) if i != document_id]
            _rebuild_incident(store, comparer, remaining, replaces=incident_id)


def stored_profile(raw: Mapping[str, Any]) -> Profile:
    """A stored profile with its date as naive UTC: the grouper subtracts dates, and stored
    documents mix naive and zone-aware publication times."""
    profile = profile_from_dict(dict(raw))
    return replace(profile, published_at=_naive_utc(profile.published_at))


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def candidate_profiles(
    store: ClaimStore,
    document_id: str,
    mine: Profile,
    extractor: DocumentAnalyser | None = None,
    *,
    window: timedelta = CANDIDATE_WINDOW,
    undated_limit: int | None = UNDATED_CANDIDATES,
) -> dict[str, Profile]:
    """The stored profiles a new document is compared with: those published within `window`
    of it, and undated ones (the grouper treats a missing date as "any time"); any when it is
    undated. The store applies the window in the database, and the undated (or, for an undated
    document, all) candidates are the `undated_limit` most recently ingested, so an ingest reads
    the profiles near it rather than the whole archive. The new document's profile comes last,
    where `assign_incident` expects nothing.

    A profile stored before the headline-and-lede block existed would look ~25% less similar to
    everything (the block's weight counts with nothing in it), so with an `extractor` it is
    recomputed from the stored text and saved: each old document is re-parsed once."""
    out: dict[str, Profile] = {}
    near = store.document_profiles_near(mine.published_at, window, undated_limit)
    for doc_id, raw in near.items():
        if doc_id == document_id:
            continue
        if extractor is not None and not profile_is_current(raw):
            raw = _refreshed_profile(store, extractor, doc_id) or raw
        out[doc_id] = stored_profile(raw)
    out[document_id] = mine
    return out


def _refreshed_profile(
    store: ClaimStore, extractor: DocumentAnalyser, document_id: str
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
    comparer: IncidentBuilder,
    member_ids: Sequence[str],
    *,
    replaces: str | None,
) -> Incident | None:
    """Build the incident of these (stored) documents from their stored claims and store it in
    place of `replaces`, under the same id: a newsroom tool that bookmarked an incident keeps
    following it as reports join or leave. A new incident is named by its first members.
    Deletes `replaces` and returns None when no member is left. What changed (see
    `incident_changes`) is recorded in the same transaction, for the change feed and webhooks."""
    before = store.get_incident(replaces) if replaces is not None else None
    stored = [s for i in dict.fromkeys(member_ids) if (s := store.get_document(i)) is not None]
    if not stored:
        if replaces is not None:
            store.delete_incident(replaces, incident_changes(before, None, replaces))
        return None
    stored.sort(key=lambda s: s.ingested_at)  # arrival order, like the input order of a batch
    documents = [s.document for s in stored]
    claims = {d.id: store.document_claims(d.id) for d in documents}
    incident = comparer.build_incident(documents, claims)
    if replaces is not None:
        incident = incident.model_copy(update={"id": replaces})
    store.put_incident(incident, incident_changes(before, incident, incident.id))
    return incident


def incident_summary(incident: Incident) -> dict[str, Any]:
    """What a change event says about an incident: enough to decide whether to fetch it."""
    types = [r.type for r in incident.relations]
    return {
        "id": incident.id,
        "label": incident.label,
        "status": incident.status.value,
        "document_ids": list(incident.document_ids),
        "independent_sources": incident.independent_sources,
        "conflicts": types.count(RelationType.CONFLICTS),
        "corroborations": types.count(RelationType.CORROBORATES),
    }


def incident_changes(
    before: Incident | None, after: Incident | None, incident_id: str
) -> list[NewChange]:
    """The change events between two versions of one incident: `incident.created`,
    `incident.changed` (members, status, counts or relations differ; a rebuild that changes
    nothing records nothing) or `incident.deleted`, then one `conflict.created` per conflict
    that is new (by its claim pair), with the two claims' speakers and texts, so a newsroom
    tool can alert on it without fetching the incident."""
    if after is None:
        if before is None:
            return []
        return [
            NewChange(type="incident.deleted", incident_id=incident_id, data={"id": incident_id})
        ]
    summary = incident_summary(after)
    out: list[NewChange] = []
    if before is None:
        out.append(NewChange(type="incident.created", incident_id=incident_id, data=summary))
    elif (
        incident_summary(before) | {"id": incident_id} != summary
        or before.relations != after.relations
    ):
        out.append(NewChange(type="incident.changed", incident_id=incident_id, data=summary))
    known = {
        (r.a, r.b)
        for r in (before.relations if before is not None else [])
        if r.type is RelationType.CONFLICTS
    }
    by_id = {c.id: c for c in after.claims}
    for relation in after.relations:
        if relation.type is not RelationType.CONFLICTS or (relation.a, relation.b) in known:
            continue
        sides = [by_id.get(relation.a), by_id.get(relation.b)]
        out.append(
            NewChange(
                type="conflict.created",
                incident_id=incident_id,
                data={
                    "incident_id": incident_id,
                    "relation": relation.model_dump(mode="json"),
                    "claims": [
                        {
                            "id": c.id,
                            "document_id": c.document_id,
                            "claimant": c.claimant.name,
                            "text": c.content.text,
                        }
                        for c in sides
                        if c is not None
                    ],
                },
            )
        )
    return out
