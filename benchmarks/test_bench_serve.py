"""`claims serve --workers 2` over real sockets: does the second core add throughput?

One server process per measurement, started as a user would (`claims serve`), SQLite, rules
scorer, rate limits off. The same ~800-word invented report (`test_bench_api.ARTICLE`) is sent
to `POST /v1/extract` by 1 client, then by 8 concurrent clients; the goal (issue 12) is
8-client throughput ≥ 1.7× the 1-client rate on 2 cores, both measured in this run. Ingest
(`POST /v1/documents`, distinct short reports on many small incidents) is measured the same way
and reported, not asserted: the incident rebuilds take turns on the store's incident lock by
design, so only extraction and embedding run side by side.

Run with `make bench`; figures land in `extra_info` (`--benchmark-json`) and on stdout.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from pytest_benchmark.fixture import BenchmarkFixture

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "api"))
from api_support import OTHER_TOWNS, TOWNS, invented_report, served, server_env
from test_bench_api import ARTICLE

REQUESTS = 48  # per measurement; a multiple of 8


def _rate(base: str, clients: int, bodies: list[dict[str, Any]], path: str) -> dict[str, float]:
    latencies: list[float] = []

    def send(body: dict[str, Any]) -> None:
        started = time.perf_counter()
        response = httpx.post(f"{base}{path}", json=body, timeout=300)
        assert response.status_code in (200, 201), response.text
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, bodies))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "per_s": len(bodies) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


def _reports(first: int, count: int, towns: list[str]) -> list[dict[str, Any]]:
    """Distinct invented short reports on many small incidents (the load test's). The two
    measurements use different towns, so the second does not join (and pay for) the incidents
    the first built."""
    rng = random.Random(first)
    return [invented_report(rng, serial, towns) for serial in range(first, first + count)]


def test_bench_serve_two_workers_use_both_cores(
    benchmark: BenchmarkFixture, tmp_path: Path
) -> None:
    env = server_env(
        f"sqlite:///{tmp_path / 'bench.db'}",
        relation_scorer="rules",
        rate_limit_anonymous="",
        feed_polling="false",
    )
    extract = [{"text": ARTICLE}] * REQUESTS
    figures: dict[str, dict[str, float]] = {}
    with served(env, tmp_path, workers=2) as (base, _):
        streak = 0
        while streak < 20:  # both workers ready
            streak = streak + 1 if httpx.get(f"{base}/readyz").status_code == 200 else 0
        _rate(base, 8, extract[:16], "/v1/extract")  # warm both workers
        figures["extract_1"] = _rate(base, 1, extract, "/v1/extract")
        figures["extract_8"] = benchmark.pedantic(
            _rate, args=(base, 8, extract, "/v1/extract"), rounds=1, iterations=1
        )
        figures["ingest_1"] = _rate(base, 1, _reports(0, 24, TOWNS), "/v1/documents")
        figures["ingest_8"] = _rate(base, 8, _reports(100, 24, OTHER_TOWNS), "/v1/documents")
    ratio = figures["extract_8"]["per_s"] / figures["extract_1"]["per_s"]
    ingest_ratio = figures["ingest_8"]["per_s"] / figures["ingest_1"]["per_s"]
    benchmark.extra_info.update(
        {f"{k}_{m}": round(v, 2) for k, f in figures.items() for m, v in f.items()}
        | {"extract_ratio_8_vs_1": round(ratio, 2), "ingest_ratio_8_vs_1": round(ingest_ratio, 2)}
    )
    print(f"\nserve --workers 2: {benchmark.extra_info}")
    assert ratio >= 1.7, benchmark.extra_info
