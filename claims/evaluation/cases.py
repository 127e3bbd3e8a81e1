"""Score a `Comparison` against the multi-outlet incident cases of ``shared/eval/cases``.

Each case is one news situation told by several outlets (``documents.jsonl``) with a
fact-checker's gold (``gold.json``): which reports are about the same incident, which named
statements conflict (and why), which corroborate, which must not be called conflicting, which
reports are one source, and who reported a fact first. The other corpora score one step each
(attribution, incident grouping, stance); these cases score what the product is for, end to end.

Gold statements are named regular-expression patterns, not claim ids, because the gold must not
depend on how a system splits and numbers its claims. A pattern matches an extracted claim when its
``claimant`` regex is found in the claim's claimant name, its ``content`` regex in the claim's
content text (both case-insensitive), and, when ``docs`` is given, the claim comes from one of those
documents. A name may match several claims (the same statement in several reports); any will do.

Metric (the README's ``claims eval cases``)
-------------------------------------------
*Incidents.* B³ P/R/F1 over the documents (`claims.evaluation.incidents.bcubed`); a document's
predicted cluster is its ``documents[].incident``.

*Reported relations* are collected over all incidents and deduplicated on
``(min(a, b), max(a, b), type, reason code)``: an incident may repeat a relation another incident
holds, and counting it twice would weigh a system's output by how it happens to nest incidents.
Claims are looked up by id across all incidents (a claim id in two incidents is one claim).

*Conflicts.* A reported ``conflicts`` relation matches a gold conflict when one of its claims
matches pattern ``a`` and the other pattern ``b`` (either order). Recall = gold conflicts matched
by at least one reported conflict / gold conflicts; precision = reported conflicts matching at
least one gold conflict / reported conflicts (the gold list is exhaustive, so any other is a false
conflict); reason accuracy = matched gold conflicts for which some matching relation carries the
gold reason code / matched gold conflicts.

*Corroborations.* Recall of the gold pairs over reported ``corroborates`` relations, either order.

*Neutral violations.* Neutral pairs matched by a reported conflict that matches no gold conflict.
Only false conflicts count: a compound claim may match both a gold conflict and a neutral pair,
and flagging the real conflict must not be punished.

*Same source.* A group is found when every two of its documents are joined by a ``wire_copy``
provenance edge (either direction, any incident).

*First report.* For each named claim, the fact (over all incidents, in output order) holding the
most claims matching the pattern is taken, ties going to the first; it is right when its
``first_claim_id`` is a claim of the expected document. No fact holding a match is wrong.

Every ratio with a zero denominator is 0.0, as in `claims.evaluation.conflicts`. Scores keep
counts, not only ratios, so that `summarise` can pool cases exactly (micro averages); B³ is the
mean over cases, since each case is its own set of documents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from claims.evaluation.incidents import bcubed
from claims.evaluation.records import json_records
from claims.models import Document

CONFLICT_REASONS: frozenset[str] = frozenset(
    {"numeric", "denial", "role_swap", "time", "place", "cause", "identity", "negation", "other"}
)
"""The gold reason codes the README allows; anything else in a gold file is a typo."""

_SHORTEN = 80


# --------------------------------------------------------------------------------------------------
# Gold


@dataclass(frozen=True)
class ClaimPattern:
    """A named gold statement: regexes over an extracted claim's claimant and content."""

    name: str
    claimant: re.Pattern[str]
    content: re.Pattern[str]
    docs: tuple[str, ...] | None = None
    """Documents the claim may come from; ``None`` allows any."""

    def matches(self, claim: Mapping[str, Any]) -> bool:
        """Whether ``claim`` (a `claims.models.Claim` as JSON) is this statement."""
        view = _ClaimView.of(claim)
        return self._matches(view)

    def _matches(self, claim: _ClaimView) -> bool:
        return (
            (self.docs is None or claim.document_id in self.docs)
            and self.claimant.search(claim.claimant) is not None
            and self.content.search(claim.text) is not None
        )


@dataclass(frozen=True)
class CaseGold:
    """A case's ``gold.json``, with names checked and regexes compiled."""

    about: str
    incidents: list[list[str]]
    claims: dict[str, ClaimPattern]
    conflicts: list[tuple[str, str, str]]
    """``(a, b, reason)`` claim names and reason code."""
    corroborations: list[tuple[str, str]]
    neutral: list[tuple[str, str, str]]
    """``(a, b, why)``: pairs that must not be called conflicting."""
    same_source: list[list[str]]
    first_report: dict[str, str]
    """Claim name → the document that reported it first."""


@dataclass(frozen=True)
class Case:
    """One case: its folder name, its reports (file order) and its gold."""

    name: str
    documents: list[Document]
    gold: CaseGold


def load_case(directory: Path) -> Case:
    """Read ``directory/documents.jsonl`` and ``directory/gold.json`` into a `Case`.

    The gold is checked against the documents (every document in exactly one incident; every
    claim name and document id it uses defined): a typo in a gold file would otherwise read as a
    system error, silently, in every later run. Errors name the file (and line).
    """
    directory = Path(directory)
    documents = _load_documents(directory / "documents.jsonl")
    gold = _load_gold(directory / "gold.json", [doc.id for doc in documents])
    return Case(name=directory.name, documents=documents, gold=gold)


def load_cases(root: Path) -> list[Case]:
    """Every subfolder of ``root`` holding a ``gold.json``, as cases sorted by folder name."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"cases folder not found: {root}")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and (p / "gold.json").is_file())
    if not folders:
        raise ValueError(f"{root}: no case folders (subfolders holding a gold.json)")
    return [load_case(folder) for folder in folders]


def _load_documents(path: Path) -> list[Document]:
    documents: list[Document] = []
    seen: set[str] = set()
    for where, record in json_records(path, "case documents file"):
        doc_id = _string(record, "id", where)
        if doc_id in seen:
            raise ValueError(f"{where}: duplicate document id {doc_id!r}")
        seen.add(doc_id)
        raw_date = _optional_string(record, "published_at", where)
        published_at = None
        if raw_date is not None:
            try:
                published_at = datetime.fromisoformat(raw_date)
            except ValueError as error:
                raise ValueError(f"{where}: bad published_at {raw_date!r}") from error
        documents.append(
            Document(
                id=doc_id,
                text=_string(record, "text", where),
                title=_optional_string(record, "title", where),
                url=_optional_string(record, "url", where),
                outlet=_optional_string(record, "outlet", where),
                published_at=published_at,
            )
        )
    if not documents:
        raise ValueError(f"{path}: no documents")
    return documents


def _string(record: Mapping[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: field {key!r} should be a non-empty string, got {value!r}")
    return value


def _optional_string(record: Mapping[str, Any], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: field {key!r} should be a string, got {value!r}")
    return value or None


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ValueError(f"{where}: expected a list of strings, got {value!r}")
    return list(value)


def _objects(data: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise ValueError(f"{where}: {key!r} should be a list of objects")
    return list(value)


def _load_gold(path: Path, doc_ids: Sequence[str]) -> CaseGold:
    if not path.is_file():
        raise FileNotFoundError(f"case gold file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: invalid JSON: {error}") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    known_docs = set(doc_ids)

    def check_docs(ids: Iterable[str], what: str) -> None:
        unknown = sorted(set(ids) - known_docs)
        if unknown:
            raise ValueError(f"{path}: {what} names unknown document(s) {unknown}")

    raw_incidents = data.get("incidents")
    if not isinstance(raw_incidents, list):
        raise ValueError(f"{path}: 'incidents' should be a list of lists of document ids")
    incidents = [_string_list(group, f"{path}: incidents") for group in raw_incidents]
    grouped = [doc for group in incidents for doc in group]
    check_docs(grouped, "incidents")
    if len(grouped) != len(set(grouped)) or set(grouped) != known_docs:
        raise ValueError(f"{path}: 'incidents' must hold every document exactly once")

    raw_claims = data.get("claims", {})
    if not isinstance(raw_claims, dict):
        raise ValueError(f"{path}: 'claims' should be an object of named patterns")
    claims = {
        name: _pattern(name, spec, f"{path}: claim {name!r}") for name, spec in raw_claims.items()
    }
    for pattern in claims.values():
        check_docs(pattern.docs or (), f"claim {pattern.name!r}")

    def names(record: Mapping[str, Any], keys: Sequence[str], what: str) -> list[str]:
        values = [_string(record, key, f"{path}: {what}") for key in keys]
        for name in values[:2]:
            if name not in claims:
                raise ValueError(f"{path}: {what} uses undefined claim {name!r}")
        return values

    conflicts: list[tuple[str, str, str]] = []
    for record in _objects(data, "conflicts", str(path)):
        a, b, reason = names(record, ("a", "b", "reason"), "conflict")
        if reason not in CONFLICT_REASONS:
            raise ValueError(f"{path}: conflict {a} / {b} has unknown reason {reason!r}")
        conflicts.append((a, b, reason))
    corroborations: list[tuple[str, str]] = []
    for record in _objects(data, "corroborations", str(path)):
        a, b = names(record, ("a", "b"), "corroboration")
        corroborations.append((a, b))
    neutral: list[tuple[str, str, str]] = []
    for record in _objects(data, "neutral", str(path)):
        a, b = names(record, ("a", "b"), "neutral pair")
        neutral.append((a, b, _optional_string(record, "why", str(path)) or ""))

    raw_same = data.get("same_source", [])
    if not isinstance(raw_same, list):
        raise ValueError(f"{path}: 'same_source' should be a list of lists of document ids")
    same_source = [_string_list(group, f"{path}: same_source") for group in raw_same]
    check_docs((doc for group in same_source for doc in group), "same_source")

    raw_first = data.get("first_report", {})
    if not isinstance(raw_first, dict) or not all(isinstance(v, str) for v in raw_first.values()):
        raise ValueError(f"{path}: 'first_report' should map claim names to document ids")
    for name in raw_first:
        if name not in claims:
            raise ValueError(f"{path}: first_report uses undefined claim {name!r}")
    check_docs(raw_first.values(), "first_report")

    about = data.get("about", "")
    return CaseGold(
        about=about if isinstance(about, str) else "",
        incidents=incidents,
        claims=claims,
        conflicts=conflicts,
        corroborations=corroborations,
        neutral=neutral,
        same_source=same_source,
        first_report=dict(raw_first),
    )


def _pattern(name: str, spec: Any, where: str) -> ClaimPattern:
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: expected an object with 'claimant' and 'content'")
    regexes: list[re.Pattern[str]] = []
    for key in ("claimant", "content"):
        source = _string(spec, key, where)
        try:
            regexes.append(re.compile(source, re.IGNORECASE))
        except re.error as error:
            raise ValueError(f"{where}: bad {key} regex {source!r}: {error}") from error
    docs = spec.get("docs")
    return ClaimPattern(
        name=name,
        claimant=regexes[0],
        content=regexes[1],
        docs=None if docs is None else tuple(_string_list(docs, f"{where}: docs")),
    )


# --------------------------------------------------------------------------------------------------
# What a comparison reported


@dataclass(frozen=True)
class _ClaimView:
    """The four fields of a reported claim the metric reads."""

    id: str
    document_id: str
    claimant: str
    text: str

    @classmethod
    def of(cls, claim: Mapping[str, Any]) -> _ClaimView:
        claimant = claim.get("claimant")
        content = claim.get("content")
        return cls(
            id=str(claim.get("id", "")),
            document_id=str(claim.get("document_id", "")),
            claimant=str(claimant.get("name") or "") if isinstance(claimant, Mapping) else "",
            text=str(content.get("text") or "") if isinstance(content, Mapping) else "",
        )


@dataclass(frozen=True)
class ReportedRelation:
    """A reported relation with its two claims spelled out, for error listings."""

    a: str
    b: str
    type: str
    reason: str
    """The reason code (``numeric``, ``denial``, ...)."""
    a_claimant: str
    a_text: str
    a_document: str
    b_claimant: str
    b_text: str
    b_document: str

    def describe(self, width: int = _SHORTEN) -> str:
        """``claimant: "text" [doc] vs claimant: "text" [doc] (reason)``, texts shortened."""
        left = f'{self.a_claimant}: "{_shorten(self.a_text, width)}" [{self.a_document}]'
        right = f'{self.b_claimant}: "{_shorten(self.b_text, width)}" [{self.b_document}]'
        return f"{left} vs {right} ({self.reason})"

    def to_dict(self) -> dict[str, str]:
        return {
            "a": self.a,
            "b": self.b,
            "type": self.type,
            "reason": self.reason,
            "a_claimant": self.a_claimant,
            "a_text": self.a_text,
            "a_document": self.a_document,
            "b_claimant": self.b_claimant,
            "b_text": self.b_text,
            "b_document": self.b_document,
        }


@dataclass(frozen=True)
class _Reported:
    """The parts of a comparison's JSON the metric reads, flattened over incidents."""

    claims: dict[str, _ClaimView]
    relations: list[ReportedRelation]
    wire_pairs: set[frozenset[str]]
    facts: list[tuple[str, list[str], str]]
    """``(fact id, claim ids, first claim id)`` in output order."""
    predicted: dict[str, str]

    @classmethod
    def of(cls, comparison: Mapping[str, Any]) -> _Reported:
        incidents = [i for i in comparison.get("incidents") or [] if isinstance(i, Mapping)]
        claims: dict[str, _ClaimView] = {}
        for incident in incidents:
            for raw in incident.get("claims") or []:
                view = _ClaimView.of(raw)
                claims.setdefault(view.id, view)
        relations: list[ReportedRelation] = []
        seen: set[tuple[str, str, str, str]] = set()
        wire_pairs: set[frozenset[str]] = set()
        facts: list[tuple[str, list[str], str]] = []
        for incident in incidents:
            for raw in incident.get("relations") or []:
                relation = _relation(raw, claims)
                key = (
                    min(relation.a, relation.b),
                    max(relation.a, relation.b),
                    relation.type,
                    relation.reason,
                )
                if key not in seen:
                    seen.add(key)
                    relations.append(relation)
            for edge in incident.get("provenance") or []:
                if edge.get("kind") == "wire_copy":
                    wire_pairs.add(frozenset((str(edge.get("source")), str(edge.get("target")))))
            for fact in incident.get("facts") or []:
                facts.append(
                    (
                        str(fact.get("id", "")),
                        [str(c) for c in fact.get("claim_ids") or []],
                        str(fact.get("first_claim_id", "")),
                    )
                )
        predicted = {
            str(doc["id"]): str(doc["incident"])
            for doc in comparison.get("documents") or []
            if isinstance(doc, Mapping) and doc.get("incident") is not None
        }
        return cls(claims, relations, wire_pairs, facts, predicted)


def _relation(raw: Mapping[str, Any], claims: Mapping[str, _ClaimView]) -> ReportedRelation:
    a, b = str(raw.get("a", "")), str(raw.get("b", ""))
    reason = raw.get("reason")
    code = str(reason.get("code") or "") if isinstance(reason, Mapping) else ""
    missing = _ClaimView(id="", document_id="?", claimant="?", text="(claim not in output)")
    left, right = claims.get(a, missing), claims.get(b, missing)
    return ReportedRelation(
        a=a,
        b=b,
        type=str(raw.get("type", "")),
        reason=code,
        a_claimant=left.claimant,
        a_text=left.text,
        a_document=left.document_id,
        b_claimant=right.claimant,
        b_text=right.text,
        b_document=right.document_id,
    )


# --------------------------------------------------------------------------------------------------
# Scoring


@dataclass(frozen=True)
class WrongReason:
    """A matched gold conflict none of whose matching relations carries the gold reason."""

    a: str
    b: str
    gold: str
    reported: tuple[str, ...]
    """The reason codes the matching relations did carry."""


@dataclass(frozen=True)
class NeutralViolation:
    """A neutral pair that a false conflict relation matched."""

    a: str
    b: str
    why: str
    relation: ReportedRelation


@dataclass(frozen=True)
class FirstReport:
    """The first-report check of one named claim."""

    claim: str
    expected: str
    fact: str | None
    """The fact chosen (most matching claims), or ``None`` when no fact holds a match."""
    got: str | None
    """The document of that fact's first claim."""

    @property
    def right(self) -> bool:
        return self.got == self.expected


@dataclass(frozen=True)
class CaseScore:
    """One case's counts (micro-averageable), B³ and the per-item errors behind them."""

    name: str
    gold_conflicts: int
    matched_conflicts: int
    reported_conflicts: int
    true_reported_conflicts: int
    reason_correct: int
    gold_corroborations: int
    matched_corroborations: int
    neutral_total: int
    neutral_violations: list[NeutralViolation]
    same_source_total: int
    same_source_found: int
    first_total: int
    first_right: int
    b3: tuple[float, float, float]
    """B³ ``(precision, recall, F1)`` of the incident grouping."""
    missed_conflicts: list[tuple[str, str, str]] = field(default_factory=list)
    false_conflicts: list[ReportedRelation] = field(default_factory=list)
    wrong_reasons: list[WrongReason] = field(default_factory=list)
    missed_corroborations: list[tuple[str, str]] = field(default_factory=list)
    missed_same_source: list[list[str]] = field(default_factory=list)
    first_reports: list[FirstReport] = field(default_factory=list)
    unmatched_claims: list[str] = field(default_factory=list)
    """Gold claim names no reported claim matches: an extraction or attribution miss, which
    explains the conflict and first-report misses that follow from it."""

    @property
    def conflict_recall(self) -> float:
        return _ratio(self.matched_conflicts, self.gold_conflicts)

    @property
    def conflict_precision(self) -> float:
        return _ratio(self.true_reported_conflicts, self.reported_conflicts)

    @property
    def reason_accuracy(self) -> float:
        return _ratio(self.reason_correct, self.matched_conflicts)

    @property
    def corroboration_recall(self) -> float:
        return _ratio(self.matched_corroborations, self.gold_corroborations)

    def to_dict(self) -> dict[str, Any]:
        """Counts, ratios (4 decimals) and error lists, JSON-serialisable."""
        return {
            "case": self.name,
            **_count_dict(
                self.gold_conflicts,
                self.matched_conflicts,
                self.reported_conflicts,
                self.true_reported_conflicts,
                self.reason_correct,
                self.gold_corroborations,
                self.matched_corroborations,
            ),
            "neutral_total": self.neutral_total,
            "neutral_violations": len(self.neutral_violations),
            "same_source_total": self.same_source_total,
            "same_source_found": self.same_source_found,
            "first_total": self.first_total,
            "first_right": self.first_right,
            "b3_precision": round(self.b3[0], 4),
            "b3_recall": round(self.b3[1], 4),
            "b3_f1": round(self.b3[2], 4),
            "missed_conflicts": [list(c) for c in self.missed_conflicts],
            "false_conflicts": [r.to_dict() for r in self.false_conflicts],
            "wrong_reasons": [
                {"a": w.a, "b": w.b, "gold": w.gold, "reported": list(w.reported)}
                for w in self.wrong_reasons
            ],
            "neutral_violation_pairs": [
                {"a": v.a, "b": v.b, "why": v.why, "relation": v.relation.to_dict()}
                for v in self.neutral_violations
            ],
            "missed_corroborations": [list(c) for c in self.missed_corroborations],
            "missed_same_source": self.missed_same_source,
            "wrong_first_reports": [
                {"claim": f.claim, "expected": f.expected, "fact": f.fact, "got": f.got}
                for f in self.first_reports
                if not f.right
            ],
            "unmatched_claims": self.unmatched_claims,
        }


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _count_dict(
    gold_conflicts: int,
    matched_conflicts: int,
    reported_conflicts: int,
    true_reported_conflicts: int,
    reason_correct: int,
    gold_corroborations: int,
    matched_corroborations: int,
) -> dict[str, Any]:
    """The conflict and corroboration counts and ratios, shared by a case and the totals."""
    return {
        "conflict_recall": round(_ratio(matched_conflicts, gold_conflicts), 4),
        "conflict_precision": round(_ratio(true_reported_conflicts, reported_conflicts), 4),
        "reason_accuracy": round(_ratio(reason_correct, matched_conflicts), 4),
        "corroboration_recall": round(_ratio(matched_corroborations, gold_corroborations), 4),
        "gold_conflicts": gold_conflicts,
        "matched_conflicts": matched_conflicts,
        "reported_conflicts": reported_conflicts,
        "true_reported_conflicts": true_reported_conflicts,
        "reason_correct": reason_correct,
        "gold_corroborations": gold_corroborations,
        "matched_corroborations": matched_corroborations,
    }


def score_case(case: Case, comparison: dict[str, Any]) -> CaseScore:
    """Score ``comparison`` (``Comparison.model_dump(mode="json")``) on ``case`` (module
    docstring). Only ``documents`` and the incidents' ``claims``, ``relations``, ``facts`` and
    ``provenance`` are read; other keys are ignored, so the output may grow without breaking this.
    """
    gold = case.gold
    reported = _Reported.of(comparison)
    matching: dict[str, set[str]] = {
        name: {cid for cid, claim in reported.claims.items() if pattern._matches(claim)}
        for name, pattern in gold.claims.items()
    }

    def pair_matches(relation: ReportedRelation, a: str, b: str) -> bool:
        left, right = matching[a], matching[b]
        return (relation.a in left and relation.b in right) or (
            relation.a in right and relation.b in left
        )

    conflicts = [r for r in reported.relations if r.type == "conflicts"]
    matched = reason_correct = 0
    missed: list[tuple[str, str, str]] = []
    wrong_reasons: list[WrongReason] = []
    true_conflicts: set[int] = set()
    for a, b, reason in gold.conflicts:
        hits = [i for i, r in enumerate(conflicts) if pair_matches(r, a, b)]
        true_conflicts.update(hits)
        if not hits:
            missed.append((a, b, reason))
            continue
        matched += 1
        codes = tuple(dict.fromkeys(conflicts[i].reason for i in hits))
        if reason in codes:
            reason_correct += 1
        else:
            wrong_reasons.append(WrongReason(a, b, reason, codes))
    false_conflicts = [r for i, r in enumerate(conflicts) if i not in true_conflicts]

    violations: list[NeutralViolation] = []
    for a, b, why in gold.neutral:
        culprit = next((r for r in false_conflicts if pair_matches(r, a, b)), None)
        if culprit is not None:
            violations.append(NeutralViolation(a, b, why, culprit))

    corroborating = [r for r in reported.relations if r.type == "corroborates"]
    missed_corroborations = [
        (a, b)
        for a, b in gold.corroborations
        if not any(pair_matches(r, a, b) for r in corroborating)
    ]

    missed_same_source = [
        group
        for group in gold.same_source
        if not all(frozenset(pair) in reported.wire_pairs for pair in combinations(group, 2))
    ]

    first_reports = [
        _first_report(name, expected, matching[name], reported)
        for name, expected in gold.first_report.items()
    ]

    gold_clusters = {doc: f"gold-{i}" for i, group in enumerate(gold.incidents) for doc in group}
    return CaseScore(
        name=case.name,
        gold_conflicts=len(gold.conflicts),
        matched_conflicts=matched,
        reported_conflicts=len(conflicts),
        true_reported_conflicts=len(true_conflicts),
        reason_correct=reason_correct,
        gold_corroborations=len(gold.corroborations),
        matched_corroborations=len(gold.corroborations) - len(missed_corroborations),
        neutral_total=len(gold.neutral),
        neutral_violations=violations,
        same_source_total=len(gold.same_source),
        same_source_found=len(gold.same_source) - len(missed_same_source),
        first_total=len(first_reports),
        first_right=sum(f.right for f in first_reports),
        b3=bcubed(gold_clusters, reported.predicted),
        missed_conflicts=missed,
        false_conflicts=false_conflicts,
        wrong_reasons=wrong_reasons,
        missed_corroborations=missed_corroborations,
        missed_same_source=missed_same_source,
        first_reports=first_reports,
        unmatched_claims=[name for name, ids in matching.items() if not ids],
    )


def _first_report(name: str, expected: str, matches: set[str], reported: _Reported) -> FirstReport:
    best: tuple[int, str, str] | None = None  # (count, fact id, first claim id)
    for fact_id, claim_ids, first in reported.facts:
        count = len(matches.intersection(claim_ids))
        if count and (best is None or count > best[0]):
            best = (count, fact_id, first)
    if best is None:
        return FirstReport(name, expected, None, None)
    first_claim = reported.claims.get(best[2])
    return FirstReport(
        name, expected, best[1], first_claim.document_id if first_claim is not None else None
    )


def evaluate_cases(
    root: Path, compare: Callable[[list[Document]], dict[str, Any]]
) -> list[CaseScore]:
    """Load every case under ``root``, run ``compare`` on its documents and score the output.

    ``compare`` returns the comparison as JSON (``Comparison.model_dump(mode="json")``), so a
    saved output or another system's can be scored the same way as a live run.
    """
    return [score_case(case, compare(case.documents)) for case in load_cases(root)]


# --------------------------------------------------------------------------------------------------
# Totals and report


def summarise(scores: Sequence[CaseScore]) -> dict[str, Any]:
    """Micro totals over the cases (counts pooled, then divided) and the mean B³ P/R/F1.

    Pooling counts weighs a case by how much gold it has, so one case with a single conflict does
    not move the total as much as one with twelve; B³ is averaged because each case is scored on
    its own documents.
    """
    n = len(scores)
    totals = _count_dict(
        sum(s.gold_conflicts for s in scores),
        sum(s.matched_conflicts for s in scores),
        sum(s.reported_conflicts for s in scores),
        sum(s.true_reported_conflicts for s in scores),
        sum(s.reason_correct for s in scores),
        sum(s.gold_corroborations for s in scores),
        sum(s.matched_corroborations for s in scores),
    )
    return {
        "cases": n,
        **totals,
        "neutral_total": sum(s.neutral_total for s in scores),
        "neutral_violations": sum(len(s.neutral_violations) for s in scores),
        "same_source_total": sum(s.same_source_total for s in scores),
        "same_source_found": sum(s.same_source_found for s in scores),
        "first_total": sum(s.first_total for s in scores),
        "first_right": sum(s.first_right for s in scores),
        "b3_precision": round(sum(s.b3[0] for s in scores) / n, 4) if n else 0.0,
        "b3_recall": round(sum(s.b3[1] for s in scores) / n, 4) if n else 0.0,
        "b3_f1": round(sum(s.b3[2] for s in scores) / n, 4) if n else 0.0,
    }


def _shorten(text: str, width: int = _SHORTEN) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _cell(numerator: int, denominator: int) -> str:
    # A ratio over nothing is shown as a dash, not as the 0.0 the totals use.
    return f"{numerator / denominator:.2f}" if denominator else "–"


def render(scores: Sequence[CaseScore], console: Console, verbose: bool = False) -> None:
    """Print one row per case and an ``all`` row (micro totals, mean B³ F1); with ``verbose``,
    then list each case's missed gold conflicts, false conflicts, wrong reasons and neutral
    violations, which is what a developer needs to see why a number moved."""
    table = Table(title="Cases: comparing reports", caption=f"{len(scores)} cases")
    table.add_column("case")
    for column in (
        "B³ F1",
        "conflicts",
        "conflict P",
        "reason acc",
        "corrob.",
        "neutral viol.",
        "same source",
        "first",
    ):
        table.add_column(column, justify="right")
    for s in scores:
        table.add_row(
            s.name,
            f"{s.b3[2]:.2f}",
            f"{s.matched_conflicts}/{s.gold_conflicts}",
            _cell(s.true_reported_conflicts, s.reported_conflicts),
            _cell(s.reason_correct, s.matched_conflicts),
            f"{s.matched_corroborations}/{s.gold_corroborations}",
            f"{len(s.neutral_violations)}/{s.neutral_total}",
            f"{s.same_source_found}/{s.same_source_total}",
            f"{s.first_right}/{s.first_total}",
        )
    total = summarise(scores)
    table.add_section()
    table.add_row(
        "all",
        f"{total['b3_f1']:.2f}",
        f"{total['matched_conflicts']}/{total['gold_conflicts']}",
        _cell(total["true_reported_conflicts"], total["reported_conflicts"]),
        _cell(total["reason_correct"], total["matched_conflicts"]),
        f"{total['matched_corroborations']}/{total['gold_corroborations']}",
        f"{total['neutral_violations']}/{total['neutral_total']}",
        f"{total['same_source_found']}/{total['same_source_total']}",
        f"{total['first_right']}/{total['first_total']}",
        style="bold",
    )
    console.print(table)
    if not verbose:
        return
    for s in scores:
        lines: list[str] = []
        lines += [
            f"  missed conflict: {a} vs {b} ({reason})" for a, b, reason in s.missed_conflicts
        ]
        lines += [f"  false conflict: {r.describe()}" for r in s.false_conflicts]
        lines += [
            f"  wrong reason: {w.a} vs {w.b}: gold {w.gold}, got {', '.join(w.reported)}"
            for w in s.wrong_reasons
        ]
        lines += [
            f"  neutral violation: {v.a} vs {v.b} ({v.why}): {v.relation.describe()}"
            for v in s.neutral_violations
        ]
        lines += [f"  missed corroboration: {a} vs {b}" for a, b in s.missed_corroborations]
        lines += [f"  same source not found: {', '.join(g)}" for g in s.missed_same_source]
        lines += [
            f"  first report of {f.claim}: expected {f.expected}, got {f.got or 'no fact'}"
            for f in s.first_reports
            if not f.right
        ]
        if s.unmatched_claims:
            lines.append(f"  gold claims never extracted: {', '.join(s.unmatched_claims)}")
        if lines:
            console.print(f"[bold]{escape(s.name)}[/bold]")
            for line in lines:
                console.print(escape(line), highlight=False)
