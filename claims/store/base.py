"""What every claim store offers (the Protocol), the values it exchanges, and its errors.

The Protocol is deliberately small: ingest is one call that takes the document, its claims and
their vectors together, so a backend can make it one transaction and a failed ingest leaves
nothing behind. Vectors are kept per embedding model name, so changing the configured model never
compares vectors from two different spaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from claims.errors import ClaimsError
from claims.models import Claim, ClaimKind, Document, Incident

if TYPE_CHECKING:
    from claims.store.changes import Change, ChangeType, Delivery, DeliveryState, NewChange, Webhook
    from claims.store.feeds import Feed


class StoreError(ClaimsError):
    """The store failed (an operator problem: disk, locks, corruption), not the caller's input."""

    code = "store_error"


class InvalidDatabaseURLError(StoreError):
    code = "invalid_database_url"


class BackendNotImplementedError(StoreError):
    """The URL names a backend this version cannot open yet (PostgreSQL comes next)."""

    code = "backend_not_implemented"


class DocumentNotFoundError(ClaimsError):
    code = "document_not_found"


class DocumentConflictError(ClaimsError):
    """An id is already taken by a document with different text; ids must name one content."""

    code = "document_conflict"


class StoredDocument(BaseModel):
    """A document as the store holds it: the document itself plus bookkeeping the API shows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: Document
    claim_count: int
    ingested_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimFilters:
    """Conjunctive filters for `list_claims`; `None` means "any".

    `claimant` and `outlet` match the whole name, ignoring case (claimants are canonical names, so
    exact matching is predictable). `since`/`until` bound the document's `published_at`, both
    inclusive; naive datetimes are taken as UTC; documents without a date never match a range.
    """

    claimant: str | None = None
    outlet: str | None = None
    document_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    kind: ClaimKind | None = None


class SearchHit(NamedTuple):
    claim: Claim
    score: float  # cosine similarity in [-1, 1]


Vectors = npt.NDArray[np.float32]


@runtime_checkable
class ClaimStore(Protocol):
    def add_document(
        self, document: Document, claims: list[Claim], vectors: Vectors, model_name: str
    ) -> bool:
        """Store a document with its claims and their vectors (row i belongs to claims[i]).

        Returns True when the document is new, False when a document with the same id and the
        same text is already stored (nothing is written). Raises `DocumentConflictError` when the
        id is taken by different text. All or nothing: on any failure nothing is stored.
        """
        ...

    def get_document(self, document_id: str) -> StoredDocument | None: ...

    def delete_document(self, document_id: str) -> bool:
        """Remove the document, its claims and their vectors; False when it was not there."""
        ...

    def document_claims(self, document_id: str) -> list[Claim]:
        """The document's claims in text order (empty for an unknown document)."""
        ...

    def list_claims(
        self, filters: ClaimFilters, offset: int = 0, limit: int = 50
    ) -> tuple[list[Claim], int]:
        """One page of matching claims, in ingest order then text order, and the total count."""
        ...

    def search(self, vector: Vectors, k: int, model_name: str) -> list[SearchHit]:
        """The `k` claims whose `model_name` vectors are most cosine-similar, best first."""
        ...

    # -- incidents (kept up to date incrementally by the ingest service) ---------------------
    def set_document_profile(self, document_id: str, profile: dict[str, Any]) -> None:
        """Store what the incident grouper needs about a document (a JSON-able dict), so a
        later ingest can be compared with it without re-parsing."""
        ...

    def document_profiles(self, document_ids: Sequence[str] | None = None) -> dict[str, Any]:
        """Profiles by document id (all stored ones when `document_ids` is None)."""
        ...

    def document_profiles_near(
        self, moment: datetime | None, window: timedelta, undated_limit: int | None = None
    ) -> dict[str, Any]:
        """The profiles of the documents published within `window` of `moment` (both ends
        inclusive) and of the undated documents, by document id in id order; when `moment` is
        None, of any document. The undated (or, for None, all) are the `undated_limit` most
        recently ingested when a limit is given: without one an undated ingest would read every
        profile in the archive. Naive datetimes are taken as UTC, as in `ClaimFilters`.

        Why: an ingest compares the new document only with documents near it in time (the
        grouper never links documents further apart, and an undated one may belong with
        anything), so the date test belongs in the database, on the indexed `published_at`:
        the ingest then reads the few profiles near it, not every profile in the archive.
        The date tested is the document's `published_at`, which its profile repeats.
        A negative `window` is a `ValueError`.
        """
        ...

    def put_incident(self, incident: Incident, changes: Sequence[NewChange] = ()) -> None:
        """Insert or replace an incident (and its documents' membership) and record `changes`
        in one transaction; documents that belonged to another incident move to this one."""
        ...

    def get_incident(self, incident_id: str) -> Incident | None: ...

    def incident_of_document(self, document_id: str) -> str | None: ...

    def list_incidents(self, offset: int = 0, limit: int = 50) -> tuple[list[Incident], int]:
        """One page of incidents, most recently updated first, and the total count."""
        ...

    def delete_incident(self, incident_id: str, changes: Sequence[NewChange] = ()) -> bool:
        """Remove the incident and record `changes` in one transaction (none if it was gone)."""
        ...

    # -- the change log and webhooks (claims.store.changes) ---------------------------------
    def changes_since(self, after: int, limit: int = 100) -> list[Change]:
        """Recorded changes with `seq > after`, oldest first."""
        ...

    def add_webhook(self, url: str, events: Sequence[ChangeType]) -> Webhook: ...

    def list_webhooks(self) -> list[Webhook]: ...

    def get_webhook(self, webhook_id: str) -> Webhook | None: ...

    def delete_webhook(self, webhook_id: str) -> bool: ...

    def claim_deliveries(self, limit: int, lease_seconds: float) -> list[Delivery]:
        """Due pending deliveries, leased to the caller so no other worker sends them."""
        ...

    def finish_delivery(
        self,
        seq: int,
        *,
        delivered: bool,
        status: int | None = None,
        error: str | None = None,
        retry_at: float | None = None,
    ) -> None: ...

    def deliveries(self, webhook_id: str, state: DeliveryState | None = None) -> list[Delivery]: ...

    def retry_dead(self, webhook_id: str) -> int:
        """Dead deliveries of the subscription due again, attempts reset; how many."""
        ...

    # -- feed subscriptions (claims.store.feeds) ---------------------------------------------
    def add_feed(self, url: str, interval_seconds: float) -> Feed: ...

    def get_feed(self, feed_id: str) -> Feed | None: ...

    def list_feeds(self) -> list[Feed]: ...

    def delete_feed(self, feed_id: str) -> bool: ...

    def claim_feeds(self, lease_seconds: float, feed_id: str | None = None) -> list[Feed]: ...

    def finish_poll(
        self,
        feed_id: str,
        *,
        etag: str | None,
        last_modified: str | None,
        error: str | None,
        next_poll_at: float,
    ) -> None: ...

    def seen_entries(self, feed_id: str, keys: Iterable[str]) -> set[str]: ...

    def mark_entry(self, feed_id: str, key: str, document_id: str) -> None: ...

    def incident_lock(self) -> AbstractContextManager[None]:
        """Held around every read-modify-write of stored incidents (read memberships, rebuild,
        write), across the threads of this process *and* across processes on the same database.

        Why: an incident is rebuilt from the membership read at the start; two ingests that
        read the same old membership would each write an incident holding only their own new
        document, and one document would silently leave its incident. A thread lock is not
        enough once several server workers or batch jobs write to one database. Not reentrant.
        """
        ...

    def close(self) -> None: ...
