"""Average-linkage clustering over a sparse similarity graph.

Exact agglomerative clustering is quadratic in time and memory (sklearn at 20k items: ~50 s and
~10 GB here). Incidents and facts are local: an item's cluster-mates are among its nearest
neighbours. So we build a k-nearest-neighbour graph (faiss for dense vectors, blocked sparse
products for TF-IDF) and run average linkage on it, treating absent edges as similarity 0. On a
complete graph this is exactly average linkage; on a k-NN graph it costs O(E log E).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

Edge = tuple[int, int, float]

EXACT_LIMIT = 20_000  # below this, exact k-NN (inner products) is fast enough


def knn_edges_dense(vectors: NDArray[np.float32], k: int, min_sim: float) -> list[Edge]:
    """Edges to each row's k most similar rows (cosine on L2-normalised rows), sim >= min_sim."""
    n = vectors.shape[0]
    if n < 2:
        return []
    k = min(k, n - 1)
    import faiss

    data = np.ascontiguousarray(vectors, dtype=np.float32)
    index: faiss.Index
    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(data.shape[1])
    else:
        index = faiss.IndexHNSWFlat(data.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = max(64, 2 * k)
    index.add(data)
    sims, ids = index.search(data, k + 1)
    return _edges_from_neighbours(ids, sims, min_sim)


def knn_edges_sparse(
    matrix: sparse.csr_matrix, k: int, min_sim: float, block: int = 2048
) -> list[Edge]:
    """Like `knn_edges_dense` for L2-normalised sparse rows (TF-IDF), in row blocks."""
    n = matrix.shape[0]
    if n < 2:
        return []
    k = min(k, n - 1)
    ids_all = np.empty((n, k + 1), dtype=np.int64)
    sims_all = np.empty((n, k + 1), dtype=np.float32)
    transposed = matrix.T.tocsc()
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        sims = (matrix[lo:hi] @ transposed).toarray().astype(np.float32)
        top = np.argpartition(-sims, kth=k, axis=1)[:, : k + 1]
        ids_all[lo:hi] = top
        sims_all[lo:hi] = np.take_along_axis(sims, top, axis=1)
    return _edges_from_neighbours(ids_all, sims_all, min_sim)


def _edges_from_neighbours(
    ids: NDArray[np.int64], sims: NDArray[np.float32], min_sim: float
) -> list[Edge]:
    best: dict[tuple[int, int], float] = {}
    for i in range(ids.shape[0]):
        for j, s in zip(ids[i], sims[i], strict=True):
            j = int(j)
            if j < 0 or j == i or s < min_sim:
                continue
            key = (i, j) if i < j else (j, i)
            best[key] = max(best.get(key, 0.0), float(s))
    return [(a, b, s) for (a, b), s in best.items()]


def average_linkage(n: int, edges: Iterable[Edge], threshold: float) -> list[int]:
    """Merge clusters while their average pairwise similarity is >= threshold.

    Returns a label per item (labels are 0..m-1 in order of first appearance).
    """
    sums: list[dict[int, float]] = [{} for _ in range(n)]
    size = [1] * n
    for a, b, s in edges:
        if a == b:
            continue
        sums[a][b] = sums[a].get(b, 0.0) + s
        sums[b][a] = sums[b].get(a, 0.0) + s
    heap: list[tuple[float, int, int]] = []
    for a in range(n):
        for b, s in sums[a].items():
            if a < b and s >= threshold:
                heapq.heappush(heap, (-s, a, b))
    alive = [True] * n
    parent = list(range(n))
    while heap:
        neg, a, b = heapq.heappop(heap)
        if not (alive[a] and alive[b]):
            continue
        current = sums[a].get(b, 0.0) / (size[a] * size[b])
        if abs(current + neg) > 1e-9:
            continue  # stale entry: a newer one for this pair is in the heap
        # merge b into a
        alive[b] = False
        parent[b] = a
        size[a] += size[b]
        for x, s in sums[b].items():
            if x == a:
                continue
            sums[a][x] = sums[a].get(x, 0.0) + s
            del sums[x][b]
            sums[x][a] = sums[a][x]
        sums[a].pop(b, None)
        sums[b] = {}
        for x, s in sums[a].items():
            avg = s / (size[a] * size[x])
            if avg >= threshold:
                lo, hi = (a, x) if a < x else (x, a)
                heapq.heappush(heap, (-avg, lo, hi))
    return _relabel([_find(parent, i) for i in range(n)])


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _relabel(roots: Sequence[int]) -> list[int]:
    mapping: dict[int, int] = {}
    return [mapping.setdefault(r, len(mapping)) for r in roots]
