"""Who really said it: claimant resolution inside one document.

No coreference model installs offline (DESIGN.md §6), so resolution is rules over the parse, the
named entities and the document's own mentions:

- pronouns ("it said", "he added", "who said") take the nearest earlier compatible claimant;
- descriptions ("the force", "the former rebels", "the army") take the best *named* mention anywhere
  in the document with the same head noun ("The MINUSMA force" → MINUSMA, "the Malian army");
- acronyms introduced as "Long Name (ACR)" and surnames ("Kolins" → "Marta Kolins") are aliases;
- documents ("the statement", "a press release") resolve to their issuer (`X's statement` → X,
  otherwise the latest claimant that is not a document);
- unnamed sources ("a source", "officials", "a port official") are flagged anonymous.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from claims.extraction.attribution import RawAttribution
from claims.extraction.lexicon import Lexicon, load_lexicon
from claims.models import Claimant, EntityType, Span

PERSON_PRONOUNS = {"he", "she", "him", "her", "i", "me"}
THING_PRONOUNS = {"it"}
PLURAL_PRONOUNS = {"they", "them", "we", "us"}
RELATIVE = {"who", "which", "that", "whom"}
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her"}
ACRONYM_RE = re.compile(r"^[A-Z][A-Z0-9&\-]{1,9}$")
ENTITY_TYPES = {
    "PERSON": EntityType.PERSON,
    "ORG": EntityType.ORGANIZATION,
    "GPE": EntityType.PLACE,
    "LOC": EntityType.PLACE,
    "NORP": EntityType.GROUP,
    "FAC": EntityType.PLACE,
}


@dataclass(frozen=True)
class _Named:
    name: str
    type: EntityType
    start: int
    end: int


def _strip_det(words: list[str]) -> list[str]:
    while words and words[0].lower() in DETERMINERS:
        words = words[1:]
    return words


def _clean_name(text: str) -> str:
    words = _strip_det(text.replace("\n", " ").split())
    name = " ".join(words).strip(" ,.;:'\"“”’")
    return re.sub(r"['’]s$", "", name)


class ClaimantResolver:
    """Resolves each attribution's speaker to a canonical claimant; pure over its inputs."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()

    def run(
        self, doc: Doc, attributions: Sequence[RawAttribution], outlet: str | None = None
    ) -> list[Claimant]:
        ctx = _DocContext(doc, self.lexicon)
        resolved: list[Claimant] = []
        for att in attributions:
            claimant = self._resolve_one(doc, ctx, att, resolved, attributions)
            resolved.append(claimant)
        return resolved

    # -- one speaker ----------------------------------------------------------------------------
    def _resolve_one(
        self,
        doc: Doc,
        ctx: _DocContext,
        att: RawAttribution,
        earlier: list[Claimant],
        attributions: Sequence[RawAttribution],
    ) -> Claimant:
        if att.speaker is None or att.speaker_head is None:
            return Claimant(name="unnamed source", type=EntityType.UNKNOWN, anonymous=True)
        start, end = att.speaker
        mention = Span(start=start, end=end, text=ctx.text[start:end])
        head = doc[att.speaker_head]
        # the head of the speaker phrase may be a conjunct or inside; use the phrase's root
        lower = head.lower_
        if lower in RELATIVE and head.dep_ in {"nsubj", "nsubjpass"}:
            rel = head.head
            if rel.dep_ == "relcl":
                return self._resolve_phrase(doc, ctx, rel.head, earlier, mention)
        if head.pos_ == "PRON" or lower in PERSON_PRONOUNS | THING_PRONOUNS | PLURAL_PRONOUNS:
            return self._resolve_pronoun(ctx, lower, att, earlier, attributions, mention)
        return self._resolve_phrase(doc, ctx, head, earlier, mention)

    def _affiliation(self, ctx: _DocContext, head: Token) -> str | None:
        """`army spokeswoman Lena Korr`, `Fox, a spokesman for the army`: the body a
        spokesperson speaks for, resolved like a description ("army" → "Velorian army")."""
        roles = [
            t
            for t in head.subtree
            if t.lemma_.lower() in self.lexicon.spokesperson_heads and t.i != head.i
        ]
        for role in roles:
            bodies = [c for c in role.children if c.dep_ in {"compound", "poss", "amod"}]
            bodies += [
                g
                for c in role.children
                if c.dep_ == "prep" and c.lower_ in {"for", "of"}
                for g in c.children
                if g.dep_ == "pobj"
            ]
            for body in bodies:
                if body.ent_type_ == "PERSON":
                    continue
                if body.pos_ == "PROPN" and body.text.isupper():
                    return ctx.acronym_alias(body.text)  # "MINUSMA spokesman"
                described = ctx.best_description(body.lemma_.lower())
                return described or ctx.acronym_alias(_clean_name(body.text))
        return None

    def _resolve_pronoun(
        self,
        ctx: _DocContext,
        pronoun: str,
        att: RawAttribution,
        earlier: list[Claimant],
        attributions: Sequence[RawAttribution],
        mention: Span,
    ) -> Claimant:
        def fits(c: Claimant) -> bool:
            if c.type is EntityType.DOCUMENT:
                return False
            if pronoun in PERSON_PRONOUNS:
                return c.type in {EntityType.PERSON, EntityType.UNKNOWN}
            if pronoun in THING_PRONOUNS:
                return c.type is not EntityType.PERSON
            return True

        for claimant in reversed(earlier):
            if fits(claimant) and claimant.name not in {"unnamed source"}:
                return claimant
        # no earlier claimant: the nearest earlier named entity of a fitting type
        for named in reversed(ctx.named):
            if named.end > mention.start:
                continue
            candidate = Claimant(
                name=named.name,
                type=named.type,
                mention=Span(
                    start=named.start, end=named.end, text=ctx.text[named.start : named.end]
                ),
            )
            if fits(candidate) and named.type is not EntityType.PLACE:
                return candidate
        return Claimant(name=mention.text, type=EntityType.UNKNOWN, mention=mention)

    def _resolve_phrase(
        self,
        doc: Doc,
        ctx: _DocContext,
        head: Token,
        earlier: list[Claimant],
        mention: Span,
    ) -> Claimant:
        lex = self.lexicon
        head_lemma = head.lemma_.lower()
        # the head's phrase, kept inside the speaker's words: a headline's source label
        # ("...: Attorney") may hang the whole line under it in the parse
        inside = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        left = head.left_edge.i if inside is None else max(head.left_edge.i, inside.start)
        phrase = doc[min(left, head.i) : head.i + 1]
        ents = [e for e in ctx.ents if e.start >= phrase.start and e.end <= head.i + 1]
        persons = [e for e in ents if e.label_ == "PERSON" and e.start <= head.i < e.end]
        # a document speaks for its issuer
        if head_lemma in lex.statement_nouns:
            owner = [c for c in head.children if c.dep_ == "poss"]
            if owner:
                return self._resolve_phrase(doc, ctx, owner[0], earlier, mention)
            for claimant in reversed(earlier):
                if claimant.type is not EntityType.DOCUMENT and not claimant.anonymous:
                    return claimant
            return Claimant(
                name=_clean_name(phrase.text), type=EntityType.DOCUMENT, mention=mention
            )
        # a spokesperson speaks for the body named in "for X" / "X's"
        if head_lemma in lex.spokesperson_heads and not persons:
            body = [c for c in head.children if c.dep_ == "poss"] + [
                g for c in head.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"
            ]
            if body:
                return self._resolve_phrase(doc, ctx, body[0], earlier, mention)
        if persons:
            full = ctx.person_alias(_clean_name(persons[-1].text))
            return Claimant(
                name=full,
                type=EntityType.PERSON,
                mention=mention,
                affiliation=self._affiliation(ctx, head),
            )
        if head.ent_type_ in ENTITY_TYPES and head.pos_ == "PROPN":
            ent = next((e for e in ents if e.start <= head.i < e.end), None)
            name = _clean_name(ent.text if ent is not None else head.text)
            etype = ctx.entity_type(ent) if ent is not None else ENTITY_TYPES[head.ent_type_]
            if etype is EntityType.PERSON:
                name = ctx.person_alias(name)
                affiliation = self._affiliation(ctx, head)
                return Claimant(name=name, type=etype, mention=mention, affiliation=affiliation)
            name = ctx.acronym_alias(name)
            return Claimant(name=name, type=etype, mention=mention)
        if head.pos_ == "PROPN":
            alias = ctx.person_alias(head.text)
            if alias != head.text and phrase.text.split()[-1] == head.text:
                return Claimant(name=alias, type=EntityType.PERSON, mention=mention)
            return Claimant(
                name=ctx.acronym_alias(_clean_name(phrase.text)),
                type=EntityType.ORGANIZATION,
                mention=mention,
            )
        # a common noun: anonymous source, or a description of a named body
        anonymous = head_lemma in lex.anonymous_heads
        named_modifier = ctx.named_modifier(head)
        definite = any(
            c.dep_ == "det" and c.lower_ in {"the", "this", "that"} for c in head.children
        )
        if anonymous and definite:
            # "One survivor told …" then "the woman said": the same unnamed source
            for claimant in reversed(earlier):
                if claimant.anonymous and claimant.name != "unnamed source":
                    return claimant
        if anonymous:
            words = [t.text for t in phrase if t.pos_ not in {"DET", "NUM"} and t.dep_ != "poss"]
            words = [w for w in words if w.lower() not in {"senior", "unnamed", "anonymous"}]
            base = " ".join(words) if words else head.text
            return Claimant(name=base, type=EntityType.UNKNOWN, anonymous=True, mention=mention)
        best = ctx.best_description(head_lemma) or named_modifier
        if best is None and head_lemma in lex.group_heads:
            best = ctx.nearest_organisation(mention.start)
        if best is not None:
            return Claimant(name=best, type=EntityType.ORGANIZATION, mention=mention)
        return Claimant(
            name=_clean_name(phrase.text) or head.text,
            type=EntityType.GROUP if head.tag_ == "NNS" else EntityType.UNKNOWN,
            mention=mention,
        )


class _DocContext:
    """Everything resolution learns once per document: entities, aliases, named descriptions."""

    def __init__(self, doc: Doc, lexicon: Lexicon) -> None:
        self.doc = doc
        self.lexicon = lexicon
        self.text = doc.text
        self.ents = doc.ents  # spaCy rebuilds the tuple on every access
        self.named = [
            _Named(_clean_name(e.text), self.entity_type(e), e.start_char, e.end_char)
            for e in self.ents
            if e.label_ in ENTITY_TYPES and not e.text.islower()
        ]
        self.acronyms: dict[str, str] = {}
        for m in re.finditer(
            r"((?:[A-Z][\w.\-’']*\s+){1,8}?)\(([A-Z][A-Z0-9&\-]{1,9})\)", self.text
        ):
            long = _clean_name(m.group(1))
            self.acronyms[long.lower()] = m.group(2)
        self.persons = [n.name for n in self.named if n.type is EntityType.PERSON]
        self._freq = Counter(
            t.text for t in doc if t.pos_ == "PROPN" or ACRONYM_RE.match(t.text) is not None
        )
        self._descriptions: dict[str, str | None] = {}
        self._lemmas: list[str] | None = None

    def entity_type(self, ent: SpacySpan) -> EntityType:
        """The small model tags "Captain Ilse Varga" ORG; a leading title means a person."""
        titled = len(ent) > 1 and ent[0].lower_ in self.lexicon.titles
        if ent.label_ == "ORG" and titled and all(t.pos_ == "PROPN" for t in ent):
            return EntityType.PERSON
        return ENTITY_TYPES[ent.label_]

    def strip_title(self, name: str) -> str:
        parts = name.split()
        while len(parts) > 1 and parts[0].lower() in self.lexicon.titles:
            parts = parts[1:]
        return " ".join(parts)

    def person_alias(self, name: str) -> str:
        """`Kolins` → `Marta Kolins` when the full name appears in the document."""
        name = self.strip_title(name)
        parts = name.split()
        for full in self.persons:
            fparts = self.strip_title(full).split()
            if len(fparts) > len(parts) and fparts[-len(parts) :] == parts:
                return " ".join(fparts)
        if len(parts) == 1 and not ACRONYM_RE.match(parts[0]):
            # the parser may have missed the full name: read it off the text
            pattern = rf"((?:[A-Z][a-z]+\s+){{1,2}}){re.escape(parts[0])}\b"
            for m in re.finditer(pattern, self.text):
                full = self.strip_title(_clean_name(m.group(0)))
                if len(full.split()) > 1:
                    return full
        return name

    def nearest_organisation(self, before: int) -> str | None:
        """`The rebels` with no named form: the organisation most recently named before it."""
        orgs = [n for n in self.named if n.type is EntityType.ORGANIZATION and n.end <= before]
        # one-word "organisations" are often places the small model mislabels ("Tarsa")
        named = [n for n in orgs if len(n.name.split()) > 1] or orgs
        return self.acronym_alias(named[-1].name) if named else None

    def acronym_alias(self, name: str) -> str:
        return self.acronyms.get(name.lower(), name)

    def named_modifier(self, head: Token) -> str | None:
        """A proper name attached to a common-noun head: `The MINUSMA force` → `MINUSMA`,
        `the Malian army` → `Malian army`, `Mali's army` → `Mali's army`."""
        for child in head.children:
            if child.dep_ in {"compound", "nmod"} and (
                ACRONYM_RE.match(child.text) or child.ent_type_ == "ORG"
            ):
                ent = next((e for e in self.ents if e.start <= child.i < e.end), None)
                return self.acronym_alias(_clean_name(ent.text if ent is not None else child.text))
        for left in head.subtree:
            if left.i >= head.i:
                break
            if left.dep_ in {"amod", "compound"} and (
                left.ent_type_ in {"NORP", "GPE"} or left.pos_ == "PROPN"
            ):
                return _clean_name(self.doc[left.i : head.i + 1].text)
        for child in head.children:
            if child.dep_ == "poss" and child.ent_type_ in {"GPE", "ORG", "NORP"}:
                return f"{child.text}'s {head.text}"
        return None

    def best_description(self, head_lemma: str) -> str | None:
        """The most prominent proper name used with this head noun anywhere in the document."""
        if head_lemma in self._descriptions:
            return self._descriptions[head_lemma]
        doc = self.doc
        if self._lemmas is None:  # read once per document, not once per head noun
            self._lemmas = [t.lemma_.lower() for t in doc]
        same = [i for i, lemma in enumerate(self._lemmas) if lemma == head_lemma]
        candidates: list[str] = []
        for i in same:
            token = doc[i]
            if token.pos_ == "NOUN":
                named = self.named_modifier(token)
                if named is not None:
                    candidates.append(named)
        if not candidates:
            # the parser splits forms like "the CMA ex-rebels"; read them off the text instead
            forms = {doc[i].text.lower() for i in same}
            for form in forms:
                pattern = rf"\b([A-Z][A-Z0-9&]{{1,9}})\s+(?:[\w]+-|[\w]+\s+)?{re.escape(form)}\b"
                candidates += [
                    m.group(1)
                    for m in re.finditer(pattern, self.text, re.IGNORECASE)
                    if ACRONYM_RE.match(m.group(1))
                ]
        if not candidates:
            # a named organisation whose name ends in the head noun: "the company" -> "Brenna
            # Textile Company"
            for entity in self.named:
                last = entity.name.split()[-1].lower() if entity.name else ""
                if entity.type is EntityType.ORGANIZATION and last in {
                    head_lemma,
                    head_lemma + "s",
                }:
                    candidates.append(self.acronym_alias(entity.name))
        best: str | None = None
        if candidates:
            # prefer adjectival forms over possessives, then the name the document uses most
            def rank(name: str) -> tuple[int, int, int]:
                return (
                    "'s " not in name,
                    self._freq.get(name.split()[0], 0),
                    candidates.count(name),
                )

            best = max(candidates, key=rank)
        self._descriptions[head_lemma] = best
        return best
