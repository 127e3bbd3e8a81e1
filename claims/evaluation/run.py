"""Running the extractor over gold articles and shaping its output for the scorer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from claims.evaluation.attribution import AttributionSpans, Fragments, GoldArticle
from claims.extraction.extract import Extractor
from claims.models import Claim, ClaimKind, Document


def claims_to_attributions(claims: Sequence[Claim]) -> list[AttributionSpans]:
    """One attribution per (speaker, cue): a split or continued quote is one discontinuous content,
    as PolNeAR annotates it."""
    grouped: dict[tuple[object, object], list[Claim]] = {}
    for claim in claims:
        if claim.kind is ClaimKind.UNATTRIBUTED:
            continue
        key = (
            (claim.speaker.start, claim.speaker.end) if claim.speaker else None,
            (claim.cue.start, claim.cue.end) if claim.cue else id(claim),
        )
        grouped.setdefault(key, []).append(claim)
    out: list[AttributionSpans] = []
    for group in grouped.values():
        first = group[0]
        out.append(
            AttributionSpans(
                source=Fragments(((first.speaker.start, first.speaker.end),))
                if first.speaker
                else None,
                cue=Fragments(((first.cue.start, first.cue.end),)) if first.cue else None,
                content=Fragments(tuple((c.content.start, c.content.end) for c in group)),
            )
        )
    return out


def predict_attributions(
    articles: Sequence[GoldArticle], extractor: Extractor | None = None
) -> dict[str, list[AttributionSpans]]:
    extractor = extractor or Extractor(include_unattributed=False)
    documents = [
        Document(
            id=a.article_id,
            text=a.text,
            outlet=a.publisher,
            published_at=datetime.combine(a.publication_date, time())
            if a.publication_date
            else None,
        )
        for a in articles
    ]
    return {
        doc.id: claims_to_attributions(claims)
        for doc, claims in zip(documents, extractor.run_many(documents), strict=True)
    }
