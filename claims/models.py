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


class Polarity(StrEnum):
    ASSERTED = "asserted"
    NEGATED = "negated"  # "no soldier was killed", "suffered no losses": the count is zero
    # "denied that 40 people died", "the claim that two soldiers died is a lie": the speaker
    # says the count is wrong, which contradicts whoever gives it and supports no one
    DENIED = "denied"


class Modality(StrEnum):
    ASSERTED = "asserted"
    ALLEGED = "alleged"
    HEDGED = "hedged"  # "could not confirm", "may have": no commitment, so no conflict


class Frame(_Frozen):
    """What a claim asserts, as a slot and a value: *killed × soldiers = [6, 6]*.

    `event` is a class from `data/frames.json` (killed, wounded, attacked, spilled, cost, ...) or,
    for a verb the lexicon lacks, its lemma; `category` who or what was counted or affected
    (soldiers, people, barrels ...). `low`/`high` bound the count (None: open), `[0, 0]` for "no",
    "none", "not one"."""

    event: str
    category: str | None = None
    side: str | None = None  # whose people: "Ulvarian" soldiers, "our" (= the speaker's) fighters
    low: float | None = None
    high: float | None = None
    approximate: bool = False
    polarity: Polarity = Polarity.ASSERTED
    modality: Modality = Modality.ASSERTED
    trigger: Span  # the words that carry the value ("at least 15", "no losses")


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
    frames: list[Frame] = Field(default_factory=list)


class RelationType(StrEnum):
    CORROBORATES = "corroborates"
    CONFLICTS = "conflicts"
    UPDATES = "updates"  # the same source revising its own figure later ("the toll rose to 9")


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
    # Who found it: "frames" (claim frames), "rules" (wording rules), "similarity" (a cue plus
    # closeness of meaning), "model" (the trained NLI model); "<x>+model" when the model confirmed.
    scorer: str = "rules"

    @classmethod
    def between(
        cls, a: str, b: str, kind: RelationType, code: str, text: str, score: float, scorer: str
    ) -> Relation:
        """The relation of claims `a` and `b` (ids, either order), stored with `a < b`; the score
        clamped to [0, 1] and rounded to three decimals."""
        x, y = sorted((a, b))
        return cls(
            a=x,
            b=y,
            type=kind,
            reason=Reason(code=code, text=text),
            score=round(min(1.0, max(0.0, score)), 3),
            scorer=scorer,
        )


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


class FactCell(_Frozen):
    """One source's value for one fact: what it says, in which claims."""

    source: str  # the source's name as people read it ("army", "village chief")
    value: str  # "6", "≥ 9", "none", "12 → 15" (an update chain, oldest first)
    claim_ids: list[str]
    first_document_id: str


class FactRow(_Frozen):
    """A fact as a slot (event × category, e.g. "soldiers killed") and every source's value."""

    fact_id: str
    label: str
    event: str
    category: str | None
    cells: list[FactCell]
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
    fact_sheet: list[FactRow] = Field(default_factory=list)
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
