"""Facts as slots: claims whose frames describe the same thing, however they are worded.

A slot is an event class × a category of who or what was affected ("killed × soldiers"). Every
frame of every claim in an incident lands in its slot; inside a slot, each source's values are
compared with every other source's:

- disjoint values → `conflicts` (`numeric`; `negation` when one side says none; `denial` when
  that side also disputes the other's account: "propaganda", "denies");
- equal values from independent sources → `corroborates` (`numeric_agree`);
- the same source with a new value later → `updates` ("the toll rose to 9"), never a conflict;
- a hedged claim ("could not confirm") contradicts nothing.

The fact sheet is the slot × source table a fact-checker writes by hand: "soldiers killed: army
0 · FLS > 20". A fact (`FactGroup`) is a slot's claims that agree on one value, so "who reported
37 first" names the first report of 37, not of the slot.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from claims.extraction.frames import SELF, FrameLexicon, load_frame_lexicon
from claims.models import (
    Claim,
    FactCell,
    FactRow,
    Frame,
    IncidentStatus,
    Modality,
    Polarity,
    Relation,
    RelationType,
    Stance,
)

TOLERANCE = 0.1  # "about 20" allows 18-22
_EPS = 1e-9
# Event classes a count belongs to; other frames (a lemma the lexicon lacks) still fill a slot,
# but only these make numeric conflicts, where a reading error is costly.
COUNTED_EVENTS = frozenset(
    {
        "killed", "wounded", "missing", "trapped", "rescued", "arrested", "escaped", "displaced",
        "released", "paid", "jobs_cut", "turnout", "cost", "spilled", "burned", "destroyed",
        "affected", "recalled", "duration", "amount", "recovered", "on_duty", "aboard",
        "hospitalised",
    }
)  # fmt: skip
UNSHEETED = frozenset({"distance"})  # "300 metres from the border" locates; it is no fact
DURATIONS = frozenset({"hours", "minutes", "days"})
HUMAN_EVENTS = frozenset(
    {"killed", "wounded", "missing", "trapped", "rescued", "arrested", "escaped", "displaced",
     "released", "turnout", "affected", "jobs_cut", "on_duty", "aboard", "hospitalised"}
)  # fmt: skip
EVENT_WORDS = {
    "killed": "killed", "wounded": "wounded", "missing": "missing", "trapped": "trapped",
    "rescued": "rescued", "arrested": "arrested", "escaped": "escaped", "displaced": "displaced",
    "released": "released", "paid": "paid", "jobs_cut": "jobs cut", "turnout": "turnout",
    "cost": "cost", "spilled": "spilled", "burned": "burned", "destroyed": "destroyed",
    "affected": "affected", "recalled": "recalled", "duration": "duration", "amount": "amount",
    "recovered": "recovered", "on_duty": "on duty", "aboard": "on board",
    "hospitalised": "in hospital",
}  # fmt: skip


@dataclass(frozen=True)
class Reading:
    """One frame of one claim, with who stands behind it and when it was published."""

    claim: Claim
    frame: Frame
    source: str  # independence key (compare.source_key)
    party: str  # the source's name for people
    rank: int  # publication order of the claim's document (0 = first)

    @property
    def side(self) -> str | None:
        """Whose people the frame counts, as a comparable stem ("ulvarian" → "ulvari"); the
        speaker's own side ("our soldiers") is the source's party name."""
        side = self.frame.side
        if side is None:
            return None
        return self.source.split(":", 1)[-1] if side == SELF else _stem(side)

    @property
    def interval(self) -> tuple[float, float] | None:
        f = self.frame
        if f.low is None and f.high is None:
            return None
        low = f.low if f.low is not None else 0.0
        high = f.high if f.high is not None else math.inf
        if f.approximate:
            low, high = low * (1 - TOLERANCE), high * (1 + TOLERANCE)
        return low, high

    @property
    def point(self) -> float | None:
        f = self.frame
        if f.low is not None and f.low == f.high:
            return f.low
        return None

    @property
    def value_text(self) -> str:
        f = self.frame
        if f.polarity is Polarity.NEGATED:
            return "none"
        value = self._figure()
        return f"not {value}" if f.polarity is Polarity.DENIED else value

    def _figure(self) -> str:
        f = self.frame
        unit = load_frame_lexicon().unit_names.get(f.category or "")
        if f.low is not None and f.high is not None:
            v = _num(f.low) if f.low == f.high else f"{_num(f.low)}–{_num(f.high)}"
            v = f"~{v}" if f.approximate else v
        elif f.low is not None:
            v = f"≥ {_num(f.low)}"
        elif f.high is not None:
            v = f"≤ {_num(f.high)}"
        else:
            return "?"
        return f"{v} {unit}" if unit else v


@dataclass(frozen=True)
class SlotOutcome:
    relations: list[Relation]
    groups: list[list[Reading]]  # readings agreeing on one value: the slot's facts
    rows: list[FactRow]


class SlotComparer:
    """Relates the readings of one incident slot by slot (see the module docstring)."""

    def __init__(
        self,
        lexicon: FrameLexicon | None = None,
        disputes: Callable[[Claim], bool] | None = None,
    ) -> None:
        self.lexicon = lexicon or load_frame_lexicon()
        self._disputes = disputes or self.default_disputes

    def default_disputes(self, claim: Claim) -> bool:
        """The claim calls another account false ("propaganda", "denies", "baseless")."""
        if claim.stance is Stance.DENIED:
            return True
        low = " " + " ".join(re.findall(r"[\w']+", claim.content.text.lower())) + " "
        return any(f" {w} " in low for w in self.lexicon.denial_words)

    def run(self, readings: Sequence[Reading]) -> SlotOutcome:
        slots: dict[tuple[str, str | None, str | None], list[Reading]] = defaultdict(list)
        for r in _wholes(self._adopted(readings)):
            slots[r.frame.event, r.frame.category, r.side].append(r)
        superseded = _superseded(slots)
        relations: dict[tuple[str, str, str], Relation] = {}
        groups: list[list[Reading]] = []
        rows: list[FactRow] = []
        keys = sorted(slots, key=lambda k: (k[0], k[1] or "", k[2] or ""))
        lex = self.lexicon
        for i, key in enumerate(keys):
            mine = slots[key]
            # compare with this slot and with compatible ones after it ("people" vs "workers",
            # a side left unsaid vs a named one)
            partners = [mine] + [
                slots[k]
                for k in keys[i + 1 :]
                if self._victims_match(key, k, mine, slots[k])
                and lex.same_event(k[0], key[0], key[1])
                and _same_side(k[2], key[2])
            ]
            for j, other in enumerate(partners):
                for rel in self._relate(mine, other, superseded, same=j == 0):
                    relations.setdefault((rel.a, rel.b, rel.type.value), rel)
            groups.extend(_agreeing(mine))
            if self.sheet_slot(key[0], key[1]):
                rows.append(_row(key, mine, relations))
        return SlotOutcome(relations=list(relations.values()), groups=groups, rows=rows)

    def _victims_match(
        self,
        x: tuple[str, str | None, str | None],
        y: tuple[str, str | None, str | None],
        xs: Sequence[Reading],
        ys: Sequence[Reading],
    ) -> bool:
        """Compatible categories, or a speaker's own unnamed people against a named category of
        the same side: "we suffered no losses" (our people) says that none of "two of our
        soldiers" died, whatever kind of people the speaker's are."""
        lex = self.lexicon
        if lex.compatible(x[1], y[1]):
            return True
        if x[2] is None or y[2] is None:
            return False
        own_generic = [
            slot
            for slot, rs in ((x, xs), (y, ys))
            if slot[1] == lex.generic and all(r.frame.side == SELF for r in rs)
        ]
        return bool(own_generic)

    def _adopted(self, readings: Sequence[Reading]) -> list[Reading]:
        """A figure whose verb names no counted event ("documents put the contract at $4.8
        billion", "we have the names of 84 people") joins the counted event the incident's other
        reports give for the same category ("the deal cost $2.1 billion"): for things, when
        there is one such event; for people, and whenever there are several, the one whose
        words the claim also uses ("... some were detained on their way home")."""
        lex = self.lexicon
        counted: dict[str | None, set[str]] = defaultdict(set)
        for r in readings:
            if self.sheet_slot(r.frame.event, r.frame.category):
                counted[r.frame.category].add(r.frame.event)
        out: list[Reading] = []
        for r in readings:
            f = r.frame
            if self.sheet_slot(f.event, f.category) or f.category not in lex.known:
                out.append(r)
                continue
            options = {
                e
                for c, events in counted.items()
                if lex.compatible(c, f.category)
                for e in events
                if self.sheet_slot(e, f.category)
            }
            if f.category in lex.measures and f.category not in DURATIONS:
                # "amount" is a bare figure of the thing, compatible with any of its events
                # (not of a duration: "worked for 12 hours" and "drove for 14 hours" differ)
                options = (options - {"amount"}) or {"amount"}
            if len(options) > 1 or f.category not in lex.measures:
                # for people, a bare count ("31,000 people were inside") is no toll: the
                # claim must also say what happened to them
                words = set(re.findall(r"[a-z]+", r.claim.content.text.lower()))
                options = {e for e in options if _names_event(words, e, lex)}
            if len(options) != 1:
                out.append(r)
                continue
            (event,) = options
            out.append(replace(r, frame=f.model_copy(update={"event": event})))
        return out

    def sheet_slot(self, event: str, category: str | None) -> bool:
        """A slot worth a fact-sheet row and a numeric comparison: a counted event of the
        lexicon about a known category, people with what happens to people ("killed", not
        "cost") and things with what happens to things."""
        lex = self.lexicon
        if event not in COUNTED_EVENTS or (event == "amount" and category not in lex.measures):
            return False
        if category not in lex.known or category in UNSHEETED:
            return False
        human = category not in lex.measures
        return (event in HUMAN_EVENTS) == human

    def _relate(
        self,
        xs: list[Reading],
        ys: list[Reading],
        superseded: frozenset[tuple[str, int]],
        *,
        same: bool,
    ) -> list[Relation]:
        out: list[Relation] = []
        for i, a in enumerate(xs):
            for b in ys[i + 1 :] if same else ys:
                if a.claim.id == b.claim.id:
                    continue
                rel = self.relate(a, b, superseded)
                if rel is not None:
                    out.append(rel)
        return out

    def relate(
        self, a: Reading, b: Reading, superseded: frozenset[tuple[str, int]] = frozenset()
    ) -> Relation | None:
        """Two readings of one slot: conflict, corroboration, update or nothing. `superseded`:
        readings (`_reading_key`) whose source later gave another figure for the slot."""
        if not self.sheet_slot(a.frame.event, a.frame.category):
            return None
        if not _same_side(a.side, b.side):
            return None  # "three Ulvarian servicemen" vs "two Tarsenian soldiers"
        ia, ib = a.interval, b.interval
        if ia is None or ib is None:
            return None
        agree = _overlap(ia, ib)
        denied = [r for r in (a, b) if r.frame.polarity is Polarity.DENIED]
        if denied:
            return _denied_pair(a, b, denied, agree)
        if a.source == b.source:
            if agree or a.rank == b.rank:
                return None
            old, new = (
                (a, b)
                if (a.rank, a.claim.content.start) < (b.rank, b.claim.content.start)
                else (b, a)
            )
            text = (
                f"{new.party} revised {_slot_words(a.frame)} from {old.value_text} "
                f"to {new.value_text}"
            )
            return _relation(a, b, RelationType.UPDATES, "update", text, 0.8)
        if agree:
            pa, pb = a.point, b.point
            if pa is None or pb is None or not _close(pa, pb):
                return None  # compatible ("at least 15" vs 37), not the same figure
            text = f"{a.party} and {b.party} both give {a.value_text} {_slot_words(a.frame)}"
            return _relation(a, b, RelationType.CORROBORATES, "numeric_agree", text, 0.8)
        if Modality.HEDGED in {a.frame.modality, b.frame.modality}:
            return None
        if superseded & {_reading_key(a), _reading_key(b)}:
            return None  # a figure its own source later revised is history, not its account
        negated = [r for r in (a, b) if r.frame.polarity is Polarity.NEGATED]
        if len(negated) == 1:
            neg = negated[0]
            pos = b if neg is a else a
            code = "denial" if self._disputes(neg.claim) else "negation"
            verb = "denies" if code == "denial" else "says"
            text = (
                f"{neg.party} {verb} no {_slot_words(neg.frame)} (“{_snip(neg)}”); "
                f"{pos.party} says {pos.value_text} (“{_snip(pos)}”)"
            )
            return _relation(a, b, RelationType.CONFLICTS, code, text, 0.85)
        text = (
            f"{_slot_words(a.frame)}: “{a.frame.trigger.text}” ({a.party}) vs "
            f"“{b.frame.trigger.text}” ({b.party})"
        )
        return _relation(a, b, RelationType.CONFLICTS, "numeric", text, 0.9)


def _reading_key(r: Reading) -> tuple[str, int]:
    """One frame of one claim: claims hold a frame per figure, each at its own position."""
    return r.claim.id, r.frame.trigger.start


def _superseded(
    slots: Mapping[tuple[str, str | None, str | None], Sequence[Reading]],
) -> frozenset[tuple[str, int]]:
    """Readings whose source gave another figure for the same slot in a later report ("five
    were killed", then "the toll has risen to seven"): the earlier figure is an update's
    first step, so it meets other sources' figures no more; the latest one does."""
    out: set[tuple[str, int]] = set()
    for readings in slots.values():
        for r in readings:
            iv = r.interval
            if iv is None or r.frame.polarity is Polarity.DENIED:
                continue
            for later in readings:
                lv = later.interval
                if (
                    later.source == r.source
                    and later.rank > r.rank
                    and lv is not None
                    and later.frame.polarity is not Polarity.DENIED
                    and not _overlap(iv, lv)
                ):
                    out.add(_reading_key(r))
                    break
    return frozenset(out)


def _denied_pair(a: Reading, b: Reading, denied: Sequence[Reading], agree: bool) -> Relation | None:
    """A count someone calls false ("the claim that two soldiers died is a lie") against the
    same count from another source: a denial. Against another figure, none or a hedge it says
    nothing: denying 40 is not asserting 12."""
    if len(denied) != 1 or a.source == b.source or not agree:
        return None
    d = denied[0]
    p = b if d is a else a
    if p.frame.polarity is not Polarity.ASSERTED or p.frame.modality is Modality.HEDGED:
        return None
    text = (
        f"{d.party} denies {p.value_text} {_slot_words(p.frame)} (“{_snip(d)}”); "
        f"{p.party} says {p.value_text} (“{_snip(p)}”)"
    )
    return _relation(a, b, RelationType.CONFLICTS, "denial", text, 0.85)


def _names_event(words: set[str], event: str, lex: FrameLexicon) -> bool:
    """Whether any of the words is a form of one of the event's lemmas ("detained": "detain")."""
    lemmas = [w for w, e in lex.events.items() if e == event and " " not in w]
    return any(word.startswith(lemma) for word in words for lemma in lemmas if len(lemma) >= 4)


def _wholes(readings: Sequence[Reading]) -> list[Reading]:
    """One claim, two counts of one slot: the smaller is a part of the larger ("23 dead, among
    them seven children", "27 officers hurt, four of them seriously"), not a second figure, so
    only the largest meets other claims."""
    best: dict[tuple[str, str, str | None, str | None], Reading] = {}
    for r in readings:
        key = (r.claim.id, r.frame.event, r.frame.category, r.side)
        if key not in best or _size(r) > _size(best[key]):
            best[key] = r
    return [r for r in readings if best[r.claim.id, r.frame.event, r.frame.category, r.side] is r]


def _size(r: Reading) -> float:
    f = r.frame
    return max(x for x in (f.low, f.high, 0.0) if x is not None)


def _stem(name: str) -> str:
    low = name.lower().replace("’", "'").removesuffix("'s")
    for suffix in ("ian", "ean", "an", "ese", "i", "ish"):
        if low.endswith(suffix) and len(low) - len(suffix) >= 4:
            return low[: -len(suffix)]
    return low


def _same_side(a: str | None, b: str | None) -> bool:
    """Unknown sides are compatible; known ones must name one party ("ulvari" is in
    "ulvarian ministry of defence")."""
    if a is None or b is None:
        return True
    return a == b or a in b or b in a


def _agreeing(readings: list[Reading]) -> list[list[Reading]]:
    """Readings of a slot grouped by value: each group holds values that overlap its first.
    A denied count ("the claim that 40 died is false") is no statement of that fact, so it
    groups only with other denials."""
    groups: list[list[Reading]] = []
    for r in sorted(readings, key=lambda r: (r.rank, r.claim.content.start)):
        iv = r.interval
        denied = r.frame.polarity is Polarity.DENIED
        for g in groups:
            if (g[0].frame.polarity is Polarity.DENIED) != denied:
                continue
            gv = g[0].interval
            if iv is not None and gv is not None and _overlap(iv, gv):
                g.append(r)
                break
            if iv is None and gv is None:
                g.append(r)
                break
        else:
            groups.append([r])
    return groups


def _row(
    key: tuple[str, str | None, str | None],
    readings: list[Reading],
    relations: Mapping[tuple[str, str, str], Relation],
) -> FactRow:
    by_source: dict[str, list[Reading]] = defaultdict(list)
    for r in sorted(readings, key=lambda r: (r.rank, r.claim.content.start)):
        by_source[r.source].append(r)
    cells: list[FactCell] = []
    for rs in by_source.values():
        values: list[str] = []
        for r in rs:
            if not values or values[-1] != r.value_text:
                values.append(r.value_text)
        cells.append(
            FactCell(
                source=rs[0].party,
                value=" → ".join(values),
                claim_ids=list(dict.fromkeys(r.claim.id for r in rs)),
                first_document_id=rs[0].claim.document_id,
            )
        )
    ids = {r.claim.id for r in readings}
    mine = [rel for rel in relations.values() if rel.a in ids or rel.b in ids]
    conflicts = any(r.type is RelationType.CONFLICTS for r in mine)
    agrees = any(r.type is RelationType.CORROBORATES for r in mine)
    status = (
        IncidentStatus.MIXED
        if conflicts and agrees
        else IncidentStatus.CONFLICTING
        if conflicts
        else IncidentStatus.CORROBORATED
        if agrees
        else IncidentStatus.SINGLE_SOURCE
    )
    event, category, _ = key
    side = readings[0].frame.side
    who = readings[0].party if side == SELF else side
    label = _slot_words(readings[0].frame)
    return FactRow(
        fact_id="slot_" + hashlib.sha1("\0".join(map(str, key)).encode()).hexdigest()[:12],
        label=f"{who} {label}" if who else label,
        event=event,
        category=category,
        cells=cells,
        status=status,
    )


def _relation(
    a: Reading, b: Reading, kind: RelationType, code: str, text: str, score: float
) -> Relation:
    return Relation.between(a.claim.id, b.claim.id, kind, code, text, score, scorer="frames")


def _slot_words(frame: Frame) -> str:
    event = EVENT_WORDS.get(frame.event, frame.event)
    return f"{frame.category} {event}" if frame.category else event


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] + _EPS and b[0] <= a[1] + _EPS


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b)) + _EPS


def _num(x: float) -> str:
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}".rstrip("0")


def _snip(r: Reading, limit: int = 70) -> str:
    text = " ".join(r.claim.content.text.strip("“”\"' ").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
