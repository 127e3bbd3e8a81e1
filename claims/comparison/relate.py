"""The relate stage: two claims about the same fact in, `corroborates` / `conflicts` out.

These are the wording rules: a structured comparison of what the extractor already normalised
(quantities, times, places, stance) plus a small parse of the two contents (predicate, negation,
who-did-what-to-whom). The scorer sits behind the `RelationScorer` protocol; the trained NLI model
(`claims.comparison.learned.LearnedScorer`) implements it too and, inside the `Comparer`,
reviews what these rules and the claim frames find.

The caller decides *which* claims are about the same fact (grouping by incident and embedding);
a scorer only decides *how* two such claims relate, and may say "undecidable" (None). Every rule
gives a stable machine code (`numeric`, `denial`, `negation`, `role_swap`, `time`, `place`,
`numeric_agree`, `same_fact`) and a sentence naming the claimants, so a reader can check it.

Cue words live in `claims/data/relation_cues.json` so they can be edited without code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Protocol

from spacy.language import Language
from spacy.tokens import Doc, Token

from claims.extraction.attribution import topic_label
from claims.extraction.frames import load_frame_lexicon
from claims.extraction.lexicon import load_lexicon
from claims.extraction.nlp import DEFAULT_SPACY_MODEL, SpacyStage
from claims.extraction.quotes import find_quotes
from claims.models import Claim, Quantity, Reason, Relation, RelationType, Stance, TimeExpression

# Rule strengths: how sure each rule is when it fires; a structured contradiction (two numbers for
# the same count, a claimant denying) is stronger evidence than a bare predicate match.
SCORES: dict[str, float] = {
    "numeric": 0.9,
    "denial": 0.85,
    "negation": 0.8,
    "role_swap": 0.8,
    "time": 0.7,
    "place": 0.6,
    "numeric_agree": 0.8,
    "same_fact": 0.6,
}
# Conflict rules in order of preference when several fire with the same score.
CONFLICT_ORDER = ("numeric", "denial", "negation", "role_swap", "time", "place")
SUBJECT_DEPS = frozenset({"nsubj"})
OBJECT_DEPS = frozenset({"dobj"})
_DETERMINERS = frozenset({"the", "a", "an", "its", "their", "his", "her", "this", "that"})
_EPS = 1e-9


class RelationScorer(Protocol):
    """Decides how two claims already known to be about the same fact relate.

    `text_a` / `text_b` are the full texts of the documents the claims index (their spans are
    offsets into them), for scorers that want context beyond the content span. Return None when
    the claims neither clearly agree nor clearly disagree.
    """

    def relate(self, a: Claim, b: Claim, text_a: str, text_b: str) -> Relation | None: ...


# --------------------------------------------------------------------------------------------------
# Cue data


@dataclass(frozen=True)
class RelationCues:
    """The cue lexicons of `relation_cues.json`, lower-cased, with word-boundary regexes."""

    negation_words: tuple[str, ...]
    debunk_words: tuple[str, ...]
    denial_words: tuple[str, ...]
    hedge_words: tuple[str, ...]
    exclusions: tuple[str, ...]
    unit_synonyms: dict[str, str]
    predicate_synonyms: dict[str, str]
    approximate_tolerance: float
    same_day_tolerance_days: int
    attribution_words: tuple[str, ...] = ()
    """Reporting verbs ("says", "told"): a headline that attributes its claim only reports it, but
    a news body attributes everything it states, so these are kept apart from `hedge_words`."""
    rumour_words: tuple[str, ...] = ()
    """Nouns naming a circulating story ("rumour", "reports"): what a dismissal dismisses."""
    dismiss_words: tuple[str, ...] = ()
    """Verbs that dismiss the story they govern ("kills the rumour", "laughs off reports")."""
    dismissed_words: tuple[str, ...] = ()
    """What a dismissed story is called ("rumours ... put to rest", "... a fabrication")."""
    contrary_words: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    """Pairs (event words, contrary words): a report that the person is "alive" or "safe"
    contradicts a claim that they were killed or kidnapped, with no negation word at all."""

    def pattern(self, words: Iterable[str]) -> re.Pattern[str]:
        return phrase_pattern(tuple(words))

    @property
    def debunk_re(self) -> re.Pattern[str]:
        return phrase_pattern(self.debunk_words)

    @property
    def denial_re(self) -> re.Pattern[str]:
        return phrase_pattern(self.denial_words)

    @property
    def negation_re(self) -> re.Pattern[str]:
        return phrase_pattern(self.negation_words)

    @property
    def exclusion_re(self) -> re.Pattern[str]:
        return phrase_pattern(self.exclusions)

    @property
    def negated_debunk_re(self) -> re.Pattern[str]:
        """A debunk word under a negation ("They're not fake", "no hoax", "isn't a fabrication"):
        the double negative affirms the story, so it is no debunk cue and no plain negation."""
        return _negated_pattern(self.negation_words, self.debunk_words)

    def plain(self, text: str) -> str:
        """`text` with curly apostrophes made straight and the phrases that only look like cues
        blanked: exclusions ("refuses to confirm or deny") and negated debunk words. Cue counts
        are taken on this text so that every caller reads the same phrase the same way."""
        text = text.replace("’", "'").replace("‘", "'")
        return self.negated_debunk_re.sub(" ", self.exclusion_re.sub(" ", text))

    @property
    def hedge_re(self) -> re.Pattern[str]:
        return phrase_pattern(self.hedge_words)

    def contrary(self, text: str, reference: str) -> str | None:
        """The contrary word of `text` for an event the reference claims (see `contrary_words`),
        when the reference does not already use it ("killed" vs "found alive"); else None."""
        for events, contraries in self.contrary_words:
            if not phrase_pattern(events).search(reference):
                continue
            pattern = phrase_pattern(contraries)
            found = pattern.findall(text)
            if len(found) > len(pattern.findall(reference)):
                return str(found[0]).lower()
        return None

    @property
    def attribution_re(self) -> re.Pattern[str]:
        return phrase_pattern(self.attribution_words)

    @property
    def dismissal_re(self) -> re.Pattern[str]:
        """A story dismissed: a dismissing verb a few words before a story noun ("Director kills
        stolen car rumour"), a story noun a few words before a dismissive verdict ("Expansion report
        is complete fabrication"), or "despite" a story ("Singer alive and well despite death
        reports": the headline asserts the opposite of what circulates)."""
        return _dismissal_pattern(self.rumour_words, self.dismiss_words, self.dismissed_words)

    def unit(self, unit: str | None) -> str | None:
        """Canonical unit: lower-cased, singular, synonyms merged ("Troops" -> "soldier")."""
        if unit is None:
            return None
        key = unit.strip().lower()
        if key in self.unit_synonyms:
            return self.unit_synonyms[key]
        key = singular(key)
        return self.unit_synonyms.get(key, key)

    def predicate(self, lemma: str | None) -> str | None:
        """Canonical predicate lemma ("kill" and "die" count the same dead)."""
        if lemma is None:
            return None
        key = lemma.strip().lower()
        return self.predicate_synonyms.get(key, key)


@lru_cache(maxsize=64)
def phrase_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive regex matching any of the phrases on word boundaries.

    "n't" is glued to its verb ("didn't"), so it gets no leading boundary; an apostrophe after a
    letter ("o'clock") is inside a word, one after a space opens a quotation ("mayor 'DENIES
    ...'") and the cue counts. The longest phrases are tried first so "not true" wins over "not".
    """
    parts = []
    for w in sorted(set(words), key=len, reverse=True):
        body = r"\s+".join(re.escape(p) for p in w.split()).replace("'", "['’]")
        lead = "" if not w[:1].isalnum() or w.startswith("n't") else r"(?<!\w)(?<!\w['’])"
        tail = "" if not w[-1:].isalnum() else r"(?![\w])"
        parts.append(lead + body + tail)
    return re.compile("|".join(parts) if parts else r"(?!x)x", re.IGNORECASE)


@lru_cache(maxsize=8)
def _negated_pattern(negations: tuple[str, ...], words: tuple[str, ...]) -> re.Pattern[str]:
    """A negation word, at most one filler word ("a", "really"), then one of `words`; phrases of
    `words` that already start with a negation ("not true", "no evidence") are left alone."""
    own = tuple(w for w in words if not phrase_pattern(negations).match(w))
    if not negations or not own:
        return re.compile(r"(?!x)x")
    filler = r"(?:\s+(?:a|an|at\s+all|really|actually|entirely|completely|all|so|that))?"
    return re.compile(
        f"(?:{phrase_pattern(negations).pattern}){filler}\\s+(?:{phrase_pattern(own).pattern})",
        re.IGNORECASE,
    )


_GAP = r"(?:[^\w,:;.!?|–—]+[\w'’-]+){0,4}?[^\w,:;.!?|–—]+"
"""Up to four words between the parts of a dismissal ("kills stolen car rumour"), within one
clause: "Hostage killed in strike, group claims" is no dismissal of claims."""


@lru_cache(maxsize=8)
def _dismissal_pattern(
    rumours: tuple[str, ...], verbs: tuple[str, ...], verdicts: tuple[str, ...]
) -> re.Pattern[str]:
    if not rumours:
        return re.compile(r"(?!x)x")
    story, verb, verdict = (
        phrase_pattern(w).pattern if w else r"(?!x)x" for w in (rumours, verbs, verdicts)
    )
    despite = phrase_pattern(("despite", "amid denials of")).pattern
    # A story noun that introduces what it says ("..., reports say") is no object of dismissal.
    said = r"(?!\W+(?:say|says|said|claim|claims|suggest|suggests|show|shows)\b)"
    return re.compile(
        f"(?:{verb}){_GAP}(?:{story}){said}|(?:{despite}){_GAP}(?:{story})"
        f"|(?:{story}){_GAP}(?:{verdict})",
        re.IGNORECASE,
    )


def answered_no(text: str, cues: RelationCues, max_words: int = 6) -> bool:
    """A question headline that answers itself in the negative: "Is the mayor resigning? No",
    "Did the dog save the boy? Probably not", "Aliens in the lake? No, says the sheriff". The
    question only raises the claim; the short answer after it rejects it, so this is a denial,
    not a mere report. An answer is the part after the last "?", of at most `max_words` words,
    whose first three words hold a negation ("not", "no", "nope"); a longer part is a second
    headline sentence, not an answer."""
    if "?" not in text:
        return False
    tail = text.rsplit("?", 1)[1]
    words = re.findall(r"[\w'’]+", tail)
    if not words or len(words) > max_words:
        return False
    return bool(cues.negation_re.search(" ".join(words[:3])))


NEGATIVE_SUBJECTS = frozenset({"nobody", "none", "nothing", "no-one"})


def is_negative_subject(tok: Token) -> bool:
    """ "Nobody", "nothing", "no one", "no soldiers" as a subject negate the event itself."""
    return tok.dep_ in {"nsubj", "nsubjpass"} and (
        tok.lower_ in NEGATIVE_SUBJECTS
        or (tok.lower_ == "one" and tok.i > 0 and tok.doc[tok.i - 1].lower_ == "no")
        or any(d.lower_ == "no" and d.dep_ == "det" for d in tok.children)
    )


def main_clause_negated(doc: Doc) -> bool:
    """Whether a sentence's main assertion is negated: a `neg` (or a negative subject) on the root,
    on the clause a reporting root introduces ("Iraq says the woman is NOT his wife"), a leading
    "No," ("No, Banksy has not been arrested"; also after a label: "Fact check: No, ..."), or a
    headline's dropped copula ("Painting not stolen from museum").

    Negations inside modifiers ("had no idea", "there's no way out", "without protection") do not
    count: they do not deny the reported event, which a bag-of-words negation test gets wrong.
    """
    return bool(negated_clauses(doc))


def negated_clauses(doc: Doc) -> list[Token]:
    """The heads of the negated assertions `main_clause_negated` finds: a sentence root when the
    whole sentence is denied, else the clause under it (a reported or conjoined clause), so that a
    caller can check what the negation is about ("Council sold the stadium but fans never cared"
    negates the caring, not the sale)."""
    out: list[Token] = []
    mentioned = _quoted_mentions(doc)
    for sent in doc.sents:
        root = sent.root
        if any(_leading_no(doc, t.i) for t in sent if t.i + 1 < len(doc)) or any(
            _copula_dropped_negation(t) for t in sent
        ):
            out.append(root)
            continue
        targets = [root, *(c for c in root.children if c.dep_ in {"ccomp", "xcomp", "conj"})]
        if root.pos_ not in {"VERB", "AUX"}:  # a verbless headline: "Students not in mass graves"
            targets += [
                c for c in root.children if c.dep_ in {"acl", "prep", "amod", "appos", "advmod"}
            ]
        for t in targets:
            children = list(t.children)
            if t.tag_ == "VB" and not any(c.dep_.startswith("nsubj") for c in children):
                continue  # an imperative: "Don't reset your phone" advises, it does not deny
            if _purpose_clause(t):
                continue
            if _past_intention(t):
                continue
            if any(a <= t.idx < b for a, b in mentioned):
                continue  # a quoted slogan: "'Hands off, don't touch' spreads to the harbour"
            for c in children:
                infinitive = c.i + 1 < len(doc) and doc[c.i + 1].lower_ == "to"  # "not to give up"
                if (c.dep_ == "neg" and not infinitive) or is_negative_subject(c):
                    out.append(t)
                    break
    return out


def _quoted_mentions(doc: Doc) -> list[tuple[int, int]]:
    """Quotations no reporting verb outside them introduces: a slogan, title or catchphrase the
    headline mentions ("'Hands off, don't touch' spreads to the harbour"), whose negation is part of
    the words quoted and denies nothing. A quote someone is reported to say ("'We did not attack
    the convoy,' rebels say") is not a mention, and its negation counts."""
    quotes = [(q.start, q.end) for q in find_quotes(doc.text)]
    if not quotes:
        return []
    lexicon = load_lexicon()

    def reported(a: int, b: int) -> bool:
        if any(t.lemma_.lower() in lexicon.speech_verbs for t in doc if not a <= t.idx < b):
            return True
        # "Rebels: 'We did not attack'": a speaker's label before a colon reports it too
        before = [t for t in doc if t.idx < a]
        if not before or before[-1].text != ":":
            return False
        label = [t for t in before[:-1] if t.sent == before[-1].sent]
        return bool(label) and not topic_label(label, doc.text[a:b], lexicon)

    return [(a, b) for a, b in quotes if not reported(a, b)]


_PURPOSE_MARKS = frozenset({"so", "lest"})
_INTENTION_VERBS = frozenset({"intend", "mean"})


def _past_intention(head: Token) -> bool:
    """A past intention verb with an infinitive ("I never intended to flood the village",
    "didn't mean to hurt anyone"): denying the intention presupposes the act, so it denies
    nothing that happened. A present one ("The council does not intend to sell the stadium")
    does deny the plan, and is kept."""
    if head.lemma_.lower() not in _INTENTION_VERBS:
        return False
    if not any(c.dep_ == "xcomp" for c in head.children):
        return False
    return head.tag_ == "VBD" or any(c.dep_ == "aux" and c.tag_ == "VBD" for c in head.children)


def _purpose_clause(head: Token) -> bool:
    """A clause opened by "so (that)" or "lest" states an aim: "Mayor hires guard so thieves won't
    return" says what the hiring is meant to prevent, it denies nothing. Title-case headlines
    ("... Guard So Thieves Won't Return") often parse the clause as the root, with the first part
    hanging on it, so the test is on the words: a "so"/"lest" of the clause, after other words
    of the headline (a headline-initial "So" is a discourse marker), before the negated verb and
    not followed by a comma ("So, ..." is a discourse "so" too)."""
    doc = head.doc
    for c in head.children:
        if (
            c.lower_ in _PURPOSE_MARKS
            and c.dep_ in {"mark", "advmod"}
            and 0 < c.i < head.i
            and not doc[c.i - 1].is_punct
            and doc[c.i + 1].text != ","
        ):
            return True
    return False


_LABEL_END = frozenset({":", "-", "–", "—", "|"})


def _leading_no(doc: Doc, i: int) -> bool:
    """ "No," opening the headline or its part after a label ("Rumour check: No, ...")."""
    return (
        doc[i].lower_ in {"no", "nope"}
        and doc[i + 1].text in {",", ":", "!", "."}
        and (i == 0 or doc[i - 1].text in _LABEL_END)
    )


def _copula_dropped_negation(tok: Token) -> bool:
    """Headlinese drops the copula: "Painting not stolen" is "the painting was not stolen".
    A "not"/"never" right after a noun (its subject) and before a phrase, not an infinitive ("Four
    reasons not to give up") nor a contrast ("not only"), in a clause without a subject of its own
    ("fans never cared" is an ordinary clause)."""
    doc = tok.doc
    if tok.lower_ not in {"not", "never"} or tok.dep_ != "neg" or tok.i == 0:
        return False
    before = doc[tok.i - 1]
    after = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    return (
        before.pos_ in {"NOUN", "PROPN"}
        and not any(c.dep_.startswith("nsubj") for c in tok.head.children)  # a full clause
        and after is not None
        and after.lower_ not in {"to", "only", "just", "even"}
        and after.pos_ in {"ADP", "DET", "VERB", "ADJ", "NOUN", "PROPN", "NUM"}
    )


def singular(word: str) -> str:
    """A crude English singular for unit nouns; enough to match "soldiers" with "soldier"."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


@lru_cache(maxsize=1)
def load_relation_cues() -> RelationCues:
    raw = json.loads(
        resources.files("claims.data").joinpath("relation_cues.json").read_text("utf-8")
    )

    def words(key: str) -> tuple[str, ...]:
        return tuple(str(w).lower() for w in raw[key])

    def synonyms(key: str) -> dict[str, str]:
        table: dict[str, str] = {}
        for group in raw[key]:
            canonical = str(group[0]).lower()
            for w in group:
                table[str(w).lower()] = canonical
        return table

    return RelationCues(
        negation_words=words("negation_words"),
        debunk_words=words("debunk_words"),
        denial_words=words("denial_words"),
        hedge_words=words("hedge_words"),
        exclusions=words("exclusions"),
        unit_synonyms=synonyms("unit_synonyms"),
        predicate_synonyms=synonyms("predicate_synonyms"),
        approximate_tolerance=float(raw["approximate_tolerance"]),
        same_day_tolerance_days=int(raw["same_day_tolerance_days"]),
        attribution_words=words("attribution_words"),
        rumour_words=words("rumour_words"),
        dismiss_words=words("dismiss_words"),
        dismissed_words=words("dismissed_words"),
        contrary_words=tuple(
            (tuple(str(w).lower() for w in events), tuple(str(w).lower() for w in contraries))
            for events, contraries in raw["contrary_words"]
        ),
    )


# --------------------------------------------------------------------------------------------------
# Pieces of the comparison


def interval(q: Quantity, tolerance: float) -> tuple[float, float] | None:
    """The values a quantity allows: exact -> a point, "about N" -> N ± tolerance, "at least N" ->
    [N, inf), "up to N" -> [0, N], ranges and vague plurals -> [low, high]."""
    v = q.value
    if v is None:
        if q.low is None and q.high is None:
            return None
        return (q.low if q.low is not None else 0.0, q.high if q.high is not None else math.inf)
    if q.low is not None and q.high is not None:
        if q.approximate:
            return (q.low * (1 - tolerance), q.high * (1 + tolerance))
        return (q.low, q.high)
    if q.low is not None:
        return (q.low, math.inf)
    if q.high is not None:
        return ((v * (1 - tolerance) if q.approximate else 0.0), q.high)
    if q.approximate:
        return (v * (1 - tolerance), v * (1 + tolerance))
    return (0.0, math.inf)  # an exact value without bounds is not made by normalise; be lenient


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] + _EPS and b[0] <= a[1] + _EPS


def time_interval(t: TimeExpression) -> tuple[date, date] | None:
    """The days a resolved time expression covers, by its granularity."""
    if t.value is None:
        return None
    d = t.value
    if t.granularity == "month":
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return (d, nxt - timedelta(days=1))
    if t.granularity == "year":
        return (date(d.year, 1, 1), date(d.year, 12, 31))
    if t.granularity == "week":
        return (d, d + timedelta(days=6))
    return (d, d)


def days_apart(a: tuple[date, date], b: tuple[date, date]) -> int:
    """0 when the spans overlap, else the gap in days between them."""
    if a[1] < b[0]:
        return (b[0] - a[1]).days
    if b[1] < a[0]:
        return (a[0] - b[1]).days
    return 0


_CLOCK = re.compile(
    r"\b(?:(?P<h12>1[0-2]|0?[1-9])(?:[.:](?P<m12>[0-5]\d))?\s*(?P<ampm>[ap])\.?m\b\.?"
    r"|(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)\b)",
    re.I,
)
CLOCK_TOLERANCE_MINUTES = 20  # "at about 2.30" and "at 2.45" are one time


def clock_times(text: str) -> list[tuple[int, str]]:
    """Times of day written in a claim ("1 pm", "2.30 p.m.", "03:40"), as minutes after midnight
    with the words that gave them."""
    out: list[tuple[int, str]] = []
    for m in _CLOCK.finditer(text):
        if m.group("h12"):
            hour = int(m.group("h12")) % 12 + (12 if m.group("ampm").lower() == "p" else 0)
            minutes = int(m.group("m12") or 0)
        else:
            hour, minutes = int(m.group("h24")), int(m.group("m24"))
        out.append((hour * 60 + minutes, m.group(0).strip()))
    return out


def _clock_conflict(a: Claim, b: Claim) -> str | None:
    """Two claims about the same happening (the caller checks the shared predicate) at times of
    day too far apart for one moment ("the gates opened at 1 pm" / "at about 2.30 pm")."""
    ca, cb = clock_times(a.content.text), clock_times(b.content.text)
    if not ca or not cb:
        return None
    gap, x, y = min(((abs(p - q), tx, ty) for p, tx in ca for q, ty in cb), key=lambda g: g[0])
    if gap <= CLOCK_TOLERANCE_MINUTES:
        return None
    return f"{x} ({_name(a)}) vs {y} ({_name(b)})"


def _name(claim: Claim) -> str:
    return claim.claimant.name


def _phrase(tok: Token) -> str:
    """A noun phrase key for role comparison: its words without determiners, lower-cased."""
    words = [
        t.lemma_.lower() if t.i == tok.i else t.lower_
        for t in tok.subtree
        if t.dep_ not in {"det", "punct", "poss", "prep", "pobj", "relcl", "acl"}
        and t.lower_ not in _DETERMINERS
        and (t.i == tok.i or t.head.i == tok.i)
    ]
    return " ".join(words)


@dataclass(frozen=True)
class Parsed:
    """What the rules need from a small parse of one claim's content."""

    predicates: frozenset[str]  # canonical lemmas of the content's verbs
    negated: frozenset[str]  # canonical lemmas of verbs with a negation
    roles: tuple[tuple[str, str, str], ...]  # (predicate, agent, patient)
    negative_subject: bool  # "no one was killed", "nobody died"
    # (predicate, agent words, patient words): whole subtrees, lower-cased, for party matching
    role_words: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()


# --------------------------------------------------------------------------------------------------
# The rule scorer


class RuleRelationScorer(SpacyStage):
    """Rules over normalised claims: numbers, denial, negation, role swap, time, place.

    Assumes the two claims are about the same fact (the caller groups them). A stage object: the
    spaCy pipeline is loaded lazily in `warm_up()`; parses of contents are cached by text because
    the same content is compared with many others.
    """

    def __init__(
        self,
        spacy_model: str = DEFAULT_SPACY_MODEL,
        cues: RelationCues | None = None,
        cache_size: int = 10_000,
    ) -> None:
        self.spacy_model = spacy_model
        self.cues = cues or load_relation_cues()
        # What calls an account false, in general English (`frames.json` `denial_words`), not
        # the headline-stance lists of `relation_cues.json`, which were fitted to one corpus's
        # headlines and are the evaluation's business (`claims.evaluation.conflicts_run`).
        words = load_frame_lexicon().denial_words
        self._dispute_re = phrase_pattern(words)
        self._negated_dispute_re = _negated_pattern(self.cues.negation_words, words)
        self.cache_size = cache_size
        self._nlp: Language | None = None
        self._parsed: dict[str, Parsed] = {}

    # The protocol --------------------------------------------------------------------------------

    def relate(self, a: Claim, b: Claim, text_a: str, text_b: str) -> Relation | None:
        """Symmetric: `relate(a, b)` and `relate(b, a)` give the same relation (stored `a < b`)."""
        if b.id < a.id:
            a, b, text_a, text_b = b, a, text_b, text_a
        pa, pb = self.parse(a.content.text), self.parse(b.content.text)
        conflicts = [
            r
            for r in (
                self._numeric(a, b),
                self._denial(a, b),
                self._negation(a, b, pa, pb),
                self._role_swap(a, b, pa, pb),
                self._time(a, b, pa, pb),
                self._place(a, b, pa, pb),
            )
            if r is not None and r[0] is RelationType.CONFLICTS
        ]
        if conflicts:
            _, reason = max(
                conflicts,
                key=lambda r: (SCORES[r[1].code], -CONFLICT_ORDER.index(r[1].code)),
            )
            return self._relation(a, b, RelationType.CONFLICTS, reason)
        numeric = self._numeric(a, b)
        if numeric is not None:
            return self._relation(a, b, numeric[0], numeric[1])
        shared = pa.predicates & pb.predicates | self._quantity_predicates(a, b)
        if shared and a.stance != Stance.DENIED and b.stance != Stance.DENIED:
            verbs = "/".join(sorted(shared))
            text = (
                f"{_name(a)} (“{_snippet(a)}”) and {_name(b)} (“{_snippet(b)}”) agree "
                f"on what happened ({verbs})"
            )
            return self._relation(
                a, b, RelationType.CORROBORATES, Reason(code="same_fact", text=text)
            )
        return None

    # Parsing -------------------------------------------------------------------------------------

    def parse(self, content: str) -> Parsed:
        cached = self._parsed.get(content)
        if cached is not None:
            return cached
        parsed = self._parse_doc(self.nlp(content))
        if len(self._parsed) >= self.cache_size:
            self._parsed.pop(next(iter(self._parsed)))
        self._parsed[content] = parsed
        return parsed

    def _parse_doc(self, doc: Doc) -> Parsed:
        cues = self.cues
        predicates: set[str] = set()
        negated: set[str] = set()
        roles: list[tuple[str, str, str]] = []
        role_words: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
        neg_subject = False
        for tok in doc:
            is_pred = tok.pos_ == "VERB" or (tok.pos_ == "ADJ" and tok.dep_ in {"acomp", "ROOT"})
            if not is_pred:
                continue
            lemma = cues.predicate(tok.lemma_)
            assert lemma is not None
            predicates.add(lemma)
            children = list(tok.children)
            if any(c.dep_ == "neg" or c.lower_ in {"never", "not", "n't"} for c in children):
                negated.add(lemma)
            # An auxiliary's negation ("was not killed") hangs on the verb too in spaCy; a
            # negative subject ("no one", "nobody", "no soldiers") negates the event itself.
            for c in children:
                if is_negative_subject(c):
                    negated.add(lemma)
                    neg_subject = True
            subj = [c for c in children if c.dep_ in SUBJECT_DEPS]
            obj = [c for c in children if c.dep_ in OBJECT_DEPS]
            if subj and obj:
                roles.append((lemma, _phrase(subj[0]), _phrase(obj[0])))
                role_words.append((lemma, _words(subj[0]), _words(obj[0])))
            # Passive: "the rebels were attacked by the army" -> (attack, army, rebels)
            passive_subj = [c for c in children if c.dep_ == "nsubjpass"]
            agents = [
                g for c in children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"
            ]
            if passive_subj and agents:
                roles.append((lemma, _phrase(agents[0]), _phrase(passive_subj[0])))
                role_words.append((lemma, _words(agents[0]), _words(passive_subj[0])))
        return Parsed(
            predicates=frozenset(predicates),
            negated=frozenset(negated),
            roles=tuple(roles),
            negative_subject=neg_subject,
            role_words=tuple(role_words),
        )

    # Rules: each returns (type, reason) or None ---------------------------------------------------

    def _quantity_predicates(self, a: Claim, b: Claim) -> set[str]:
        pa = {self.cues.predicate(q.predicate) for q in a.quantities if q.predicate}
        pb = {self.cues.predicate(q.predicate) for q in b.quantities if q.predicate}
        return {p for p in pa & pb if p is not None}

    def _comparable(self, qa: Quantity, qb: Quantity) -> int:
        """0: not the same count; 1: same unit, a predicate unknown; 2: same unit and predicate."""
        cues = self.cues
        ua, ub = cues.unit(qa.unit), cues.unit(qb.unit)
        pa, pb = cues.predicate(qa.predicate), cues.predicate(qb.predicate)
        if ua != ub:
            return 0
        if ua is None:  # bare numbers compare only through an explicit shared predicate
            return 2 if pa is not None and pa == pb else 0
        if pa is not None and pb is not None:
            return 2 if pa == pb else 0
        return 1

    def _numeric(self, a: Claim, b: Claim) -> tuple[RelationType, Reason] | None:
        """Each quantity of `a` against its best-matching quantities of `b`: a conflict only when
        none of them is compatible (so "6 dead, 4 wounded" vs "4 wounded" is not a conflict)."""
        tol = self.cues.approximate_tolerance
        agree: tuple[Quantity, Quantity] | None = None
        for qa, qb_list in (
            (qa, [(qb, self._comparable(qa, qb)) for qb in b.quantities]) for qa in a.quantities
        ):
            level = max((lvl for _, lvl in qb_list), default=0)
            if level == 0:
                continue
            cands = [qb for qb, lvl in qb_list if lvl == level]
            ia = interval(qa, tol)
            if ia is None:
                continue
            ok = [qb for qb in cands if (ib := interval(qb, tol)) is not None and overlap(ia, ib)]
            if ok:
                agree = agree or (qa, ok[0])
                continue
            qb = cands[0]
            unit = qa.unit if qa.unit and qa.unit not in qa.span.text else None
            what = " ".join(w for w in (unit, PREDICATE_WORDS.get(qa.predicate or "")) if w)
            text = f"{qa.span.text} {what} ({_name(a)}) vs {qb.span.text} ({_name(b)})"
            return RelationType.CONFLICTS, Reason(code="numeric", text=_squash(text))
        if agree is not None:
            qa, qb = agree
            unit = qa.unit if qa.unit and qa.unit not in qa.span.text else ""
            text = f"{qa.span.text} {unit} ({_name(a)}) agrees with {qb.span.text} "
            text += f"({_name(b)})"
            return RelationType.CORROBORATES, Reason(code="numeric_agree", text=_squash(text))
        return None

    def _debunks(self, claim: Claim) -> bool:
        """The claim calls the story false: a debunk or denial word, or a dismissal of a story
        ("dismissed the reports"; a bare "dismissed" is as often "fired")."""
        cues = self.cues
        text = claim.content.text.replace("’", "'").replace("‘", "'")
        text = self._negated_dispute_re.sub(" ", cues.exclusion_re.sub(" ", text))
        return bool(
            self._dispute_re.search(text)
            or cues.denial_re.search(text)
            or cues.dismissal_re.search(text)
        )

    def _denial(self, a: Claim, b: Claim) -> tuple[RelationType, Reason] | None:
        """One claimant denies (cue "deny", "reject", a negated "say") or calls it false; the other
        asserts."""
        da = a.stance == Stance.DENIED or self._debunks(a)
        db = b.stance == Stance.DENIED or self._debunks(b)
        if da == db:
            return None
        denier, asserter = (a, b) if da else (b, a)
        text = (
            f"{_name(denier)} denies “{_snippet(denier)}”; "
            f"{_name(asserter)} asserts “{_snippet(asserter)}”"
        )
        return RelationType.CONFLICTS, Reason(code="denial", text=text)

    def _negation(
        self, a: Claim, b: Claim, pa: Parsed, pb: Parsed
    ) -> tuple[RelationType, Reason] | None:
        """The shared predicate is negated on one side only ("did not attack", "no one was
        killed")."""
        shared: set[str] = set(pa.predicates & pb.predicates)
        if not shared and (pa.negative_subject or pb.negative_subject):
            shared = self._quantity_predicates(a, b) | (pa.negated | pb.negated)
        for pred in sorted(shared):
            na, nb = pred in pa.negated, pred in pb.negated
            if na != nb:
                neg, pos = (a, b) if na else (b, a)
                text = (
                    f"{_name(neg)} negates '{pred}' (“{_snippet(neg)}”); "
                    f"{_name(pos)} asserts it (“{_snippet(pos)}”)"
                )
                return RelationType.CONFLICTS, Reason(code="negation", text=text)
        return None

    def _role_swap(
        self, a: Claim, b: Claim, pa: Parsed, pb: Parsed
    ) -> tuple[RelationType, Reason] | None:
        for pred, agent, patient in pa.roles:
            for pred_b, agent_b, patient_b in pb.roles:
                if pred != pred_b or not agent or not patient or agent == patient:
                    continue
                if _same_np(agent, patient_b) and _same_np(patient, agent_b):
                    text = (
                        f"who {pred}ed whom: {agent} {pred} {patient} ({_name(a)}) vs "
                        f"{agent_b} {pred} {patient_b} ({_name(b)})"
                    )
                    return RelationType.CONFLICTS, Reason(code="role_swap", text=text)
        return self._party_swap(a, b, pa, pb)

    def _party_swap(
        self, a: Claim, b: Claim, pa: Parsed, pb: Parsed
    ) -> tuple[RelationType, Reason] | None:
        """Role swap between the *parties* of the two claims: "fighters from the Highland Front
        attacked an army post" (army) vs "the army attacked its positions" (Highland Front).
        Role phrases are mapped to the claimants they name: a claimant's name or its head noun
        ("army" → Velorian army), and "its/our/we/us/their" → the claim's own claimant."""
        names = {a.claimant.name, b.claimant.name}
        for pred, agent, patient in pa.role_words:
            for pred_b, agent_b, patient_b in pb.role_words:
                if pred != pred_b:
                    continue
                ag, pt = _parties(agent, a, names), _parties(patient, a, names)
                ag_b, pt_b = _parties(agent_b, b, names), _parties(patient_b, b, names)
                if not (ag and pt and ag_b and pt_b) or ag & pt or ag_b & pt_b:
                    continue
                if ag & pt_b and pt & ag_b:
                    who = sorted(ag)[0]
                    whom = sorted(pt)[0]
                    text = (
                        f"who {pred}ed whom: {_name(a)} says {who} {pred}ed {whom}; "
                        f"{_name(b)} says {sorted(ag_b)[0]} {pred}ed {sorted(pt_b)[0]}"
                    )
                    return RelationType.CONFLICTS, Reason(code="role_swap", text=text)
        return None

    def _time(
        self, a: Claim, b: Claim, pa: Parsed, pb: Parsed
    ) -> tuple[RelationType, Reason] | None:
        if not (pa.predicates & pb.predicates or self._quantity_predicates(a, b)):
            return None
        clock = _clock_conflict(a, b)
        if clock is not None:
            return RelationType.CONFLICTS, Reason(code="time", text=clock)
        ta = [(t, i) for t in a.times if (i := time_interval(t)) is not None]
        tb = [(t, i) for t in b.times if (i := time_interval(t)) is not None]
        if not ta or not tb:
            return None
        tol = self.cues.same_day_tolerance_days
        gaps = [(days_apart(ia, ib), x, y) for x, ia in ta for y, ib in tb]
        gap, x, y = min(gaps, key=lambda g: g[0])
        if gap <= tol:
            return None
        text = f"{x.span.text} ({x.value}, {_name(a)}) vs {y.span.text} ({y.value}, {_name(b)})"
        return RelationType.CONFLICTS, Reason(code="time", text=text)

    def _place(
        self, a: Claim, b: Claim, pa: Parsed, pb: Parsed
    ) -> tuple[RelationType, Reason] | None:
        """Different named places for the same event, when no name contains another ("Kidal" vs
        "Kidal region" match). Without a gazetteer a city and its country differ too: a weak
        rule."""
        if not (pa.predicates & pb.predicates or self._quantity_predicates(a, b)):
            return None
        na = {m.name.lower() for m in a.places if m.label in {"GPE", "LOC"}}
        nb = {m.name.lower() for m in b.places if m.label in {"GPE", "LOC"}}
        if not na or not nb:
            return None
        if any(x in y or y in x for x in na for y in nb):
            return None
        text = f"{', '.join(sorted(na))} ({_name(a)}) vs {', '.join(sorted(nb))} ({_name(b)})"
        return RelationType.CONFLICTS, Reason(code="place", text=text)

    def _relation(self, a: Claim, b: Claim, kind: RelationType, reason: Reason) -> Relation:
        return Relation(a=a.id, b=b.id, type=kind, reason=reason, score=SCORES[reason.code])


# How a predicate lemma reads after a counted noun in a reason text ("6 soldiers dead").
PREDICATE_WORDS = {"die": "dead", "kill": "dead", "wound": "wounded", "injure": "injured"}


def _snippet(claim: Claim, limit: int = 80) -> str:
    """The claim's content for a reason sentence, without quote marks, shortened."""
    text = " ".join(claim.content.text.strip("“”\"' ").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace(" )", ")").strip()


SELF_PRONOUNS = frozenset({"its", "our", "we", "us", "their", "they", "ours"})


def _words(tok: Token) -> tuple[str, ...]:
    return tuple(t.lower_ for t in tok.subtree if not t.is_punct)


def _parties(words: tuple[str, ...], claim: Claim, names: set[str]) -> set[str]:
    """The claimants a role phrase names (see `_party_swap`)."""
    text = " " + " ".join(words) + " "
    found = {n for n in names if f" {n.lower()} " in text or f" {n.split()[-1].lower()} " in text}
    if SELF_PRONOUNS & set(words):
        found.add(claim.claimant.name)
    return found


def _same_np(x: str, y: str) -> bool:
    """Two role phrases name the same participant: equal, or one's words contain the other's
    head ("the Malian army" ~ "army")."""
    if x == y:
        return True
    wx, wy = x.split(), y.split()
    return bool(wx and wy) and (wx[-1] == wy[-1] or set(wx) <= set(wy) or set(wy) <= set(wx))


def relate_all(
    claims_with_texts: Iterable[tuple[Claim, str]],
    scorer: RelationScorer,
    same_fact_pairs: Iterable[tuple[str, str]],
) -> list[Relation]:
    """Score every same-fact pair once: relations are symmetric, stored with `a < b` by id, with no
    duplicates and no self-pairs, in a stable order (sorted by `(a, b)`).

    `claims_with_texts` gives each claim with the full text of its document; pairs naming an
    unknown claim id raise KeyError, since a silent skip would hide a grouping bug.
    """
    by_id: dict[str, tuple[Claim, str]] = {c.id: (c, t) for c, t in claims_with_texts}
    keys = sorted({(min(x, y), max(x, y)) for x, y in same_fact_pairs if x != y})
    out: list[Relation] = []
    for x, y in keys:
        (ca, ta), (cb, tb) = by_id[x], by_id[y]
        rel = scorer.relate(ca, cb, ta, tb)
        if rel is None:
            continue
        if rel.a > rel.b:
            rel = rel.model_copy(update={"a": rel.b, "b": rel.a})
        out.append(rel)
    return out


def relations_between(
    claims: Sequence[Claim], texts: Sequence[str], scorer: RelationScorer
) -> list[Relation]:
    """All pairs of a small group (an incident) — a convenience over `relate_all`."""
    pairs = [(x.id, y.id) for i, x in enumerate(claims) for y in claims[i + 1 :]]
    return relate_all(zip(claims, texts, strict=True), scorer, pairs)
