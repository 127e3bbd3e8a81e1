"""Claim-matching metrics and the CheckThat! loader, on small written files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from claims.evaluation.matching import (
    load_checkthat,
    rank_by_similarity,
    score_rankings,
    tfidf_vectors,
)


def test_map_mrr_recall_by_hand() -> None:
    relevant = {"q1": frozenset({"a"}), "q2": frozenset({"b", "c"})}
    rankings = {"q1": ["x", "a", "y"], "q2": ["b", "x", "y", "z", "w", "c"]}
    s = score_rankings(rankings, relevant)
    # q1: AP@5 = (1/1)(1/2) = 0.5, RR = 1/2; q2: AP@5 = (1/2)(1/1) = 0.5 ("c" is 6th), RR = 1
    assert s.queries == 2
    assert s.map_at_5 == pytest.approx(0.5)
    assert s.mrr == pytest.approx(0.75)
    assert s.recall[1] == pytest.approx((0 + 0.5) / 2)
    assert s.recall[5] == pytest.approx((1 + 0.5) / 2)
    assert s.recall[10] == pytest.approx(1.0)


def test_unranked_query_scores_zero() -> None:
    s = score_rankings({}, {"q": frozenset({"a"})})
    assert (s.map_at_5, s.mrr, s.recall[10]) == (0.0, 0.0, 0.0)


def test_rank_by_similarity_orders_best_first() -> None:
    claims = np.eye(3, dtype=np.float32)
    queries = np.array([[0.1, 0.9, 0.2]], dtype=np.float32)
    assert rank_by_similarity(queries, claims, ["q"], ["a", "b", "c"]) == {"q": ["b", "c", "a"]}


def test_tfidf_ranks_the_shared_words_first() -> None:
    claims = ["The mayor took bribes from builders", "Floods closed the bridge"]
    q, c = tfidf_vectors(["bridge closed by floods"], claims)
    assert rank_by_similarity(q, c, ["q"], ["bribes", "floods"])["q"][0] == "floods"


def test_load_checkthat(checkthat_dir: Path) -> None:
    corpus = load_checkthat(checkthat_dir, "dev")
    assert corpus.claims == {"0": "The mayor took bribes.", "1": 'The bridge "collapsed" in May.'}
    assert corpus.queries["t1"] == 'So the bridge "collapsed" — in May!'
    assert corpus.relevant == {"t1": frozenset({"1"}), "t2": frozenset({"0"})}


def test_load_checkthat_rejects_unknown_ids_and_splits(checkthat_dir: Path) -> None:
    (checkthat_dir / "dev" / "tweet-vclaim-pairs.qrels").write_text("t1\t0\t7\t1\n")
    with pytest.raises(ValueError, match="unknown tweet"):
        load_checkthat(checkthat_dir, "dev")
    with pytest.raises(ValueError, match="split must be"):
        load_checkthat(checkthat_dir, "test")
    with pytest.raises(FileNotFoundError, match="tweets file"):
        load_checkthat(checkthat_dir, "train")
