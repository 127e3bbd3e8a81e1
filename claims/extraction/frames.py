"""Claim frames: a structured reading of what a claim asserts, so claims compare by meaning.

"Six soldiers died", "the toll among troops rose to 6" and "our forces suffered no losses" are
worded apart but describe one slot: *killed × soldiers*. A frame is that slot plus its value: the
event class, the category of who or what was affected, the count as an interval (`at least 15` is
[15, ∞), "some 20" is approximate, "no losses" and "not one soldier" are [0, 0]), polarity
and modality. Facts, fact sheets and relations (claims/comparison) are built from frames, not from
similar wording.

Read from the spaCy parse of the whole document (the one extraction already made) and the
quantities the normaliser found, so a frame never costs a second parse. The words live in
`claims/data/frames.json`: general English, never phrases from an evaluation corpus.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from spacy.tokens import Doc, Token

from claims.models import Frame, Modality, Polarity, Quantity, Span

MAX_HEAD_STEPS = 5
SELF = "SELF"  # a frame side meaning "the speaker's own" ("our soldiers"), resolved per claim
SELF_WORDS = frozenset({"our", "its", "my"})


@dataclass(frozen=True)
class FrameLexicon:
    """Lemma → event class and noun lemma → category, loaded once from `data/frames.json`."""

    events: dict[str, str]
    counted_events: dict[str, str]
    categories: dict[str, str]
    generic: str
    civilian: frozenset[str]
    negative_determiners: frozenset[str]
    negated_determiners: frozenset[str]
    hedges: tuple[str, ...]
    allegations: frozenset[str]
    denial_words: tuple[str, ...]
    measures: frozenset[str] = frozenset()
    uncommitted: tuple[str, ...] = ()  # "could not confirm": says neither yes nor no
    equivalent: tuple[frozenset[str], ...] = ()
    unit_factors: dict[str, dict[str, float]] = field(default_factory=dict)
    unit_names: dict[str, str] = field(default_factory=dict)  # the unit figures are kept in
    state_phrases: dict[str, str] = field(default_factory=dict)  # "on duty" → on_duty

    def factor(self, category: str | None, unit: str | None) -> float:
        """What one `unit` is in the category's own unit ("terabytes" → 1000 GB); 1 when the
        unit is unknown, or the category has one unit only."""
        table = self.unit_factors.get(category or "")
        if not table or not unit:
            return 1.0
        low = unit.lower().strip().rstrip(".")
        for form in (
            low,
            _singular(low),
            low.replace("metres", "metre").replace("meters", "meter"),
        ):
            if form in table:
                return table[form]
        return 1.0

    @property
    def known_events(self) -> frozenset[str]:
        """The event classes of the lexicon (not a verb taken as it was written)."""
        return frozenset(self.events.values()) | frozenset(self.state_phrases.values())

    @property
    def known(self) -> frozenset[str]:
        """The categories of the lexicon (not a unit word taken as it was written)."""
        return frozenset(self.categories.values())

    def event(self, lemma: str) -> str | None:
        return self.events.get(lemma.lower())

    def category(self, lemma: str) -> str | None:
        return self.categories.get(lemma.lower())

    def compatible(self, a: str | None, b: str | None) -> bool:
        """Same victims: equal categories, or the generic "people" against any non-combatant
        group ("37 people" vs "12 civilians"); soldiers, police and fighters only match
        themselves, so "12 civilians" never meets "20 soldiers"."""
        if a == b:
            return True
        if a is None or b is None:
            return False
        pair = {a, b}
        return self.generic in pair and pair <= self.civilian

    def hedged(self, text: str) -> bool:
        """ "could not confirm", "may have", "too early to say": said without commitment."""
        low = " " + " ".join(text.lower().replace("n't", " not").split()) + " "
        return any(f" {h} " in low for h in self.hedges)

    def same_event(self, a: str, b: str, category: str | None) -> bool:
        """Two frames' events describe one fact: equal, or equivalent for a measured thing
        ("200 barrels leaked" / "were released"), or one is a bare figure of that thing ("about
        5,000 barrels") — never for people, where a bare count ("31,000 people were inside")
        is no toll."""
        if a == b:
            return True
        if category not in self.measures:
            return False
        if "amount" in {a, b}:
            return True
        return any(a in g and b in g for g in self.equivalent)


@lru_cache(maxsize=1)
def load_frame_lexicon() -> FrameLexicon:
    raw = json.loads(resources.files("claims.data").joinpath("frames.json").read_text("utf-8"))

    def invert(table: dict[str, list[str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, words in table.items():
            if key.startswith("_"):
                continue
            for w in words:
                out.setdefault(w, key)  # the first class listing a word keeps it
        return out

    return FrameLexicon(
        events=invert(raw["events"]),
        counted_events=invert(raw["counted_events"]),
        categories=invert(raw["categories"]),
        generic=raw["generic_category"],
        civilian=frozenset(raw["civilian_categories"]),
        negative_determiners=frozenset(raw["negative_determiners"]),
        negated_determiners=frozenset(raw["negated_determiners"]),
        hedges=tuple(raw["modality"]["hedged"]),
        allegations=frozenset(raw["modality"]["alleged"]),
        denial_words=tuple(raw["denial_words"]),
        measures=frozenset(raw.get("measure_categories", ())),
        uncommitted=tuple(raw["modality"].get("uncommitted", ())),
        equivalent=tuple(frozenset(g) for g in raw.get("equivalent_events", ())),
        unit_factors={
            k: {u: float(f) for u, f in v.items()} for k, v in raw.get("unit_factors", {}).items()
        },
        unit_names=dict(raw.get("unit_names", {})),
        state_phrases=dict(raw.get("state_phrases", {})),
    )


class FrameReader:
    """Frames of many claims of one parsed document (`DocNormaliser`'s companion)."""

    def __init__(self, doc: Doc, lexicon: FrameLexicon | None = None) -> None:
        self.doc = doc
        self.lexicon = lexicon or load_frame_lexicon()
        self._starts = {t.idx: t for t in doc}

    def run(self, start: int, end: int, quantities: list[Quantity]) -> list[Frame]:
        toks = [t for t in self.doc if start <= t.idx and t.idx + len(t.text) <= end]
        if not toks:
            return []
        frames: list[Frame] = []
        for q in quantities:
            frame = self._counted(q, start, end)
            if frame is None:
                continue
            if frames and self._part_of_previous(q):
                whole = frames[-1]  # "27 officers were hurt, four of them seriously"
                frame = frame.model_copy(
                    update={"event": whole.event, "category": whole.category, "side": whole.side}
                )
            frames.append(frame)
        frames.extend(self._zeros(toks, start, end))
        if not frames:
            frames.extend(self._one_victim(toks, start, end))
        modality = self.modality(self.doc.text[start:end], toks)
        out: list[Frame] = []
        seen: set[tuple[object, ...]] = set()
        for f in frames:
            key = (f.event, f.category, f.low, f.high, f.polarity)
            if key not in seen:
                seen.add(key)
                out.append(f.model_copy(update={"modality": modality}))
        return out

    def modality(self, text: str, toks: list[Token]) -> Modality:
        """Hedged ("could not confirm", "may have", "too early to say") or alleged ("accused
        ... of"): a claim without commitment supports a figure but never contradicts one."""
        lex = self.lexicon
        if lex.hedged(text):
            return Modality.HEDGED
        if any(t.lemma_.lower() in lex.allegations for t in toks):
            return Modality.ALLEGED
        return Modality.ASSERTED

    # -- counted frames ("12 civilians were killed") ----------------------------------------------

    def _counted(self, q: Quantity, start: int, end: int) -> Frame | None:
        lex = self.lexicon
        number = self._starts.get(q.span.start) or self._token_at(q.span.start)
        if number is None or _label_number(number) or _negated_number(number) or _age(number):
            return None
        if _rate(number, q.span.end) or _only_part(number):
            return None
        nominal = self._nominal(number, q, end)
        noun = nominal or number
        category = self._category(noun)
        if q.unit and " " in q.unit.strip():
            # "12 cubic metres": the whole unit names the thing (a volume), not its last word
            unit = q.unit.lower().strip()
            category = lex.category(unit) or lex.category(_singular(unit)) or category
        event = self._event_of_noun(noun)
        if event is None and nominal is None and (tally := self._tally(number)) is not None:
            event, category = tally[0], category or tally[1]
        if event is None and q.predicate:
            event = lex.event(q.predicate)
        if event is None:
            event = self._event_above(noun, start, end)
        if event is None:
            if _some_of_the(number):
                return None  # "tablets from one of the recalled batches": no count of anything
            event = q.predicate.lower() if q.predicate else "amount"
        if category is None and q.unit:
            category = lex.category(q.unit.lower()) or lex.category(_singular(q.unit.lower()))
        if category is None and event in _HUMAN_EVENTS and (nominal is None or _pronoun(nominal)):
            category = lex.generic  # "two died", "two of them were killed": people
        if category is None:
            category = _singular(q.unit.lower()) if q.unit else None
        if category not in lex.measures and event not in lex.known_events:
            event = self._state_event(number, end) or event  # "32 guards were on duty"
        low, high = _interval(q)
        factor = lex.factor(category, q.unit or (nominal.text if nominal is not None else None))
        if factor != 1.0:  # "2 TB" and "60 gigabytes" compare in one unit
            low = low * factor if low is not None else None
            high = high * factor if high is not None else None
        return Frame(
            event=event,
            category=category,
            side=self._side(noun),
            low=low,
            high=high,
            approximate=q.approximate,
            polarity=Polarity.DENIED if self._called_false(number) else Polarity.ASSERTED,
            trigger=q.span,
        )

    def _tally(self, number: Token) -> tuple[str, str | None] | None:
        """ "the death toll rose to 12", "the number of people killed has reached 41", "the
        number of displaced people stands at 5,000": the figure of a tally named as the
        subject, with the event and the category its words give."""
        lex = self.lexicon
        verb = number.head
        if number.dep_ == "pobj" and verb.dep_ == "prep":
            verb = verb.head
        subject = next((c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
        if subject is None or subject.lemma_.lower() not in TALLY_NOUNS:
            return None
        words = [t for t in subject.subtree if t.i != subject.i]
        event = next(
            (ev for t in words if (ev := lex.event(t.lemma_.lower()) or lex.event(t.lower_))),
            "killed" if subject.lemma_.lower() == "toll" else None,
        )
        if event is None:
            return None
        category = next((c for t in words if (c := lex.category(t.lemma_.lower()))), None)
        if category is None and event in _HUMAN_EVENTS:
            category = lex.generic
        return event, category

    def _state_event(self, number: Token, end: int) -> str | None:
        """The state a phrase after the count names ("were on duty", "on board", "remain in
        hospital"), within the count's sentence and the claim."""
        sent = number.sent
        stop = min(sent.end_char, end)
        text = " " + " ".join(self.doc.text[number.idx : stop].lower().split()) + " "
        hits = [
            (text.find(f" {p} "), state)
            for p, state in self.lexicon.state_phrases.items()
            if f" {p} " in text
        ]
        return min(hits)[1] if hits else None

    def _called_false(self, number: Token) -> bool:
        """A count inside a claim someone calls false or rejects: "the claim that two of our
        soldiers were killed is a lie", "reports that 40 people died are untrue", "we reject
        the allegation that 12 were arrested". The clause hangs on a noun ("claim", "reports")
        that is the subject of a denial word or the object of a denying verb."""
        words = self.lexicon.denial_words
        tok = number
        for _ in range(MAX_HEAD_STEPS):
            if tok.head is tok:
                return False
            # an `acl` hangs on a nominal even where the tagger calls it a verb ("reports")
            if tok.dep_ == "acl" or (tok.dep_ == "ccomp" and tok.head.pos_ in {"NOUN", "PROPN"}):
                noun = tok.head
                verb = noun.head
                if noun.dep_ in {"dobj", "pobj"} and verb.lemma_.lower() in words:
                    return True
                if noun.dep_ in {"nsubj", "nsubjpass"}:
                    return any(
                        c.dep_ in {"attr", "acomp"} and c.lemma_.lower() in words
                        for c in verb.children
                    ) or (verb.lemma_.lower() in words)
                return False
            tok = tok.head
        return False

    def _part_of_previous(self, q: Quantity) -> bool:
        """ "four of them", "13 of whom": a count of some of the things counted just before."""
        number = self._starts.get(q.span.start) or self._token_at(q.span.start)
        if number is None:
            return False
        return any(
            g.lower_ in PARTITIVE_PRONOUNS
            for c in number.children
            if c.lower_ == "of"
            for g in c.children
            if g.dep_ == "pobj"
        )

    def _token_at(self, char: int) -> Token | None:
        return next((t for t in self.doc if t.idx <= char < t.idx + len(t.text)), None)

    def _nominal(self, number: Token, q: Quantity, end: int) -> Token | None:
        """The counted noun: the head the number modifies ("12 civilians"), else the unit word
        written right after it."""
        head = number.head
        if number.dep_ in {"nummod", "quantmod", "compound", "amod"} and head.pos_ in {
            "NOUN",
            "PROPN",
        }:
            return head
        if q.unit:
            for t in self.doc[number.i + 1 : number.i + 5]:
                if t.idx >= end:
                    break
                if t.text == q.unit or t.text == q.unit.split()[-1]:
                    return t
        return None

    def _category(self, noun: Token) -> str | None:
        """Who was affected: a modifier names them first ("civilian casualties", "FLS
        fighters"), then the noun itself, then what "of" attaches ("none of our fighters")."""
        lex = self.lexicon
        head_generic = lex.category(noun.lemma_) in {None, lex.generic}
        for c in noun.children:
            if c.dep_ in {"amod", "compound"} and head_generic:
                cat = lex.category(c.lemma_)
                if cat is not None:
                    return cat
        cat = lex.category(noun.lemma_) or lex.category(noun.lower_)
        if cat is not None and cat != lex.generic:
            return cat
        of = [g for c in noun.children if c.lower_ == "of" for g in c.children if g.dep_ == "pobj"]
        if of and (inner := lex.category(of[0].lemma_)) is not None:
            return inner
        if cat is None and noun.pos_ == "PRON":
            return None
        return cat

    def _side(self, noun: Token) -> str | None:
        """Whose people were counted: a possessive ("our soldiers" → SELF, "the army's
        soldiers"), a nationality or named modifier ("Ulvarian servicemen"), also through "of"
        ("two of our fighters")."""
        nouns = [noun] + [
            g for c in noun.children if c.lower_ == "of" for g in c.children if g.dep_ == "pobj"
        ]
        for n in nouns:
            for c in n.children:
                low = c.lower_
                if c.dep_ == "poss" and low in SELF_WORDS:
                    return SELF
                if c.dep_ == "poss" and c.pos_ == "PROPN":
                    return c.text
                if c.dep_ in {"amod", "compound"} and (c.ent_type_ in {"NORP", "GPE", "ORG"}):
                    return c.text
        return None

    def _side_of_subject(self, noun: Token) -> str | None:
        """ "Our forces suffered no losses": the losses are on the subject's side; "we" and,
        in a body's reported words, "it" ("the army said it suffered no losses") are the
        speaker's own."""
        verb = noun.head
        for c in verb.children if verb.pos_ in {"VERB", "AUX"} else ():
            if c.dep_ in {"nsubj", "nsubjpass"}:
                if c.lower_ in {"we", "us", "it"}:
                    return SELF
                side = self._side(c)
                if side is not None:
                    return side
        return None

    def _event_of_noun(self, noun: Token) -> str | None:
        """The noun or its modifier says what happened: "37 bodies", "22 wounded people",
        "bodies of 37 villagers", "a toll of 12"."""
        lex = self.lexicon
        for c in noun.children:
            if c.dep_ in {"amod", "acl"} and (ev := lex.counted_events.get(c.lemma_.lower())):
                return ev
            if c.dep_ == "amod" and c.lower_ in {"wounded", "injured", "dead", "missing"}:
                return lex.event(c.lower_)
        if ev := lex.counted_events.get(noun.lemma_.lower()):
            return ev
        head = noun.head
        if head.lower_ == "of" and head.head is not head:
            gov = head.head
            if ev := lex.counted_events.get(gov.lemma_.lower()):
                return ev
            if gov.lemma_.lower() == "toll":
                return "killed"
        return None

    def _event_above(self, noun: Token, start: int, end: int) -> str | None:
        tok = noun
        for _ in range(MAX_HEAD_STEPS):
            if tok.head is tok:
                break
            tok = tok.head
            if not start <= tok.idx < end:
                return None
            if tok.pos_ in {"VERB", "ADJ", "NOUN"} and (ev := self._verb_event(tok)) is not None:
                return ev
            if tok.pos_ == "VERB":
                return None  # the nearest verb decides; a higher one reports or frames it
        return None

    def _verb_event(self, tok: Token) -> str | None:
        lex = self.lexicon
        particle = next((c.lower_ for c in tok.children if c.dep_ == "prt"), None)
        if particle and (ev := lex.event(f"{tok.lemma_.lower()} {particle}")):
            return ev
        obj = next((c.lower_ for c in tok.children if c.dep_ == "dobj"), None)
        if obj and (ev := lex.event(f"{tok.lemma_.lower()} {obj}")):
            return ev
        return lex.event(tok.lemma_) or lex.event(tok.lower_)

    # -- zero frames ("no soldier was killed", "suffered no losses") ------------------------------

    def _zeros(self, toks: list[Token], start: int, end: int) -> list[Frame]:
        lex = self.lexicon
        out: list[Frame] = []
        for t in toks:
            noun = self._zero_noun(t)
            if noun is None:
                continue
            event = self._event_of_noun(noun) or self._event_above(noun, start, end)
            if event is None:
                event = self._event_of_noun_lemma(noun)
            if event is None:
                continue
            category = self._category(noun)
            if category in {None, lex.generic}:
                category = self._subject_category(noun) or category or lex.generic
            trigger_end = max(noun.idx + len(noun.text), t.idx + len(t.text))
            first = min(t.idx, noun.idx)
            out.append(
                Frame(
                    event=event,
                    category=category,
                    side=self._side(noun) or self._side_of_subject(noun),
                    low=0.0,
                    high=0.0,
                    approximate=False,
                    polarity=Polarity.NEGATED,
                    trigger=Span(
                        start=first, end=trigger_end, text=self.doc.text[first:trigger_end]
                    ),
                )
            )
        return out

    def _one_victim(self, toks: list[Token], start: int, end: int) -> list[Frame]:
        """A victim described in words ("a 3-year-old boy died", "the tablets killed my
        mother", "an officer was hurt"): at least one, so it contradicts "nobody was hurt" but
        is a part of any toll, never a second figure for it."""
        lex = self.lexicon
        out: list[Frame] = []
        for t in toks:
            if t.pos_ != "NOUN" or t.tag_ != "NN" or lex.category(t.lemma_) is None:
                continue
            if t.dep_ not in {"nsubj", "nsubjpass", "dobj"}:
                continue
            if not any(
                (c.dep_ == "det" and c.lower_ in {"a", "an"}) or c.dep_ == "poss"
                for c in t.children
            ):
                continue
            verb = t.head
            if verb.pos_ != "VERB" or any(c.dep_ == "neg" for c in verb.children):
                continue
            event = self._verb_event(verb)
            if event is None and any(c.lower_ == "dead" for c in verb.children):
                event = "killed"  # "was found dead", "lay dead"
            if event not in _HUMAN_EVENTS or (t.dep_ == "dobj" and event not in _DONE_TO):
                continue
            out.append(
                Frame(
                    event=event,
                    category=self._category(t) or lex.generic,
                    side=self._side(t),
                    low=1.0,
                    high=None,
                    approximate=False,
                    polarity=Polarity.ASSERTED,
                    trigger=Span(start=t.idx, end=t.idx + len(t.text), text=t.text),
                )
            )
        return out

    def _zero_noun(self, t: Token) -> Token | None:
        """The noun a negative quantifier empties: "no soldier", "none of our fighters",
        "not one soldier", "no one", "nobody"; else None."""
        lex = self.lexicon
        low = t.lower_
        if low in {"nobody", "none"} or (low == "one" and t.i > 0 and t.nbor(-1).lower_ == "no"):
            if low == "none":
                of = [g for c in t.children if c.lower_ == "of" for g in c.children]
                if of:
                    return of[0]
            return t
        if low == "no" and t.dep_ == "det" and t.head.pos_ in {"NOUN", "PROPN"}:
            head = t.head
            if head.lemma_.lower() in EVIDENCE_NOUNS:  # "no reports of injuries": the injuries
                of = [g for c in head.children if c.lower_ == "of" for g in c.children]
                if of:
                    return of[0]
            return head
        if low == "not" and t.i + 1 < len(self.doc):
            det = self.doc[t.i + 1]
            if det.lower_ in lex.negated_determiners:
                # the counted noun, past any adjectives: "not one soldier", "not a lone civilian"
                for after in self.doc[det.i + 1 : det.i + 4]:
                    if after.pos_ in {"NOUN", "PROPN"}:
                        return after
                    if after.pos_ not in {"ADJ", "ADV"}:
                        break
        return None

    def _event_of_noun_lemma(self, noun: Token) -> str | None:
        ev = self.lexicon.event(noun.lemma_)
        return ev if ev in _HUMAN_EVENTS else None

    def _subject_category(self, noun: Token) -> str | None:
        """ "Our forces suffered no losses": the losses are the subject's."""
        verb = noun.head
        if verb.pos_ not in {"VERB", "AUX"}:
            return None
        for c in verb.children:
            if c.dep_ in {"nsubj", "nsubjpass"}:
                cat = self._category(c)
                if cat is not None and cat != self.lexicon.generic:
                    return cat
        return None


_DONE_TO = frozenset({"killed", "wounded", "arrested", "released", "rescued"})
_HUMAN_EVENTS = frozenset(
    {"killed", "wounded", "missing", "trapped", "rescued", "arrested", "escaped", "displaced"}
)


TALLY_NOUNS = frozenset({"toll", "number", "count", "total", "tally"})
EVIDENCE_NOUNS = frozenset({"report", "sign", "record", "evidence", "indication", "trace"})
PARTITIVE_PRONOUNS = frozenset({"them", "whom", "those", "which"})


def _some_of_the(number: Token) -> bool:
    """ "one of the batches", "two of its plants": some members of a set named elsewhere."""
    return any(
        d.dep_ in {"det", "poss"}
        for c in number.children
        if c.lower_ == "of"
        for g in c.children
        if g.dep_ == "pobj"
        for d in g.children
    )


RATE_PERIODS = frozenset({"day", "week", "month", "year", "hour", "night"})


def _rate(number: Token, end: int) -> bool:
    """ "thousands of barrels a day", "300 barrels per day": a rate, never a total of the event."""
    doc = number.doc
    for t in doc[number.i + 1 : number.i + 8]:
        if t.idx >= end + 16 or t.is_punct:
            break
        after = doc[t.i + 1].lower_ if t.i + 1 < len(doc) else ""
        if after in {"after", "before", "later", "earlier", "ago", "of", "when"}:
            continue  # "a day after the storm": a time, not a rate
        if t.lemma_.lower() in RATE_PERIODS and t.i > 0 and doc[t.i - 1].lower_ in {"a", "per"}:
            return True
        if (
            t.lower_ in {"each", "every"}
            and t.i + 1 < len(doc)
            and (doc[t.i + 1].lemma_.lower() in RATE_PERIODS)
        ):
            return True
    return False


def _only_part(number: Token) -> bool:
    """ "11 people died in his district alone": the count of one part, not of the event."""
    return any(
        t.lower_ == "alone" and t.dep_ == "advmod" and t.head.pos_ in {"NOUN", "PROPN"}
        for t in number.sent
    )


def _label_number(number: Token) -> bool:
    """ "gallery 4", "Route 9", "platform 2": a number after the noun it modifies names the
    thing; a count comes before its noun ("4 galleries")."""
    head = number.head
    return number.dep_ == "nummod" and head.i < number.i and head.pos_ in {"NOUN", "PROPN"}


PERSON_NOUNS = frozenset({"man", "woman", "boy", "girl", "person", "child", "patient", "driver"})


def _age(number: Token) -> bool:
    """ "a man of 70", "a woman aged 34", "at the age of 9": an age, no count of anyone."""
    head = number.head
    if head.lower_ == "of" and number.dep_ == "pobj":
        owner = head.head
        return owner.lemma_.lower() in PERSON_NOUNS or owner.lemma_.lower() == "age"
    return head.lower_ == "aged" or (number.dep_ == "npadvmod" and head.lower_ == "old")


def _negated_number(number: Token) -> bool:
    """ "eleven died, not two": the corrected figure is what the speaker rejects, no count;
    "not one soldier died" is a zero (read by `_zeros`), not a count of one."""
    doc = number.doc
    if number.i == 0 or doc[number.i - 1].lower_ != "not":
        return False
    return number.dep_ in {"appos", "conj"} or number.lower_ in {"one", "1"}


def _pronoun(tok: Token) -> bool:
    return tok.pos_ in {"PRON", "NUM"}


def _interval(q: Quantity) -> tuple[float | None, float | None]:
    if q.value is not None and q.low is None and q.high is None:
        return q.value, q.value  # approximate: compared with a tolerance, not an open range
    return q.low, q.high


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word
