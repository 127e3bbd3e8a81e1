"""Normalise a claim's content: quantities, times, places, actors and stance.

Claims are compared across outlets ("six soldiers died" vs "6 troops killed"), so the content's
numbers, dates and names are turned into values here, once, from the spaCy parse of the whole
document. Every returned `Span` indexes `doc.text`, and only entities wholly inside the content's
[start, end) are used, so a span never straddles the claim boundary.

Number words are read with the small table below rather than `word2number`: news copy needs only
cardinals up to billions plus vague plurals ("dozens"), and the library is unmaintained and raises
on input it does not know. Conventions (the data tables below are the single place to change them):

- `predicate` is the lemma of the governing verb ("die", "kill", "wound"); a small-clause
  adjective is mapped to its verb ("left six soldiers dead" -> "die").
- `unit` is the counted noun as written ("soldiers"); "percent" for PERCENT; the non-numeric words
  of a MONEY/QUANTITY entity ("$", "km").
- the quantity's span covers the number with its modifier ("at least 24"), not the unit noun.
- exact values have low == high == value; "about"/"some" set only approximate=True (any bound
  would be invented); vague plurals ("dozens") have value None and an order-of-magnitude range.
- time values of month/year granularity are the first day of that month/year.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import spacy.tokens
from dateparser.date import DateDataParser
from pydantic import BaseModel, ConfigDict

from claims.extraction.frames import FrameReader
from claims.models import Frame, Mention, Quantity, Span, Stance, TimeExpression

DENY_LEMMAS = frozenset({"deny", "dismiss", "reject", "refute", "rebut", "dispute"})
ALLEGE_LEMMAS = frozenset({"allege", "claim", "accuse"})
HEDGE_RE = re.compile(r"\b(?:allegedly|reportedly)\b", re.IGNORECASE)

QUANTITY_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
TIME_LABELS = frozenset({"DATE", "TIME"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
ACTOR_LABELS = frozenset({"PERSON", "ORG", "NORP"})

# fmt: off
SMALL = {w: i for i, w in enumerate([
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen"])}
TENS = {w: 10 * (i + 2) for i, w in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# Vague plurals: order-of-magnitude (low, high); the value itself stays None.
VAGUE = {
    "dozens": (24.0, 99.0), "scores": (40.0, 99.0), "hundreds": (200.0, 999.0),
    "thousands": (2e3, 9999.0), "tens of thousands": (2e4, 99999.0),
    "hundreds of thousands": (2e5, 999999.0), "millions": (2e6, 9999999.0),
}
# Modifier phrase before a number -> (approximate, sets low, sets high); longest match wins.
# "between" only marks "between X and Y" as a range.
MODIFIERS: dict[str, tuple[bool, bool, bool]] = {
    phrase: effect
    for effect, phrases in [
        ((True, False, False), ["about", "around", "approximately", "roughly", "some",
                                "an estimated"]),
        ((True, False, True), ["nearly", "almost", "close to", "just under"]),
        ((False, True, False), ["at least", "more than", "over", "upwards of", "no fewer than",
                                "no less than"]),
        ((False, False, True), ["up to", "as many as", "at most", "no more than", "fewer than",
                                "less than", "under"]),
        ((False, True, True), ["a total of"]),
        ((False, False, False), ["between"]),
    ]
    for phrase in phrases
}
# fmt: on
NUMBER_WORDS = frozenset({*SMALL, *TENS, *SCALES, *VAGUE, "hundred", "dozen", "tens", "%"})
# Result adjectives in small clauses ("left six dead") mapped to the verb lemma we report.
PREDICATE_ADJ = {"dead": "die", "injured": "injure", "wounded": "wound", "missing": "miss"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_RE = re.compile(
    r"(?:(?:on|early|late|later|earlier)\s+)?(" + "|".join(WEEKDAYS) + r")"
    r"(?:\s+(?:morning|afternoon|evening|night))?",
    re.IGNORECASE,
)
YEAR_PREPS = frozenset({"in", "since", "by", "until", "from", "of"})
# Two fixed bases: an expression resolving identically against both is absolute, not relative.
_PROBE_BASES = (datetime(2001, 3, 7, 12), datetime(2011, 10, 20, 12))
NUM_CHARS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


class Normalised(BaseModel):
    """What `normalise` extracts from one claim's content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quantities: list[Quantity]
    times: list[TimeExpression]
    places: list[Mention]
    actors: list[Mention]
    stance: Stance
    frames: list[Frame] = []


class _Ent(NamedTuple):
    """One entity of the document, its attributes read once (spaCy builds them on every access)."""

    span: spacy.tokens.Span
    start_char: int
    end_char: int
    label: str
    text: str


def _span(text: str, start: int, end: int) -> Span:
    return Span(start=start, end=end, text=text[start:end])


def _is_numeric(tok: spacy.tokens.Token) -> bool:
    low = tok.lower_
    return bool(NUM_CHARS.fullmatch(low)) or low in NUMBER_WORDS


def _parse_number(words: list[str]) -> float | None:
    """Digits and/or English number words -> float; None for anything it does not know."""
    total, current, seen = 0.0, 0.0, False
    for w in words:
        if w in {"and", "a", "an", "-"}:
            continue
        if NUM_CHARS.fullmatch(w):
            current += float(w.replace(",", ""))
        elif w in SMALL or w in TENS:
            current += SMALL.get(w, TENS.get(w, 0))
        elif w in {"hundred", "dozen"}:
            current = max(current, 1.0) * (100 if w == "hundred" else 12)
        elif w in SCALES:
            total, current = total + max(current, 1.0) * SCALES[w], 0.0
        else:
            return None
        seen = True
    return total + current if seen else None


def _predicate(
    nominal: spacy.tokens.Token, after: spacy.tokens.Token | None, start: int, end: int
) -> str | None:
    """Lemma of the verb (or result adjective) that says what happened to the counted thing."""
    cands = [after] if after is not None and after.dep_ != "amod" else []
    cands += [c for c in nominal.head.children if c.dep_ in {"oprd", "acomp"} and c.i > nominal.i]
    for c in cands:
        if c is not None and (c.lower_ in PREDICATE_ADJ or c.tag_ == "VBN"):
            return PREDICATE_ADJ.get(c.lower_, c.lemma_)
    tok = nominal
    for _ in range(6):
        if tok.head is tok:
            break
        tok = tok.head
        if tok.pos_ == "VERB" or (tok.pos_ == "ADJ" and tok.lower_ in PREDICATE_ADJ):
            inside = start <= tok.idx and tok.idx + len(tok.text) <= end
            return PREDICATE_ADJ.get(tok.lower_, tok.lemma_) if inside else None
    return None


def _quantity(
    doc: spacy.tokens.Doc,
    text: str,
    toks: list[spacy.tokens.Token],
    label: str,
    start: int,
    end: int,
) -> Quantity | None:
    nums = [t for t in toks if _is_numeric(t) and t.lower_ != "%"]
    if not nums or (len(toks) == 1 and toks[0].lower_ == "one" and toks[0].pos_ != "NUM"):
        return None
    first = nums[0]
    # Modifier words: those inside the entity before the number, plus up to 3 tokens before it.
    pre = [t for t in doc[max(first.i - 3, 0) : first.i] if t.idx >= start]
    pre_text = " ".join(t.lower_ for t in pre)
    mod = max(
        (m for m in MODIFIERS if pre_text == m or pre_text.endswith(" " + m)), key=len, default=None
    )
    words = [t.lower_ for t in doc[first.i : nums[-1].i + 1]]
    joined = " ".join(words)
    low = high = value = None
    approximate = False
    if joined in VAGUE:
        low, high = VAGUE[joined]
        approximate = True
    elif cuts := [
        i
        for i, w in enumerate(words)
        if w == "to"
        or (w == "and" and mod == "between")
        or (w == "-" and 0 < i < len(words) - 1 and words[i - 1][0].isdigit())
    ]:
        low, high = _parse_number(words[: cuts[0]]), _parse_number(words[cuts[0] + 1 :])
        if low is None or high is None:
            return None
    else:
        value = _parse_number(words)
        if value is None:
            return None
        is_year = (
            len(nums) == 1
            and label != "MONEY"
            and re.fullmatch(r"1[89]\d\d|20\d\d", joined)
            and first.i > 0
            and doc[first.i - 1].lower_ in YEAR_PREPS
        )
        if is_year:
            return None
        approx, sets_low, sets_high = MODIFIERS.get(mod or "", (False, True, True))
        approximate = approx
        low = value if sets_low else None
        high = value if sets_high else None
    span_start = pre[len(pre) - len(mod.split())].idx if mod else min(first.idx, toks[0].idx)
    last = toks[-1] if toks[-1].i >= nums[-1].i else nums[-1]
    lo = min(toks[0].i, first.i)
    # The phrase's syntactic root: a number (else any token) attached outside the phrase.
    root = next((t for t in nums + toks if not lo <= t.head.i <= last.i), nums[-1])
    unit: str | None = None
    nominal = root
    if label == "PERCENT":
        unit = "percent"
    elif label in {"MONEY", "QUANTITY"}:
        unit = (
            " ".join(
                t.text for t in toks if t.is_currency or (t.i > first.i and not _is_numeric(t))
            )
            or None
        )
    if (
        unit is None
        and root.head.pos_ in {"NOUN", "PROPN"}
        and root.dep_ in {"nummod", "quantmod", "compound", "amod"}
        and root.head.i > last.i
    ):
        nominal = root.head
        unit = nominal.text
    elif unit is None:
        of = [c for c in root.children if c.lower_ == "of"]
        pobj = [g for c in of for g in c.children if g.dep_ == "pobj"]
        if pobj and pobj[0].pos_ in {"NOUN", "PROPN"} and pobj[0].idx < end:
            unit = pobj[0].text
    if nominal.idx + len(nominal.text) > end:
        unit, nominal = None, root
    nxt = nominal.i + 1
    after = doc[nxt] if nxt < len(doc) and doc[nxt].idx + len(doc[nxt].text) <= end else None
    return Quantity(
        value=value,
        low=low,
        high=high,
        approximate=approximate,
        unit=unit,
        predicate=_predicate(nominal, after, start, end),
        span=_span(text, span_start, last.idx + len(last.text)),
    )


def _opening_number(tok: spacy.tokens.Token) -> bool:
    """ "Eleven of our comrades died": a number word opening a sentence or a quote is often
    tagged a proper noun; it is still a count."""
    doc = tok.doc
    opens = tok.is_sent_start or tok.i == 0 or doc[tok.i - 1].is_punct
    return bool(tok.is_title and tok.lower_ in NUMBER_WORDS and opens)


def _quantities(index: _DocIndex, start: int, end: int) -> list[Quantity]:
    """Numeric entities plus stray number tokens that no entity (e.g. DATE) has claimed."""
    doc = index.doc
    groups: list[tuple[list[spacy.tokens.Token], str]] = []
    for ent in index.ents:
        if ent.label in QUANTITY_LABELS and start <= ent.start_char and ent.end_char <= end:
            groups.append((list(ent.span), ent.label))
    covered = index.covered
    # only tokens starting in [start, end] can lie inside the content
    lo, hi = bisect_left(index.token_starts, start), bisect_right(index.token_starts, end)
    for tok in doc[lo:hi]:
        if tok.i in covered or not (start <= tok.idx and tok.idx + len(tok.text) <= end):
            continue
        if (tok.like_num and (tok.pos_ == "NUM" or _opening_number(tok))) or tok.lower_ in VAGUE:
            if groups and groups[-1][1] == "" and groups[-1][0][-1].i == tok.i - 1:
                groups[-1][0].append(tok)
            else:
                groups.append(([tok], ""))
    found = (
        _quantity(doc, index.text, toks, label or "CARDINAL", start, end) for toks, label in groups
    )
    return sorted((q for q in found if q is not None), key=lambda q: q.span.start)


@lru_cache(maxsize=32)
def _parser(base: datetime) -> DateDataParser:
    """Building a parser costs milliseconds; a document's claims share one publication date."""
    return DateDataParser(
        languages=["en"], settings={"PREFER_DATES_FROM": "past", "RELATIVE_BASE": base}
    )


def _resolve(text: str, base: datetime) -> tuple[date | None, str]:
    """Resolve one expression against `base`; weekdays are the latest on or before it.

    The result depends only on the text and the base's wall-clock time (an aware base is read in
    its own zone), so it is memoised on those: news copy repeats its time expressions."""
    return _resolve_naive(text, base.replace(tzinfo=None))


@lru_cache(maxsize=4096)
def _resolve_naive(text: str, base: datetime) -> tuple[date | None, str]:
    if m := WEEKDAY_RE.fullmatch(text.strip()):
        back = (base.weekday() - WEEKDAYS.index(m.group(1).lower())) % 7
        return (base - timedelta(days=back)).date(), "day"
    try:
        data = _parser(base.replace(tzinfo=None)).get_date_data(text)
    except Exception:  # dateparser raises on odd input (overflow, regex); never fail a claim
        return None, "day"
    got, period = data.date_obj, str(data.period or "day")
    if not isinstance(got, datetime):
        return None, period
    day = got.date()
    if period == "month":
        day = day.replace(day=1)
    elif period == "year":
        day = day.replace(month=1, day=1)
    return day, period


def _times(
    index: _DocIndex, start: int, end: int, published_at: datetime | None
) -> list[TimeExpression]:
    out = []
    for ent in index.ents:
        if ent.label not in TIME_LABELS or ent.start_char < start or ent.end_char > end:
            continue
        text = re.sub(r"^(?:in|on|at)\s+", "", ent.text, flags=re.IGNORECASE)
        if published_at is not None:
            value, gran = _resolve(text, published_at)
        else:  # absolute only if two unrelated bases agree
            (a, gran), (b, _) = (_resolve(text, base) for base in _PROBE_BASES)
            value = a if a == b else None
        out.append(
            TimeExpression(
                span=_span(index.text, ent.start_char, ent.end_char),
                value=value,
                granularity=gran,
            )
        )
    return out


def _mentions(index: _DocIndex, start: int, end: int, labels: frozenset[str]) -> list[Mention]:
    return [
        Mention(
            span=_span(index.text, e.start_char, e.end_char),
            label=e.label,
            name=re.sub(r"^the\s+", "", e.text, flags=re.IGNORECASE),
        )
        for e in index.ents
        if e.label in labels and start <= e.start_char and e.end_char <= end
    ]


def _stance(content: str, cue_lemma: str | None, negated_cue: bool) -> Stance:
    lemma = (cue_lemma or "").lower()
    if negated_cue or lemma in DENY_LEMMAS:
        return Stance.DENIED
    if lemma in ALLEGE_LEMMAS or HEDGE_RE.search(content):
        return Stance.ALLEGED
    return Stance.ASSERTED


class _DocIndex:
    """What every claim of one document reads: the text, the entities and the token offsets.

    spaCy rebuilds `Doc.text` and `Doc.ents` from the tokens on every access, which costs more
    than the rules themselves when done per claim."""

    def __init__(self, doc: spacy.tokens.Doc) -> None:
        self.doc = doc
        self.text = doc.text
        self.ents = [_Ent(e, e.start_char, e.end_char, e.label_, e.text) for e in doc.ents]
        self.covered = {i for e in self.ents for i in range(e.span.start, e.span.end)}
        self.token_starts = [t.idx for t in doc]


class DocNormaliser:
    """`normalise` for many spans of one parsed document, reading the document once."""

    def __init__(self, doc: spacy.tokens.Doc) -> None:
        self._index = _DocIndex(doc)
        self._frames = FrameReader(doc)

    def run(
        self,
        start: int,
        end: int,
        *,
        cue_lemma: str | None,
        published_at: datetime | None,
        negated_cue: bool = False,
    ) -> Normalised:
        """Extract values from doc.text[start:end]; never raises on odd text or offsets."""
        index = self._index
        text = index.text
        start, end = max(0, start), min(len(text), end)
        end = max(start, end)
        quantities = _quantities(index, start, end)
        stance = _stance(text[start:end], cue_lemma, negated_cue)
        return Normalised(
            quantities=quantities,
            frames=self._frames.run(start, end, quantities),
            times=_times(index, start, end, published_at),
            places=_mentions(index, start, end, PLACE_LABELS),
            actors=_mentions(index, start, end, ACTOR_LABELS),
            stance=stance,
        )


def normalise(
    doc: spacy.tokens.Doc,
    start: int,
    end: int,
    *,
    cue_lemma: str | None,
    published_at: datetime | None,
    negated_cue: bool = False,
) -> Normalised:
    """Extract values from doc.text[start:end]; never raises on odd text or offsets."""
    return DocNormaliser(doc).run(
        start, end, cue_lemma=cue_lemma, published_at=published_at, negated_cue=negated_cue
    )
