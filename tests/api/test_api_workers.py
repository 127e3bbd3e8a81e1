"""Several server processes on one database: every core used, no incident member lost.

Real `claims serve` processes (not TestClient): two single-worker servers on one PostgreSQL,
and one two-worker server on one SQLite file, each sent overlapping reports of one incident
concurrently. An incident is rebuilt from the membership read when the rebuild starts, so
without the store's cross-process `incident_lock()` two workers that both read the old
membership each write an incident holding only their own new report, and a report drops out.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import FERRY, TARSA, served, server_env, tarsa_reports
from pg import postgres_cluster

# Rules only: the NLI model is not what is tested, and each server loads less.
SERVER_SETTINGS = {"relation_scorer": "rules", "rate_limit_anonymous": ""}


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_cluster() as cluster:
        yield cluster.new_database()


def ingest_concurrently(bases: list[str], reports: list[dict[str, Any]]) -> list[int]:
    """Post every report at once, spread over the servers; the status codes in report order."""

    def post(job: tuple[str, dict[str, Any]]) -> int:
        base, report = job
        deadline = time.monotonic() + 120
        while True:
            response = httpx.post(f"{base}/v1/documents", json=report, timeout=300.0)
            # A worker still loading its models answers 503 not_ready: retry, as clients should.
            if response.status_code != 503 or time.monotonic() > deadline:
                return response.status_code
            time.sleep(float(response.headers.get("retry-after", "1")) / 5)

    jobs = list(zip(itertools.cycle(bases), reports, strict=False))
    with ThreadPoolExecutor(max_workers=len(reports)) as pool:
        return list(pool.map(post, jobs))


def check_incidents(base: str, expected_ids: set[str]) -> list[set[str]]:
    """Every document is in exactly one incident, each incident's claims are exactly its
    members' claims, and the members partition the stored documents; the member sets."""
    body = httpx.get(f"{base}/v1/incidents", params={"limit": 200}, timeout=30.0).json()
    members = [set(i["document_ids"]) for i in body["data"]]
    flat = [d for m in members for d in m]
    assert sorted(flat) == sorted(expected_ids), members  # none lost, none twice
    for summary in body["data"]:
        incident = httpx.get(f"{base}/v1/incidents/{summary['id']}", timeout=30.0).json()
        claim_docs = {c["document_id"] for c in incident["claims"]}
        assert claim_docs <= set(incident["document_ids"])
        for doc_id in incident["document_ids"]:
            stored = httpx.get(f"{base}/v1/documents/{doc_id}/claims", timeout=30.0).json()
            in_incident = [c["id"] for c in incident["claims"] if c["document_id"] == doc_id]
            assert in_incident == [c["id"] for c in stored["data"]], doc_id
    return members


def test_api_workers_two_servers_one_postgres_keep_every_member(
    tmp_path: Path, pg_url: str
) -> None:
    env = server_env(pg_url, **SERVER_SETTINGS)
    reports = tarsa_reports()
    with served(env, tmp_path) as (a, _), served(env, tmp_path) as (b, _):
        codes = ingest_concurrently([a, b], reports)
        assert codes == [201] * len(reports)
        members = check_incidents(b, set(TARSA) | {FERRY})
        assert set(TARSA) in members  # one incident for the five reports of the attack
        # Deletes and re-ingests racing on the same incident keep it whole as well.
        gone = [TARSA[1], TARSA[3]]
        with ThreadPoolExecutor(max_workers=2) as pool:
            deleted = list(
                pool.map(
                    lambda job: httpx.delete(f"{job[0]}/v1/documents/{job[1]}", timeout=300.0),
                    zip([a, b], gone, strict=True),
                )
            )
        assert [r.status_code for r in deleted] == [204, 204]
        check_incidents(a, (set(TARSA) | {FERRY}) - set(gone))
        again = [r for r in reports if r["id"] in gone]
        assert ingest_concurrently([b, a], again) == [201, 201]
        assert set(TARSA) in check_incidents(a, set(TARSA) | {FERRY})


def worker_pids(supervisor: int) -> list[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    cmdlines = {int(c): Path(f"/proc/{c}/cmdline").read_bytes() for c in children}
    return [pid for pid, cmd in cmdlines.items() if b"resource_tracker" not in cmd]


def test_api_workers_two_workers_one_sqlite_file(tmp_path: Path) -> None:
    env = server_env(f"sqlite:///{tmp_path / 'shared.db'}", **SERVER_SETTINGS)
    with served(env, tmp_path, workers=2) as (base, server):
        supervisor = server.pid
        assert len(worker_pids(supervisor)) == 2
        reports = tarsa_reports()
        assert ingest_concurrently([base, base], reports) == [201] * len(reports)
        assert set(TARSA) in check_incidents(base, set(TARSA) | {FERRY})
