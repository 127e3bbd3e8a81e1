"""Who really said it: claimant resolution inside one document.

No coreference model installs offline (DESIGN.md §6), so resolution is rules over the parse, the
named entities and the document's own mentions:

- pronouns ("it said", "he added", "who said") take the most recent salient mention that fits: the
  subject of a preceding sentence when it comes after the last fitting claimant (news copy
  introduces a speaker in a sentence of its own, "The mayor, X, gave a higher toll. '…,' he said"),
  otherwise the nearest earlier compatible claimant; he/she must agree in number and with what
  the document says of the candidate's gender (titles, role nouns, unambiguous pronouns);
- descriptions ("the force", "the former rebels", "the army") take the best *named* mention anywhere
  in the document with the same head noun ("The MINUSMA force" → MINUSMA, "the Malian army"), if
  it carries the description's own modifiers ("the health ministry" is not the "Emergency
  Ministry"); "the spokesman" is the spokesman named before; "the group" with no named form is
  an earlier speaker or subject so described, else the organisation of that kind last named;
- acronyms introduced as "Long Name (ACR)" name the organisation, and surnames ("Kolins" → "Marta
  Kolins", even where the small model tags the surname ORG) are aliases;
- a person named in apposition to a role noun is the speaker ("the army spokesman, Colonel X" →
  X, affiliated with the army; later bare mentions of X keep that affiliation);
- documents ("the statement", "a press release") resolve to their issuer (`X's statement`, "a
  statement from X", "company reports" → X; for "the statement", the subject of the clause an
  earlier mention of the document attaches to, "X claimed it through a statement", else the latest
  claimant that is not a document; "a new poll" with no issuer named stays a document);
- datelines ("PORT CITY, Jan 3 (Agency) -") name where the copy was filed, never a speaker;
- unnamed sources ("a source", "officials", "a port official") are flagged anonymous.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from claims.extraction.attribution import RawAttribution
from claims.extraction.lexicon import Lexicon, load_lexicon
from claims.extraction.quotes import find_quotes
from claims.models import Claimant, EntityType, Span

PERSON_PRONOUNS = {"he", "she", "him", "her", "i", "me"}
THING_PRONOUNS = {"it"}
PLURAL_PRONOUNS = {"they", "them", "we", "us"}
FIRST_PERSON = {"i", "me", "we", "us"}
RELATIVE = {"who", "which", "that", "whom"}
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her"}
ACRONYM_RE = re.compile(r"^[A-Z][A-Z0-9&\-]{1,9}$")
SUBJECT_DEPS = {"nsubj", "nsubjpass"}
DASHES = {"-", "–", "—", "--"}
GENERIC_GROUPS = {"group", "organisation", "organization", "agency", "body"}
"""Group nouns that may describe any named organisation ("the group" for "Tarsa Watch", "the
agency" for "the Coast Guard Service")."""
SALIENT_SENTENCES = 2
"""How many preceding sentences (outside quotes) a pronoun searches for a salient subject."""
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


@lru_cache(maxsize=4)
def _cue_words(key: str) -> frozenset[str]:
    """A word list of `cues.json` that `Lexicon` does not carry (yet): kept beside the other
    lists so linguists edit it there."""
    raw = json.loads(resources.files("claims.data").joinpath("cues.json").read_text("utf-8"))
    return frozenset(str(w).lower() for w in raw.get(key, []))


def person_heads() -> frozenset[str]:
    """Role nouns that stand for one person ("the mayor", "a nurse"): what lets "he" or "she" take a
    subject that carries no name."""
    return _cue_words("person_heads")


def institution_heads() -> frozenset[str]:
    """Nouns that an institution's name carries ("Ministry of Health", "Tresna Inspectorate"):
    "the inspectorate" is never a body whose name lacks the word ("Korvex Chemicals"), while
    "the company" or "the rebels" may be any organisation."""
    return _cue_words("institution_heads")


GENDERED_PRONOUNS = {"he", "him", "his", "himself", "she", "her", "hers", "herself"}


def _gender(word: str) -> str | None:
    """The gender ("f" or "m") a pronoun, a courtesy title or a gendered role noun gives."""
    w = word.lower()
    if w in {"she", "her", "hers", "herself", "mrs.", "ms.", "mrs", "ms"}:
        return "f"
    if w in {"he", "him", "his", "himself", "mr.", "mr"}:
        return "m"
    if w in person_heads():
        if w.endswith("woman") or w in {"mother", "wife", "daughter", "sister", "queen"}:
            return "f"
        if w.endswith("man") or w in {"father", "husband", "son", "brother", "king", "prince"}:
            return "m"
    return None


def _genders(head: Token) -> set[str]:
    """What the words of a mention say of its gender: a pronoun, or the head with its titles,
    role nouns and appositives ("spokeswoman X", "X, a policeman"), not a possessor ("Her
    neighbour, X" says nothing of X) nor anything inside a prepositional phrase."""
    if head.pos_ == "PRON":
        words = [head.lower_]
    else:
        own = [c for c in head.children if c.dep_ in {"compound", "appos"}]
        words = [head.lemma_, head.lower_] + [
            t.lower_ for c in own for t in c.subtree if t.dep_ not in {"poss", "prep"}
        ]
    return {g for g in map(_gender, words) if g is not None}


def _in_any(i: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= i < end for start, end in spans)


class ClaimantResolver:
    """Resolves each attribution's speaker to a canonical claimant; pure over its inputs."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()

    def run(
        self, doc: Doc, attributions: Sequence[RawAttribution], outlet: str | None = None
    ) -> list[Claimant]:
        ctx = _DocContext(doc, self.lexicon, outlet)
        resolved: list[Claimant] = []
        for att in attributions:
            claimant = ctx.remember(att, self._resolve_one(doc, ctx, att, resolved, attributions))
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
                antecedent = rel.head
                # "A source in Tarsa, who asked not to be named": "who" is the source, not Tarsa
                # (which the small model may even tag as a person)
                people = person_heads() | self.lexicon.anonymous_heads
                while (
                    lower == "who"
                    and antecedent.dep_ == "pobj"
                    and antecedent.head.dep_ == "prep"
                    and (
                        antecedent.ent_type_ != "PERSON"
                        or antecedent.head.head.lemma_.lower() in people
                    )
                ):
                    antecedent = antecedent.head.head
                return self._subject_claimant(doc, ctx, antecedent, earlier)
        if head.pos_ == "PRON" or lower in PERSON_PRONOUNS | THING_PRONOUNS | PLURAL_PRONOUNS:
            return self._resolve_pronoun(doc, ctx, head, att, earlier, attributions, mention)
        return self._resolve_phrase(doc, ctx, head, earlier, mention)

    def _affiliation(self, ctx: _DocContext, head: Token) -> str | None:
        """`army spokeswoman Lena Korr`, `Fox, a spokesman for the army`: the body a
        spokesperson speaks for, resolved like a description ("army" → "Velorian army")."""
        roles = [t for t in head.subtree if t.lemma_.lower() in self.lexicon.spokesperson_heads]
        for role in roles:
            # "the army's spokesman", "a police spokesman", "a spokesman for X" before
            # "regional" (a modifier only sometimes names the body: "inspectorate spokeswoman"
            # is parsed as one)
            bodies = [c for c in role.children if c.dep_ == "poss"]
            bodies += [c for c in role.children if c.dep_ == "compound"]
            bodies += [
                g
                for c in role.children
                if c.dep_ == "prep" and c.lower_ in {"for", "of"}
                for g in c.children
                if g.dep_ == "pobj"
            ]
            bodies += [
                c
                for c in role.children
                if c.dep_ == "amod" and c.lower_ not in {"senior", "chief", "deputy", "former"}
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
        doc: Doc,
        ctx: _DocContext,
        head: Token,
        att: RawAttribution,
        earlier: list[Claimant],
        attributions: Sequence[RawAttribution],
        mention: Span,
    ) -> Claimant:
        pronoun = head.lower_
        gender = _gender(pronoun)

        def fits(c: Claimant) -> bool:
            if c.type is EntityType.DOCUMENT:
                return False
            if pronoun in PERSON_PRONOUNS:
                known = ctx.genders.get(c.name)
                agrees = gender is None or known is None or known == gender
                person = c.type in {EntityType.PERSON, EntityType.UNKNOWN}
                return person and agrees and c.name not in ctx.plural
            if pronoun in THING_PRONOUNS:
                return c.type is not EntityType.PERSON and c.name not in ctx.plural
            return True

        prior: Claimant | None = None
        prior_at = -1  # where the prior claimant was last named or referred to
        for i in reversed(range(len(earlier))):
            if fits(earlier[i]) and earlier[i].name not in {"unnamed source"}:
                prior = earlier[i]
                prior_at = (attributions[i].speaker or attributions[i].content)[0]
                break
        # "I" and "we" are the writer or the quoted speaker, never someone just introduced
        subject = None
        if pronoun not in FIRST_PERSON:
            subject = self._salient_subject(
                doc,
                ctx,
                head,
                prior_at,
                earlier,
                lambda s: s.pos_ != "PRON" and self._can_refer(ctx, pronoun, s),
            )
        if subject is not None and fits(subject):
            start = subject.mention.start if subject.mention is not None else head.idx
            ctx.learn_gender(subject.name, gender, start, head.idx)
            return subject
        if prior is not None:
            ctx.learn_gender(prior.name, gender, prior_at, head.idx)
            return prior
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

    def _salient_subject(
        self,
        doc: Doc,
        ctx: _DocContext,
        token: Token,
        after: int,
        earlier: list[Claimant],
        accepts: Callable[[Token], bool],
    ) -> Claimant | None:
        """The subject of a preceding sentence that `token` (a pronoun, "the company") can stand
        for, unless the last claimant that fits was named (at character `after`) in a later
        sentence: "The mayor, X, gave a higher toll. '…,' he told the agency" is X speaking, even
        though the mayor's sentence reports nothing; in "X said that Y had long called for …. He
        said …" the main clause's X outranks the Y reported inside it. An embedded pronoun ("X was
        asked why she thinks …") first tries its own sentence's subject. Sentences inside quotes
        are skipped (their subjects are what a speaker talked about); a subject `accepts` refuses
        (a pronoun only continues an earlier reference) does not stop the search."""
        own = token.sent
        main = next((c for c in own.root.children if c.dep_ in SUBJECT_DEPS), None)
        # "X was asked why she thinks …", "X drew criticism after he said …": X; not in "X told
        # Y, after he admitted …", where Y is as near
        objects = [c for c in own.root.children if c.dep_ in {"dobj", "dative"}]
        if (
            token.head.i != own.root.i
            and not any(ctx.entity_at(o.i) is not None for o in objects)
            and main is not None
            and main.i < token.i
            and main.idx > after
            and not _in_any(main.idx, ctx.quoted)
            and accepts(main)
        ):
            return self._subject_claimant(doc, ctx, main, earlier)
        sent_start = own.start
        looked = 0
        while looked < SALIENT_SENTENCES and sent_start > 0:
            sent = doc[sent_start - 1].sent
            sent_start = sent.start
            if _in_any(sent.root.idx, ctx.quoted):
                continue
            looked += 1
            if sent.end_char <= after:
                return None  # the last claimant that fits was named since
            # the main clause's subject first, then other named subjects, nearest first
            # ("Observers were surprised when X produced a plan. He proposed …")
            root = [c for c in sent.root.children if c.dep_ in SUBJECT_DEPS]
            others = [
                t
                for t in reversed(sent)
                if t.dep_ in SUBJECT_DEPS and t not in root and ctx.entity_at(t.i) is not None
            ]
            for subject in root + others:
                if not _in_any(subject.idx, ctx.quoted) and accepts(subject):
                    return self._subject_claimant(doc, ctx, subject, earlier)
        return None

    def _subject_claimant(
        self, doc: Doc, ctx: _DocContext, subject: Token, earlier: list[Claimant]
    ) -> Claimant:
        if subject.i in ctx.by_head:  # already resolved as a speaker
            return ctx.by_head[subject.i]
        left, right = subject.left_edge.idx, _phrase_end(subject)
        mention = Span(start=left, end=right, text=ctx.text[left:right])
        return self._resolve_phrase(doc, ctx, subject, earlier, mention)

    def _can_refer(self, ctx: _DocContext, pronoun: str, subject: Token) -> bool:
        """Whether `pronoun` can stand for the noun phrase headed by `subject`: he/she a named
        person or a singular role noun ("the mayor"), of the same gender when the words say;
        "it" a named organisation or a singular group noun; "they" a plural group or people."""
        lex = self.lexicon
        lemma = subject.lemma_.lower()
        ent = ctx.entity_at(subject.i)
        etype = ctx.entity_type(ent) if ent is not None else None
        if subject.i in ctx.by_head and pronoun not in PERSON_PRONOUNS:
            return True  # "The hospital said …. It has said …": a speaker (`fits` checks kind)
        if pronoun in PERSON_PRONOUNS:
            want = _gender(pronoun)
            said = _genders(subject)
            person = ent is not None and ctx.is_person(ent)
            if ent is not None and person:
                known = ctx.genders.get(ctx.person_alias(_clean_name(ent.text)))
                said |= {known} if known is not None else set()
            if (want is not None and said and want not in said) or subject.tag_ == "NNS":
                return False
            if person or self._appositive(ctx, subject) is not None:
                return True
            return subject.tag_ == "NN" and lemma in person_heads() | lex.spokesperson_heads
        if pronoun in THING_PRONOUNS:
            if etype in {EntityType.ORGANIZATION, EntityType.GROUP}:
                return True
            singular = subject.tag_ in {"NN", "NNP"}
            return singular and lemma in lex.group_heads | lex.statement_nouns
        plural = subject.tag_ in {"NNS", "NNPS"}
        groups = lex.group_heads | lex.anonymous_heads | person_heads()
        return plural and (lemma in groups or etype is EntityType.GROUP)

    def _appositive(self, ctx: _DocContext, head: Token) -> tuple[str, EntityType] | None:
        """The name given in apposition to a common noun: "the army spokesman, Colonel X", "the
        operator Acme Mining", "The mayor of the commune, X" (the parse may hang the name on the
        last noun of the description). A person unless the noun or the name is an organisation."""
        if head.pos_ != "NOUN":
            return None
        nouns = [head] + [
            g
            for c in head.children
            if c.dep_ == "prep" and c.lower_ in {"of", "for", "at", "in"}
            for g in c.children
            if g.dep_ == "pobj"
        ]
        for noun in nouns:
            for child in noun.children:
                if child.dep_ != "appos" or child.pos_ != "PROPN" or child.i < head.i:
                    continue
                ent = ctx.entity_at(child.i)
                if ent is not None:
                    name, etype = _clean_name(ent.text), ctx.entity_type(ent)
                else:
                    words = [t for t in child.lefts if t.dep_ == "compound" and t.pos_ == "PROPN"]
                    name = " ".join(t.text for t in [*words, child])
                    etype = EntityType.PERSON
                if etype is EntityType.PLACE:
                    continue  # "the market in Tarsa, the regional capital": not a name for it
                if head.lemma_.lower() in self.lexicon.group_heads or etype in {
                    EntityType.ORGANIZATION,
                    EntityType.GROUP,
                }:
                    return ctx.acronym_alias(name), EntityType.ORGANIZATION
                return ctx.strip_title(name), EntityType.PERSON
        return None

    def _names_body(self, ctx: _DocContext, token: Token) -> bool:
        """Whether a noun modifier names who speaks ("company", "inspectorate", "NFDA", "an
        Associated Press story", "army" when the document names an army), not a medium or a
        kind ("press", "video")."""
        if token.pos_ == "PROPN":
            ent = ctx.entity_at(token.i)
            named = ent is not None and ctx.entity_type(ent) is EntityType.ORGANIZATION
            return named or ACRONYM_RE.match(token.text) is not None
        lemma = token.lemma_.lower()
        lex = self.lexicon
        kinds = lex.group_heads | institution_heads() | person_heads() | lex.spokesperson_heads
        return (
            lemma in kinds
            or ctx.best_description(lemma) is not None
            or ctx.earlier_speaker_in_role(lemma, token.i) is not None
        )

    def _issuer(
        self, doc: Doc, ctx: _DocContext, head: Token, earlier: list[Claimant]
    ) -> Claimant | None:
        """Who issued the document a bare "the statement said" quotes: the subject of the clause
        an earlier mention of a document attaches to ("The Front claimed the attack in a
        statement posted on its channels that Radio X has seen" → the Front), or the agent of
        "a statement issued by X" / "a statement from X". Someone who only saw, read or knows of
        the document (a relative clause about it, a cognition verb) did not issue it."""
        lex = self.lexicon
        lemma = head.lemma_.lower()
        mentions = [
            t for t in doc[: head.i] if t.pos_ == "NOUN" and t.lemma_.lower() in lex.statement_nouns
        ]
        # the same word first ("the statement" after "issued a statement"), the nearest first
        mentions.sort(key=lambda t: (t.lemma_.lower() == lemma, t.i), reverse=True)
        for noun in mentions:
            issuer = _document_issuer(noun, lex)
            if issuer is None or issuer.lemma_.lower() in lex.statement_nouns:
                continue
            if issuer.i in ctx.by_head:
                return ctx.by_head[issuer.i]
            if issuer.pos_ == "PRON":
                continue
            left, right = issuer.left_edge.idx, _phrase_end(issuer)
            mention = Span(start=left, end=right, text=ctx.text[left:right])
            return self._resolve_phrase(doc, ctx, issuer, earlier, mention)
        return None

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
        document = head.pos_ == "NOUN" or not head.ent_type_  # "New Poll Shows …", not "The Post"
        if head_lemma in lex.statement_nouns and document:
            # "the army's statement", "a statement from X", "company reports": the owner issued
            # it ("a press release" says how, not who)
            issuer = _document_issuer(head, lex)
            if issuer is not None and issuer.i != head.i and issuer.pos_ != "PRON":
                return self._resolve_phrase(doc, ctx, issuer, earlier, mention)
            owner = [c for c in head.children if c.dep_ == "poss"] + [
                c for c in head.children if c.dep_ == "compound" and self._names_body(ctx, c)
            ]
            if owner:
                return self._resolve_phrase(doc, ctx, owner[0], earlier, mention)
            # "the statement" is one already mentioned; "a new poll" is not
            definite = any(
                c.dep_ == "det" and c.lower_ in {"the", "this", "that"} for c in head.children
            )
            issued = self._issuer(doc, ctx, head, earlier) if definite else None
            if issued is not None:
                return issued
            for claimant in reversed(earlier if definite else []):
                if claimant.type is not EntityType.DOCUMENT and not claimant.anonymous:
                    return claimant
            return Claimant(
                name=_clean_name(phrase.text), type=EntityType.DOCUMENT, mention=mention
            )
        # "Delta Reef Watch (DRW), a local group, said": an organisation introduced with its
        # acronym is named by it, whatever the small model tagged the words
        for start, end, acronym in ctx.introduced:
            if start <= head.idx < end and mention.start <= start and end <= mention.end + 1:
                return Claimant(name=acronym, type=EntityType.ORGANIZATION, mention=mention)
        # "the army spokesman, Colonel X": the person named in apposition speaks
        appositive = self._appositive(ctx, head) if not persons else None
        if appositive is not None:
            name, etype = appositive
            if etype is EntityType.PERSON:
                name = ctx.person_alias(name)
                affiliation = self._affiliation(ctx, head)
                return Claimant(name=name, type=etype, mention=mention, affiliation=affiliation)
            return Claimant(name=name, type=etype, mention=mention)
        # a spokesperson speaks for the body named in "for X" / "X's" (not "a spokesman in Tarsa")
        if head_lemma in lex.spokesperson_heads and not persons:
            body = [c for c in head.children if c.dep_ == "poss"] + [
                g
                for c in head.children
                if c.dep_ == "prep" and c.lower_ in {"for", "of"}
                for g in c.children
                if g.dep_ == "pobj"
            ]
            # "a ministry spokeswoman": the ministry last heard from, else as a description
            compounds = [c for c in head.children if c.dep_ == "compound" and c.pos_ == "NOUN"]
            for c in compounds if not body else []:
                same = ctx.earlier_speaker_in_role(c.lemma_.lower(), head.i)
                if same is not None:
                    return same
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
            # the entity around the head, kept inside the speaker's words: "The Liberation Front
            # of the Sarena (FLS)" runs on past its head word "Front"
            last = inside.end if inside is not None else head.right_edge.i + 1
            ent = ctx.entity_at(head.i)
            if ent is not None and (ent.start < phrase.start or ent.end > last):
                ent = next((e for e in ents if e.start <= head.i < e.end), None)
            name = _clean_name(ent.text if ent is not None else head.text)
            etype = ctx.entity_type(ent) if ent is not None else ENTITY_TYPES[head.ent_type_]
            if ent is not None and ctx.is_person(ent):
                etype = EntityType.PERSON  # "Kolins said" after "Marta Kolins": tagged ORG here
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
        # a bare noun modifier names a body already known ("company reports")
        definite = head.dep_ == "compound" or any(
            c.dep_ == "det" and c.lower_ in {"the", "this", "that"} for c in head.children
        )
        if definite and head_lemma in person_heads() | lex.spokesperson_heads:
            # "a police spokesman, Inspector X, said …" then "the spokesman added": X again
            same = ctx.earlier_speaker_in_role(head_lemma, head.i)
            if same is not None:
                return same
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
        # "the health ministry" is not whichever ministry the document names: a name found for
        # the head noun elsewhere must carry the description's own noun modifiers
        restrictive = [
            t.lower_
            for t in head.subtree
            if t.i < head.i and t.dep_ == "compound" and t.pos_ == "NOUN"
        ]

        def compatible(name: str) -> bool:
            return all(word in name.lower() for word in restrictive)

        best = ctx.best_description(head_lemma)
        best = best if best is not None and compatible(best) else named_modifier
        if best is None and head_lemma in lex.group_heads and definite:
            # "the group" with no named form: an earlier speaker so described, else the
            # organisation last named or last heard from ("aid groups" is nobody in particular)
            def described(subject: Token) -> bool:
                if subject.pos_ == "NOUN":
                    return subject.lemma_.lower() == head_lemma
                ent = ctx.entity_at(subject.i)
                return (
                    ent is not None
                    and ctx.entity_type(ent) in {EntityType.ORGANIZATION, EntityType.GROUP}
                    and ctx.same_kind(_clean_name(ent.text), head_lemma)
                )

            recent = (
                ctx.earlier_speaker_in_role(head_lemma, head.i)
                or self._salient_subject(doc, ctx, head, -1, earlier, described)
                or ctx.recent_organisation(head.i, head_lemma)
            )
            if recent is not None and compatible(recent.name):
                return recent
        if best is not None:
            return Claimant(name=best, type=EntityType.ORGANIZATION, mention=mention)
        if head_lemma in lex.group_heads and head.tag_ == "NN":
            etype = EntityType.ORGANIZATION
        else:
            etype = EntityType.GROUP if head.tag_ == "NNS" else EntityType.UNKNOWN
        return Claimant(name=_clean_name(phrase.text) or head.text, type=etype, mention=mention)


ACRONYM_INTRO_RE = re.compile(
    r"((?:[A-Z][\w.\-’']*\s+(?:(?:of|the|and|for)\s+)*){1,8}?)\(([A-Z][A-Z0-9&\-]{1,9})\)"
)
"""`Long Name (ACR)`; small connecting words may sit inside the name ("Front of the Sarena")."""


def _long_form(text: str, start: int, end: int, acronym: str) -> tuple[int, str]:
    """Where the long name of `acronym` starts in `text[start:end]`, and the name. The pattern
    may have started too early ("Mr Kovac of the Coastal Guard (CG)"): leading words go while
    the first does not begin with a letter of the acronym or there are more capitalised words
    than letters (the letters may be in another language's order, "Front ... Sarena (FLS)")."""
    letters = set(acronym.upper())
    words = [(m.start() + start, m.group()) for m in re.finditer(r"\S+", text[start:end])]
    while words:
        capitals = [w for _, w in words if w[:1].isupper()]
        first = words[0][1]
        connector = first.lower() in DETERMINERS | {"of", "and", "for"}
        if not (connector or first[:1].upper() not in letters or len(capitals) > len(acronym) + 1):
            break
        words = words[1:]
    if not words:
        return end, ""
    return words[0][0], _clean_name(text[words[0][0] : end])


def _phrase_end(head: Token) -> int:
    """End of a noun phrase without its relative clauses and trailing prepositional phrases."""
    cut = [c for c in head.rights if c.dep_ in {"relcl", "acl", "prep", "punct"}]
    last = min(c.i for c in cut) - 1 if cut else head.right_edge.i
    token = head.doc[max(last, head.i)]
    return token.idx + len(token.text)


def _document_issuer(noun: Token, lex: Lexicon) -> Token | None:
    """The head of who issued the document `noun` names: the agent of "a statement issued by X",
    the object of "a statement from X", else the subject of the clause the noun attaches to
    ("X issued a statement", "X put out a report"), not of a cognition verb ("Y has seen a
    statement") and not across a source phrase ("according to a statement")."""
    for child in noun.children:
        if child.dep_ == "prep" and child.lower_ in {"from", "by"}:
            obj = next((g for g in child.children if g.dep_ == "pobj"), None)
            if obj is not None:
                return obj
        if child.dep_ == "acl":
            agent = next((g for g in child.children if g.dep_ == "agent"), None)
            obj = next((g for g in agent.children if g.dep_ == "pobj"), None) if agent else None
            if obj is not None:
                return obj
    current = noun
    for _ in range(3):
        if current.dep_ not in {"pobj", "dobj", "prep"} or current.head is current:
            break
        current = current.head
        if current.lower_ in {"according", "to", "citing"}:
            return None
    if current is noun or current.pos_ not in {"VERB", "AUX"}:
        return None
    if current.lemma_.lower() in lex.cognition_verbs:
        return None
    return next((c for c in current.children if c.dep_ in SUBJECT_DEPS), None)


def _dateline_tokens(doc: Doc) -> set[int]:
    """Tokens of datelines ("PORT CITY, Jan 3 (Agency) -"): sentences the paragraph splitter
    (`claims.extraction.nlp`) cut off, opening with an upper-case word and ending in a dash.
    The place there is where the copy was filed; the small model tags it ORG, and it must never
    be taken for a speaker."""
    out: set[int] = set()
    for sent in doc.sents:
        words = [t for t in sent if not t.is_space]
        if len(words) >= 2 and words[0].is_upper and words[0].is_alpha and words[-1].text in DASHES:
            out.update(t.i for t in sent)
    return out


class _DocContext:
    """Everything resolution learns once per document: entities, aliases, named descriptions,
    and, as attributions are resolved in order, who each speaker token turned out to be."""

    def __init__(self, doc: Doc, lexicon: Lexicon, outlet: str | None = None) -> None:
        self.doc = doc
        self.lexicon = lexicon
        self.text = doc.text
        self.ents = doc.ents  # spaCy rebuilds the tuple on every access
        self.dateline = _dateline_tokens(doc)
        # the dateline's place, wherever it recurs ("at the Port City hospital"), is a place;
        # the reporting outlet ("told Radio X") is who asked, not a party to stand in for
        filed_from = {_clean_name(e.text).lower() for e in self.ents if e.start in self.dateline}
        reporter = (outlet or "").lower()

        def candidate(name: str) -> bool:
            lower = name.lower()
            by_outlet = len(lower) > 3 and (lower in reporter or reporter.startswith(lower))
            return lower not in filed_from and not by_outlet

        self.named = [
            _Named(_clean_name(e.text), self.entity_type(e), e.start_char, e.end_char)
            for e in self.ents
            if e.label_ in ENTITY_TYPES
            and not e.text.islower()
            and e.start not in self.dateline
            and candidate(_clean_name(e.text))
        ]
        # "the Alto Verde department": a name modifying a group noun is a body of that kind
        # ("the Korvo Chemicals plant" says nothing of what Korvo Chemicals is)
        self.kinds = {
            e.start_char: e.root.head.lemma_.lower()
            for e in self.ents
            if e.root.dep_ in {"compound", "nmod", "amod"}
            and e.root.head.pos_ == "NOUN"
            and e.root.head.i >= e.end
            and e.root.head.lemma_.lower() in lexicon.group_heads | institution_heads()
        }
        self.acronyms: dict[str, str] = {}
        self.long_forms: dict[str, str] = {}
        self.introduced: list[tuple[int, int, str]] = []  # "Long Name (ACR)" spans and ACR
        for m in ACRONYM_INTRO_RE.finditer(self.text):
            acronym = m.group(2)
            start, long = _long_form(self.text, m.start(1), m.end(1), acronym)
            if long:
                self.acronyms[long.lower()] = acronym
                self.long_forms.setdefault(acronym, long)
                self.introduced.append((start, m.end(), acronym))
        self.quoted = [(q.start, q.end) for q in find_quotes(self.text)]
        self.persons = [n.name for n in self.named if n.type is EntityType.PERSON]
        self.person_names = {self.strip_title(p) for p in self.persons if len(p.split()) > 1}
        self.by_head: dict[int, Claimant] = {}
        self.genders: dict[str, str] = self._gender_votes()
        self.affiliations: dict[str, str] = {}
        self.plural: set[str] = set()
        self._freq = Counter(
            t.text for t in doc if t.pos_ == "PROPN" or ACRONYM_RE.match(t.text) is not None
        )
        self._descriptions: dict[str, str | None] = {}
        self._lemmas: list[str] | None = None

    def _gender_votes(self) -> dict[str, str]:
        """Each named person's gender as the document's own words give it: a courtesy title
        ("Ms. Tarr"), else, for a name that is a subject, the first he/she/his/her after it in
        the same sentence, outside quotes, with no other name or person noun in between ("Tarr
        was asked why she …", not "Tarr said a miner hurt his leg"); the majority over the
        document's mentions, when there is one."""
        votes: dict[str, Counter[str]] = {}
        for sent in self.doc.sents:
            people = [
                e for e in sent.ents if self.is_person(e) and not _in_any(e.start_char, self.quoted)
            ]
            for i, ent in enumerate(people):
                name = self.person_alias(_clean_name(ent.text))
                tally = votes.setdefault(name, Counter())
                title = _gender(self.doc[ent.start - 1].lower_) if ent.start > 0 else None
                if title is not None:
                    tally[title] += 3
                if ent.root.dep_ not in SUBJECT_DEPS:
                    continue  # "polling ahead of Tarr with … her": her is not Tarr's
                stop = people[i + 1].start if i + 1 < len(people) else sent.end
                for t in self.doc[ent.end : stop]:
                    if t.pos_ == "PROPN" or t.lemma_.lower() in person_heads():
                        break  # "X said a miner had cuts to his head": his is the miner's
                    if t.lower_ in GENDERED_PRONOUNS and not _in_any(t.idx, self.quoted):
                        tally[str(_gender(t.lower_))] += 1
                        break
        out: dict[str, str] = {}
        for name, tally in votes.items():
            ranked = tally.most_common(2)
            if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
                out[name] = ranked[0][0]
        return out

    def remember(self, att: RawAttribution, claimant: Claimant) -> Claimant:
        """Record what this attribution taught about its claimant, for later mentions: the
        speaker token's resolution, a gender the words give ("spokeswoman", "Mrs."), an
        affiliation ("Colonel X" after "the army spokesman, Colonel X" is still the army's)."""
        if claimant.type is EntityType.PERSON:
            if claimant.affiliation is not None:
                self.affiliations.setdefault(claimant.name, claimant.affiliation)
            elif claimant.name in self.affiliations:
                claimant = claimant.model_copy(
                    update={"affiliation": self.affiliations[claimant.name]}
                )
        if att.speaker is not None and att.speaker_head is not None:
            self.by_head[att.speaker_head] = claimant
            head = self.doc[att.speaker_head]
            if head.tag_ in {"NNS", "NNPS"} and claimant.type in {
                EntityType.UNKNOWN,
                EntityType.GROUP,
            }:
                self.plural.add(claimant.name)  # "Trump aides" is not "she"
            # only the mention's own words: a pronoun resolved wrongly must not spread
            genders = _genders(head) if head.pos_ != "PRON" else set()
            if len(genders) == 1 and claimant.type in {EntityType.PERSON, EntityType.UNKNOWN}:
                self.genders.setdefault(claimant.name, genders.pop())
        return claimant

    def learn_gender(self, name: str, gender: str | None, start: int, end: int) -> None:
        """A he/she that took `name` says its gender, when no other person was named between
        the antecedent (at character `start`) and the pronoun (at `end`): in "X told Y, after he
        admitted …" the guess is not safe enough to steer later pronouns."""
        if gender is None or name in self.genders or start >= end:
            return
        words = set(name.split())
        span = self.doc.char_span(start, end, alignment_mode="expand")
        between = [
            t
            for t in span or []
            if t.idx > start
            and (t.pos_ == "PROPN" or t.lemma_.lower() in person_heads())
            and t.text not in words
        ]
        if not between:
            self.genders[name] = gender

    def is_person(self, ent: SpacySpan) -> bool:
        """A person entity, or one the small model tagged otherwise (ORG, GPE) that names a person
        the document names in full elsewhere ("Kolins said" after "Marta Kolins")."""
        if ent.label_ not in ENTITY_TYPES:
            return False
        if self.entity_type(ent) is EntityType.PERSON:
            return True
        return self.person_alias(_clean_name(ent.text)) in self.person_names

    def entity_at(self, i: int) -> SpacySpan | None:
        """The entity of a type resolution knows (`ENTITY_TYPES`) around token `i`."""
        return next(
            (e for e in self.ents if e.start <= i < e.end and e.label_ in ENTITY_TYPES), None
        )

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

    def earlier_speaker_in_role(self, lemma: str, before: int) -> Claimant | None:
        """The latest speaker before token `before` whose phrase has `lemma` as its head or as an
        appositive ("the spokesman, X" / "X, a nurse"): who "the spokesman" or "the nurse" is."""
        found: Claimant | None = None
        for i, claimant in sorted(self.by_head.items()):
            if i >= before:
                break
            head = self.doc[i]
            roles = {head.lemma_.lower()} | {
                c.lemma_.lower() for c in head.children if c.dep_ == "appos"
            }
            if lemma in roles and claimant.name != "unnamed source":
                found = claimant
        return found

    def same_kind(self, name: str, lemma: str) -> bool:
        """Whether a body called `name` can be "the <lemma>": "the company" is not the "Medicines
        Authority" nor the "Velorian navy" (a name ending in another group noun, or in a common
        noun, is another kind of body); "the group" may be any named organisation. An acronym
        is judged by its long form ("PSEC" is a commission)."""
        name = self.long_forms.get(name, name)
        last = name.split()[-1] if name.split() else ""
        word = last.lower()
        if lemma in {word, word.removesuffix("s")}:
            return True
        if lemma in institution_heads():
            return lemma in name.lower().split()
        if last.islower():
            return False
        if lemma in GENERIC_GROUPS:
            return True
        kinds = self.lexicon.group_heads | institution_heads()
        return word not in kinds and word.removesuffix("s") not in kinds

    def recent_organisation(self, before: int, lemma: str) -> Claimant | None:
        """`The rebels` with no named form: the organisation of that kind (`same_kind`) most
        recently named or heard from before token `before`, whichever is later (a speaker
        resolved from "the statement" counts where it spoke, not where it was first named)."""
        start = self.doc[before].idx
        orgs = [
            n
            for n in self.named
            if n.type is EntityType.ORGANIZATION
            and n.end <= start
            and self.same_kind(self.acronym_alias(n.name), lemma)
            and (n.start not in self.kinds or self.kinds[n.start] == lemma)
        ]
        # one-word "organisations" are often places the small model mislabels ("Tarsa");
        # acronyms are not
        named = [n for n in orgs if len(n.name.split()) > 1 or ACRONYM_RE.match(n.name)]
        spoken = [
            (self.doc[i].idx, c)
            for i, c in sorted(self.by_head.items())
            if i < before
            and c.type in {EntityType.ORGANIZATION, EntityType.GROUP}
            and self.same_kind(c.name, lemma)
        ]
        if spoken and (not named or spoken[-1][0] > named[-1].start):
            return spoken[-1][1]
        if not named:
            return None
        latest = named[-1]
        span = Span(start=latest.start, end=latest.end, text=self.text[latest.start : latest.end])
        return Claimant(
            name=self.acronym_alias(latest.name), type=EntityType.ORGANIZATION, mention=span
        )

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
