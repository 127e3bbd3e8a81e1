"""Score claim matching on CheckThat! 2020 Task 2: find the fact-checked claim a tweet makes.

Fact grouping and `GET /v1/claims/search` both decide whether two texts assert the same claim by
embedding similarity. This corpus measures that decision on real, externally judged pairs: for
each tweet (query), all 10,375 Snopes claims (``vclaim``) are ranked by cosine to the tweet, and
the ranking is scored against the qrels. A TF-IDF ranking is scored in the same run as the
baseline, so the embedding's worth is a difference measured here, not assumed.

Definitions (per query, then the mean over queries)
----------------------------------------------------
``R`` is the set of relevant claims for the query (from the qrels) and ``rank(c)`` the 1-based
position of claim ``c`` in the ranking.

- ``MAP@k`` (the task's official metric, trec_eval's ``map_cut_k``): ``AP@k = (1 / |R|) ·
  Σ_{i ≤ k, claim i relevant} precision@i``.
- ``MRR``: ``1 / min(rank(c) for c in R)`` (0 when none is ranked).
- ``Recall@k``: ``|R ∩ top k| / |R|``.

Queries without any relevant claim in the qrels are skipped (the task has none).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

Matrix: TypeAlias = NDArray[np.float32] | sparse.csr_matrix
"""Row vectors, L2-normalised: dense (embeddings) or sparse (TF-IDF)."""
Vectoriser: TypeAlias = Callable[[Sequence[str], Sequence[str]], tuple[Matrix, Matrix]]
"""(query texts, claim texts) → (query rows, claim rows)."""

KS = (1, 5, 10)
"""The cut-offs reported for recall; MAP uses 5, the task's official cut-off."""


@dataclass(frozen=True)
class MatchingCorpus:
    claims: dict[str, str]
    """vclaim id → the verified claim's text (the normalised ``vclaim`` column)."""
    queries: dict[str, str]
    """tweet id → tweet text."""
    relevant: dict[str, frozenset[str]]
    """tweet id → the ids of the claims it makes (only tweets that have at least one)."""


def _tsv_rows(path: Path, columns: int, what: str) -> list[tuple[str, list[str]]]:
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line_no, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not row or not "".join(row).strip():
                continue
            where = f"{path}:{line_no}"
            if len(row) < columns:
                raise ValueError(f"{where}: expected {columns} tab-separated columns, got {row!r}")
            rows.append((where, row))
    return rows


def load_checkthat(directory: Path, split: str = "dev") -> MatchingCorpus:
    """Read ``verified_claims.tsv``, ``{split}/tweets.queries.tsv`` and
    ``{split}/tweet-vclaim-pairs.qrels`` (``split`` is ``train``, ``dev`` or ``all`` for both).
    The two TSVs have a header row whose first cell is blank; qrels lines are ``tweet_id 0
    vclaim_id 1``. A qrel naming an unknown tweet or claim is an error, so a mismatched file
    fails here rather than as a lower score."""
    directory = Path(directory)
    splits = ("train", "dev") if split == "all" else (split,)
    if any(s not in {"train", "dev"} for s in splits):
        raise ValueError(f"split must be train, dev or all, got {split!r}")
    claims = {
        row[0].strip(): row[1].strip()
        for _, row in _tsv_rows(directory / "verified_claims.tsv", 3, "verified claims file")[1:]
    }
    queries: dict[str, str] = {}
    relevant: dict[str, set[str]] = {}
    for part in splits:
        rows = _tsv_rows(directory / part / "tweets.queries.tsv", 2, "tweets file")[1:]
        prefix = f"{part}:" if split == "all" else ""
        queries.update({prefix + row[0].strip(): row[1].strip() for _, row in rows})
        qrels = directory / part / "tweet-vclaim-pairs.qrels"
        if not qrels.is_file():
            raise FileNotFoundError(f"qrels file not found: {qrels}")
        for line_no, line in enumerate(qrels.read_text(encoding="utf-8").splitlines(), start=1):
            fields = line.split()
            if not fields:
                continue
            where = f"{qrels}:{line_no}"
            if len(fields) != 4:
                raise ValueError(f"{where}: expected 'tweet_id 0 vclaim_id 1', got {line!r}")
            tweet, claim = prefix + fields[0], fields[2]
            if tweet not in queries or claim not in claims:
                raise ValueError(f"{where}: unknown tweet {fields[0]!r} or claim {claim!r}")
            if fields[3] != "0":
                relevant.setdefault(tweet, set()).add(claim)
    if not claims or not relevant:
        raise ValueError(f"{directory}: no claims or no judged queries for split {split!r}")
    return MatchingCorpus(
        claims=claims,
        queries={q: t for q, t in queries.items() if q in relevant},
        relevant={q: frozenset(ids) for q, ids in relevant.items()},
    )


@dataclass(frozen=True)
class MatchingScores:
    queries: int
    map_at_5: float
    mrr: float
    recall: dict[int, float]

    def to_dict(self) -> dict[str, object]:
        return {
            "queries": self.queries,
            "map_at_5": round(self.map_at_5, 4),
            "mrr": round(self.mrr, 4),
            "recall": {str(k): round(v, 4) for k, v in self.recall.items()},
        }


def score_rankings(
    rankings: Mapping[str, Sequence[str]], relevant: Mapping[str, frozenset[str]]
) -> MatchingScores:
    """MAP@5, MRR and Recall@k of ranked claim ids per query (module docstring). A query with no
    ranking scores 0 on every measure."""
    judged = [q for q, ids in relevant.items() if ids]
    if not judged:
        return MatchingScores(0, 0.0, 0.0, dict.fromkeys(KS, 0.0))
    ap = rr = 0.0
    hits = dict.fromkeys(KS, 0.0)
    for query in judged:
        gold, ranked = relevant[query], list(rankings.get(query, ()))
        found = 0
        precision_sum = 0.0
        for i, claim in enumerate(ranked[:5], start=1):
            if claim in gold:
                found += 1
                precision_sum += found / i
        ap += precision_sum / len(gold)
        first = next((i for i, c in enumerate(ranked, start=1) if c in gold), None)
        rr += 1.0 / first if first else 0.0
        for k in KS:
            hits[k] += len(gold & set(ranked[:k])) / len(gold)
    n = len(judged)
    return MatchingScores(n, ap / n, rr / n, {k: v / n for k, v in hits.items()})


def rank_by_similarity(
    query_vectors: Matrix,
    claim_vectors: Matrix,
    query_ids: Sequence[str],
    claim_ids: Sequence[str],
    depth: int = 100,
) -> dict[str, list[str]]:
    """The `depth` claims with the highest inner product per query (rows L2-normalised: cosine),
    best first; ties keep the claims' order."""
    depth = min(depth, len(claim_ids))
    out: dict[str, list[str]] = {}
    for lo in range(0, len(query_ids), 256):
        block = query_vectors[lo : lo + 256] @ claim_vectors.T
        sims = _dense(block)
        top = np.argsort(-sims, axis=1, kind="stable")[:, :depth]
        for row, query in zip(top, query_ids[lo : lo + 256], strict=True):
            out[query] = [claim_ids[j] for j in row]
    return out


def _dense(block: object) -> NDArray[np.float32]:
    if sparse.issparse(block):
        return np.asarray(block.toarray(), dtype=np.float32)  # type: ignore[attr-defined]
    return np.asarray(block, dtype=np.float32)


def tfidf_vectors(queries: Sequence[str], claims: Sequence[str]) -> tuple[Matrix, Matrix]:
    """L2-normalised TF-IDF (word unigrams and bigrams, sublinear tf, English stop words) fitted on
    the claims: the lexical baseline."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    claim_matrix = vectorizer.fit_transform(claims).tocsr()
    return vectorizer.transform(queries).tocsr(), claim_matrix


def evaluate(
    corpus: MatchingCorpus, rankers: Mapping[str, Vectoriser]
) -> dict[str, MatchingScores]:
    """Scores per ranker, each ranking every claim for every judged query."""
    query_ids, claim_ids = list(corpus.queries), list(corpus.claims)
    out = {}
    for name, vectors in rankers.items():
        q, c = vectors(
            [corpus.queries[i] for i in query_ids], [corpus.claims[i] for i in claim_ids]
        )
        out[name] = score_rankings(rank_by_similarity(q, c, query_ids, claim_ids), corpus.relevant)
    return out
