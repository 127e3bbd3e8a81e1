"""What a negation is about, so that a negation meets only the claims that speak of it.

"There was no warning" negates a warning; it contradicts "we warned every village" and says
nothing against "the water came up to our chests". The dispute search (`Comparer._disputes`)
pairs a negated claim with the assertions closest to it in meaning, and closeness of meaning
alone pairs it with anything else said about the incident. This module reads, from a small
parse, the words a negation governs ("no" → its noun and the verb that noun belongs to; "not" or
"never" → its verb with the verb's subject, objects and prepositional objects; "without" → its
object) and the content words of a claim, each reduced to a crude stem so that "warning" meets
"warned" and "payment" meets "paid".
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Token

from claims.extraction.nlp import DEFAULT_SPACY_MODEL, SpacyStage

# Verbs and nouns too general to say what a claim is about ("there was no X", "nothing was done").
GENERIC = frozenset(
    {
        "be", "have", "do", "say", "make", "get", "go", "come", "give", "there", "thing",
        "anything", "nothing", "something", "one", "any", "people", "way", "time", "know",
    }
)  # fmt: skip
NEGATORS = frozenset(
    {"no", "not", "never", "without", "nobody", "nothing", "none", "nor", "neither"}
)
CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ"})
# Endings dropped before comparing: "warning"/"warned" → "warn", "payments"/"paid" → "pay".
SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ions", "ion", "ed", "es", "s")
STEM = 5
_IRREGULAR = {"paid": "pay", "told": "tell", "said": "say", "hit": "hit", "shot": "shoot"}


def stem(lemma: str) -> str:
    """A crude stem: the lemma without a derivational or inflectional ending, cut to 5 letters."""
    word = _IRREGULAR.get(lemma.lower(), lemma.lower())
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:STEM]


def _content(tok: Token) -> bool:
    return (
        tok.is_alpha
        and not tok.is_stop
        and tok.pos_ in CONTENT_POS
        and tok.lemma_.lower() not in GENERIC
        and tok.lower_ not in NEGATORS
    )


def _governed(tok: Token) -> list[Token]:
    """The heads a negation word governs: "no" its noun (and the verb the noun is the subject
    or object of), "without" its object, "not"/"never"/"nobody" the verb they hang on."""
    if tok.lower_ == "without":
        return [c for c in tok.children if c.dep_ == "pobj"]
    if tok.dep_ == "det":  # "no warning", "no patient data was taken"
        heads = [tok.head]
        if tok.head.dep_ in {"nsubj", "nsubjpass", "dobj", "attr"}:
            heads.append(tok.head.head)
        return heads
    return [tok.head]


def negated_terms(doc: Doc) -> frozenset[str]:
    """Stems of what the negations in `doc` are about: each governed head, its children and the
    objects of its prepositions ("no braking marks on the road" → brake, mark, road)."""
    out: set[str] = set()
    for tok in doc:
        if tok.dep_ != "neg" and tok.lower_ not in NEGATORS:
            continue
        for head in _governed(tok):
            near = [head, *head.children]
            near += [g for c in head.children if c.dep_ == "prep" for g in c.children]
            out.update(stem(t.lemma_) for t in near if _content(t))
    return frozenset(out)


def content_terms(doc: Doc) -> frozenset[str]:
    """Stems of a claim's content words."""
    return frozenset(stem(t.lemma_) for t in doc if _content(t))


@dataclass(frozen=True)
class Terms:
    negated: frozenset[str]
    content: frozenset[str]


class ScopeReader(SpacyStage):
    """Stage object: reads `Terms` from a claim's content; parses are cached by text, since
    one claim meets many others. The spaCy pipeline is the one `load_spacy` shares."""

    def __init__(self, spacy_model: str = DEFAULT_SPACY_MODEL, cache_size: int = 10_000) -> None:
        self.spacy_model = spacy_model
        self.cache_size = cache_size
        self._cache: dict[str, Terms] = {}

    def terms(self, text: str) -> Terms:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        doc = self.nlp(text)
        terms = Terms(negated=negated_terms(doc), content=content_terms(doc))
        if len(self._cache) >= self.cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[text] = terms
        return terms

    def negation_meets(self, negation: str, other: str) -> bool:
        """Whether `other` speaks of what `negation` negates."""
        return bool(self.terms(negation).negated & self.terms(other).content)
