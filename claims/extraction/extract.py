"""The extraction stage: Document in, attributed and normalised claims out.

A Haystack-style stage object: settings in `__init__`, the spaCy model loaded once in an idempotent
`warm_up()`, and a pure `run()`. The CLI, the API and batch jobs share one instance.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from claims.extraction.attribution import AttributionFinder, RawAttribution
from claims.extraction.lexicon import Lexicon, load_lexicon
from claims.extraction.nlp import DEFAULT_SPACY_MODEL, SpacyStage
from claims.extraction.normalise import DocNormaliser, Normalised
from claims.extraction.resolve import ClaimantResolver
from claims.models import (
    Claim,
    Claimant,
    ClaimKind,
    Document,
    EntityType,
    Frame,
    Polarity,
    Span,
    Stance,
)

MIN_UNATTRIBUTED_WORDS = 4
REPORTER = "the reporter"


def claim_id(
    document_id: str,
    content: tuple[int, int],
    speaker: tuple[int, int] | None,
    cue: tuple[int, int] | None = None,
) -> str:
    """Stable across runs, so re-extracting a document gives the same ids."""
    key = f"{document_id}:{content[0]}:{content[1]}:{speaker}:{cue}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


class Extractor(SpacyStage):
    """Extracts every claim of a document: attributed ones and the reporter's own assertions."""

    def __init__(
        self,
        spacy_model: str = DEFAULT_SPACY_MODEL,
        lexicon: Lexicon | None = None,
        include_unattributed: bool = True,
    ) -> None:
        self.spacy_model = spacy_model
        self.lexicon = lexicon or load_lexicon()
        self.include_unattributed = include_unattributed
        self._nlp: Language | None = None
        self._finder = AttributionFinder(self.lexicon)
        self._resolver = ClaimantResolver(self.lexicon)

    def run(self, document: Document) -> list[Claim]:
        return self.claims_from_doc(document, self.nlp(document.text))

    def run_many(
        self, documents: Iterable[Document], batch_size: int = 16
    ) -> Iterator[list[Claim]]:
        for _, _, claims in self.process_many(documents, batch_size):
            yield claims

    def process_many(
        self, documents: Iterable[Document], batch_size: int = 16
    ) -> Iterator[tuple[Document, Doc, list[Claim]]]:
        """Like `run_many`, also yielding each parse, for stages that need more than claims."""
        docs = list(documents)
        parsed = self.nlp.pipe((d.text for d in docs), batch_size=batch_size)
        for document, doc in zip(docs, parsed, strict=True):
            yield document, doc, self.claims_from_doc(document, doc)

    def attributions(self, doc: Doc) -> list[RawAttribution]:
        return self._finder.run(doc)

    def claims_from_doc(self, document: Document, doc: Doc) -> list[Claim]:
        text = document.text
        raws = [
            r for r in self._finder.run(doc) if any(ch.isalnum() for ch in text[slice(*r.content)])
        ]
        claimants = self._resolver.run(doc, raws, document.outlet)
        normaliser = DocNormaliser(doc)
        claims: list[Claim] = []
        for raw, claimant in zip(raws, claimants, strict=True):
            claims.append(self._claim(document, normaliser, raw, claimant))
        if self.include_unattributed:
            claims.extend(self._unattributed(document, doc, normaliser, raws))
        claims.sort(key=lambda c: (c.content.start, c.content.end))
        assert all(c.content.text == text[c.content.start : c.content.end] for c in claims)
        return claims

    def _claim(
        self,
        document: Document,
        normaliser: DocNormaliser,
        raw: RawAttribution,
        claimant: Claimant,
    ) -> Claim:
        norm = normaliser.run(
            raw.content[0],
            raw.content[1],
            cue_lemma=raw.cue_lemma,
            published_at=document.published_at,
            negated_cue=raw.negated,
        )
        return _build_claim(
            document, raw.content, norm, raw.kind, claimant, speaker=raw.speaker, cue=raw.cue
        )

    def _unattributed(
        self,
        document: Document,
        doc: Doc,
        normaliser: DocNormaliser,
        raws: list[RawAttribution],
    ) -> list[Claim]:
        """Sentences the reporter asserts in their own voice: finite, declarative, not reported."""
        text = document.text
        taken: list[tuple[int, int]] = []
        for r in raws:
            taken.append(r.content)
            if r.speaker is not None:
                taken.append(r.speaker)
            if r.cue is not None:
                taken.append(r.cue)
        outlet = document.outlet or REPORTER
        claimant = Claimant(name=outlet, type=EntityType.OUTLET)
        out: list[Claim] = []
        for sent in doc.sents:
            start, end = sent.start_char, sent.end_char
            while end > start and text[end - 1] in " \n\t.!;:":
                end -= 1
            while start < end and text[start].isspace():
                start += 1
            if any(s < end and e > start for s, e in taken):
                continue
            if (
                text[start:end].endswith("?")
                or len(text[start:end].split()) < MIN_UNATTRIBUTED_WORDS
            ):
                continue
            if not _is_declarative(sent.root):
                after = _after_kicker(sent)
                if after is None:
                    continue
                start = after.start_char
                if any(s < end and e > start for s, e in taken):
                    continue
            norm = normaliser.run(start, end, cue_lemma=None, published_at=document.published_at)
            out.append(_build_claim(document, (start, end), norm, ClaimKind.UNATTRIBUTED, claimant))
        return out


def _build_claim(
    document: Document,
    content: tuple[int, int],
    norm: Normalised,
    kind: ClaimKind,
    claimant: Claimant,
    *,
    speaker: tuple[int, int] | None = None,
    cue: tuple[int, int] | None = None,
) -> Claim:
    """One place that turns spans and normalised values into a `Claim` (ids included)."""
    text = document.text

    def span(pair: tuple[int, int] | None) -> Span | None:
        return None if pair is None else Span(start=pair[0], end=pair[1], text=text[slice(*pair)])

    body = span(content)
    assert body is not None
    return Claim(
        id=claim_id(document.id, content, speaker, cue),
        document_id=document.id,
        speaker=span(speaker),
        cue=span(cue),
        content=body,
        kind=kind,
        claimant=claimant,
        stance=norm.stance,
        quantities=norm.quantities,
        times=norm.times,
        places=norm.places,
        actors=norm.actors,
        frames=_denied_frames(norm, kind, body),
    )


_OWN_WORDS = re.compile(r",? (?:saying|adding|insisting|stating)\b")


def _denied_frames(norm: Normalised, kind: ClaimKind, body: Span) -> list[Frame]:
    """ "The army denied that 40 civilians died": the figure of a reported denial is what the
    speaker says is wrong. Only for reported speech (a quote carries the speaker's own
    words, denial and figures alike) and only before "saying ...", which gives the speaker's
    own account ("rejected the allegations, saying the deal was worth $2.1 billion")."""
    if norm.stance is not Stance.DENIED or kind is not ClaimKind.INDIRECT:
        return norm.frames
    own = _OWN_WORDS.search(body.text)
    limit = body.start + own.start() if own else body.end
    return [
        f.model_copy(update={"polarity": Polarity.DENIED})
        if f.polarity is Polarity.ASSERTED and f.trigger.start < limit
        else f
        for f in norm.frames
    ]


def _after_kicker(sent: SpacySpan) -> SpacySpan | None:
    """`VIDEO: Pensioner rows across the lake in a bathtub`: past a short kicker label and its
    colon, the headline's own clause, when the parse hung that clause under the label."""
    colon = next((t for t in sent[:6] if t.text == ":"), None)
    if colon is None or colon.i + 1 >= sent.end:
        return None
    rest = sent.doc[colon.i + 1 : sent.end]
    heads = [t for t in rest if not (rest.start <= t.head.i < rest.end) or t.head.i == t.i]
    if not any(_is_declarative(t) for t in heads):
        return None
    return rest if len(rest.text.split()) >= MIN_UNATTRIBUTED_WORDS else None


def _is_declarative(root: Token) -> bool:
    """A claim needs a finite verb with a subject; headlines and imperatives are not claims."""
    if root.pos_ not in {"VERB", "AUX"}:
        return False
    return any(c.dep_ in {"nsubj", "nsubjpass", "expl", "csubj"} for c in root.children)
