"""Extraction throughput against its own floor: the bare spaCy pipeline on the same texts.

Absolute words/s depend on the machine, so the number that matters is the ratio of extraction
throughput to `nlp.pipe` throughput measured in the same run. Goal: ratio_vs_spacy >= 0.8 (the
rules, resolution and normalisation should cost at most a quarter of the parse). Nothing here
asserts on time; the ratio is recorded in `extra_info` (see `--benchmark-json`).

Run with `make bench` (`pytest benchmarks --benchmark-only --benchmark-enable -q`).
"""

from __future__ import annotations

import time

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from spacy.language import Language

from claims.extract import Extractor
from claims.models import Document

N_TEXTS = 20
REPORTS_PER_TEXT = 3
BATCH_SIZE = 16  # Extractor.run_many's default, used for the baseline too
ROUNDS = 3
GOAL_RATIO_VS_SPACY = 0.8


@pytest.fixture(scope="module")
def texts(report_texts: list[str]) -> list[str]:
    """~20 article-length texts, each a different rotation of the fixture reports run together."""
    n = len(report_texts)
    return [
        "\n".join(report_texts[(i + k) % n] for k in range(REPORTS_PER_TEXT))
        for i in range(N_TEXTS)
    ]


@pytest.fixture(scope="module")
def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def best_seconds(benchmark: BenchmarkFixture) -> float | None:
    """Fastest round, or None when benchmarking is disabled (`--benchmark-disable`)."""
    return None if benchmark.stats is None else float(benchmark.stats.stats.min)


@pytest.fixture(scope="module")
def spacy_words_per_second(nlp: Language, texts: list[str], words: int) -> float:
    """The baseline measured here, the same way, so the extraction test can report a ratio alone."""
    list(nlp.pipe(texts[:2], batch_size=BATCH_SIZE))  # warm-up
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        list(nlp.pipe(texts, batch_size=BATCH_SIZE))
        best = min(best, time.perf_counter() - started)
    return words / best


@pytest.mark.benchmark(group="extract")
def test_bench_extract_spacy_baseline(
    benchmark: BenchmarkFixture, nlp: Language, texts: list[str], words: int
) -> None:
    docs = benchmark.pedantic(
        lambda: list(nlp.pipe(texts, batch_size=BATCH_SIZE)), rounds=ROUNDS, warmup_rounds=1
    )
    assert len(docs) == len(texts)
    benchmark.extra_info["words"] = words
    seconds = best_seconds(benchmark)
    if seconds is not None:
        benchmark.extra_info["words_per_second"] = round(words / seconds, 1)


@pytest.mark.benchmark(group="extract")
def test_bench_extract_run_many(
    benchmark: BenchmarkFixture,
    extractor: Extractor,
    texts: list[str],
    words: int,
    spacy_words_per_second: float,
) -> None:
    documents = [
        Document(id=f"bench-{i}", text=text, outlet="Example Wire") for i, text in enumerate(texts)
    ]
    results = benchmark.pedantic(
        lambda: list(extractor.run_many(documents, batch_size=BATCH_SIZE)),
        rounds=ROUNDS,
        warmup_rounds=1,
    )
    assert len(results) == len(documents)
    assert all(claims for claims in results)
    benchmark.extra_info["words"] = words
    benchmark.extra_info["spacy_words_per_second"] = round(spacy_words_per_second, 1)
    benchmark.extra_info["goal_ratio_vs_spacy"] = GOAL_RATIO_VS_SPACY
    seconds = best_seconds(benchmark)
    if seconds is not None:
        extraction_wps = words / seconds
        benchmark.extra_info["words_per_second"] = round(extraction_wps, 1)
        benchmark.extra_info["ratio_vs_spacy"] = round(extraction_wps / spacy_words_per_second, 3)
