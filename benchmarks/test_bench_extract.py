"""Extraction throughput against its own floor: the bare spaCy pipeline on the same texts.

Absolute words/s depend on the machine, so the number that matters is the ratio of extraction
throughput to `nlp.pipe` throughput measured in the same run. Goal: ratio_vs_spacy >= 0.8 (the
rules, resolution and normalisation should cost at most a quarter of the parse). Nothing here
asserts on time; the ratio is recorded in `extra_info` (see `--benchmark-json`).

The machine's load drifts between rounds, so the extraction test times one bare `nlp.pipe` round
(in pedantic's untimed `setup`) right before each extraction round, and `ratio_vs_spacy` is the
median of the per-pair ratios: each pair sees the same load, and the median drops a disturbed pair.

Run with `make bench` (`pytest benchmarks --benchmark-only --benchmark-enable -q`).
"""

from __future__ import annotations

import statistics
import time

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from spacy.language import Language

from claims.extraction.extract import Extractor
from claims.models import Document

N_TEXTS = 20
REPORTS_PER_TEXT = 3
BATCH_SIZE = 16  # Extractor.run_many's default, used for the baseline too
ROUNDS = 3  # the bare-parse test
PAIRED_ROUNDS = 5  # the extraction test: each round paired with a bare-parse round
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


def round_seconds(benchmark: BenchmarkFixture) -> list[float]:
    """Every measured round in order (empty when benchmarking is disabled)."""
    return [] if benchmark.stats is None else [float(d) for d in benchmark.stats.stats.data]


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
    nlp: Language,
    texts: list[str],
    words: int,
) -> None:
    documents = [
        Document(id=f"bench-{i}", text=text, outlet="Example Wire") for i, text in enumerate(texts)
    ]
    baseline: list[float] = []  # one bare-parse round before every extraction round

    def time_bare_parse() -> None:
        started = time.perf_counter()
        list(nlp.pipe(texts, batch_size=BATCH_SIZE))
        baseline.append(time.perf_counter() - started)

    results = benchmark.pedantic(
        lambda: list(extractor.run_many(documents, batch_size=BATCH_SIZE)),
        setup=time_bare_parse,
        rounds=PAIRED_ROUNDS,
        warmup_rounds=1,
    )
    assert len(results) == len(documents)
    assert all(claims for claims in results)
    benchmark.extra_info["words"] = words
    benchmark.extra_info["goal_ratio_vs_spacy"] = GOAL_RATIO_VS_SPACY
    measured = round_seconds(benchmark)
    if measured:
        bare = baseline[-len(measured) :]  # the setup also ran before the warm-up round
        ratios = [b / m for b, m in zip(bare, measured, strict=True)]
        benchmark.extra_info["words_per_second"] = round(words / statistics.median(measured), 1)
        benchmark.extra_info["spacy_words_per_second"] = round(words / statistics.median(bare), 1)
        benchmark.extra_info["ratio_vs_spacy"] = round(statistics.median(ratios), 3)
        benchmark.extra_info["ratios_vs_spacy"] = [round(r, 3) for r in ratios]
