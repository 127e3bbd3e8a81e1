"""Find attributions (speaker, cue, content) on a spaCy parse plus the raw-text quote spans.

Rules over the dependency parse rather than a trained tagger: no attribution model installs offline
here, and rules keep every decision explainable to a fact-checker. The cue lexicon is data
(`claims/data/cues.json`: speech, cognition, evidence and stance verbs, stance predicates, source
phrases). The shapes handled, in the order they are tried:

1. a cue verb with a subject (`X said (that) …`, `…, X said`, `X told AFP …`, passive `X was
   quoted as saying …`, impersonal `it was reported that …`, `polls showing …`), content from its
   clausal complement, an adjacent quotation, the block after `X added:`, or its object;
2. a source phrase (`according to X`, `citing X`), content the rest of the clause;
3. `Name: words` lines (headlines, round-ups of reactions), but not section headings;
4. a stance stated with a copula (`X has been critical of Y`, `X is confident that …`);
5. a quotation followed by its tag (`“…?” X said.`), read off the tokens when the parse is off;
6. a quotation with no cue of its own that follows a direct quote (news convention for a speaker
   who keeps talking over several sentences or paragraphs), inheriting that speaker.

A claim found inside what someone else is reported to have said is folded into that claim
(`he said he backed the idea` is one claim), unless a named speaker speaks inside it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from spacy.tokens import Doc, Token

from claims.extraction.lexicon import Lexicon, load_lexicon
from claims.extraction.quotes import Quote, find_quotes
from claims.models import ClaimKind

SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj"}
CONTENT_DEPS = {"ccomp", "xcomp", "dobj", "advcl", "attr", "oprd", "dative", "prep", "conj"}
EDGE_PUNCT = set(".,;:!?-—– \n\t")
QUOTE_CHARS = set('“”«»„"')
MIN_DIRECT_WORDS = 3
SOURCE_PHRASE_CUES = frozenset({"according to", "citing", "as reported by", "in the words of"})


@dataclass(frozen=True)
class RawAttribution:
    """Character spans found for one attribution, before the claimant is resolved."""

    speaker: tuple[int, int] | None
    cue: tuple[int, int] | None
    content: tuple[int, int]
    kind: ClaimKind
    cue_lemma: str | None
    negated: bool
    speaker_head: int | None  # token index of the speaker's head word, for resolution


def _trim(text: str, start: int, end: int, keep_quotes: bool = True) -> tuple[int, int]:
    """Drop edge whitespace and punctuation. Contents keep their quote marks (they belong to the
    quote); speakers (`keep_quotes=False`) lose any quote mark a parse hung on them."""
    edge = EDGE_PUNCT if keep_quotes else EDGE_PUNCT | QUOTE_CHARS
    while start < end and text[start] in edge:
        start += 1
    while end > start and text[end - 1] in edge:
        end -= 1
    if keep_quotes:
        # a quote mark dangling at an edge without its partner inside the span is not content
        inner = text[start:end]
        if (
            end > start
            and text[end - 1] in QUOTE_CHARS
            and sum(c in QUOTE_CHARS for c in inner) == 1
        ):
            end -= 1
        if end > start and text[start] in QUOTE_CHARS and sum(c in QUOTE_CHARS for c in inner) == 1:
            start += 1
        while end > start and text[end - 1] in EDGE_PUNCT:
            end -= 1
        while start < end and text[start] in EDGE_PUNCT:
            start += 1
    return start, end


def _subtree_span(tokens: Iterable[Token]) -> tuple[int, int]:
    toks = list(tokens)
    lo = min(t.left_edge.idx for t in toks)
    hi = max(t.right_edge.idx + len(t.right_edge.text) for t in toks)
    return lo, hi


class AttributionFinder:
    """Pure function object over a parsed `Doc`; holds only the lexicon."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()

    # -- public ---------------------------------------------------------------------------------
    def run(self, doc: Doc) -> list[RawAttribution]:
        text = doc.text
        quotes = find_quotes(text)
        found: list[RawAttribution] = []
        fragments: list[RawAttribution] = []  # second halves of interrupted contents
        for token in doc:
            if self._is_cue_verb(token):
                att = self._from_verb(doc, text, token, quotes)
                if att is not None:
                    found.append(att)
                    rest = self._interrupted_rest(doc, text, token, att, quotes)
                    if rest is not None:
                        fragments.append(rest)
        found.extend(self._from_source_phrases(doc, text, quotes))
        found.extend(self._from_colons(doc, text, quotes, found))
        found.extend(self._trailing_sources(doc, text, quotes, found))
        found.extend(self._from_stance_predicates(doc, text, quotes))
        found = _dedupe(found) + fragments
        found = _speakers_out_of_quotes(found, quotes)
        found = _cut_source_phrases(text, found)
        found.extend(self._quote_tags(doc, text, quotes, found))
        found.extend(self._continued_quotes(text, quotes, found))
        found = self._drop_nested(doc, found)
        found.sort(key=lambda a: (a.content[0], a.content[1]))
        return found

    def _drop_nested(self, doc: Doc, found: list[RawAttribution]) -> list[RawAttribution]:
        """`He said he backed the idea`: a verb inside what someone is reported to have said is part
        of that claim, not a second claim by the inner subject."""
        speech = self.lexicon.speech_verbs
        kept: list[RawAttribution] = []
        for att in found:
            # "X said Y told reporters …": a named speaker's speech inside it is kept (provenance)
            exempt = (
                att.cue_lemma in speech
                and att.speaker_head is not None
                and doc[att.speaker_head].pos_ == "PROPN"
            )
            if att.cue is not None and not exempt:
                cue_start = att.cue[0]
                if any(
                    other is not att
                    and other.content[0] <= cue_start < other.content[1]
                    and other.cue is not None
                    and other.cue_lemma not in SOURCE_PHRASE_CUES  # `It said …, according to X`
                    for other in found
                ):
                    continue
            kept.append(att)
        return kept

    # -- verbs ----------------------------------------------------------------------------------
    def _is_cue_verb(self, token: Token) -> bool:
        if token.pos_ not in {"VERB", "AUX"}:
            return False
        if token.lemma_.lower() in self.lexicon.cue_verbs:
            return True
        # any verb taking a finite "that"-clause with its own subject reports a proposition
        return token.pos_ == "VERB" and any(
            c.dep_ == "ccomp"
            and any(g.dep_ == "mark" and g.lower_ == "that" for g in c.children)
            and any(g.dep_ in SUBJECT_DEPS for g in c.children)
            for c in token.children
        )

    def _subject(self, verb: Token) -> Token | None:
        """The verb's subject, or the governing verb's for `…, adding that` and conjuncts."""
        current: Token | None = verb
        for _ in range(3):
            if current is None:
                return None
            for child in current.children:
                if child.dep_ in SUBJECT_DEPS:
                    return child
            if current.dep_ in {"conj", "advcl", "xcomp", "pcomp"} and current.head is not current:
                current = current.head
                if current.dep_ == "prep":  # "quoted as saying": as -> quoted
                    current = current.head
                continue
            if current.dep_ == "relcl" and current.head is not current:
                return current.head
            if _reporting_noun(current):  # "polls showing Trump ahead": the polls
                return current.head
            return None
        return None

    def _agent(self, verb: Token) -> Token | None:
        for child in verb.children:
            if child.dep_ == "agent":
                for grand in child.children:
                    if grand.dep_ == "pobj":
                        return grand
        return None

    def _cue_span(self, verb: Token) -> tuple[int, int, bool]:
        """The verb with its contiguous auxiliaries and negation; `quoted as saying` whole."""
        doc = verb.doc
        start_i = verb.i
        negated = any(c.dep_ == "neg" for c in verb.children)
        while start_i - 1 >= verb.sent.start:
            prev = doc[start_i - 1]
            if prev.head == verb and prev.dep_ in {"aux", "auxpass", "neg"}:
                start_i -= 1
            else:
                break
        end_i = verb.i
        nxt = doc[end_i + 1] if end_i + 1 < len(doc) else None
        if nxt is not None and (
            (nxt.head == verb and nxt.dep_ == "prt")
            or (verb.lemma_ == "call" and nxt.lower_ in {"for", "on"})
        ):
            end_i += 1
        if verb.lemma_ == "quote" and end_i + 2 < len(doc) and doc[end_i + 1].lower_ == "as":
            end_i += 2  # "quoted as saying"
        start = doc[start_i].idx
        end = doc[end_i].idx + len(doc[end_i].text)
        return start, end, negated

    def _from_verb(
        self, doc: Doc, text: str, verb: Token, quotes: list[Quote]
    ) -> RawAttribution | None:
        lex = self.lexicon
        lemma = verb.lemma_.lower()
        if verb.dep_ in {"amod", "compound"} or (verb.dep_ == "acl" and not _reporting_noun(verb)):
            return None
        if (
            verb.tag_ == "VBN"
            and verb.dep_ == "relcl"
            and not any(c.dep_ in {"aux", "auxpass", "nsubj", "nsubjpass"} for c in verb.children)
        ):
            return None  # "any company found breaking the rules": a reduced relative, not a cue
        if any(q.start < verb.idx < q.end for q in quotes):
            return None  # quoted speech inside a quote is the quoted speaker's, not a new claim
        # "saying" in "quoted as saying" is handled by its "quoted" head
        governor = verb.head.head if verb.head.lower_ == "as" else verb.head
        if governor.lemma_ == "quote" and governor is not verb and verb.i > governor.i:
            return None
        subject = self._subject(verb)
        if subject is not None and any(
            c.dep_ == "det" and c.lower_ in {"any", "every", "each", "no"} for c in subject.children
        ):
            return None  # "any company found …" is a generic, not a source
        passive = any(c.dep_ == "auxpass" for c in verb.children)
        agent = self._agent(verb) if passive else None
        if self._raised_under(verb) is not None:
            return None  # "X is expected to disclose …": the claim is the expectation's
        if passive and agent is None and lemma in lex.raising_passives:
            return self._raising_passive(text, verb, subject, quotes)
        speaker_tok: Token | None
        if passive and lemma != "quote":
            speaker_tok = agent
            if speaker_tok is None and not (subject is not None and subject.lower_ == "it"):
                return None  # "X was told …", "X is expected to …": X is not the speaker
        else:
            speaker_tok = subject
        if passive and speaker_tok is not None and speaker_tok.lower_ == "it":
            speaker_tok = None  # impersonal: "it was reported that …"
        if speaker_tok is None and not passive:
            return None
        if speaker_tok is not None and speaker_tok.lower_ == "that" and speaker_tok.tag_ == "WDT":
            return None  # "polls that showed …": the relative clause describes, it is not a claim

        content = self._content(doc, text, verb, quotes, speaker_tok)
        if content is None:
            return None
        c_start, c_end = content
        kind = _kind(text, c_start, c_end, quotes)
        if kind is ClaimKind.INDIRECT and _is_block_quote(text, verb, c_start):
            kind = ClaimKind.DIRECT
        cue_start, cue_end, negated = self._cue_span(verb)
        phrasal = cue_end > verb.idx + len(verb.text)
        if (
            (lemma in lex.cognition_verbs or lemma in lex.needs_complement)
            and kind is ClaimKind.INDIRECT
            and not phrasal
            and not self._has_clausal_complement(verb)
            and not _names_something(verb)
        ):
            return None
        if c_start < cue_end and c_end > cue_start:
            return None  # content may not swallow its own cue
        speaker: tuple[int, int] | None = None
        if speaker_tok is not None:
            s_start, s_end = self._speaker_span(text, speaker_tok)
            if speaker_tok.dep_ == "relcl" or speaker_tok.tag_ in {"WP", "WDT"}:
                s_start, s_end = speaker_tok.idx, speaker_tok.idx + len(speaker_tok.text)
            if s_start < c_end and s_end > c_start:
                # a subject inside the content (parse error): keep only the head word
                s_start, s_end = speaker_tok.idx, speaker_tok.idx + len(speaker_tok.text)
                if s_start < c_end and s_end > c_start:
                    return None
            speaker = (s_start, s_end)
        return RawAttribution(
            speaker=speaker,
            cue=(cue_start, cue_end),
            content=(c_start, c_end),
            kind=kind,
            cue_lemma=lemma,
            negated=negated,
            speaker_head=speaker_tok.i if speaker_tok is not None else None,
        )

    def _raised_under(self, verb: Token) -> Token | None:
        """The `expected` of `X is expected to <verb>`, when `verb` is its complement."""
        head = verb.head
        if (
            verb.dep_ in {"xcomp", "oprd"}
            and head is not verb
            and head.lemma_.lower() in self.lexicon.raising_passives
            and any(c.dep_ == "auxpass" for c in head.children)
            and self._agent(head) is None
            and not any(c.dep_ in SUBJECT_DEPS for c in verb.children)
        ):
            return head
        return None

    def _raising_passive(
        self, text: str, verb: Token, subject: Token | None, quotes: list[Quote]
    ) -> RawAttribution | None:
        """`X is expected to win`, `X is considered the favourite`: a belief with no named holder;
        the content is the complement (the subject is what it is about, not who holds it)."""
        if subject is None or subject.dep_ != "nsubjpass" or subject.lower_ == "it":
            return None
        comps = [c for c in verb.children if c.dep_ in {"xcomp", "oprd"} and c.i > verb.i]
        if not comps:
            return None
        content = _nonempty(*_extend_to_quotes(text, *_trim(text, *_subtree_span(comps)), quotes))
        if content is None:
            return None
        cue_start, cue_end, negated = self._cue_span(verb)
        return RawAttribution(
            speaker=None,
            cue=(cue_start, cue_end),
            content=content,
            kind=_kind(text, content[0], content[1], quotes),
            cue_lemma=verb.lemma_.lower(),
            negated=negated,
            speaker_head=None,
        )

    def _speaker_span(self, text: str, head: Token) -> tuple[int, int]:
        """The subject's subtree without trailing `in a statement …` or relative clauses."""
        cut = [
            c
            for c in head.rights
            if c.dep_ in {"relcl", "acl"}
            or (
                c.dep_ == "prep"
                and any(
                    g.dep_ == "pobj" and g.lemma_.lower() in self.lexicon.statement_nouns
                    for g in c.children
                )
            )
        ]
        start = head.left_edge.idx
        end = head.right_edge.idx + len(head.right_edge.text)
        if cut:
            end = min(c.left_edge.idx for c in cut)
        return _trim(text, start, end, keep_quotes=False)

    def _has_clausal_complement(self, verb: Token) -> bool:
        """A that-clause, an infinitive ("plans to resign") or a gerund ("feared losing her
        job"); a bare participle or adjective is a small clause of a dropped passive ("Cat found
        stranded", and with "find" a gerund too: "Orchid found growing"), which reports how
        something was found, not what anyone found out."""
        if verb.tag_ not in {"VBD", "VBN"}:  # only a past form can be a passive without "was"
            small: set[str] = set()
        elif verb.lemma_.lower() == "find":
            small = {"VBN", "JJ", "VBG"}
        else:
            small = {"VBN", "JJ"}
        return any(
            c.dep_ in {"ccomp", "xcomp"}
            and (
                c.tag_ not in small
                or any(a.dep_ in {"nsubj", "nsubjpass", "aux", "auxpass"} for a in c.children)
            )
            for c in verb.children
        )

    def _content(
        self, doc: Doc, text: str, verb: Token, quotes: list[Quote], speaker: Token | None
    ) -> tuple[int, int] | None:
        if verb.lemma_ == "quote":  # "X was quoted as saying that …": the content is saying's
            saying = [t for t in verb.subtree if t.lemma_ == "say" and t.i > verb.i]
            if saying:
                verb = saying[0]
        ccomps = [c for c in verb.children if c.dep_ in {"ccomp", "csubj"}]
        quote = self._adjacent_quote(text, verb, quotes, speaker)
        if ccomps:
            start, end = _subtree_span(ccomps)
            if quote is not None and quote.start <= start + 1 and quote.end > start:
                return quote.start, quote.end  # the complement is the quotation
            if quote is not None and quote.start < end and quote.end > start:
                start, end = min(start, quote.start), max(end, quote.end)
            return _nonempty(*_extend_to_quotes(text, *_trim(text, start, end), quotes))
        left = self._left_clause(doc, text, verb, speaker)
        if left is not None and quote is None:
            return left
        if quote is not None:
            return quote.start, quote.end
        block = _after_colon(doc, text, verb)
        if block is not None:
            return block
        right = [
            c
            for c in verb.children
            if c.i > verb.i and c.dep_ in CONTENT_DEPS and not _is_time_or_venue(c)
        ]
        phrasal = [c for c in right if c.dep_ == "prep" and c.lower_ in {"for", "on"}]
        if verb.lemma_ == "call" and phrasal:
            right = list(phrasal[0].children) + [c for c in right if c is not phrasal[0]]
        if verb.lemma_ in {"speak", "talk"}:  # "spoke of X": not "spoke at the rally"
            right = [c for c in right if c.dep_ == "prep" and c.lower_ in {"of", "about"}]
        if verb.lemma_ == "tell":
            right = [c for c in right if c.dep_ not in {"dobj", "dative"}] or right
        if not right:
            return None
        start, end = _subtree_span(right)
        return _nonempty(*_extend_to_quotes(text, *_trim(text, start, end), quotes))

    def _left_clause(
        self, doc: Doc, text: str, verb: Token, speaker: Token | None
    ) -> tuple[int, int] | None:
        """`Troops were targeted …, the statement said, …`: the clause before `, X said`."""
        first = verb if speaker is None or speaker.i > verb.i else speaker.left_edge
        sent = verb.sent
        if first.i - 1 < sent.start or doc[first.i - 1].text not in {",", "—", "–"}:
            return None
        start, end = _trim(text, sent.start_char, doc[first.i - 1].idx)
        words = text[start:end].split()
        has_verb = any(t.pos_ in {"VERB", "AUX"} for t in doc[sent.start : first.i - 1])
        if has_verb and len(words) >= 3:
            return start, end
        if words and self._remainder(doc, text, verb) is not None:
            return start, end  # "The museum, he said, would …": the clause resumes after the cue
        return None

    def _remainder(self, doc: Doc, text: str, verb: Token) -> tuple[int, int] | None:
        """The rest of a clause interrupted by `, X said,`: from the comma after the cue group to
        the sentence end, when it carries a finite verb (not `, adding that …`)."""
        sent = verb.sent
        comma = next(
            (t for t in doc[verb.i + 1 : min(verb.i + 7, sent.end)] if t.text == ","), None
        )
        if comma is None or comma.i + 1 >= sent.end:
            return None
        between = doc[verb.i + 1 : comma.i]
        if any(t.pos_ in {"VERB", "AUX"} or t.text in QUOTE_CHARS for t in between):
            return None
        first = doc[comma.i + 1]
        if first.tag_ == "VBG" or first.pos_ in {"CCONJ", "ADP"} or first.text in QUOTE_CHARS:
            return None
        rest = doc[comma.i + 1 : sent.end]
        if not any(t.tag_ in {"VBD", "VBZ", "VBP", "MD"} for t in rest):
            return None
        start, end = _trim(text, rest.start_char, rest.end_char)
        return _nonempty(start, end)

    def _interrupted_rest(
        self, doc: Doc, text: str, verb: Token, att: RawAttribution, quotes: list[Quote]
    ) -> RawAttribution | None:
        """The other fragment of a content interrupted by its own attribution."""
        if att.cue is None or att.kind is ClaimKind.DIRECT:
            return None
        if att.content[0] >= att.cue[1]:  # "The museum, he said, would make …": the left part
            speaker_start = min(att.speaker[0], att.cue[0]) if att.speaker else att.cue[0]
            sent = verb.sent
            before = text[sent.start_char : speaker_start].rstrip()
            gap = text[att.cue[1] : att.content[0]].strip()
            if (
                not before.endswith(",")
                or gap != ","
                or text[slice(*att.content)].startswith("that")
            ):
                return None
            left = _nonempty(*_trim(text, sent.start_char, speaker_start))
            if left is None or any(q.start < left[1] and q.end > left[0] for q in quotes):
                return None
            return replace(att, content=left, kind=ClaimKind.INDIRECT)
        if att.content[1] > att.cue[0]:
            return None
        speaker_start = att.speaker[0] if att.speaker else att.cue[0]
        if text[att.content[1] : speaker_start].strip() not in {",", "—", "–"}:
            return None
        rest = self._remainder(doc, text, verb)
        if rest is None:
            return None
        return replace(att, content=rest, kind=_kind(text, *rest, quotes))

    def _adjacent_quote(
        self, text: str, verb: Token, quotes: list[Quote], speaker: Token | None
    ) -> Quote | None:
        """A direct quote next to the speaker-and-cue group (before it, or after it / a colon)."""
        sent = verb.sent
        group = [verb] + ([speaker] if speaker is not None else [])
        g_start = min(_subtree_span([t])[0] if t is speaker else t.idx for t in group)
        g_end = max(t.idx + len(t.text) for t in group)
        best: Quote | None = None
        for q in quotes:
            if q.start <= verb.idx < q.end:
                return None  # the cue is itself quoted
            if len(q.inner(text).split()) < MIN_DIRECT_WORDS and not _ends_clause(text, q):
                continue
            if q.end <= g_start and q.end > sent.start_char - 1:
                gap = text[q.end : g_start]
                if len(gap.split()) <= 1:  # “…,” the force said / “…” said the force
                    best = q
            elif q.start >= g_end and q.start < sent.end_char + 2:
                gap = text[verb.idx + len(verb.text) : q.start]
                # a quote opening the next paragraph is its own sentence, not this cue's
                # content, unless the cue introduces it with a colon
                new_paragraph = "\n" in gap and not gap.rstrip().endswith(":")
                if len(gap.split()) <= 6 and best is None and not new_paragraph:
                    best = q
        return best

    # -- "X is critical of Y", "X, a staunch opponent of Y" -------------------------------------
    def _from_stance_predicates(
        self, doc: Doc, text: str, quotes: list[Quote]
    ) -> list[RawAttribution]:
        """A stance stated with a copula (`has been critical of`, `is a supporter of`, `is
        confident that`): the holder is the copula's subject and the content what the stance is
        about, as attribution corpora annotate it."""
        out: list[RawAttribution] = []
        for pred in doc:
            if pred.lemma_.lower() not in self.lexicon.stance_predicates:
                continue
            if pred.dep_ not in {"acomp", "attr"}:
                continue
            copula = pred.head
            if copula.lemma_.lower() not in {"be", "remain", "become", "seem", "appear", "sound"}:
                continue
            subject = next((c for c in copula.children if c.dep_ in SUBJECT_DEPS), None)
            if subject is None or subject.lower_ in {"it", "there", "this", "that"}:
                continue
            about = [
                c
                for c in pred.children
                if c.i > pred.i
                and (
                    c.dep_ in {"ccomp", "xcomp"}
                    or (c.dep_ == "prep" and c.lower_ in {"of", "about", "over", "on", "that"})
                )
            ]
            if not about:
                continue
            target = about[0]
            if target.dep_ == "prep":
                objs = [c for c in target.children if c.dep_ in {"pobj", "pcomp"}]
                if not objs:
                    continue
                content_span = _subtree_span(objs)
                cue_end = _tok_end(target)
            else:
                content_span = _subtree_span([target])
                cue_end = _tok_end(pred)
            content = _nonempty(*_extend_to_quotes(text, *_trim(text, *content_span), quotes))
            if content is None:
                continue
            cue_start, _, negated = self._cue_span(copula)
            cue_start = min(cue_start, copula.idx)
            speaker = self._speaker_span(text, subject)
            if subject.tag_ in {"WP", "WDT"}:
                speaker = (subject.idx, _tok_end(subject))
            if speaker[1] > cue_start or content[0] < cue_end:
                continue
            out.append(
                RawAttribution(
                    speaker=speaker,
                    cue=(cue_start, cue_end),
                    content=content,
                    kind=_kind(text, content[0], content[1], quotes),
                    cue_lemma=pred.lemma_.lower(),
                    negated=negated,
                    speaker_head=subject.i,
                )
            )
        return out

    # -- "Name: words" (headlines, round-ups of reactions) -------------------------------------
    def _from_colons(
        self, doc: Doc, text: str, quotes: list[Quote], found: list[RawAttribution]
    ) -> list[RawAttribution]:
        taken = [a.cue for a in found if a.cue is not None] + [a.content for a in found]
        out: list[RawAttribution] = []
        for tok in doc:
            if tok.text != ":" or any(s <= tok.idx < e for s, e in taken):
                continue
            if any(q.start < tok.idx < q.end for q in quotes):
                continue
            line_start = text.rfind("\n", 0, tok.idx) + 1
            left = text[line_start : tok.idx]
            words = left.split()
            if not 1 <= len(words) <= 10 or _is_heading(words):
                continue
            left_toks = [t for t in doc[tok.sent.start : tok.i] if not t.is_space]
            labels = self.lexicon.section_labels
            if not left_toks or not (
                any(t.pos_ == "PROPN" for t in left_toks)
                or _capitalised_name(left_toks, labels)
                or (left_toks[0].text[:1].isupper() and self._speaker_noun(left_toks[-1]))
            ):
                continue
            if any(t.pos_ == "VERB" and t.dep_ == "ROOT" for t in left_toks):
                continue  # "X said:" is a verb cue, handled elsewhere
            end = _line_end(text, tok.idx)
            c_start, c_end = _trim(text, tok.idx + 1, end)
            if topic_label(left_toks, text[c_start:c_end], self.lexicon):
                continue
            q = next((q for q in quotes if q.start == c_start), None)
            if q is not None:
                c_end = max(c_end, q.end)
            if len(text[c_start:c_end].split()) < 3:
                continue
            speaker = _trim(text, line_start, tok.idx, keep_quotes=False)
            cue = (tok.idx, tok.idx + 1)
            out.append(_labelled(text, speaker, cue, (c_start, c_end), quotes, left_toks))
        return out

    # -- "Words: Source" (headlines credit their source last) ------------------------------------
    def _trailing_sources(
        self, doc: Doc, text: str, quotes: list[Quote], found: list[RawAttribution]
    ) -> list[RawAttribution]:
        """`Six soldiers were killed near the border: army`, `Mill to close in March -- Reuters`: a
        headline line (no closing full stop, at most 30 words) that ends in a colon or dash and
        a short source label; the words before it are the source's claim. Only labels that name
        a speaker count (`topic_label`), so `...: live` or `... - latest` stay the outlet's."""
        out: list[RawAttribution] = []
        taken = [a.content for a in found]
        start = 0
        for line in text.split("\n"):
            line_start, start = start, start + len(line) + 1
            body = line.rstrip()
            match = _TRAILING_SOURCE.search(body)
            if (
                match is None
                or body.endswith(".")
                or len(body.split()) > 30
                or any(q.start < line_start + match.start() < q.end for q in quotes)
            ):
                continue
            s_start, s_end = line_start + match.start("source"), line_start + match.end("source")
            label = list(doc.char_span(s_start, s_end, alignment_mode="expand") or [])
            c_start, c_end = _trim(text, line_start, line_start + match.start())
            if not label or len(text[c_start:c_end].split()) < 3:
                continue
            if any(t.pos_ in {"VERB", "AUX"} for t in label) or topic_label(
                label, text[c_start:c_end], self.lexicon
            ):
                continue
            if not (label[0].text[:1].isupper() or self._speaker_noun(label[-1])):
                continue  # "...: army" is a source, "...: money" is not
            if any(s <= c_start < e or c_start <= s < c_end for s, e in taken):
                continue
            mark = "colon" if match.group("colon") else "dash"
            cue = (line_start + match.start(mark), line_start + match.end(mark))
            out.append(_labelled(text, (s_start, s_end), cue, (c_start, c_end), quotes, label))
        return out

    def _speaker_noun(self, token: Token) -> bool:
        return bool({token.lower_, token.lemma_.lower()} & _speaker_nouns(self.lexicon))

    # -- source phrases -------------------------------------------------------------------------
    def _from_source_phrases(
        self, doc: Doc, text: str, quotes: list[Quote]
    ) -> list[RawAttribution]:
        found: list[RawAttribution] = []
        lowers = [t.lower_ for t in doc]
        for phrase in self.lexicon.source_phrases:
            n = len(phrase)
            for i in range(len(doc) - n + 1):
                if tuple(lowers[i : i + n]) != phrase:
                    continue
                last = doc[i + n - 1]
                objs = [c for c in last.children if c.dep_ in {"pobj", "dobj"}]
                if not objs:
                    objs = [t for t in doc[i + n : i + n + 6] if t.pos_ in {"PROPN", "NOUN"}][:1]
                if not objs:
                    continue
                s_start, s_end = _trim(text, *_subtree_span(objs), keep_quotes=False)
                cue = (doc[i].idx, last.idx + len(last.text))
                sent = doc[i].sent
                before = _trim(text, sent.start_char, cue[0])
                after = _trim(text, s_end, sent.end_char)
                opens_sentence = len(text[before[0] : before[1]].split()) < 2
                content = after if opens_sentence else before
                if content[1] - content[0] < 3:
                    continue
                found.append(
                    RawAttribution(
                        speaker=(s_start, s_end),
                        cue=cue,
                        content=content,
                        kind=_kind(text, content[0], content[1], quotes),
                        cue_lemma=" ".join(phrase),
                        negated=False,
                        speaker_head=objs[0].i,
                    )
                )
        return found

    def _split_quote_owner(
        self, text: str, q: Quote, found: list[RawAttribution]
    ) -> RawAttribution | None:
        """`“A,” she said, “B.”`: B belongs to the attribution whose cue group ends just before."""
        for att in found:
            if att.cue is None or att.kind is not ClaimKind.DIRECT:
                continue
            group_end = max(att.cue[1], att.speaker[1] if att.speaker else 0)
            if group_end > q.start or att.content[1] > group_end:
                continue
            gap = text[group_end : q.start]
            if gap.strip() in {",", ":", ";", "—"} or (
                gap.strip().endswith(",") and len(gap.split()) <= 4 and "\n" not in gap
            ):
                return RawAttribution(
                    speaker=att.speaker,
                    cue=att.cue,
                    content=(q.start, q.end),
                    kind=ClaimKind.DIRECT,
                    cue_lemma=att.cue_lemma,
                    negated=att.negated,
                    speaker_head=att.speaker_head,
                )
        return None

    # -- a quote followed by its tag: `“…?” Erica Garner said.` -------------------------------
    def _quote_tags(
        self, doc: Doc, text: str, quotes: list[Quote], found: list[RawAttribution]
    ) -> list[RawAttribution]:
        """Attribute a quote from the words right after it, without trusting the parse.

        The parser often splits `“… ?” X said.` into two sentences or hangs `X, 70, told` under the
        quote's last verb; the surface shape (quote, short name, speech verb, or verb then name) is
        still unambiguous, so it is read off the tokens directly.
        """
        taken = [a.content for a in found]
        starts = [t.idx for t in doc]
        out: list[RawAttribution] = []
        for q in quotes:
            if not q.closed or any(s < q.end and q.start < e for s, e in taken):
                continue
            if len(q.inner(text).split()) < MIN_DIRECT_WORDS or not _ends_clause(text, q):
                continue
            first = bisect.bisect_left(starts, q.end)
            tail: list[Token] = []
            for tok in doc[first : first + 14]:
                if "\n" in tok.text or tok.text in {".", ";", "!", "?"} or tok.text in QUOTE_CHARS:
                    break
                tail.append(tok)
            tag = self._tag_in(tail)
            if tag is None:
                continue
            speaker_toks, verb = tag
            s_start, s_end = _trim(
                text, speaker_toks[0].idx, _tok_end(speaker_toks[-1]), keep_quotes=False
            )
            cue_start, cue_end, negated = self._cue_span(verb)
            out.append(
                RawAttribution(
                    speaker=(s_start, s_end),
                    cue=(cue_start, cue_end),
                    content=(q.start, q.end),
                    kind=ClaimKind.DIRECT,
                    cue_lemma=verb.lemma_.lower(),
                    negated=negated,
                    speaker_head=_name_head(speaker_toks).i,
                )
            )
        return out

    def _tag_in(self, tail: list[Token]) -> tuple[list[Token], Token] | None:
        """`[,] NAME [, apposition,] VERB` or `[,] VERB NAME` at the start of ``tail``."""
        words = [t for t in tail if t.text != ","]
        if not words:
            return None
        speech = self.lexicon.speech_verbs
        if words[0].lemma_.lower() in speech and words[0].tag_ in {"VBD", "VBZ"}:
            name: list[Token] = []
            for tok in words[1:]:
                if tok.pos_ not in {"PROPN", "NOUN", "DET", "ADJ", "PART"} and tok.text != "'s":
                    break
                name.append(tok)
            if name and any(t.pos_ in {"PROPN", "NOUN"} for t in name):
                return name, words[0]
            return None
        for k, tok in enumerate(tail):
            if tok.lemma_.lower() in speech and tok.tag_ in {"VBD", "VBZ"} and k > 0:
                name = [t for t in tail[:k] if t.text != ","]
                while name and name[0].pos_ == "PUNCT":
                    name = name[1:]
                if not name or len(name) > 8:
                    return None
                if name[0].pos_ not in {"PROPN", "PRON", "DET"} and not name[0].is_title:
                    return None
                if any(t.pos_ in {"VERB", "AUX"} for t in name):
                    return None
                if name[0].pos_ == "PRON" and (len(name) > 1 or name[0].lower_ == "it"):
                    return None
                return name, tok
        return None

    # -- quotes that continue an earlier speaker's words ---------------------------------------
    def _continued_quotes(
        self, text: str, quotes: list[Quote], found: list[RawAttribution]
    ) -> list[RawAttribution]:
        taken = [(a.content[0], a.content[1]) for a in found]
        extra: list[RawAttribution] = []
        for q in quotes:
            if any(s <= q.start < e or q.start <= s < q.end for s, e in taken):
                continue
            if len(q.inner(text).split()) < MIN_DIRECT_WORDS:
                continue
            split = self._split_quote_owner(text, q, found + extra)
            if split is not None:
                extra.append(split)
                continue
            # only quotes that open a sentence and form it: "“It urges all parties …”"
            before = text[: q.start].rstrip(" \t")
            if before and not before.endswith((".", "!", "?", "\n", "”", '"', ":")):
                continue
            rest = text[q.end : _line_end(text, q.end)]
            if len(rest.split()) > 2:
                continue
            previous = [a for a in found + extra if a.content[1] <= q.start and a.speaker]
            if not previous:
                continue
            last = max(previous, key=lambda a: a.content[1])
            gap_text = text[last.content[1] : q.start]
            if last.kind is not ClaimKind.DIRECT or gap_text.count("\n") > 1:
                continue
            if len(gap_text.split()) > 25:
                continue
            extra.append(
                RawAttribution(
                    speaker=last.speaker,
                    cue=last.cue,
                    content=(q.start, q.end),
                    kind=ClaimKind.DIRECT,
                    cue_lemma=last.cue_lemma,
                    negated=False,
                    speaker_head=last.speaker_head,
                )
            )
        return extra


def _cut_source_phrases(text: str, found: list[RawAttribution]) -> list[RawAttribution]:
    """`It said …, according to a release.`: the source phrase is not part of what was said."""
    phrases = [a for a in found if a.cue_lemma in SOURCE_PHRASE_CUES]
    out: list[RawAttribution] = []
    for att in found:
        for ph in phrases:
            if ph is att or ph.cue is None or att.cue is None:
                continue
            if att.content[0] < ph.cue[0] < att.content[1] and ph.cue[0] > att.cue[1]:
                att = replace(att, content=_trim(text, att.content[0], ph.cue[0]))
        out.append(att)
    return out


def _speakers_out_of_quotes(
    found: list[RawAttribution], quotes: list[Quote]
) -> list[RawAttribution]:
    """`X said: “…,” adding that …`: a parse may take the participle's subject from inside the
    quote; the speaker is whoever the quote belongs to."""
    fixed: list[RawAttribution] = []
    for att in found:
        sp = att.speaker
        if sp is not None and att.cue is not None:
            holder = next((q for q in quotes if q.start <= sp[0] and sp[1] <= q.end), None)
            if holder is not None and not (holder.start <= att.cue[0] < holder.end):
                owner = next(
                    (
                        o
                        for o in found
                        if o is not att and o.content[0] <= holder.start < o.content[1]
                    ),
                    None,
                )
                if owner is None or owner.speaker is None:
                    continue
                att = replace(att, speaker=owner.speaker, speaker_head=owner.speaker_head)
        fixed.append(att)
    return fixed


def _extend_to_quotes(text: str, start: int, end: int, quotes: list[Quote]) -> tuple[int, int]:
    """Grow a content span so it never cuts a quotation in half."""
    for q in quotes:
        if start <= q.start < end < q.end:
            end = q.end
        if q.start < start < q.end <= end:
            start = q.start
    return start, end


def _is_heading(words: list[str]) -> bool:
    """`Little Relief for Refugees:`, `Success on Signature Issue:`: a title-cased section heading
    with a lower-case function word between capitalised words names a topic, not a speaker."""
    inner = words[1:-1]
    return (
        len(words) >= 3
        and words[0][:1].isupper()
        and words[-1][:1].isupper()
        and any(
            w in {"for", "on", "of", "in", "to", "by", "and", "with", "at", "the", "a"}
            for w in inner
        )
    )


_TRAILING_SOURCE = re.compile(
    r"(?:\s*(?P<colon>:)|\s(?P<dash>--?|–|—))\s*"
    r"(?P<source>[\w.&'’-]+(?:\s+[\w.&'’-]+){0,3})\s*$"
)
"""A colon or a spaced dash, then one to four words ending the line."""
_SPEAKER_ENTITIES = frozenset({"PERSON", "ORG", "NORP"})
_FIRST_PERSON = frozenset({"i", "we", "my", "our", "us", "me"})


def _labelled(
    text: str,
    speaker: tuple[int, int],
    cue: tuple[int, int],
    content: tuple[int, int],
    quotes: list[Quote],
    label: list[Token],
) -> RawAttribution:
    """An attribution by a label and a colon or dash ("Dana Marsh: ...", "...: army"). The
    speaker's head is the label phrase's own head (its head word lies outside the label),
    preferring a name and, English heads coming last, the rightmost: "Dana Marsh" is Marsh's."""
    inside = {t.i for t in label}
    roots = [t for t in label if t.head.i not in inside or t.head.i == t.i]
    head = max(roots or label, key=lambda t: (t.pos_ == "PROPN", t.i))
    return RawAttribution(
        speaker=speaker,
        cue=cue,
        content=content,
        kind=_kind(text, *content, quotes),
        cue_lemma=":",
        negated=False,
        speaker_head=head.i,
    )


@lru_cache(maxsize=4)
def _speaker_nouns(lexicon: Lexicon) -> frozenset[str]:
    """Nouns that name someone who speaks: a person or group, a role, a source document."""
    return (
        lexicon.anonymous_heads
        | lexicon.spokesperson_heads
        | lexicon.group_heads
        | lexicon.statement_nouns
        | lexicon.titles
    )


def topic_label(label: list[Token], content: str, lexicon: Lexicon) -> bool:
    """A headline kicker that names the story, not who tells it: a place ("Norway: Seven boats
    sink"; unless the content speaks in the first person, "Iran: We will not yield"), an event or
    other common noun ("Harbour bridge collapse:", "Rare Case:"), an adjective or an all-caps
    exclamation ("Unbelievable:", "SHOCKING:"), a scandal name ("Pipegate:"), or the person the
    content goes on to name ("Dana Marsh: Councillor Dana Marsh resigns"; not when a quote
    follows). A speaker label ends in a name, a person or group noun ("Official:", "Opposition
    group:") or a source document ("Poll:"), or is a name with its role ("Jon Hale,
    author:")."""
    words = [t for t in label if not t.is_punct and t.text != "'s"]
    if not words:
        return True
    last = words[-1]
    entity = last.ent_type_
    content_words = {w.lower().strip(".,;:!?\"'") for w in content.split()}
    if entity == "GPE" and all(t.ent_type_ == "GPE" for t in words):
        return not content_words & _FIRST_PERSON
    if last.lower_.endswith("gate") and len(last) > 4:
        return True
    if any(
        t.lower_ in lexicon.section_labels or (t.lower_ == "news" and t.ent_type_ != "ORG")
        for t in words
    ) and (len(words) == 1 or not {last.lower_, last.lemma_.lower()} & _speaker_nouns(lexicon)):
        return True  # "VIDEO:", "Flood update:", "This Week in Odd News:" ("Fox News:" speaks)
    comma = next((i for i, t in enumerate(label) if t.text == ","), None)
    if comma is not None and any(
        t.pos_ == "PROPN" or t.ent_type_ in _SPEAKER_ENTITIES for t in label[:comma]
    ):
        return False  # "Jon Hale, author:": a name and its role
    if last.pos_ == "ADJ":
        return True
    if {last.lower_, last.lemma_.lower()} & _speaker_nouns(lexicon):
        return False
    if entity not in _SPEAKER_ENTITIES:
        # a lower-case head noun ("shooting"), or a common noun after other words ("Rare
        # Case"); a lone capitalised "noun" is as often a name the tagger missed ("McCaul:")
        if last.pos_ == "NOUN" and (last.is_lower or len(words) > 1):
            return True
        if len(words) == 1 and last.is_upper and len(last) > 4:
            return True
    if any(q in content for q in '"“”'):
        return False  # a quotation after the label: its speaker may well name themselves
    names = [t for t in words if t.pos_ == "PROPN" or t.ent_type_ in _SPEAKER_ENTITIES]
    return bool(names) and names[-1].lower_ in content_words


def _capitalised_name(toks: list[Token], section_labels: frozenset[str]) -> bool:
    """`McCaul:`, `Poll:`: a short capitalised label the tagger did not call a proper noun, but
    not a section label such as `Update:` or `Editor's note:`."""
    words = [t for t in toks if not t.is_punct and t.text != "'s"]
    return (
        0 < len(words) <= 3
        and all(t.text[:1].isupper() for t in words)
        and not any(t.lower_ in section_labels for t in words)
    )


def _reporting_noun(verb: Token) -> bool:
    """`polls showing X`, `a statement saying X`: the participle reports for its noun."""
    return verb.dep_ == "acl" and verb.tag_ == "VBG" and verb.head.pos_ in {"NOUN", "PROPN"}


def _tok_end(tok: Token) -> int:
    return tok.idx + len(tok.text)


def _name_head(toks: list[Token]) -> Token:
    """The last word of the first name or noun chunk (`Erica Garner` → Garner, `Trump, 70` →
    Trump): the word the claimant resolver looks up."""
    nominal = {"PROPN", "NOUN", "PRON"}
    for k, tok in enumerate(toks):
        if tok.pos_ in nominal and (k + 1 == len(toks) or toks[k + 1].pos_ not in nominal):
            return tok
    return toks[-1]


def _is_block_quote(text: str, verb: Token, content_start: int) -> bool:
    """`He added:` at the end of a line and the content opening the next paragraph: a block quote
    set off without quote marks, which news copy uses for verbatim words."""
    colon = text.find(":", verb.idx, content_start)
    return colon != -1 and "\n" in text[colon:content_start]


def _after_colon(doc: Doc, text: str, verb: Token) -> tuple[int, int] | None:
    """`Limbaugh added:` then the words after the colon, or the whole next paragraph when the
    colon ends the line (block quotes set off without quote marks)."""
    colon = next((t for t in doc[verb.i + 1 : min(verb.i + 5, len(doc))] if t.text == ":"), None)
    if colon is None or any(t.pos_ in {"VERB", "AUX"} for t in doc[verb.i + 1 : colon.i]):
        return None
    end = _line_end(text, colon.idx)
    start, stop = _trim(text, colon.idx + 1, end)
    if stop <= start:
        nxt = end
        while nxt < len(text) and text[nxt].isspace():
            nxt += 1
        if nxt >= len(text):
            return None
        start, stop = _trim(text, nxt, _line_end(text, nxt))
    if len(text[start:stop].split()) < MIN_DIRECT_WORDS:
        return None
    return start, stop


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end == -1 else end


def _ends_clause(text: str, q: Quote) -> bool:
    inner = text[q.start : q.end].rstrip("“”«»„\"'")
    return inner.endswith((".", ",", "!", "?"))


def _is_time_or_venue(tok: Token) -> bool:
    if tok.ent_type_ in {"DATE", "TIME"}:
        return True
    if tok.dep_ == "prep" and tok.lower_ in {"on", "in", "at", "during", "after", "before", "to"}:
        objs = [c for c in tok.children if c.dep_ == "pobj"]
        return bool(objs) and all(
            o.ent_type_ in {"DATE", "TIME"}
            or o.lemma_.lower() in {"statement", "interview", "twitter", "x", "media", "conference"}
            or (o.ent_type_ in {"ORG"} and tok.lower_ == "on")
            for o in objs
        )
    return False


def _names_something(verb: Token) -> bool:
    """`called the plan a disaster`, `called the charges unsubstantiated`: an object and what it is
    called (an object predicate, or a second noun phrase the parser hung under the first)."""
    if verb.lemma_.lower() != "call":
        return False
    objs = [c for c in verb.children if c.dep_ == "dobj" and c.i > verb.i]
    if not objs:
        return False
    if any(c.dep_ == "oprd" and c.i > objs[0].i for c in verb.children):
        return True
    return any(g.dep_ == "dobj" and g.i > objs[0].i for g in objs[0].children)


def _nonempty(start: int, end: int) -> tuple[int, int] | None:
    return (start, end) if end - start >= 2 else None


def _kind(text: str, start: int, end: int, quotes: list[Quote]) -> ClaimKind:
    inside = [q for q in quotes if q.start >= start and q.end <= end]
    if any(q.start <= start and q.end >= end for q in quotes):
        return ClaimKind.DIRECT
    if inside:
        covered = sum(q.end - q.start for q in inside)
        return ClaimKind.DIRECT if covered >= 0.9 * (end - start) else ClaimKind.MIXED
    return ClaimKind.INDIRECT


def _dedupe(found: list[RawAttribution]) -> list[RawAttribution]:
    """One attribution per (cue, content); the same cue keeps its longest content."""
    by_cue: dict[tuple[int, int] | None, RawAttribution] = {}
    rest: list[RawAttribution] = []
    for att in found:
        if att.cue is None:
            rest.append(att)
            continue
        kept = by_cue.get(att.cue)
        if kept is None or (att.content[1] - att.content[0]) > (kept.content[1] - kept.content[0]):
            by_cue[att.cue] = att
    return list(by_cue.values()) + rest
