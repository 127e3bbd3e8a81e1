"""The data model shared by every stage (DESIGN.md §2).

One module so the CLI, the API and batch jobs serialise exactly the same shapes; models are frozen
because stages hand values forward and must never mutate what an earlier stage produced.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Frozen):
    """Character offsets into `Document.text` (Python str indices): `text == doc.text[start:end]`.

    Offsets, not token ids, so any tool can slice the source without our tokenizer."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class Document(_Frozen):
    id: str
    text: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published_at: datetime | None = None
    language: str = "en"


class ClaimKind(StrEnum):
    DIRECT = "direct"
    INDIRECT = "indirect"
    MIXED = "mixed"
    UNATTRIBUTED = "unattributed"


class Stance(StrEnum):
    ASSERTED = "asserted"
    DENIED = "denied"
    ALLEGED = "alleged"


class EntityType(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    GROUP = "group"
    OUTLET = "outlet"
    DOCUMENT = "document"
    UNKNOWN = "unknown"


class Claimant(_Frozen):
    """Who really made the claim, after resolving pronouns, descriptions and aliases."""

    name: str
    type: EntityType = EntityType.UNKNOWN
    anonymous: bool = False
    mention: Span | None = None  # the span that named the claimant (may precede the claim)
    affiliation: str | None = None  # whom a spokesperson speaks for ("army spokeswoman X")


class Quantity(_Frozen):
    value: float | None
    low: float | None = None
    high: float | None = None
    approximate: bool = False
    unit: str | None = None
    predicate: str | None = None
    span: Span


class TimeExpression(_Frozen):
    span: Span
    value: date | None = None  # resolved against the document's publication date when known
    granularity: str = "day"


class Mention(_Frozen):
    """A named place or actor inside a claim's content."""

    span: Span
    label: str
    name: str


class Claim(_Frozen):
    id: str
    document_id: str
    speaker: Span | None
    cue: Span | None
    content: Span
    kind: ClaimKind
    claimant: Claimant
    stance: Stance = Stance.ASSERTED
    quantities: list[Quantity] = Field(default_factory=list)
    times: list[TimeExpression] = Field(default_factory=list)
    places: list[Mention] = Field(default_factory=list)
    actors: list[Mention] = Field(default_factory=list)


class RelationType(StrEnum):
    CORROBORATES = "corroborates"
    CONFLICTS = "conflicts"


class Reason(_Frozen):
    """Why two claims agree or disagree: a stable machine code and a sentence for people."""

    code: str  # numeric | negation | denial | role_swap | time | place | same_fact | ...
    text: str


class Relation(_Frozen):
    """A relation between two claims (ids); symmetric, stored once with `a < b`."""

    a: str
    b: str
    type: RelationType
    reason: Reason
    score: float = Field(ge=0.0, le=1.0)


class IncidentStatus(StrEnum):
    CONFLICTING = "conflicting"
    CORROBORATED = "corroborated"
    SINGLE_SOURCE = "single_source"
    MIXED = "mixed"


class FactGroup(_Frozen):
    """Claims about the same fact inside an incident, whoever made them."""

    id: str
    label: str
    claim_ids: list[str]
    first_claim_id: str  # from the earliest document (published_at, else input order)
    independent_sources: int
    status: IncidentStatus


class ProvenanceEdge(_Frozen):
    """`source` repeats `target`: a later document carrying an earlier one's claim."""

    source: str  # document id
    target: str  # document id
    kind: str  # same_speaker | cites | wire_copy
    detail: str


class Incident(_Frozen):
    id: str
    label: str
    document_ids: list[str]
    claims: list[Claim]
    facts: list[FactGroup]
    relations: list[Relation]
    status: IncidentStatus
    independent_sources: int
    first_document_id: str
    provenance: list[ProvenanceEdge]
    time_start: date | None = None
    time_end: date | None = None
    places: list[str] = Field(default_factory=list)
    actors: list[str] = Field(default_factory=list)


class DocumentIncident(_Frozen):
    id: str
    incident: str  # the incident most of its claims belong to


class Comparison(_Frozen):
    documents: list[DocumentIncident]
    incidents: list[Incident]
