"""Loading an ingest's candidate profiles: the date window in the database vs every profile read.

When a report is ingested, the service compares it with the stored reports published within
`CANDIDATE_WINDOW` (30 days) of it, plus the undated ones. It used to read every stored profile and
keep those in Python; the store now applies the window on the indexed `published_at`
(`ClaimStore.document_profiles_near`). Both are measured here, per backend, on the same store of
20,000 synthetic documents spread evenly over five years (1% undated), each with a profile the
size of a short wire report's (~150 lemmas, names and values). Each round is a new document at
another date, so consecutive rounds do not read the same rows.

Absolute times depend on the machine; the number to compare is `speedup_vs_all`, the median of
the old way (read all, filter in Python) over the median of the windowed load, both measured in
the same run on the same store. Nothing asserts on time; everything lands in `extra_info`.

Run with `make bench` (`pytest benchmarks --benchmark-only --benchmark-enable -q`).
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from claims.comparison.incidents import Profile, profile_to_dict
from claims.comparison.update import CANDIDATE_WINDOW, candidate_profiles, stored_profile
from claims.models import Document
from claims.store import ClaimStore, open_store

DOCUMENTS = 20_000
UNDATED_EVERY = 100  # 1% of the documents have no publication date
FIRST_DAY = datetime(2021, 1, 1)
DAYS = 5 * 365
LEMMAS, NAMES, VALUES = 150, 20, 20
ROUNDS_ALL = 5
ROUNDS_NEAR = 40
SYLLABLES = ["ka", "ren", "vol", "mi", "dor", "sa", "tel", "bru", "ni", "gar", "o", "lin", "zet"]


def _load_pg() -> Any:
    """tests/pg.py (the throwaway cluster), which is not on sys.path for benchmarks/."""
    path = Path(__file__).resolve().parents[1] / "tests" / "pg.py"
    spec = importlib.util.spec_from_file_location("claims_bench_pg", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts))


def published(index: int) -> datetime | None:
    """Evenly spread over five years, every zone convention the API accepts, some undated."""
    if index % UNDATED_EVERY == 0:
        return None
    when = FIRST_DAY + timedelta(minutes=index * DAYS * 24 * 60 // DOCUMENTS)
    return when if index % 2 else when.replace(tzinfo=UTC)


def fill(store: ClaimStore) -> None:
    """The synthetic archive, written through the store like the ingest service writes it."""
    rng = random.Random(0)
    for i in range(DOCUMENTS):
        doc_id = f"archive-{i:05d}"
        when = published(i)
        document = Document(id=doc_id, text=f"Archived report {i}.", published_at=when)
        assert store.add_document(document, [], np.zeros((0, 4), dtype=np.float32), "bench")
        profile = Profile(
            tuple(_word(rng, 3) for _ in range(LEMMAS)),
            tuple(f"{_word(rng, 2)}_{_word(rng, 3)}" for _ in range(NAMES)),
            tuple(str(rng.randint(1, 5000)) for _ in range(VALUES)),
            when,
        )
        store.set_document_profile(doc_id, profile_to_dict(profile))


def candidates_from_all(store: ClaimStore, document_id: str, mine: Profile) -> dict[str, Profile]:
    """The service's rule before the store took the window: read every profile, filter here."""
    out: dict[str, Profile] = {}
    for doc_id, raw in store.document_profiles().items():
        if doc_id == document_id:
            continue
        profile = stored_profile(raw)
        when = profile.published_at
        if (
            mine.published_at is None
            or when is None
            or (abs(when - mine.published_at) <= CANDIDATE_WINDOW)
        ):
            out[doc_id] = profile
    out[document_id] = mine
    return out


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    pg = _load_pg()
    with pg.postgres_cluster() as cluster:
        url = cluster.new_database()
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def archive(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, ClaimStore, float]]:
    """`(backend, store, seconds taken to fill it)`, holding the synthetic archive."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bench-store') / 'claims.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = open_store(url)
    started = time.perf_counter()
    fill(store)
    filled = time.perf_counter() - started
    try:
        yield request.param, store, filled
    finally:
        store.close()


def new_documents(store: ClaimStore, rounds: int, seed: int) -> Iterator[tuple[str, Profile]]:
    """Stored, dated documents at different dates, as the document being ingested."""
    rng = random.Random(seed)
    for _ in range(rounds):
        index = rng.randrange(DOCUMENTS)
        if index % UNDATED_EVERY == 0:
            index += 1
        doc_id = f"archive-{index:05d}"
        yield doc_id, stored_profile(store.document_profiles([doc_id])[doc_id])


CandidateLoader = Callable[[ClaimStore, str, Profile], dict[str, Profile]]


def run_rounds(
    benchmark: BenchmarkFixture, store: ClaimStore, load: CandidateLoader, rounds: int
) -> dict[str, Profile]:
    queue = iter(list(new_documents(store, rounds + 1, seed=rounds)))  # + the warm-up round

    def next_document() -> tuple[tuple[ClaimStore, str, Profile], dict[str, Any]]:
        doc_id, mine = next(queue)
        return (store, doc_id, mine), {}

    result: dict[str, Profile] = benchmark.pedantic(
        load, setup=next_document, rounds=rounds, warmup_rounds=1, iterations=1
    )
    return result


_median_all_s: dict[str, float] = {}


@pytest.mark.benchmark(group="store-candidates")
def test_bench_store_candidates_all(
    benchmark: BenchmarkFixture, archive: tuple[str, ClaimStore, float]
) -> None:
    """The baseline: every stored profile read and filtered in Python (the old ingest path)."""
    backend, store, filled = archive
    candidates = run_rounds(benchmark, store, candidates_from_all, ROUNDS_ALL)
    assert 1 < len(candidates) < DOCUMENTS
    info = benchmark.extra_info
    info.update(backend=backend, documents=DOCUMENTS, fill_s=round(filled, 1))
    if benchmark.stats is not None:
        _median_all_s[backend] = benchmark.stats.stats.median
        info["median_ms"] = round(benchmark.stats.stats.median * 1e3, 2)


@pytest.mark.benchmark(group="store-candidates")
def test_bench_store_candidates_near(
    benchmark: BenchmarkFixture, archive: tuple[str, ClaimStore, float]
) -> None:
    """The window in the database (`document_profiles_near`), as the ingest service runs it."""
    backend, store, _ = archive
    candidates = run_rounds(benchmark, store, candidate_profiles, ROUNDS_NEAR)
    # Same candidates as the old path for the last document (the tests check every case).
    doc_id, mine = next(reversed(candidates.items()))
    assert candidates == candidates_from_all(store, doc_id, mine)
    info = benchmark.extra_info
    info.update(backend=backend, documents=DOCUMENTS, candidates=len(candidates))
    if benchmark.stats is not None:
        median = benchmark.stats.stats.median
        info["median_ms"] = round(median * 1e3, 2)
        if backend not in _median_all_s:  # run alone: measure the baseline here
            started = time.perf_counter()
            candidates_from_all(store, doc_id, mine)
            _median_all_s[backend] = time.perf_counter() - started
        ratio = _median_all_s[backend] / median
        info["all_median_ms"] = round(_median_all_s[backend] * 1e3, 2)
        info["speedup_vs_all"] = round(ratio, 1)
        print(f"\n{backend}: windowed candidate load {ratio:.1f}x faster than reading all")
