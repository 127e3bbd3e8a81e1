"""Request and response bodies of the REST API.

Responses reuse the library's models (`Document`, `Claim`, `Comparison`, `Incident`) unchanged,
so `POST /v1/extract` and `POST /v1/compare` return what `claims extract` and `claims compare`
print. Requests forbid unknown fields: a misspelt
`published_at` must fail loudly rather than be ignored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from claims.models import Claim, Document, Incident, IncidentStatus
from claims.store.changes import CHANGE_TYPES, Change, ChangeType, Delivery
from claims.store.feeds import Feed

EXAMPLE_REPORT: dict[str, Any] = {
    "text": (
        "Rescue teams evacuated some 1,200 residents from the river town of Orsk on Sunday.\n"
        "“The water rose faster than any of our models predicted,” the National Flood Agency "
        "said in a statement.\n"
        "Regional governor Marta Kolins said that nine shelters had been opened in schools."
    ),
    "title": "Floods force evacuation of Orsk",
    "outlet": "Example Wire",
    "url": "https://news.example/orsk-flood",
    "published_at": "2025-06-01T18:00:00Z",
}

MIN_YEAR, MAX_YEAR = 1000, 3000


def _no_lone_surrogates(value: Any) -> Any:
    """JSON may escape lone surrogates (`"\\ud800"`); they are not text and cannot be stored
    or echoed back as UTF-8, so they are refused here with a coded error."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise PydanticCustomError(
                "not_utf8",
                "text contains an unpaired surrogate at index {index}",
                {"index": exc.start},
            ) from exc
    return value


class ExtractRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [EXAMPLE_REPORT]}, frozen=True
    )

    text: str = Field(description="The report's plain text (one paragraph per line is best).")
    title: str | None = Field(default=None, max_length=1_000)
    outlet: str | None = Field(
        default=None,
        max_length=200,
        description="Who published it; the claimant of the reporter's own assertions.",
    )
    url: str | None = Field(default=None, max_length=2_000)
    published_at: datetime | None = Field(
        default=None, description="Publication time; resolves 'on Sunday' to a date."
    )

    _utf8 = field_validator("text", "title", "outlet", "url", mode="before")(_no_lone_surrogates)

    @field_validator("published_at")
    @classmethod
    def _plausible_date(cls, value: datetime | None) -> datetime | None:
        if value is not None:
            try:
                in_utc = value.astimezone(UTC) if value.tzinfo is not None else value
            except OverflowError:
                in_utc = value.replace(year=MIN_YEAR - 1)
            if not MIN_YEAR <= in_utc.year <= MAX_YEAR:
                raise PydanticCustomError(
                    "date_out_of_range",
                    "published_at must fall between the years {low} and {high}",
                    {"low": MIN_YEAR, "high": MAX_YEAR},
                )
        return value


class DocumentCreate(ExtractRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"id": "orsk-flood-example-wire", **EXAMPLE_REPORT}]},
        frozen=True,
    )

    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._~:-]*$",
        description="Your id for the document; by default a hash of its text.",
    )


class Extraction(BaseModel):
    """What `claims extract` prints for one input."""

    document: Document
    claims: list[Claim]


class DocumentPublic(Document):
    claim_count: int
    ingested_at: datetime


ClaimPublic: TypeAlias = Claim


NEXT_CURSOR = Field(
    default=None,
    description="Pass as `cursor` for the next page; null on the last page.",
)


class ClaimsPublic(BaseModel):
    data: list[ClaimPublic]
    count: int = Field(description="How many claims match in all, not just on this page.")
    next_cursor: str | None = NEXT_CURSOR


class ScoredClaim(BaseModel):
    score: float = Field(description="Cosine similarity of the claim's content to the query.")
    claim: ClaimPublic


class SearchResults(BaseModel):
    data: list[ScoredClaim]
    count: int
    model: str = Field(description="The embedding model whose vectors were searched.")


class CompareDocument(ExtractRequest):
    """One input of `POST /v1/compare`: a line of `claims compare`'s JSONL input."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Your id for the document; by default a hash of its text. Unique per request.",
    )


class CompareRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [{"documents": [{"id": "orsk-flood-example-wire", **EXAMPLE_REPORT}]}]
        },
    )

    documents: list[CompareDocument] = Field(
        min_length=1,
        description="The reports to compare; at most `max_documents_per_request` (413 beyond).",
    )


class IncidentSummary(BaseModel):
    """An incident without its claims: enough to list, sort and pick one."""

    id: str
    label: str
    status: IncidentStatus
    document_ids: list[str]
    first_document_id: str
    independent_sources: int
    time_start: date | None
    time_end: date | None
    places: list[str]
    actors: list[str]
    claim_count: int
    fact_count: int
    conflict_count: int = Field(description="Relations of type `conflicts`.")
    corroboration_count: int = Field(description="Relations of type `corroborates`.")


class IncidentsPublic(BaseModel):
    data: list[IncidentSummary]
    count: int = Field(description="How many incidents are stored in all, not just on this page.")
    next_cursor: str | None = NEXT_CURSOR


class IncidentSource(BaseModel):
    """One document of an incident with the ids of its claims, to show sources side by side;
    the text is at `/v1/documents/{id}` (claim spans are offsets into it)."""

    id: str
    title: str | None
    outlet: str | None
    url: str | None
    published_at: datetime | None
    claim_ids: list[str]


class IncidentPublic(Incident):
    """The stored incident (claims, fact groups, relations with reasons, provenance) plus its
    sources in time order."""

    sources: list[IncidentSource]


class ExportFormat(StrEnum):
    CLAIMREVIEW = "claimreview"
    PROV = "prov"


class Health(BaseModel):
    status: str


Limit = Annotated[int, Field(ge=1, le=200)]


# -- the change feed and webhooks --------------------------------------------------------------
class ChangesPage(BaseModel):
    data: list[Change] = Field(description="Changes after the cursor, oldest first.")
    next_cursor: str = Field(
        description="Pass as `since` to get what comes after this page; the same cursor again "
        "when nothing new has happened, so a poller can always keep the last one it got."
    )


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        min_length=8,
        max_length=2_000,
        pattern=r"^https?://[^\s]+$",
        description="Where to POST the signed events (http or https).",
    )
    events: list[ChangeType] = Field(
        default_factory=lambda: list(CHANGE_TYPES),
        min_length=1,
        description="Which change types to send; all of them by default.",
    )


class WebhookPublic(BaseModel):
    id: str
    url: str
    events: list[ChangeType]
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="The signing secret (`whsec_…`), shown only here: verify deliveries with "
        "any Standard Webhooks library, e.g. `standardwebhooks.Webhook(secret).verify(...)`."
    )


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]


class DeliveriesPublic(BaseModel):
    data: list[Delivery]


class RetriedPublic(BaseModel):
    retried: int = Field(description="How many dead deliveries are due again.")


# -- feed subscriptions ---------------------------------------------------------------------------
class FeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        min_length=8, max_length=2_000, pattern=r"^https?://[^\s]+$", description="RSS or Atom URL."
    )
    interval_seconds: float = Field(
        default=900.0, ge=10.0, le=86_400.0, description="How often to poll it (default 15 min)."
    )


class FeedsPublic(BaseModel):
    data: list[Feed]


class FeedPoll(BaseModel):
    feed_id: str
    not_modified: bool = Field(description="The feed answered 304: nothing new was fetched.")
    ingested: list[str] = Field(description="Ids of the documents ingested from new entries.")
    skipped: int = Field(description="Entries ingested by an earlier poll.")
    errors: list[str]
