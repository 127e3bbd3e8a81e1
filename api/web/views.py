"""What the pages show, built from the API's own models as plain values, without HTTP.

The templates only lay these out, so every decision a reader depends on (which cell conflicts
and why, which words are the speaker, which incidents match a search) is made here, in typed
Python that unit tests can call directly.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from api.schemas import IncidentPublic, IncidentSummary
from claims.models import Claim, Incident, IncidentStatus, Relation, RelationType

# -- the incident list ------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentRow:
    """One incident of the list with what a reader scans for: who reported it, where, when."""

    summary: IncidentSummary
    outlets: list[str]

    @property
    def newest(self) -> date | None:
        return self.summary.time_end or self.summary.time_start


def matches(row: IncidentRow, q: str) -> bool:
    """Whether `q` (case-insensitive, every word) occurs in the label, a claimant (the actors
    the incident names), an outlet or a place: the fields a fact-checker searches by."""
    haystack = " ".join(
        [row.summary.label, *row.summary.actors, *row.outlets, *row.summary.places]
    ).casefold()
    return all(word in haystack for word in q.casefold().split())


def in_range(row: IncidentRow, since: date | None, until: date | None) -> bool:
    """Whether the incident's time range overlaps `[since, until]`; an undated incident only
    matches when no range is asked for, since nothing says it happened inside it."""
    if since is None and until is None:
        return True
    start = row.summary.time_start or row.summary.time_end
    end = row.summary.time_end or row.summary.time_start
    if start is None or end is None:
        return False
    return (since is None or end >= since) and (until is None or start <= until)


def order_rows(rows: Sequence[IncidentRow], *, conflicting_first: bool) -> list[IncidentRow]:
    """Newest event first (by its latest date; undated ones last, in the store's order), and,
    on request, the conflicting ones ahead of the rest."""
    by_date = sorted(rows, key=lambda r: (r.newest is None, -(r.newest or date.min).toordinal()))
    if conflicting_first:
        return sorted(by_date, key=lambda r: r.summary.status is not IncidentStatus.CONFLICTING)
    return by_date


# -- the fact sheet ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """A relation as seen from one cell: why this value conflicts with (or updates) another."""

    id: str  # an HTML id, unique on the page, for aria-describedby
    code: str
    text: str
    other: str  # who says the other thing


@dataclass(frozen=True)
class SheetCell:
    value: str
    claims: list[Claim]
    conflicts: list[Note] = field(default_factory=list)
    updates: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class SheetRow:
    fact_id: str
    label: str
    status: IncidentStatus
    cells: list[SheetCell | None]  # one per source column; None: that source says nothing


@dataclass(frozen=True)
class FactSheet:
    sources: list[str]
    rows: list[SheetRow]


def fact_sheet(incident: Incident) -> FactSheet:
    """Facts × sources: the incident's `fact_sheet` rows laid out on one set of source columns
    (in order of first appearance), each cell with its claims and the conflicts and updates that
    touch them, so the reason sits next to the value it is about."""
    claims = {c.id: c for c in incident.claims}
    sources: list[str] = []
    for row in incident.fact_sheet:
        for cell in row.cells:
            if cell.source not in sources:
                sources.append(cell.source)
    touching: dict[str, list[Relation]] = {}
    for relation in incident.relations:
        touching.setdefault(relation.a, []).append(relation)
        touching.setdefault(relation.b, []).append(relation)
    rows: list[SheetRow] = []
    counter = 0
    for row in incident.fact_sheet:
        if not row.cells:
            continue
        by_source: dict[str, SheetCell] = {}
        for cell in row.cells:
            conflicts: list[Note] = []
            updates: list[Note] = []
            seen: set[tuple[str, str]] = set()
            for claim_id in cell.claim_ids:
                for relation in touching.get(claim_id, []):
                    if (relation.a, relation.b) in seen:
                        continue
                    seen.add((relation.a, relation.b))
                    other_id = relation.b if relation.a == claim_id else relation.a
                    other = claims.get(other_id)
                    counter += 1
                    note = Note(
                        id=f"note-{counter}",
                        code=relation.reason.code,
                        text=relation.reason.text,
                        other=other.claimant.name if other is not None else other_id,
                    )
                    if relation.type is RelationType.CONFLICTS:
                        conflicts.append(note)
                    elif relation.type is RelationType.UPDATES:
                        updates.append(note)
            by_source[cell.source] = SheetCell(
                value=cell.value,
                claims=[claims[i] for i in cell.claim_ids if i in claims],
                conflicts=conflicts,
                updates=updates,
            )
        rows.append(
            SheetRow(
                fact_id=row.fact_id,
                label=row.label,
                status=row.status,
                cells=[by_source.get(s) for s in sources],
            )
        )
    return FactSheet(sources=sources, rows=rows)


def facts_fed(incident: IncidentPublic) -> dict[str, list[tuple[str, str]]]:
    """Claim id -> `(fact id, label)` of the fact-sheet rows it feeds ("Ulvarian soldiers
    killed"), each once: the counted facts are what a reader follows from a sentence."""
    out: dict[str, list[tuple[str, str]]] = {}
    for row in incident.fact_sheet:
        for cell in row.cells:
            for claim_id in cell.claim_ids:
                fed = out.setdefault(claim_id, [])
                if (row.fact_id, row.label) not in fed:
                    fed.append((row.fact_id, row.label))
    return out


def relations_of(incident: Incident, kind: RelationType) -> list[Relation]:
    return [r for r in incident.relations if r.type is kind]


# -- the document text with its claims highlighted ----------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A stretch of text inside one paragraph that lies in the same spans throughout."""

    text: str
    role: str | None  # "speaker", "cue" or "content" (the innermost that covers it), or None
    claims: tuple[int, ...]  # the numbers (1-based) of the claims whose spans cover it
    starts: tuple[int, ...]  # claims whose content starts here: where their number is shown


@dataclass(frozen=True)
class Paragraph:
    segments: list[Segment]
    claims: list[tuple[int, Claim]]  # the claims whose content starts in this paragraph


ROLES = ("speaker", "cue", "content")
_PRIORITY = {"speaker": 0, "cue": 1, "content": 2}  # the most specific role names the colour


def _spans(claim: Claim, size: int) -> list[tuple[str, int, int]]:
    """The claim's spans that really lie in the text (stored offsets are trusted, not assumed)."""
    out: list[tuple[str, int, int]] = []
    for role, span in (("speaker", claim.speaker), ("cue", claim.cue), ("content", claim.content)):
        if span is not None and 0 <= span.start < span.end <= size:
            out.append((role, span.start, span.end))
    return out


def highlight(text: str, claims: Sequence[Claim]) -> list[Paragraph]:
    """The text cut at every span edge and line break, each piece tagged with the spans over
    it. Cutting at all edges handles overlapping claims (one claim's speaker inside another's
    content) without nesting markup that could cross."""
    numbered = list(enumerate(claims, start=1))
    spans = [(n, role, s, e) for n, c in numbered for role, s, e in _spans(c, len(text))]
    cuts = {0, len(text)}
    for _, _, s, e in spans:
        cuts.update((s, e))
    for i, ch in enumerate(text):
        if ch == "\n":
            cuts.update((i, i + 1))
    edges = sorted(cuts)
    content_starts: dict[int, list[int]] = {}
    for n, claim in numbered:
        if ("content", claim.content.start, claim.content.end) in _spans(claim, len(text)):
            content_starts.setdefault(claim.content.start, []).append(n)
    paragraphs: list[Paragraph] = []
    current: list[Segment] = []
    owned: list[int] = []

    def close() -> None:
        if any(seg.text.strip() for seg in current) or owned:
            by_number = dict(numbered)
            paragraphs.append(Paragraph(list(current), [(n, by_number[n]) for n in owned]))
        current.clear()
        owned.clear()

    for start, end in itertools.pairwise(edges):
        piece = text[start:end]
        if piece == "\n":
            close()
            continue
        over = [(n, role) for n, role, s, e in spans if s <= start and end <= e]
        role = min((r for _, r in over), key=_PRIORITY.__getitem__, default=None)
        starts = tuple(content_starts.get(start, ()))
        owned.extend(starts)
        current.append(Segment(piece, role, tuple(sorted({n for n, _ in over})), starts))
    close()
    return paragraphs
