"""The sparse average-linkage clusterer and the k-NN graph builders."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.metrics import adjusted_rand_score

from claims.comparison.cluster import average_linkage, knn_edges_dense, knn_edges_sparse


def _unit_rows(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("threshold", [0.1, 0.4, 0.7])
def test_cluster_average_linkage_matches_scipy_on_complete_graph(threshold: float) -> None:
    x = _unit_rows(80, 6, seed=1)
    sims = x @ x.T
    edges = [(i, j, float(sims[i, j])) for i in range(80) for j in range(i + 1, 80)]
    ours = average_linkage(80, edges, threshold)
    dist = np.clip(1 - sims, 0, None)
    np.fill_diagonal(dist, 0)
    tree = linkage(squareform(dist, checks=False), "average")
    reference = fcluster(tree, 1 - threshold, criterion="distance")
    assert len(set(ours)) == len(set(reference))
    assert adjusted_rand_score(ours, reference) == pytest.approx(1.0)


def test_cluster_average_linkage_no_edges_gives_singletons() -> None:
    assert average_linkage(4, [], 0.5) == [0, 1, 2, 3]


def test_cluster_average_linkage_uses_absent_edges_as_zero() -> None:
    # 0-1 merge first (0.9); {0,1} to 2 averages (0.8 + 0) / 2 = 0.4, the 0-2 edge being absent
    edges = [(0, 1, 0.9), (1, 2, 0.8)]
    assert len(set(average_linkage(3, edges, 0.45))) == 2
    assert len(set(average_linkage(3, edges, 0.35))) == 1


def test_cluster_knn_dense_and_sparse_agree() -> None:
    x = _unit_rows(50, 8, seed=2)
    dense = {(a, b) for a, b, _ in knn_edges_dense(x, 5, min_sim=0.0)}
    sparse_edges = {(a, b) for a, b, _ in knn_edges_sparse(sparse.csr_matrix(x), 5, min_sim=0.0)}
    assert dense == sparse_edges
    assert all(a < b for a, b in dense)


def test_cluster_knn_single_item_has_no_edges() -> None:
    assert knn_edges_dense(_unit_rows(1, 4, seed=3), 5, 0.0) == []
