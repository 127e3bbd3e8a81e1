"""Embedding throughput against the machine's own fp32 ceiling, measured in the same run.

Claims/s alone says little: it moves ±20% between runs and with the machine. So the run also
measures what this CPU's matrix multiply achieves (2048×2048 float32 in torch, the library the
model runs on) and turns that into a ceiling: a MiniLM-L6 forward pass costs about 21.5 MFLOP per
token (6 layers × 2 × 1.77M weights, attention on ~30 tokens is small beside it), so

    ceiling_claims_per_s = threads × fp32 FLOP/s of one core / (21.5e6 × tokens per sentence)

(threads = 1 and the machine's 2 cores), with the one-core figure measured on one thread and
tokens per sentence counted by the model's own tokenizer ([CLS] and [SEP] included). The
ratio claims/s ÷ ceiling is the number to compare across machines; the gap is tokenisation,
padding, attention, layer norms, GELU and Python overhead. Nothing asserts on time; everything
lands in `extra_info` (see `--benchmark-json`).

The ONNX Runtime int8 backend (`claims.comparison.embed_onnx`, the optional `onnx` extra) is
compared with torch fp32 in the same run, on the same sentences and threads, cache off: both
speeds, their ratio and the cosine of the int8 vectors to the fp32 ones. It skips when
onnxruntime is not installed; the int8 model is exported once into ~/.cache/claims/onnx and
reused by later runs.

Run with `make bench` (`pytest benchmarks --benchmark-only --benchmark-enable -q`).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

import numpy as np
import pytest
import torch
from pytest_benchmark.fixture import BenchmarkFixture

from claims.comparison.embed import SentenceTransformerEmbedder

N_SENTENCES = 500
ROUNDS = 3
CORES = min(2, os.cpu_count() or 1)  # the deployment target has 2 cores (DESIGN.md §6)
FLOP_PER_TOKEN = 21.5e6  # all-MiniLM-L6-v2 forward pass, weights only
MATMUL_N = 2048
MATMUL_REPEATS = 5

SPEAKERS = [
    "A police spokesperson",
    "The regional governor",
    "Hospital officials",
    "An army commander",
    "The interior ministry",
    "Local residents",
    "A UN envoy",
    "The mill's owner",
]
EVENTS = [
    "were killed when a bus overturned",
    "were injured in a fuel depot blast",
    "were evacuated as the river rose",
    "were arrested at protests outside parliament",
    "lost their jobs when the mill closed",
    "were pulled alive from a collapsed block",
]
PLACES = ["near Karvel", "outside Dunmore", "in northern Asteria", "near the port of Velin"]
DAYS = ["on Monday", "on Tuesday", "late on Wednesday", "early on Friday", "at the weekend"]
TAILS = [
    "and an inquiry began.",
    "adding the toll could rise.",
    "a figure not yet verified.",
    "and urged people to stay away.",
]
TEMPLATES = [
    "{speaker} said {n} people {event} {place} {day}, {tail}",
    "{day_cap}, {speaker_lower} said that {n} people {event} {place}, {tail}",
    "According to {speaker_lower}, {n} people {event} {place} {day}, {tail}",
]


def invented_sentences(n: int, seed: int = 0) -> list[str]:
    """Distinct news-like sentences of ~23 words, the length of a typical claim."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        speaker, day = rng.choice(SPEAKERS), rng.choice(DAYS)
        sentence = rng.choice(TEMPLATES).format(
            speaker=speaker,
            speaker_lower=speaker[0].lower() + speaker[1:],
            n=rng.randint(2, 480),
            event=rng.choice(EVENTS),
            place=rng.choice(PLACES),
            day=day,
            day_cap=day[0].upper() + day[1:],
            tail=rng.choice(TAILS),
        )
        if sentence not in seen:
            seen.add(sentence)
            out.append(sentence)
    return out


def best_seconds(benchmark: BenchmarkFixture) -> float | None:
    """Fastest round, or None when benchmarking is disabled (`--benchmark-disable`)."""
    return None if benchmark.stats is None else float(benchmark.stats.stats.min)


def best_of(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: thread pool start, page faults, kernel selection
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    texts = invented_sentences(N_SENTENCES)
    mean_words = sum(len(t.split()) for t in texts) / len(texts)
    assert 21 <= mean_words <= 25, mean_words
    return texts


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    """Cache off: every round sends all sentences through the model (threads set per test)."""
    emb = SentenceTransformerEmbedder(cache_size=0)
    emb.warm_up()
    return emb


@pytest.fixture(scope="module")
def tokens_per_sentence(embedder: SentenceTransformerEmbedder, sentences: list[str]) -> float:
    model = embedder.model
    ids = model.tokenizer(sentences, truncation=True, max_length=model.max_seq_length)["input_ids"]
    return sum(len(row) for row in ids) / len(ids)


def matmul_gflops(threads: int) -> float:
    """Achievable fp32 GFLOP/s on `threads` threads: best of a few large square matmuls."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        gen = torch.Generator().manual_seed(0)
        a = torch.rand(MATMUL_N, MATMUL_N, generator=gen, dtype=torch.float32)
        b = torch.rand(MATMUL_N, MATMUL_N, generator=gen, dtype=torch.float32)
        seconds = best_of(lambda: torch.mm(a, b), MATMUL_REPEATS)
    finally:
        torch.set_num_threads(previous)
    return 2 * MATMUL_N**3 / seconds / 1e9


@pytest.fixture(scope="module")
def fp32_gflops_per_core(embedder: SentenceTransformerEmbedder) -> float:
    """One thread, so the ceiling scales by cores without a shared-cache or turbo discount."""
    return matmul_gflops(1)


@pytest.fixture(scope="module")
def fp32_gflops_all_cores(embedder: SentenceTransformerEmbedder) -> float:
    return matmul_gflops(CORES)


@pytest.mark.benchmark(group="embed")
def test_bench_embed_matmul_baseline(
    benchmark: BenchmarkFixture,
    fp32_gflops_all_cores: float,
) -> None:
    """The baseline as its own row: one 2048² fp32 matmul on all the cores the embedder uses."""
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(MATMUL_N, MATMUL_N, generator=gen, dtype=torch.float32)
    b = torch.rand(MATMUL_N, MATMUL_N, generator=gen, dtype=torch.float32)
    torch.set_num_threads(CORES)
    out = benchmark.pedantic(lambda: torch.mm(a, b), rounds=MATMUL_REPEATS, warmup_rounds=1)
    assert out.shape == (MATMUL_N, MATMUL_N)
    benchmark.extra_info["threads"] = CORES
    seconds = best_seconds(benchmark)
    if seconds is not None:
        benchmark.extra_info["fp32_gflops"] = round(2 * MATMUL_N**3 / seconds / 1e9, 1)


@pytest.mark.benchmark(group="embed")
@pytest.mark.parametrize("threads", sorted({1, CORES}))
def test_bench_embed_uncached(
    benchmark: BenchmarkFixture,
    embedder: SentenceTransformerEmbedder,
    threads: int,
    sentences: list[str],
    tokens_per_sentence: float,
    fp32_gflops_per_core: float,
    fp32_gflops_all_cores: float,
) -> None:
    """All sentences through the model each round; the ceiling scales with the threads used.

    The one-thread row is the steadier one: with every core busy, another process on the machine
    stalls torch's thread barrier and the multi-thread row drops far more than its share.
    """
    torch.set_num_threads(threads)
    vectors = benchmark.pedantic(lambda: embedder.embed(sentences), rounds=ROUNDS, warmup_rounds=1)
    assert vectors.shape == (len(sentences), embedder.dimension)
    assert embedder.cached == 0
    flop_per_sentence = FLOP_PER_TOKEN * tokens_per_sentence
    ceiling = threads * fp32_gflops_per_core * 1e9 / flop_per_sentence
    info = benchmark.extra_info
    info["sentences"] = len(sentences)
    info["threads"] = threads
    info["batch_size"] = embedder.batch_size
    info["tokens_per_sentence"] = round(tokens_per_sentence, 2)
    info["fp32_gflops_per_core"] = round(fp32_gflops_per_core, 1)
    info[f"fp32_gflops_{CORES}_threads"] = round(fp32_gflops_all_cores, 1)
    info["ceiling_claims_per_s"] = round(ceiling, 1)
    seconds = best_seconds(benchmark)
    if seconds is not None:
        claims_per_s = len(sentences) / seconds
        info["claims_per_s"] = round(claims_per_s, 1)
        info["ratio_vs_fp32_ceiling"] = round(claims_per_s / ceiling, 3)
        info["achieved_gflops"] = round(claims_per_s * flop_per_sentence / 1e9, 1)


@pytest.mark.benchmark(group="embed")
def test_bench_embed_cache_hits(benchmark: BenchmarkFixture, sentences: list[str]) -> None:
    """Every text cached: what a re-ingest of already-seen claims costs (no model calls)."""
    cached = SentenceTransformerEmbedder()
    cached.embed(sentences)
    vectors = benchmark.pedantic(
        lambda: cached.embed(sentences), rounds=ROUNDS * 5, warmup_rounds=1
    )
    assert vectors.shape == (len(sentences), cached.dimension)
    seconds = best_seconds(benchmark)
    if seconds is not None:
        benchmark.extra_info["claims_per_s"] = round(len(sentences) / seconds, 1)


@pytest.mark.benchmark(group="embed-onnx")
@pytest.mark.parametrize("threads", sorted({1, CORES}))
def test_bench_embed_onnx_int8_vs_torch_fp32(
    benchmark: BenchmarkFixture,
    embedder: SentenceTransformerEmbedder,
    threads: int,
    sentences: list[str],
) -> None:
    """ONNX Runtime int8 (one text per run, its default) against torch fp32, both uncached.

    Also records the int8 backend with batches of 64, which is faster but lets a text's vector move
    slightly with its batch-mates (see `OnnxEmbedder`).
    """
    pytest.importorskip("onnxruntime", reason="the optional `onnx` extra is not installed")
    from claims.comparison.embed_onnx import OnnxEmbedder

    onnx = OnnxEmbedder(threads=threads, cache_size=0)
    onnx.warm_up()  # exports on the first run on this machine
    batched = OnnxEmbedder(threads=threads, batch_size=embedder.batch_size, cache_size=0)
    batched.warm_up()
    torch.set_num_threads(threads)
    torch_seconds = best_of(lambda: embedder.embed(sentences), ROUNDS)
    batched_seconds = best_of(lambda: batched.embed(sentences), ROUNDS)
    vectors = benchmark.pedantic(lambda: onnx.embed(sentences), rounds=ROUNDS, warmup_rounds=1)
    assert vectors.shape == (len(sentences), embedder.dimension)
    assert onnx.cached == 0
    cos = np.sum(vectors * embedder.embed(sentences), axis=1)  # rows are unit length
    batched_cos = np.sum(batched.embed(sentences) * embedder.embed(sentences), axis=1)
    info = benchmark.extra_info
    info["sentences"] = len(sentences)
    info["threads"] = threads
    info["onnx_batch_size"] = onnx.batch_size
    info["torch_batch_size"] = embedder.batch_size
    info["export_seconds"] = None if onnx.export_seconds is None else round(onnx.export_seconds, 1)
    info["torch_fp32_claims_per_s"] = round(len(sentences) / torch_seconds, 1)
    info["onnx_int8_batched_claims_per_s"] = round(len(sentences) / batched_seconds, 1)
    info["cosine_mean"] = round(float(cos.mean()), 4)
    info["cosine_min"] = round(float(cos.min()), 4)
    info["batched_cosine_mean"] = round(float(batched_cos.mean()), 4)
    info["batched_cosine_min"] = round(float(batched_cos.min()), 4)
    seconds = best_seconds(benchmark)
    if seconds is not None:
        info["onnx_int8_claims_per_s"] = round(len(sentences) / seconds, 1)
        info["speed_ratio_onnx_int8_vs_torch_fp32"] = round(torch_seconds / seconds, 2)
    info["speed_ratio_batched_vs_torch_fp32"] = round(torch_seconds / batched_seconds, 2)
