"""The optional ONNX Runtime int8 embedder against the torch fp32 one it stands in for.

Skipped as a whole when onnxruntime is not installed: it is the optional `onnx` extra, and CI
installs `.[dev]` only. The module exports the model once (~15 s) into a temporary cache directory
shared by its tests; one torch thread and one ONNX Runtime thread, as in tests/test_embed.py.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip(
    "onnxruntime",
    reason="onnxruntime is not installed: the ONNX embedder is the optional extra "
    "`pip install -e '.[onnx]'`",
)

import claims.comparison.embed_onnx as embed_onnx
from claims.comparison.embed import (
    DEFAULT_EMBEDDING_MODEL,
    Embedder,
    SentenceTransformerEmbedder,
)
from claims.comparison.embed_onnx import OnnxEmbedder
from claims.errors import InputError, ModelNotAvailableError

DIMENSION = 384  # all-MiniLM-L6-v2

# Invented claim-like sentences: short and long, numbers, quotes, accents, a typo, a question.
SENTENCES = [
    "Six soldiers were killed in an ambush near the border on Monday, the army said.",
    "6 troops died.",
    "The central bank left interest rates unchanged on Tuesday.",
    "Police said the fire started in the kitchen of a third-floor flat shortly after midnight.",
    "The mayor disputed the figure, saying fewer than 200 people had been evacuated.",
    "“We will not resign,” the minister told reporters outside parliament.",
    "According to hospital officials, 14 of the injured remain in a critical condition.",
    "A UN envoy warned that food stocks in the camp would run out within a week.",
    "The company said output at the Velin plant would double by next spring.",
    "Rescue teams reached the village at dawn after the road was cleared.",
    "Residents of Karvel reported hearing two loud explosions before the power went out.",
    "The interior ministry denied that any protesters had been detained overnight.",
    "Officials said 3,400 homes were without water after the main pipe burst.",
    "Shares in the airline fell 12% after it cut its profit forecast.",
    "The storm is expected to make landfall late on Friday, forecasters said.",
    "Witnesses described a queue of ambulances stretching along the seafront.",
    "The governor said the toll could rise as crews search the collapsed block.",
    "Two ministers resigned within an hour of each other.",
    "Prices rose sharply.",
    "The bridge was closed.",
    "Is the ceasefire holding? Both sides say the other fired first.",
    "The court adjourned the case until March, citing missing evidence.",
    "Farmers blocked the motorway with tractors to protest against the new tax.",
    "Teachers in the northern province will strike on Thursday unless talks resume.",
    "The vaccine was 91 percent effective in preventing severe illness, the trial found.",
    "A spokesperson for the mill's owner said no jobs would be lost this year.",
    "The ferry, carrying 312 passengers, ran aground off the coast of Asteria.",
    "Journalists were barred from the hearing for the second day running.",
    "The opposition leader called the election result “a fraud from start to finish”.",
    "Nobody was hurt, the fire brigade said.",
    "Exports to the region fell by a third in the first quarter.",
    "The dam's operators opened the sluice gates to relieve pressure on the wall.",
    "Military sources said the drone was shot down over open farmland.",
    "The health ministry reported 48 new cases and no deaths in the past 24 hours.",
    "Café owners in Dunmore say tourism has not recovered since the floods.",
    "Thousands marched through the capital demanding the release of the detained activists.",
    "The refinery will stay shut until inspectors finish their report, the regulator said.",
    "An earthquake of magnitude 5.8 struck offshore early on Sunday; no tsunami warning was "
    "issued.",
    "The striker scored twice in the final ten minutes to win the cup.",
    "Scientists said the glacier had retreated 300 metres in a decade.",
    "The embassy advised its citizens to leave the country while commercial flights remain.",
    "The goverment has yet to comment on the leaked memo.",
    "Unemployment rose to 7.2 per cent, its highest level in four years.",
    "Local residents said the river burst its banks at about 3 a.m.",
    "The army commander claimed his forces had retaken the airport.",
    "Firefighters rescued a dog from the roof of a flooded house.",
    "Inflation slowed for a third straight month in October.",
    "The minister said 'no comment' and walked away.",
    "Hospital officials said the death toll had risen to 27, with dozens more missing, and "
    "appealed for blood donors as generators struggled to keep operating theatres running "
    "through the night while engineers worked to restore the grid.",
    "The minister said the figures were wrong.",
]

# Replies, not claims: a handful of tokens leaves int8 noise nothing to average out over, so these
# are the worst case (measured: mean ~0.977, min ~0.965 to fp32; claim-length texts ~0.993).
VERY_SHORT = ["Ok.", "Yes.", "Thanks!", "No comment.", "Denied.", "Fire.", "He said so."]


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_embedder(cache_dir: Path) -> OnnxEmbedder:
    emb = OnnxEmbedder(threads=1, cache_dir=cache_dir)
    emb.warm_up()
    return emb


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    emb = SentenceTransformerEmbedder(threads=1, cache_size=0)
    emb.warm_up()
    return emb


@pytest.fixture
def fresh(onnx_embedder: OnnxEmbedder) -> Iterator[OnnxEmbedder]:
    """The shared embedder with an empty cache, so a test sees only its own cache entries."""
    onnx_embedder.clear_cache()
    yield onnx_embedder
    onnx_embedder.clear_cache()


class CallCounter:
    """Wraps an embedder's `_encode` (what reaches the ONNX session); the real one still runs."""

    def __init__(self, encode: Any) -> None:
        self._encode = encode
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> Any:
        self.calls.append(list(texts))
        return self._encode(texts)


def count_calls(emb: OnnxEmbedder, monkeypatch: pytest.MonkeyPatch) -> CallCounter:
    counter = CallCounter(emb._encode)
    monkeypatch.setattr(emb, "_encode", counter)
    return counter


@pytest.fixture
def counter(fresh: OnnxEmbedder, monkeypatch: pytest.MonkeyPatch) -> CallCounter:
    return count_calls(fresh, monkeypatch)


def test_onnx_sentences_are_distinct() -> None:
    assert len(SENTENCES) == len(set(SENTENCES)) == 50


def test_onnx_cosine_to_torch_fp32(
    onnx_embedder: OnnxEmbedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    onnx_embedder.clear_cache()
    cos = cosine_rows(onnx_embedder.embed(SENTENCES), torch_embedder.embed(SENTENCES))
    assert float(cos.mean()) >= 0.99, (float(cos.mean()), float(cos.min()))
    assert float(cos.min()) >= 0.98, SENTENCES[int(cos.argmin())]


def test_onnx_cosine_to_torch_fp32_very_short_texts(
    onnx_embedder: OnnxEmbedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    """A lower floor for one- and two-word texts, pinned so a regression still shows."""
    onnx_embedder.clear_cache()
    cos = cosine_rows(onnx_embedder.embed(VERY_SHORT), torch_embedder.embed(VERY_SHORT))
    assert float(cos.mean()) >= 0.96, cos
    assert float(cos.min()) >= 0.95, VERY_SHORT[int(cos.argmin())]


def test_onnx_vector_independent_of_batch_mates(fresh: OnnxEmbedder) -> None:
    """One text per run (the default): a text gets the same vector whatever it comes with."""
    assert fresh.batch_size == 1
    alone = np.vstack([fresh.embed([t])[0] for t in SENTENCES[:8]])
    fresh.clear_cache()
    np.testing.assert_array_equal(fresh.embed(SENTENCES)[:8], alone)


def test_onnx_batched_close_to_one_per_run(onnx_embedder: OnnxEmbedder, cache_dir: Path) -> None:
    """Batches share an activation scale, so vectors move a little with their batch-mates."""
    batched = OnnxEmbedder(threads=1, batch_size=64, cache_size=0, cache_dir=cache_dir)
    onnx_embedder.clear_cache()
    cos = cosine_rows(batched.embed(SENTENCES), onnx_embedder.embed(SENTENCES))
    assert float(cos.min()) > 0.97


def test_onnx_tokenizer_matches_sentence_transformers(
    onnx_embedder: OnnxEmbedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    """The package's tokenizer.json, as set up here, gives the ids sentence-transformers uses."""
    long_text = " ".join(SENTENCES)  # > 256 tokens: truncated the same way
    texts = [*SENTENCES, long_text, "  padded with spaces  "]
    features = torch_embedder.model.tokenize(texts)
    mask = features["attention_mask"].numpy()
    expected = [
        row[: int(n)].tolist()
        for row, n in zip(features["input_ids"].numpy(), mask.sum(1), strict=True)
    ]
    tokenizer = onnx_embedder._tokenizer
    assert tokenizer is not None
    got = [e.ids for e in tokenizer.encode_batch([t.strip() for t in texts])]
    assert got == expected
    assert len(got[-2]) == torch_embedder.model.max_seq_length


def test_onnx_satisfies_protocol(onnx_embedder: OnnxEmbedder) -> None:
    stage: Embedder = onnx_embedder
    assert stage.model_name == DEFAULT_EMBEDDING_MODEL
    assert stage.dimension == DIMENSION


@pytest.mark.parametrize("n", [1, 3, 130])  # 130 spans three batches of 64
def test_onnx_shape_dtype_norm(fresh: OnnxEmbedder, n: int) -> None:
    texts = [
        f"Officials said {i} people were evacuated from the flooded district." for i in range(n)
    ]
    vectors = fresh.embed(texts)
    assert vectors.shape == (n, DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_onnx_paraphrase_closer_than_unrelated(onnx_embedder: OnnxEmbedder) -> None:
    a, b, unrelated = onnx_embedder.embed(SENTENCES[:3])  # killed / died / interest rates
    assert float(a @ b) > float(a @ unrelated) + 0.2
    assert float(a @ b) > float(b @ unrelated) + 0.2


def test_onnx_empty_input(fresh: OnnxEmbedder, counter: CallCounter) -> None:
    vectors = fresh.embed([])
    assert vectors.shape == (0, DIMENSION)
    assert vectors.dtype == np.float32
    assert counter.calls == []


def test_onnx_single_string_rejected(onnx_embedder: OnnxEmbedder) -> None:
    with pytest.raises(InputError, match="single string"):
        onnx_embedder.embed("Six soldiers were killed")


def test_onnx_cache_hit_skips_model(fresh: OnnxEmbedder, counter: CallCounter) -> None:
    texts = ["The minister denied the report.", "Rescue teams reached the village at dawn."]
    first = fresh.embed(texts)
    assert counter.calls == [texts]
    again = fresh.embed(list(reversed(texts)))
    assert len(counter.calls) == 1
    np.testing.assert_array_equal(again, first[::-1])


def test_onnx_only_uncached_texts_reach_model(fresh: OnnxEmbedder, counter: CallCounter) -> None:
    seen, new_a, new_b = "Seen before.", "A new sentence.", "Another new sentence."
    fresh.embed([seen])
    fresh.embed([new_a, seen, new_b, seen])
    assert counter.calls == [[seen], [new_a, new_b]]


def test_onnx_order_kept_with_duplicates(fresh: OnnxEmbedder, counter: CallCounter) -> None:
    a, b, c = "Prices rose sharply.", "The bridge was closed.", "Two ministers resigned."
    vectors = fresh.embed([a, b, a, c, b, a])
    assert counter.calls == [[a, b, c]]
    singles = {t: fresh.embed([t])[0] for t in (a, b, c)}
    for row, text in zip(vectors, [a, b, a, c, b, a], strict=True):
        np.testing.assert_array_equal(row, singles[text])
    assert not np.allclose(vectors[0], vectors[1])


def test_onnx_result_writable_and_cache_protected(fresh: OnnxEmbedder) -> None:
    text = "The company said output would double."
    first = fresh.embed([text])
    first[0] = 0.0
    np.testing.assert_allclose(np.linalg.norm(fresh.embed([text]), axis=1), 1.0, atol=1e-5)


def test_onnx_cache_bounded_lru(
    onnx_embedder: OnnxEmbedder, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = OnnxEmbedder(threads=1, cache_size=2, cache_dir=cache_dir)
    small.warm_up()
    calls = count_calls(small, monkeypatch)
    a, b, c = "First text.", "Second text.", "Third text."
    small.embed([a, b])
    small.embed([a])  # a is now the most recently used
    small.embed([c])  # evicts b, the least recently used
    assert small.cached == 2
    small.embed([a, c])
    assert len(calls.calls) == 2
    small.embed([b])
    assert calls.calls[-1] == [b]


def test_onnx_cache_disabled(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uncached = OnnxEmbedder(threads=1, cache_size=0, cache_dir=cache_dir)
    uncached.warm_up()
    calls = count_calls(uncached, monkeypatch)
    texts = ["Police said the fire started in the kitchen.", "The mayor disputed the figure."]
    np.testing.assert_array_equal(uncached.embed(texts), uncached.embed(texts))
    assert uncached.cached == 0
    assert calls.calls == [texts, texts]


def test_onnx_export_written_once_with_sidecar(
    onnx_embedder: OnnxEmbedder, cache_dir: Path
) -> None:
    assert onnx_embedder.exported
    assert onnx_embedder.export_seconds is not None
    assert sorted(p.name for p in cache_dir.iterdir()) == [  # no temporary files left behind
        "all-MiniLM-L6-v2-int8.json",
        "all-MiniLM-L6-v2-int8.onnx",
    ]
    sidecar = json.loads(onnx_embedder.sidecar_path.read_text(encoding="utf-8"))
    assert sidecar["model_files"]["model.safetensors"]
    assert sidecar["quantisation"]["per_channel"] is True
    assert sidecar["onnx_bytes"] == onnx_embedder.onnx_path.stat().st_size
    assert sidecar["dimension"] == DIMENSION


def test_onnx_second_warm_up_reuses_file(
    onnx_embedder: OnnxEmbedder, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_export(*args: Any) -> dict[str, Any]:
        raise AssertionError("warm_up() exported again although the file was up to date")

    monkeypatch.setattr(embed_onnx, "_export_int8", no_export)
    stat = onnx_embedder.onnx_path.stat()
    again = OnnxEmbedder("sentence-transformers/all-MiniLM-L6-v2", threads=1, cache_dir=cache_dir)
    again.warm_up()
    assert not again.exported
    assert again.onnx_path == onnx_embedder.onnx_path  # the bundled model's aliases share a file
    assert again.onnx_path.stat().st_mtime_ns == stat.st_mtime_ns
    text = ["The storm is expected to make landfall late on Friday."]
    np.testing.assert_array_equal(again.embed(text), onnx_embedder.embed(text))


def copying_export(source: Path, calls: list[Path]) -> Any:
    """Stands in for `_export_int8`: installs a copy of an already-built file, via the real code."""

    def export(files: Any, onnx_path: Path, sidecar_path: Path, settings: dict[str, Any]) -> Any:
        calls.append(onnx_path)
        shutil.copyfile(source, onnx_path)
        manifest = {
            **settings,
            "dimension": DIMENSION,
            "pad_id": 0,
            "onnx_bytes": onnx_path.stat().st_size,
        }
        sidecar_path.write_text(json.dumps(manifest), encoding="utf-8")
        return manifest

    return export


@pytest.mark.parametrize(
    "damage",
    ["model_files", "quantisation", "onnx_bytes", "no_sidecar", "bad_sidecar"],
)
def test_onnx_rebuilt_when_sidecar_does_not_match(
    onnx_embedder: OnnxEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    shutil.copy(onnx_embedder.onnx_path, tmp_path)
    shutil.copy(onnx_embedder.sidecar_path, tmp_path)
    stale = OnnxEmbedder(threads=1, cache_dir=tmp_path)
    sidecar = json.loads(stale.sidecar_path.read_text(encoding="utf-8"))
    if damage == "model_files":
        sidecar["model_files"]["model.safetensors"] = "0" * 64  # built from other weights
    elif damage == "quantisation":
        sidecar["quantisation"] = {**sidecar["quantisation"], "per_channel": False}
    elif damage == "onnx_bytes":
        sidecar["onnx_bytes"] += 1
    stale.sidecar_path.write_text(json.dumps(sidecar), encoding="utf-8")
    if damage == "no_sidecar":
        stale.sidecar_path.unlink()
    elif damage == "bad_sidecar":
        stale.sidecar_path.write_text("{not json", encoding="utf-8")
    calls: list[Path] = []
    monkeypatch.setattr(embed_onnx, "_export_int8", copying_export(onnx_embedder.onnx_path, calls))
    stale.warm_up()
    assert calls == [stale.onnx_path]
    assert stale.exported
    assert stale.embed(["Two ministers resigned."]).shape == (1, DIMENSION)


def test_onnx_default_cache_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    emb = OnnxEmbedder()
    assert emb.onnx_path == tmp_path / ".cache/claims/onnx/all-MiniLM-L6-v2-int8.onnx"
    assert emb.sidecar_path == tmp_path / ".cache/claims/onnx/all-MiniLM-L6-v2-int8.json"


def test_onnx_threads_set_on_session(onnx_embedder: OnnxEmbedder) -> None:
    assert onnx_embedder.session.get_session_options().intra_op_num_threads == 1


def test_onnx_two_threads_same_vectors(onnx_embedder: OnnxEmbedder, cache_dir: Path) -> None:
    """Two threads embed texts side by side, one single-threaded run each: same rows, same order."""
    two = OnnxEmbedder(threads=2, cache_size=0, cache_dir=cache_dir)
    assert two.session.get_session_options().intra_op_num_threads == 1
    onnx_embedder.clear_cache()
    np.testing.assert_array_equal(two.embed(SENTENCES), onnx_embedder.embed(SENTENCES))
    assert two.embed(SENTENCES[:1]).shape == (1, DIMENSION)


def test_onnx_has_no_torch_model(onnx_embedder: OnnxEmbedder) -> None:
    with pytest.raises(AttributeError, match="ONNX Runtime"):
        _ = onnx_embedder.model


def test_onnx_missing_onnxruntime_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now fails
    with pytest.raises(ModelNotAvailableError, match=r"onnxruntime.*pip install 'claims\[onnx\]'"):
        OnnxEmbedder(cache_dir=tmp_path).warm_up()
    assert list(tmp_path.iterdir()) == []


def test_onnx_non_local_model_raises(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailableError, match="local models only"):
        OnnxEmbedder("some-org/some-model", cache_dir=tmp_path).warm_up()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"threads": 0}, "threads"),
        ({"cache_size": -1}, "cache_size"),
    ],
)
def test_onnx_bad_settings_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OnnxEmbedder(**kwargs)
