"""Score attribution extraction (source, cue, content spans) against PolNeAR-style gold data.

PolNeAR (Newell, Margolin & Ruths, LREC 2018) marks, for every attribution relation, a *source*
(who), a *cue* (the reporting expression) and a *content* (what was attributed), each a possibly
discontinuous set of character ranges of the article text. This module reads that gold data and
scores predictions with the metrics below, so that every experiment reports the same numbers.

Definitions
-----------
*Span.* A role value (``Fragments``) is a tuple of ``[start, end)`` character ranges (Python ``str``
indices, i.e. Unicode code points). Its fragments are trimmed of leading and trailing whitespace
and the span is the *set of character offsets* they cover, with whitespace ignored: only the
non-whitespace characters count, so "that" + " the sky" equals "that the sky", and overlapping,
adjacent or reordered fragments give the same span. A role whose value is ``None``, or whose span
has no non-whitespace character, is *absent* and takes no part in that role's counts.

*Tokens.* An article's tokens are the maximal runs of ``\\w`` characters and the single characters
that are neither ``\\w`` nor whitespace (punctuation), found by ``re.finditer(r"\\w+|[^\\w\\s]")``
on the gold text. A span's tokens are the tokens sharing at least one character with it; tokens are
compared by their character offsets (i.e. by identity within the article), never by their text.

*Precision/recall.* Every score below is ``P = matched predicted / predicted`` and
``R = matched gold / gold``, ``F1 = 2PR / (P + R)``; a ratio with a zero denominator is 0.0 (so
predicting nothing gives P = R = F1 = 0). All counts are pooled (micro-averaged) over all articles.

Per role (source, cue, content), three variants:

1. **exact**: a predicted span matches a gold span of the same role in the same article when their
   character sets are identical. Matching is one-to-one (each gold span is used at most once), so
   duplicate predictions of one gold span count as one hit and one false positive.
2. **overlap** (token-overlap, "partial"): a predicted span may match a gold span of the same role
   in the same article when they share at least one token. Matching is one-to-one and greedy: all
   candidate pairs are taken in decreasing order of shared tokens (ties: earlier prediction, then
   earlier gold), and a pair is kept when neither side is already used.
3. **token**: per article and role, the union of the tokens of all predicted spans is compared with
   the union of the tokens of all gold spans; true positives are the tokens in both. Here
   ``matched predicted = matched gold = |pred tokens ∩ gold tokens|``, predicted/gold are the sizes
   of the two token sets, pooled over articles.

**attribution** level: a predicted attribution may match a gold attribution of the same article
when their contents share at least one token AND either their sources share at least one token or
both sources are absent. Matching is one-to-one and greedy by decreasing (shared content tokens,
shared source tokens). Predicted and gold here are the numbers of attributions, including those
whose content is absent (which can never match). The cue is not consulted.

Predictions for article ids that are not in the gold set are ignored (so one prediction file can be
scored against any split); a gold article with no predictions counts as "predicted nothing".
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rich.console import Console
from rich.table import Table

from claims.evaluation.records import json_records

ROLES: tuple[str, ...] = ("source", "cue", "content")
"""The role names, in the order the report shows them."""

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")

Interval = tuple[int, int]


@dataclass(frozen=True)
class Fragments:
    """A possibly discontinuous span: ``[start, end)`` character ranges of the article text.

    Kept as raw offsets (no text) so predictions from any extractor can be scored without building
    model objects; normalisation (trimming, merging) happens at scoring time against the gold text.
    """

    spans: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        # Fail at construction, close to the bug, rather than with a confusing score later.
        for start, end in self.spans:
            if start < 0 or end < start:
                raise ValueError(f"invalid fragment [{start}, {end})")


@dataclass(frozen=True)
class AttributionSpans:
    """One attribution relation: its source, cue and content spans, any of which may be absent."""

    source: Fragments | None
    cue: Fragments | None
    content: Fragments | None


@dataclass(frozen=True)
class GoldArticle:
    """One gold article (primary annotator only) with the text its offsets index into."""

    article_id: str
    text: str
    publication_date: date | None
    publisher: str
    attributions: tuple[AttributionSpans, ...]


@dataclass(frozen=True)
class Score:
    """Counts behind one P/R/F1 triple; kept as counts so that pooled scores stay exact."""

    matched_predicted: int
    predicted: int
    matched_gold: int
    gold: int

    @property
    def precision(self) -> float:
        return _ratio(self.matched_predicted, self.predicted)

    @property
    def recall(self) -> float:
        return _ratio(self.matched_gold, self.gold)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "matched_predicted": self.matched_predicted,
            "predicted": self.predicted,
            "matched_gold": self.matched_gold,
            "gold": self.gold,
        }


@dataclass(frozen=True)
class RoleScores:
    """The three span-level variants for one role (see the module docstring)."""

    exact: Score
    overlap: Score
    token: Score

    def to_dict(self) -> dict[str, dict[str, float | int]]:
        return {
            "exact": self.exact.to_dict(),
            "overlap": self.overlap.to_dict(),
            "token": self.token.to_dict(),
        }


@dataclass(frozen=True)
class AttributionReport:
    """All metrics of one scoring run; ``to_dict`` is what experiment logs should store."""

    source: RoleScores
    cue: RoleScores
    content: RoleScores
    attribution: Score
    n_articles: int
    n_gold_attributions: int
    n_predicted_attributions: int

    def role(self, name: str) -> RoleScores:
        """The scores of role ``name`` (one of ``ROLES``)."""
        if name not in ROLES:
            raise KeyError(name)
        result: RoleScores = getattr(self, name)
        return result

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary, ratios rounded to 4 decimals."""
        return {
            "n_articles": self.n_articles,
            "n_gold_attributions": self.n_gold_attributions,
            "n_predicted_attributions": self.n_predicted_attributions,
            "roles": {name: self.role(name).to_dict() for name in ROLES},
            "attribution": self.attribution.to_dict(),
        }

    def render(self, console: Console) -> None:
        """Print the report as a table.

        The attribution row sits under the overlap columns because its criterion is token overlap;
        it has no exact or token variant.
        """
        table = Table(
            title="Attribution extraction",
            caption=(
                f"{self.n_articles} articles, {self.n_gold_attributions} gold / "
                f"{self.n_predicted_attributions} predicted attributions"
            ),
        )
        table.add_column("role")
        for variant in ("exact", "overlap", "token"):
            for metric in ("P", "R", "F1"):
                table.add_column(f"{variant} {metric}", justify="right")
        for name in ROLES:
            scores = self.role(name)
            table.add_row(
                name, *_cells(scores.exact), *_cells(scores.overlap), *_cells(scores.token)
            )
        dash = ("—", "—", "—")
        table.add_row("attribution", *dash, *_cells(self.attribution), *dash)
        console.print(table)


def _cells(score: Score) -> tuple[str, str, str]:
    return f"{score.precision:.4f}", f"{score.recall:.4f}", f"{score.f1:.4f}"


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


# --------------------------------------------------------------------------------------------------
# Loading


def load_polnear(directory: Path) -> list[GoldArticle]:
    """Read ``directory/attributions.jsonl``: primary-annotator lines only, sorted by article id.

    Only the primary annotation is gold (README of the subset); the other annotators' lines exist
    for agreement studies (`load_polnear_others`). Every span is checked against the text so that
    an offset convention mismatch fails loudly here instead of silently depressing every score.
    """
    articles: dict[str, GoldArticle] = {}
    for where, primary, article in _read_polnear(directory):
        if not primary:
            continue
        if article.article_id in articles:
            raise ValueError(f"{where}: second primary line for {article.article_id!r}")
        articles[article.article_id] = article
    return [articles[key] for key in sorted(articles)]


def load_polnear_others(directory: Path) -> dict[str, list[GoldArticle]]:
    """The non-primary annotations, by article id (a few articles were annotated several times)."""
    others: dict[str, list[GoldArticle]] = {}
    for _, primary, article in _read_polnear(directory):
        if not primary:
            others.setdefault(article.article_id, []).append(article)
    return others


def _read_polnear(directory: Path) -> list[tuple[str, bool, GoldArticle]]:
    """Every line of ``attributions.jsonl`` as (where, primary, article), validated."""
    out: list[tuple[str, bool, GoldArticle]] = []
    path = Path(directory) / "attributions.jsonl"
    for where, record in json_records(path, "PolNeAR attributions file"):
        try:
            primary = _require(record, "primary", bool, where)
            out.append((where, primary, _parse_article(record, where)))
        except (KeyError, TypeError) as error:  # our own checks raise ValueError already
            raise ValueError(f"{where}: malformed record: {error!r}") from error
    return out


def agreement_pairs(
    gold: Sequence[GoldArticle], others: Mapping[str, Sequence[GoldArticle]]
) -> tuple[list[GoldArticle], dict[str, list[AttributionSpans]]]:
    """Each other annotator's work as a prediction against the primary annotator's, for `score`.

    One (gold, prediction) pair per extra annotation, under ids ``<article>#<n>`` so that several
    annotators of one article pool into one micro-averaged report: the same metric the extractor
    is scored with, applied to two people, says what "human agreement" means here.
    """
    pairs: list[GoldArticle] = []
    predicted: dict[str, list[AttributionSpans]] = {}
    for article in gold:
        for n, other in enumerate(others.get(article.article_id, ()), start=1):
            if other.text != article.text:
                raise ValueError(f"annotation {n} of {article.article_id!r} has another text")
            pair_id = f"{article.article_id}#{n}"
            pairs.append(replace(article, article_id=pair_id))
            predicted[pair_id] = list(other.attributions)
    return pairs, predicted


def _require(record: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in record:
        raise ValueError(f"{where}: missing field {key!r}")
    value = record[key]
    if not isinstance(value, kind):
        raise ValueError(f"{where}: field {key!r} should be {kind.__name__}, got {value!r}")
    return value


def _parse_article(record: Mapping[str, Any], where: str) -> GoldArticle:
    article_id: str = _require(record, "article_id", str, where)
    text: str = _require(record, "text", str, where)
    publisher: str = _require(record, "publisher", str, where)
    raw_date = record.get("publication_date")
    publication_date: date | None = None
    if raw_date is not None:
        if not isinstance(raw_date, str):
            raise ValueError(f"{where}: publication_date should be a string, got {raw_date!r}")
        try:
            publication_date = date.fromisoformat(raw_date)
        except ValueError as error:
            raise ValueError(f"{where}: bad publication_date {raw_date!r}") from error
    raw_attributions: list[Any] = _require(record, "attributions", list, where)
    attributions: list[AttributionSpans] = []
    for index, item in enumerate(raw_attributions):
        item_where = f"{where}: attribution #{index}"
        if not isinstance(item, dict):
            raise ValueError(f"{item_where}: expected an object")
        source, cue, content = (
            _parse_fragments(item.get(role), text, f"{item_where} {role}") for role in ROLES
        )
        attributions.append(AttributionSpans(source=source, cue=cue, content=content))
    return GoldArticle(
        article_id=article_id,
        text=text,
        publication_date=publication_date,
        publisher=publisher,
        attributions=tuple(attributions),
    )


def _parse_fragments(raw: Any, text: str, where: str) -> Fragments | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ValueError(f"{where}: expected a list of spans or null, got {raw!r}")
    spans: list[Interval] = []
    for fragment in raw:
        if not isinstance(fragment, dict):
            raise ValueError(f"{where}: expected a span object, got {fragment!r}")
        start, end = fragment.get("start"), fragment.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            raise ValueError(f"{where}: span needs integer start/end, got {fragment!r}")
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"{where}: span [{start}, {end}) outside text of length {len(text)}")
        expected = fragment.get("text")
        if expected is not None and text[start:end] != expected:
            raise ValueError(f"{where}: span text {expected!r} != text[{start}:{end}]")
        spans.append((start, end))
    return Fragments(tuple(spans)) if spans else None


# --------------------------------------------------------------------------------------------------
# Splitting


class _HasArticleId(Protocol):
    @property
    def article_id(self) -> str: ...


_A = TypeVar("_A", bound=_HasArticleId)


def split_articles(
    articles: Sequence[_A], held_out_fraction: float = 0.5, seed: str = "claims"
) -> tuple[list[_A], list[_A]]:
    """Split into ``(dev, held_out)`` by a keyed hash of ``article_id``.

    Why a hash: the split must not depend on input order, the Python process (``hash()`` is
    salted) or the article contents, so every run and every person gets the same held-out set for
    the same seed. The articles with the ``round(held_out_fraction * n)`` smallest
    ``sha256(seed + "\\0" + article_id)`` values are held out, which gives exact sizes and moves at
    most one article across the boundary when one is added. Both lists keep the input order.
    """
    if not 0.0 <= held_out_fraction <= 1.0:
        raise ValueError(f"held_out_fraction must be in [0, 1], got {held_out_fraction}")
    ids = [article.article_id for article in articles]
    if len(set(ids)) != len(ids):
        raise ValueError("article ids must be unique to split deterministically")

    def key(article_id: str) -> bytes:
        return hashlib.sha256(f"{seed}\0{article_id}".encode()).digest()

    n_held_out = round(held_out_fraction * len(ids))
    held_out_ids = set(sorted(ids, key=key)[:n_held_out])
    dev = [article for article in articles if article.article_id not in held_out_ids]
    held_out = [article for article in articles if article.article_id in held_out_ids]
    return dev, held_out


# --------------------------------------------------------------------------------------------------
# Scoring


class _Tokens:
    """Token offsets of one article, for mapping character spans to token indices by bisection."""

    def __init__(self, text: str) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for match in _TOKEN_RE.finditer(text):
            self.starts.append(match.start())
            self.ends.append(match.end())

    def of(self, intervals: Iterable[Interval]) -> frozenset[int]:
        """Indices of the tokens sharing at least one character with ``intervals``."""
        indices: set[int] = set()
        for start, end in intervals:
            # Tokens are disjoint and sorted, so both starts and ends are increasing.
            first = bisect.bisect_right(self.ends, start)
            last = bisect.bisect_left(self.starts, end)
            indices.update(range(first, last))
        return frozenset(indices)


@dataclass(frozen=True)
class _Span:
    """A normalised role span: merged, trimmed character intervals and the tokens they touch."""

    chars: tuple[Interval, ...]
    tokens: frozenset[int]


def _normalise(fragments: Fragments | None, text: str, tokens: _Tokens) -> _Span | None:
    """Canonical form of a role span: ``None`` when absent or whitespace-only (module docstring)."""
    if fragments is None:
        return None
    trimmed: list[Interval] = []
    for start, end in fragments.spans:
        if end > len(text):
            raise ValueError(f"fragment [{start}, {end}) beyond text of length {len(text)}")
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            trimmed.append((start, end))
    if not trimmed:
        return None
    trimmed.sort()
    merged: list[Interval] = [trimmed[0]]
    for start, end in trimmed[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end or text[last_end:start].isspace():
            # Overlapping, adjacent or separated only by whitespace: the non-whitespace character
            # set is that of one interval, so one canonical form serves exact comparison.
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return _Span(chars=tuple(merged), tokens=tokens.of(merged))


class _Counter:
    """Mutable accumulator for one ``Score``."""

    def __init__(self) -> None:
        self.matched_predicted = 0
        self.predicted = 0
        self.matched_gold = 0
        self.gold = 0

    def add(self, matched: int, predicted: int, gold: int) -> None:
        self.matched_predicted += matched
        self.matched_gold += matched
        self.predicted += predicted
        self.gold += gold

    def freeze(self) -> Score:
        return Score(self.matched_predicted, self.predicted, self.matched_gold, self.gold)


def _shared_tokens(
    predicted: Sequence[frozenset[int] | None], gold: Sequence[frozenset[int] | None]
) -> dict[tuple[int, int], int]:
    """Shared-token counts of every (predicted, gold) pair that shares at least one token.

    Built from an inverted index over the gold tokens, so the cost follows the number of tokens
    rather than predicted x gold pairs (an article can hold ~90 attributions).
    """
    index: dict[int, list[int]] = {}
    for j, tokens in enumerate(gold):
        for token in tokens or ():
            index.setdefault(token, []).append(j)
    shared: dict[tuple[int, int], int] = {}
    for i, tokens in enumerate(predicted):
        for token in tokens or ():
            for j in index.get(token, ()):
                shared[i, j] = shared.get((i, j), 0) + 1
    return shared


def _greedy_matches(candidates: Iterable[tuple[tuple[int, ...], int, int]]) -> int:
    """Size of a greedy one-to-one matching over ``(weight, predicted, gold)`` candidates.

    Pairs are taken by decreasing weight, ties broken by lower predicted then lower gold index, so
    the result does not depend on dict or set ordering.
    """
    ordered = sorted(candidates, key=lambda c: (tuple(-w for w in c[0]), c[1], c[2]))
    used_predicted: set[int] = set()
    used_gold: set[int] = set()
    for _, i, j in ordered:
        if i not in used_predicted and j not in used_gold:
            used_predicted.add(i)
            used_gold.add(j)
    return len(used_predicted)


def _exact_matches(predicted: Sequence[_Span], gold: Sequence[_Span]) -> int:
    available: dict[tuple[Interval, ...], int] = {}
    for span in gold:
        available[span.chars] = available.get(span.chars, 0) + 1
    matched = 0
    for span in predicted:
        if available.get(span.chars, 0) > 0:
            available[span.chars] -= 1
            matched += 1
    return matched


def _overlap_matches(predicted: Sequence[_Span], gold: Sequence[_Span]) -> int:
    shared = _shared_tokens([s.tokens for s in predicted], [s.tokens for s in gold])
    return _greedy_matches(((count,), i, j) for (i, j), count in shared.items())


def _tokens_of(span: _Span | None) -> frozenset[int] | None:
    return None if span is None else span.tokens


def _attribution_matches(
    predicted: Sequence[dict[str, _Span | None]], gold: Sequence[dict[str, _Span | None]]
) -> int:
    content_shared = _shared_tokens(
        [_tokens_of(item["content"]) for item in predicted],
        [_tokens_of(item["content"]) for item in gold],
    )
    candidates: list[tuple[tuple[int, ...], int, int]] = []
    for (i, j), content_count in content_shared.items():
        pred_source, gold_source = predicted[i]["source"], gold[j]["source"]
        if pred_source is None and gold_source is None:
            candidates.append(((content_count, 0), i, j))
        elif pred_source is not None and gold_source is not None:
            source_count = len(pred_source.tokens & gold_source.tokens)
            if source_count:
                candidates.append(((content_count, source_count), i, j))
    return _greedy_matches(candidates)


def score(
    gold: Sequence[GoldArticle], predicted: Mapping[str, Sequence[AttributionSpans]]
) -> AttributionReport:
    """Score ``predicted`` (attributions per article id) against ``gold``; see the module docstring.

    Predicted offsets index into the gold article's text; an offset beyond it raises ValueError
    because it means the prediction was made on a different text.
    """
    counters = {
        (role, variant): _Counter() for role in ROLES for variant in ("exact", "overlap", "token")
    }
    attribution_counter = _Counter()
    n_predicted_attributions = 0
    n_gold_attributions = 0
    for article in gold:
        tokens = _Tokens(article.text)
        article_predicted = predicted.get(article.article_id, ())

        def normalise_all(
            items: Sequence[AttributionSpans], text: str = article.text, toks: _Tokens = tokens
        ) -> list[dict[str, _Span | None]]:
            return [
                {role: _normalise(getattr(item, role), text, toks) for role in ROLES}
                for item in items
            ]

        try:
            pred_items = normalise_all(article_predicted)
        except ValueError as error:
            raise ValueError(f"prediction for {article.article_id!r}: {error}") from error
        gold_items = normalise_all(article.attributions)
        n_predicted_attributions += len(pred_items)
        n_gold_attributions += len(gold_items)

        for role in ROLES:
            pred_spans = [span for item in pred_items if (span := item[role]) is not None]
            gold_spans = [span for item in gold_items if (span := item[role]) is not None]
            counters[role, "exact"].add(
                _exact_matches(pred_spans, gold_spans), len(pred_spans), len(gold_spans)
            )
            counters[role, "overlap"].add(
                _overlap_matches(pred_spans, gold_spans), len(pred_spans), len(gold_spans)
            )
            pred_tokens = frozenset().union(*(span.tokens for span in pred_spans))
            gold_tokens = frozenset().union(*(span.tokens for span in gold_spans))
            counters[role, "token"].add(
                len(pred_tokens & gold_tokens), len(pred_tokens), len(gold_tokens)
            )
        attribution_counter.add(
            _attribution_matches(pred_items, gold_items), len(pred_items), len(gold_items)
        )

    def role_scores(role: str) -> RoleScores:
        return RoleScores(
            exact=counters[role, "exact"].freeze(),
            overlap=counters[role, "overlap"].freeze(),
            token=counters[role, "token"].freeze(),
        )

    return AttributionReport(
        source=role_scores("source"),
        cue=role_scores("cue"),
        content=role_scores("content"),
        attribution=attribution_counter.freeze(),
        n_articles=len(gold),
        n_gold_attributions=n_gold_attributions,
        n_predicted_attributions=n_predicted_attributions,
    )
