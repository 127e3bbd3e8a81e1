"""Score the NLI cross-encoder: on its own dev split, and as the reader of the conflict corpora.

Two questions, kept apart on purpose:

*Does the model learn its task?* ``score_nli_dev`` scores argmax labels on the dev split of the
training pairs (``split == "dev"``, a premise hash, so no dev premise was trained on), per source
and overall. A source is *binary* when its gold holds ``not_entailment`` (``docnli_fever_binary``,
whose authors merged REFUTES and NOT ENOUGH INFO): there a predicted ``neutral`` or
``contradiction`` counts as ``not_entailment``, because the data cannot tell which one is right.
Every other source is 3-way. Macro-F1 averages the per-label F1 over the labels present in that
source's gold (``vitaminc_synthetic`` has no neutral pairs, so a neutral F1 of 0 would only
measure the data, not the model); a prediction outside those labels is still an error. *Overall*
is 3-way accuracy and macro-F1 on the rows of the non-binary sources.

*Does it see conflicts in news?* The helpers below turn the model's labels into the stances the
existing conflict scorers read (`claims.evaluation.conflicts`), so the rules and the model are
measured by one definition: entailment → ``for`` / ``agree``, contradiction → ``against`` /
``disagree``, neutral → ``observing`` / ``discuss``. The runners live in
`claims.evaluation.conflicts_run` (``run_*_nli``) beside the rule runners they mirror.

Everything here is a pure function of labels, except ``run_nli_dev``, which calls the model once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from rich.table import Table

from claims.evaluation.conflicts import ClassScore, EmergentClaim, FncPair, is_conflicting

if TYPE_CHECKING:
    from claims.comparison.nli import NliClassifier
    from claims.training.nli import Pair

NLI_LABELS: tuple[str, str, str] = ("entailment", "neutral", "contradiction")
"""The model's labels, in the order reports show them."""

BINARY_LABELS: tuple[str, str] = ("entailment", "not_entailment")
"""The labels of a binary source (README of the training data, §1)."""

NOT_ENTAILMENT = "not_entailment"

NLI_TO_EMERGENT: dict[str, str] = {
    "entailment": "for",
    "contradiction": "against",
    "neutral": "observing",
}
"""A headline that entails the claim asserts it; one that contradicts it denies it."""

NLI_TO_FNC: dict[str, str] = {
    "entailment": "agree",
    "contradiction": "disagree",
    "neutral": "discuss",
}
"""A related FNC-1 body lead that entails the headline agrees with it, and so on."""

T = TypeVar("T")


# --------------------------------------------------------------------------------------------------
# Label scores


@dataclass(frozen=True)
class LabelReport:
    """Accuracy and macro-F1 of aligned labels, with the per-label counts behind them."""

    n_items: int
    correct: int
    per_class: tuple[ClassScore, ...]

    @property
    def accuracy(self) -> float:
        return self.correct / self.n_items if self.n_items else 0.0

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.per_class) / len(self.per_class) if self.per_class else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_pairs": self.n_items,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "labels": [s.label for s in self.per_class],
            "per_class": {s.label: s.to_dict() for s in self.per_class},
        }


def present_labels(gold: Iterable[str], order: Sequence[str]) -> tuple[str, ...]:
    """The labels of `order` that occur in `gold`, in that order (the macro-F1 labels)."""
    seen = set(gold)
    return tuple(label for label in order if label in seen)


def label_scores(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> LabelReport:
    """One-vs-rest P/R/F1 of each of `labels`, and accuracy over all items."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    per_class = tuple(
        ClassScore(
            label,
            sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label),
            sum(1 for p in predicted if p == label),
            sum(1 for g in gold if g == label),
        )
        for label in labels
    )
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    return LabelReport(len(gold), correct, per_class)


def binary_label(label: str) -> str:
    """A 3-way label read as the binary sources' entailment / not_entailment."""
    return "entailment" if label == "entailment" else NOT_ENTAILMENT


def _check_predictions(predicted: Sequence[str]) -> None:
    for i, label in enumerate(predicted):
        if label not in NLI_LABELS:
            raise ValueError(f"prediction #{i} is {label!r}; expected one of {NLI_LABELS}")


def _source_report(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """One source: binary when its gold holds ``not_entailment``, 3-way otherwise."""
    if NOT_ENTAILMENT in gold:
        g = [binary_label(x) for x in gold]
        p = [binary_label(x) for x in predicted]
        return {"kind": "binary", **label_scores(g, p, present_labels(g, BINARY_LABELS)).to_dict()}
    report = label_scores(gold, predicted, present_labels(gold, NLI_LABELS))
    return {"kind": "3-way", **report.to_dict()}


def score_nli_dev(pairs: Sequence[Pair], predicted: Sequence[str]) -> dict[str, Any]:
    """Per-source and overall scores of argmax labels aligned with `pairs` (module docstring).

    Pass the dev split (`dev_split`): the function scores whatever it is given, so that a sample
    (``claims eval nli --limit``) is scored the same way.
    """
    if len(pairs) != len(predicted):
        raise ValueError(f"{len(pairs)} pairs but {len(predicted)} predictions")
    _check_predictions(predicted)
    by_source: dict[str, tuple[list[str], list[str]]] = {}
    for pair, label in zip(pairs, predicted, strict=True):
        gold, guess = by_source.setdefault(pair.source, ([], []))
        gold.append(pair.label)
        guess.append(label)
    per_source = {s: _source_report(g, p) for s, (g, p) in sorted(by_source.items())}
    three_way = [(g, p) for s, (gs, ps) in by_source.items() for g, p in zip(gs, ps, strict=True)
                 if per_source[s]["kind"] == "3-way"]  # fmt: skip
    gold_3 = [g for g, _ in three_way]
    overall = label_scores(gold_3, [p for _, p in three_way], present_labels(gold_3, NLI_LABELS))
    return {
        "n_pairs": len(pairs),
        "per_source": per_source,
        "overall": {"kind": "3-way, non-binary sources", **overall.to_dict()},
    }


# --------------------------------------------------------------------------------------------------
# Conflict corpora read through the model


def emergent_pairs(
    claims: Sequence[EmergentClaim],
    hypothesis: Callable[[EmergentClaim], str] = lambda c: c.claim_text,
) -> list[tuple[str, str]]:
    """(premise = article headline, hypothesis = claim) per headline, claims in order: does the
    outlet's headline state the claim? Climate-FEVER's claims load the same way, with the
    evidence sentence as the "headline", so there the premise is the evidence, as in training.
    `hypothesis` lets the runner pass the rules' `reference_text` (a "Claim ..." label removed)."""
    return [(h.headline, hypothesis(c)) for c in claims for h in c.headlines]


def emergent_stances(
    claims: Sequence[EmergentClaim], labels: Sequence[str]
) -> dict[str, dict[str, str]]:
    """claim id → article id → stance, from labels aligned with `emergent_pairs(claims)`."""
    n_headlines = sum(len(c.headlines) for c in claims)
    if len(labels) != n_headlines:
        raise ValueError(f"{n_headlines} headlines but {len(labels)} labels")
    _check_predictions(labels)
    out: dict[str, dict[str, str]] = {}
    at = 0
    for c in claims:
        out[c.claim_id] = {
            h.article_id: NLI_TO_EMERGENT[labels[at + i]] for i, h in enumerate(c.headlines)
        }
        at += len(c.headlines)
    return out


def conflict_flags(stances: Mapping[str, Mapping[str, str]]) -> dict[str, bool]:
    """The gold rule applied to predicted stances: ≥ 1 ``for`` and ≥ 1 ``against``."""
    return {claim: is_conflicting(per.values()) for claim, per in stances.items()}


def normalise_headline(text: str) -> str:
    """Case and whitespace folded, so that re-typed copies of one headline match."""
    return " ".join(text.casefold().split())


def emergent_headlines(claims: Iterable[EmergentClaim]) -> frozenset[str]:
    """Every Emergent claim and article headline, normalised."""
    texts = (t for c in claims for t in (c.claim_text, *(h.headline for h in c.headlines)))
    return frozenset(normalise_headline(t) for t in texts)


def without_headlines(pairs: Sequence[FncPair], headlines: frozenset[str]) -> list[FncPair]:
    """The FNC-1 pairs whose headline is not in `headlines` (normalised), in order.

    FNC-1 was built from Emergent's headlines; the rules were developed on Emergent, so pairs that
    share a headline with it are not unseen data for the comparison."""
    return [p for p in pairs if normalise_headline(p.headline) not in headlines]


def fnc_stances(related: Sequence[bool], labels: Sequence[str]) -> list[str]:
    """Four-way stances: ``unrelated`` where `related` is false, else the model's label mapped
    (`NLI_TO_FNC`); `labels` holds one label per related pair, in order."""
    if sum(related) != len(labels):
        raise ValueError(f"{sum(related)} related pairs but {len(labels)} labels")
    _check_predictions(labels)
    given = iter(labels)
    return [NLI_TO_FNC[next(given)] if r else "unrelated" for r in related]


def predict_unique(
    classifier: NliClassifier, pairs: Sequence[tuple[str, str]]
) -> tuple[list[str], float]:
    """Argmax labels for `pairs` (each distinct pair scored once, in one `predict` call) and the
    seconds spent in `predict`. FNC-1 repeats (headline, body) rows, Emergent repeats headlines."""
    unique = list(dict.fromkeys(pairs))
    started = time.perf_counter()
    scores = classifier.predict(unique)
    seconds = time.perf_counter() - started
    label = {pair: s.label for pair, s in zip(unique, scores, strict=True)}
    return [label[p] for p in pairs], seconds


# --------------------------------------------------------------------------------------------------
# The dev split


def dev_split(pairs: Iterable[Pair]) -> list[Pair]:
    return [p for p in pairs if p.split == "dev"]


def sample(items: Sequence[T], limit: int | None, seed: int = 0) -> list[T]:
    """At most `limit` items, a seeded sample in input order (the pairs file is sorted by
    source, so its first N rows would all come from one source)."""
    if limit is None or limit >= len(items):
        return list(items)
    keep = sorted(random.Random(seed).sample(range(len(items)), limit))
    return [items[i] for i in keep]


def run_nli_dev(data: Path, classifier: NliClassifier, limit: int | None = None) -> dict[str, Any]:
    """Score the model on the dev split of `data` (a pairs.jsonl or its folder), with its speed.

    Loading is timed apart from predicting, so ``pairs_per_second`` is the cost per pair of a
    warm model, the figure a pipeline run pays."""
    from claims.training.nli import read_pairs

    pairs = sample(dev_split(read_pairs(data)), limit)
    started = time.perf_counter()
    classifier.warm_up()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    scores = classifier.predict([(p.premise, p.hypothesis) for p in pairs])
    seconds = time.perf_counter() - started
    report = score_nli_dev(pairs, [s.label for s in scores])
    report.update(
        weights=str(classifier.weights_dir),
        limit=limit,
        load_seconds=round(loaded, 1),
        predict_seconds=round(seconds, 1),
        pairs_per_second=round(len(pairs) / seconds, 1) if seconds > 0 else None,
    )
    return report


_SHORT = {"entailment": "E", "neutral": "N", "contradiction": "C", NOT_ENTAILMENT: "¬E"}


def render_nli_dev(report: Mapping[str, Any], console: Console, title: str) -> None:
    """A row per source and one overall: kind, pairs, accuracy, macro-F1 and per-label F1."""
    table = Table(title=title)
    for column in ("source", "kind", "pairs", "accuracy", "macro-F1", "F1 per label"):
        table.add_column(column, justify="left" if column in {"source", "kind"} else "right")
    rows = [*report["per_source"].items(), ("overall", report["overall"])]
    for name, block in rows:
        per_label = ", ".join(f"{_SHORT[k]} {v['f1']:.3f}" for k, v in block["per_class"].items())
        table.add_row(
            name, block["kind"], str(block["n_pairs"]), f"{block['accuracy']:.3f}",
            f"{block['macro_f1']:.3f}", per_label,
        )  # fmt: skip
    rate = report.get("pairs_per_second")
    if rate is not None:
        table.caption = (
            f"{report['n_pairs']} pairs in {report['predict_seconds']} s: {rate} pairs/s "
            f"(model load {report['load_seconds']} s); weights {report['weights']}"
        )
    console.print(table)
