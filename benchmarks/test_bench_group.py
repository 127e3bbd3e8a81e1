"""Grouping cost per claim at 10k vs 100k synthetic claims (issue: near log-linear, not quadratic).

Synthetic 384-d unit vectors in clusters of ~20 stand in for claim embeddings; the stage measured is
the one `Comparer` uses for facts (k-NN graph + sparse average linkage). The figure of merit is the
ratio of per-claim cost at 100k to per-claim cost at 10k, both measured in this run: 1.0 is linear,
~1.25 is n log n, 10 is quadratic. For scale, sklearn's exact agglomerative clustering takes ~50 s
and ~10 GB at 20k here.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from claims.comparison.cluster import average_linkage, knn_edges_dense

SIZES = (10_000, 100_000)
_per_claim: dict[int, float] = {}


def _synthetic(n: int, dim: int = 384, per_cluster: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n // per_cluster, dim)).astype(np.float32)
    labels = rng.integers(0, len(centers), size=n)
    x = centers[labels] + 0.3 * rng.normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _group(vectors: np.ndarray) -> list[int]:
    edges = knn_edges_dense(vectors, 10, min_sim=0.3)
    return average_linkage(len(vectors), edges, 0.5)


@pytest.mark.benchmark(group="group")
@pytest.mark.parametrize("n", SIZES)
def test_bench_group_per_claim_cost(benchmark: Any, n: int) -> None:
    vectors = _synthetic(n)
    started = time.perf_counter()
    labels = benchmark.pedantic(_group, args=(vectors,), rounds=1, iterations=1)
    elapsed = time.perf_counter() - started
    assert len(labels) == n
    _per_claim[n] = elapsed / n
    benchmark.extra_info["per_claim_us"] = round(elapsed / n * 1e6, 1)
    if len(_per_claim) == len(SIZES):
        ratio = _per_claim[SIZES[1]] / _per_claim[SIZES[0]]
        benchmark.extra_info["per_claim_ratio_100k_vs_10k"] = round(ratio, 2)
        print(f"\nper-claim cost ratio 100k/10k: {ratio:.2f} (1 linear, 10 quadratic)")
