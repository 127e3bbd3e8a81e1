"""Score conflict detection: Emergent claim-level flags and FNC-1 headline/body stance.

Two gold sources, both read from their files as distributed (see their READMEs):

*Emergent* (Ferreira & Vlachos, NAACL 2016), ``emergent.csv``: one row per (claim, article
headline) with columns ``claimId``, ``claimHeadline``, ``claimTruth``, ``articleId``,
``articleHeadline``, ``articleHeadlineStance`` (``for``, ``against`` or ``observing``), ``source``,
``url`` and ``split``. Rows are grouped by ``claimId`` into one multi-outlet cluster per claim.

*FNC-1* (Fake News Challenge stage 1), ``competition_test_stances.csv`` (``Headline``,
``Body ID``, ``Stance``) joined on ``Body ID`` with ``competition_test_bodies.csv`` (``Body ID``,
``articleBody``). Stances are ``agree``, ``disagree``, ``discuss`` and ``unrelated``.

Definitions
-----------
*Conflicting claim.* An Emergent claim is gold-conflicting when its headlines include at least one
``for`` and at least one ``against`` stance (``is_conflicting``); ``observing`` is neutral and never
makes or breaks a conflict. This is the rule of the Emergent README.

*Precision/recall.* For a class ``c``: ``P = TP / predicted c``, ``R = TP / gold c``,
``F1 = 2PR / (P + R)``; a ratio with a zero denominator is 0.0 (so a class never predicted and never
in the gold data has P = R = F1 = 0).

**Binary flags** (``score_flags``): the positive class is ``True`` (e.g. "conflicting"). The items
are the keys of the gold mapping; an item missing from the predictions counts as predicted
``False``, and predicted items absent from the gold mapping are ignored (so one prediction file can
be scored against any split). Accuracy is ``(TP + TN) / items``.

**FNC-1** (``score_fnc1``): gold and predicted stances are aligned sequences of the four labels.

1. *Per-class* P/R/F1 of each of the four labels, one-vs-rest; the ``disagree`` F1 is the conflict
   signal.
2. *Macro-F1*: the unweighted mean of the four per-class F1 (Hanselowski et al., COLING 2018,
   recommend it over the official score, which a classifier can inflate by ignoring the minority
   classes).
3. *Accuracy*: exact-label matches / pairs.
4. *Official FNC score*, for comparison with published work: per pair, +0.25 when gold and
   prediction agree on related vs ``unrelated`` (``agree``, ``disagree`` and ``discuss`` are
   related), and a further +0.75 when the gold stance is related and predicted exactly. The
   *relative* score divides by the score of the gold labels themselves.

Splits are keyed hashes (``split_items``), so claims, headlines or bodies in the held-out part are
unseen in the development part when the key is chosen accordingly.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from claims.evaluation.records import json_records

EMERGENT_STANCES: tuple[str, ...] = ("for", "against", "observing")
"""The Emergent ``articleHeadlineStance`` labels."""

FNC_STANCES: tuple[str, ...] = ("agree", "disagree", "discuss", "unrelated")
"""The FNC-1 stance labels, in the order reports show them."""

FNC_RELATED: frozenset[str] = frozenset({"agree", "disagree", "discuss"})
"""The FNC-1 labels that count as "related" for the official score."""

_EMERGENT_COLUMNS = (
    "claimId",
    "claimHeadline",
    "claimTruth",
    "articleId",
    "articleHeadline",
    "articleHeadlineStance",
    "source",
)

T = TypeVar("T")


# --------------------------------------------------------------------------------------------------
# Shared pieces


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _csv_rows(path: Path, required: Sequence[str], what: str) -> list[tuple[str, dict[str, str]]]:
    """Rows of a CSV with a header, each with a ``file:line`` location; checks required columns.

    ``utf-8-sig`` strips a byte-order mark, which spreadsheet exports add and which would otherwise
    rename the first column.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    rows: list[tuple[str, dict[str, str]]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [column for column in required if column not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; header is {header}")
        for row in reader:
            # line_num is the last physical line of the record (bodies can span several lines).
            where = f"{path}:{reader.line_num}"
            if None in row or any(row[column] is None for column in required):
                raise ValueError(f"{where}: wrong number of fields")
            rows.append((where, row))
    return rows


def split_items(
    items: Sequence[T],
    key: Callable[[T], str],
    held_out_fraction: float = 0.5,
    seed: str = "claims",
) -> tuple[list[T], list[T]]:
    """Split into ``(dev, held_out)`` by a keyed hash of ``key(item)``; both keep the input order.

    Items with the same key always fall on the same side, so keying FNC-1 pairs by ``body_id`` (or
    headline) or Emergent headlines by claim keeps the held-out groups unseen. Of the ``n`` distinct
    keys, the ``round(held_out_fraction * n)`` with the smallest ``sha256(seed + "\\0" + key)`` are
    held out: the split depends neither on input order nor on the Python process (``hash()`` is
    salted), sizes are exact in keys, and adding one key moves at most one key across the boundary.
    This is the scheme of ``claims.evaluation.attribution.split_articles``.
    """
    if not 0.0 <= held_out_fraction <= 1.0:
        raise ValueError(f"held_out_fraction must be in [0, 1], got {held_out_fraction}")
    keys = [key(item) for item in items]
    distinct = set(keys)

    def digest(value: str) -> bytes:
        return hashlib.sha256(f"{seed}\0{value}".encode()).digest()

    n_held_out = round(held_out_fraction * len(distinct))
    held_out_keys = set(sorted(distinct, key=digest)[:n_held_out])
    dev = [item for item, k in zip(items, keys, strict=True) if k not in held_out_keys]
    held_out = [item for item, k in zip(items, keys, strict=True) if k in held_out_keys]
    return dev, held_out


@dataclass(frozen=True)
class ClassScore:
    """Counts behind one class's P/R/F1, kept as counts so that pooled scores stay exact."""

    label: str
    true_positives: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return _ratio(self.true_positives, self.predicted)

    @property
    def recall(self) -> float:
        return _ratio(self.true_positives, self.gold)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    def to_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "true_positives": self.true_positives,
            "predicted": self.predicted,
            "gold": self.gold,
        }


def _cells(score: ClassScore) -> tuple[str, str, str]:
    return f"{score.precision:.4f}", f"{score.recall:.4f}", f"{score.f1:.4f}"


# --------------------------------------------------------------------------------------------------
# Emergent


@dataclass(frozen=True)
class Headline:
    """One article headline covering a claim, with its gold stance towards the claim."""

    article_id: str
    headline: str
    stance: str
    source: str | None = None
    """The outlet's domain (``source`` column), e.g. ``appleinsider.com``."""


@dataclass(frozen=True)
class EmergentClaim:
    """One claim with all headlines covering it (file order); see ``is_conflicting``."""

    claim_id: str
    claim_text: str
    headlines: tuple[Headline, ...]
    gold_conflicting: bool
    truth: str | None = None
    """``claimTruth``: ``true``, ``false`` or ``unknown``; for veracity aggregation."""


def is_conflicting(stances: Iterable[str]) -> bool:
    """The conflict rule: at least one ``for`` and at least one ``against`` (module docstring)."""
    seen = set(stances)
    return "for" in seen and "against" in seen


def load_emergent(path: Path) -> list[EmergentClaim]:
    """Read ``emergent.csv`` (a file, or a directory holding it) into claims, in first-seen order.

    Every stance must be one of ``EMERGENT_STANCES`` and every row of a claim must give the same
    claim text and truth, so that a re-serialisation error fails here, naming the line.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "emergent.csv"
    rows = _csv_rows(path, _EMERGENT_COLUMNS, "Emergent")
    texts: dict[str, tuple[str, str]] = {}
    headlines: dict[str, list[Headline]] = {}
    seen_articles: set[tuple[str, str]] = set()
    for where, row in rows:
        claim_id = row["claimId"].strip()
        article_id = row["articleId"].strip()
        stance = row["articleHeadlineStance"].strip()
        if not claim_id or not article_id:
            raise ValueError(f"{where}: empty claimId or articleId")
        if stance not in EMERGENT_STANCES:
            raise ValueError(
                f"{where}: unknown articleHeadlineStance {stance!r}; expected {EMERGENT_STANCES}"
            )
        claim = (row["claimHeadline"].strip(), row["claimTruth"].strip())
        if texts.setdefault(claim_id, claim) != claim:
            raise ValueError(
                f"{where}: claim {claim_id!r} has headline/truth {claim!r}, "
                f"earlier rows gave {texts[claim_id]!r}"
            )
        if (claim_id, article_id) in seen_articles:
            raise ValueError(
                f"{where}: second row for article {article_id!r} of claim {claim_id!r}"
            )
        seen_articles.add((claim_id, article_id))
        headlines.setdefault(claim_id, []).append(
            Headline(
                article_id=article_id,
                headline=row["articleHeadline"].strip(),
                stance=stance,
                source=row["source"].strip() or None,
            )
        )
    if not texts:
        raise ValueError(f"{path}: no rows")
    return [
        EmergentClaim(
            claim_id=claim_id,
            claim_text=text,
            headlines=tuple(headlines[claim_id]),
            gold_conflicting=is_conflicting(h.stance for h in headlines[claim_id]),
            truth=truth or None,
        )
        for claim_id, (text, truth) in texts.items()
    ]


@dataclass(frozen=True)
class BinaryReport:
    """Confusion counts of a binary flag (positive class ``True``) and the metrics derived."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int
    name: str = "conflicting"
    """What the positive class means, for the report title."""

    @property
    def n_items(self) -> int:
        return (
            self.true_positives + self.false_positives + self.false_negatives + self.true_negatives
        )

    @property
    def n_gold_positive(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def n_predicted_positive(self) -> int:
        return self.true_positives + self.false_positives

    @property
    def positive(self) -> ClassScore:
        return ClassScore(
            self.name, self.true_positives, self.n_predicted_positive, self.n_gold_positive
        )

    @property
    def precision(self) -> float:
        return self.positive.precision

    @property
    def recall(self) -> float:
        return self.positive.recall

    @property
    def f1(self) -> float:
        return self.positive.f1

    @property
    def accuracy(self) -> float:
        return _ratio(self.true_positives + self.true_negatives, self.n_items)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary, ratios rounded to 4 decimals."""
        return {
            "name": self.name,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "accuracy": round(self.accuracy, 4),
            "n_items": self.n_items,
            "n_gold_positive": self.n_gold_positive,
            "n_predicted_positive": self.n_predicted_positive,
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "true_negatives": self.true_negatives,
        }

    def render(self, console: Console) -> None:
        """Print the scores of the positive class and the confusion matrix."""
        scores = Table(
            title=f"Flag: {self.name}",
            caption=(
                f"{self.n_items} items, {self.n_gold_positive} gold / "
                f"{self.n_predicted_positive} predicted positive"
            ),
        )
        for column in ("class", "P", "R", "F1", "accuracy"):
            scores.add_column(column, justify="left" if column == "class" else "right")
        scores.add_row(self.name, *_cells(self.positive), f"{self.accuracy:.4f}")
        console.print(scores)
        confusion = Table(title="gold (rows) × predicted (columns)")
        confusion.add_column("")
        confusion.add_column("predicted yes", justify="right")
        confusion.add_column("predicted no", justify="right")
        confusion.add_row("gold yes", str(self.true_positives), str(self.false_negatives))
        confusion.add_row("gold no", str(self.false_positives), str(self.true_negatives))
        console.print(confusion)


def score_flags(
    gold: Mapping[str, bool], predicted: Mapping[str, bool], name: str = "conflicting"
) -> BinaryReport:
    """Score binary flags per item id; missing predictions are ``False`` (module docstring)."""
    tp = fp = fn = tn = 0
    for item, gold_flag in gold.items():
        predicted_flag = bool(predicted.get(item, False))
        if gold_flag and predicted_flag:
            tp += 1
        elif predicted_flag:
            fp += 1
        elif gold_flag:
            fn += 1
        else:
            tn += 1
    return BinaryReport(tp, fp, fn, tn, name=name)


def bootstrap_f1(
    gold: Mapping[str, bool],
    predicted: Mapping[str, bool],
    samples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """A 95% percentile interval of the flag F1, resampling items with replacement.

    With ~120 claims a split's F1 moves by several points when two or three claims change, so a
    bar such as 0.85 is read against this interval, not the point alone. Seeded: the same input
    gives the same interval."""
    rng = random.Random(seed)
    items = [(bool(g), bool(predicted.get(k, False))) for k, g in gold.items()]
    if not items:
        return 0.0, 0.0
    scores = []
    for _ in range(samples):
        tp = fp = fn = 0
        for g, p in rng.choices(items, k=len(items)):
            tp += g and p
            fp += p and not g
            fn += g and not p
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    scores.sort()
    return scores[int(0.025 * samples)], scores[int(0.975 * samples) - 1]


# --------------------------------------------------------------------------------------------------
# Climate-FEVER

CLIMATE_FEVER_STANCES = {"SUPPORTS": "for", "REFUTES": "against", "NOT_ENOUGH_INFO": "observing"}
"""Evidence labels as Emergent stances, so the Emergent rules and scoring apply unchanged."""


def load_climate_fever(path: Path) -> list[EmergentClaim]:
    """Read ``climate-fever.jsonl`` (a file, or a folder holding it) as Emergent-style claims: the
    claim is the reference, its five Wikipedia evidence sentences are the "headlines", and the
    gold flag is ``claim_label == "DISPUTED"`` (evidence both supports and refutes it), the
    analogue of a conflicting Emergent claim."""
    path = Path(path)
    if path.is_dir():
        path = path / "climate-fever.jsonl"
    out: list[EmergentClaim] = []
    for where, record in json_records(path, "Climate-FEVER file"):
        evidences = record.get("evidences")
        if not isinstance(evidences, list) or not evidences:
            raise ValueError(f"{where}: 'evidences' should be a non-empty list")
        headlines = []
        for e in evidences:
            label = e.get("evidence_label") if isinstance(e, dict) else None
            if label not in CLIMATE_FEVER_STANCES or not isinstance(e.get("evidence"), str):
                raise ValueError(f"{where}: bad evidence {e!r}")
            headlines.append(
                Headline(str(e.get("evidence_id")), e["evidence"], CLIMATE_FEVER_STANCES[label])
            )
        claim, label = record.get("claim"), record.get("claim_label")
        if not isinstance(claim, str) or not isinstance(label, str):
            raise ValueError(f"{where}: 'claim' and 'claim_label' should be strings")
        out.append(
            EmergentClaim(
                claim_id=str(record.get("claim_id")),
                claim_text=claim,
                headlines=tuple(headlines),
                gold_conflicting=label == "DISPUTED",
            )
        )
    if not out:
        raise ValueError(f"{path}: no claims")
    return out


# --------------------------------------------------------------------------------------------------
# FNC-1


@dataclass(frozen=True)
class FncPair:
    """One (headline, body) pair with its gold stance; ``body_id`` is the ``Body ID`` column."""

    headline: str
    body_id: int
    body_text: str
    stance: str


def _body_id(raw: str, where: str) -> int:
    try:
        return int(raw.strip())
    except ValueError as error:
        raise ValueError(f"{where}: Body ID should be an integer, got {raw!r}") from error


def load_fnc1(
    directory: Path,
    stances_file: str = "competition_test_stances.csv",
    bodies_file: str = "competition_test_bodies.csv",
) -> list[FncPair]:
    """Read the FNC-1 stances joined with their bodies, in the order of the stances file.

    Pass ``stances_file``/``bodies_file`` to read another part (e.g. the training files). Unknown
    stances, duplicate body ids and stances whose body is missing raise ValueError naming the file
    and line. Duplicate (headline, body) rows are kept: they are in the original data.
    """
    directory = Path(directory)
    bodies: dict[int, str] = {}
    for where, row in _csv_rows(
        directory / bodies_file, ("Body ID", "articleBody"), "FNC-1 bodies"
    ):
        body_id = _body_id(row["Body ID"], where)
        if body_id in bodies:
            raise ValueError(f"{where}: duplicate Body ID {body_id}")
        bodies[body_id] = row["articleBody"]
    pairs: list[FncPair] = []
    stance_rows = _csv_rows(directory / stances_file, ("Headline", "Body ID", "Stance"), "FNC-1")
    for where, row in stance_rows:
        body_id = _body_id(row["Body ID"], where)
        stance = row["Stance"].strip()
        if stance not in FNC_STANCES:
            raise ValueError(f"{where}: unknown Stance {stance!r}; expected {FNC_STANCES}")
        if body_id not in bodies:
            raise ValueError(f"{where}: Body ID {body_id} not in {directory / bodies_file}")
        pairs.append(FncPair(row["Headline"], body_id, bodies[body_id], stance))
    if not pairs:
        raise ValueError(f"{directory / stances_file}: no rows")
    return pairs


def _fnc_points(gold: str, predicted: str) -> float:
    """The official per-pair score (module docstring)."""
    points = 0.0
    if (gold in FNC_RELATED) == (predicted in FNC_RELATED):
        points += 0.25
    if gold in FNC_RELATED and gold == predicted:
        points += 0.75
    return points


@dataclass(frozen=True)
class FncReport:
    """Confusion matrix of FNC-1 stances and every metric of the module docstring."""

    confusion: tuple[tuple[int, ...], ...]
    """``confusion[g][p]``: pairs with gold ``FNC_STANCES[g]`` predicted ``FNC_STANCES[p]``."""
    fnc_score: float
    fnc_max_score: float

    def per_class(self) -> dict[str, ClassScore]:
        out: dict[str, ClassScore] = {}
        for index, label in enumerate(FNC_STANCES):
            out[label] = ClassScore(
                label=label,
                true_positives=self.confusion[index][index],
                predicted=sum(row[index] for row in self.confusion),
                gold=sum(self.confusion[index]),
            )
        return out

    @property
    def n_pairs(self) -> int:
        return sum(sum(row) for row in self.confusion)

    @property
    def disagree_f1(self) -> float:
        return self.per_class()["disagree"].f1

    @property
    def macro_f1(self) -> float:
        return sum(score.f1 for score in self.per_class().values()) / len(FNC_STANCES)

    @property
    def accuracy(self) -> float:
        correct = sum(self.confusion[i][i] for i in range(len(FNC_STANCES)))
        return _ratio(correct, self.n_pairs)

    @property
    def relative_fnc_score(self) -> float:
        return self.fnc_score / self.fnc_max_score if self.fnc_max_score else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary, ratios rounded to 4 decimals."""
        return {
            "n_pairs": self.n_pairs,
            "macro_f1": round(self.macro_f1, 4),
            "disagree_f1": round(self.disagree_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "fnc_score": self.fnc_score,
            "fnc_max_score": self.fnc_max_score,
            "relative_fnc_score": round(self.relative_fnc_score, 4),
            "per_class": {label: score.to_dict() for label, score in self.per_class().items()},
            "confusion": {
                gold: dict(zip(FNC_STANCES, row, strict=True))
                for gold, row in zip(FNC_STANCES, self.confusion, strict=True)
            },
        }

    def render(self, console: Console) -> None:
        """Print per-class scores with the summary metrics, then the confusion matrix."""
        scores = Table(
            title="FNC-1 stance",
            caption=(
                f"{self.n_pairs} pairs; accuracy {self.accuracy:.4f}; FNC score "
                f"{self.fnc_score:.2f} / {self.fnc_max_score:.2f} = {self.relative_fnc_score:.4f}"
            ),
        )
        for column in ("stance", "P", "R", "F1", "gold", "predicted"):
            scores.add_column(column, justify="left" if column == "stance" else "right")
        for label, score in self.per_class().items():
            scores.add_row(label, *_cells(score), str(score.gold), str(score.predicted))
        scores.add_row("macro", "—", "—", f"{self.macro_f1:.4f}", "", "")
        console.print(scores)
        confusion = Table(title="gold (rows) × predicted (columns)")
        confusion.add_column("")
        for label in FNC_STANCES:
            confusion.add_column(label, justify="right")
        for label, row in zip(FNC_STANCES, self.confusion, strict=True):
            confusion.add_row(label, *(str(count) for count in row))
        console.print(confusion)


def score_fnc1(gold_stances: Sequence[str], predicted: Sequence[str]) -> FncReport:
    """Score aligned stance sequences; every label must be one of ``FNC_STANCES``."""
    if len(gold_stances) != len(predicted):
        raise ValueError(f"{len(gold_stances)} gold stances but {len(predicted)} predictions")
    index = {label: i for i, label in enumerate(FNC_STANCES)}
    confusion = [[0] * len(FNC_STANCES) for _ in FNC_STANCES]
    fnc_score = fnc_max_score = 0.0
    for position, (gold, guess) in enumerate(zip(gold_stances, predicted, strict=True)):
        for side, label in (("gold", gold), ("predicted", guess)):
            if label not in index:
                raise ValueError(
                    f"{side} stance #{position} is {label!r}; expected one of {FNC_STANCES}"
                )
        confusion[index[gold]][index[guess]] += 1
        fnc_score += _fnc_points(gold, guess)
        fnc_max_score += _fnc_points(gold, gold)
    return FncReport(
        confusion=tuple(tuple(row) for row in confusion),
        fnc_score=fnc_score,
        fnc_max_score=fnc_max_score,
    )
