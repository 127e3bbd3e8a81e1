"""Load: 50 clients for 60 s against `claims serve --workers 2` on PostgreSQL.

The clients mix ingests of invented reports (several incidents in several towns, so reports
join, start and share incidents), semantic search, listing, document reads and the change feed.
Afterwards: no 5xx was answered, every document that was acknowledged is stored whole (its
claims present) and in exactly one incident, and every stored incident equals a recompute
from its stored documents, so no incident was written from a stale membership or half-built.

`CLAIMS_LOAD_SECONDS` and `CLAIMS_LOAD_CLIENTS` shorten it for a quick local run.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from api_support import invented_report, served, server_env
from pg import postgres_cluster

from claims.comparison.compare import Comparer
from claims.extraction.extract import Extractor
from claims.models import Claim, Document

SECONDS = float(os.environ.get("CLAIMS_LOAD_SECONDS", "60"))
CLIENTS = int(os.environ.get("CLAIMS_LOAD_CLIENTS", "50"))


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_cluster() as cluster:
        yield cluster.new_database()


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.acknowledged: list[str] = []
        self.errors: list[str] = []

    def add(self, kind: str, status: int) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1


def client_loop(
    base: str, seed: int, deadline: float, tally: Tally, serials: Iterator[int]
) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=300.0) as http:
        while time.monotonic() < deadline:
            roll = rng.random()
            try:
                if roll < 0.25:
                    with tally.lock:
                        serial = next(serials)
                    report = invented_report(rng, serial)
                    response = http.post("/v1/documents", json=report)
                    tally.add("ingest", response.status_code)
                    if response.status_code in (200, 201):
                        with tally.lock:
                            tally.acknowledged.append(report["id"])
                elif roll < 0.45:
                    response = http.get("/v1/claims/search", params={"q": "houses damaged", "k": 5})
                    tally.add("search", response.status_code)
                elif roll < 0.65:
                    response = http.get("/v1/incidents", params={"limit": 20})
                    tally.add("incidents", response.status_code)
                    for summary in response.json().get("data", [])[:1]:
                        tally.add(
                            "incident", http.get(f"/v1/incidents/{summary['id']}").status_code
                        )
                elif roll < 0.8:
                    response = http.get("/v1/claims", params={"limit": 20})
                    tally.add("claims", response.status_code)
                    for claim in response.json().get("data", [])[:1]:
                        got = http.get(f"/v1/documents/{claim['document_id']}")
                        tally.add("document", got.status_code)
                else:
                    response = http.get("/v1/changes", params={"since": "0", "limit": 50})
                    tally.add("changes", response.status_code)
            except httpx.HTTPError as exc:
                with tally.lock:
                    tally.errors.append(f"{type(exc).__name__}: {exc}")


def stored_documents(base: str, ids: list[str]) -> dict[str, tuple[Document, list[Claim]]]:
    out: dict[str, tuple[Document, list[Claim]]] = {}
    with httpx.Client(base_url=base, timeout=60.0) as http:
        for doc_id in ids:
            body = http.get(f"/v1/documents/{doc_id}").json()
            document = Document.model_validate(
                {k: body[k] for k in Document.model_fields if k in body}
            )
            claims = http.get(f"/v1/documents/{doc_id}/claims").json()["data"]
            out[doc_id] = (document, [Claim.model_validate(c) for c in claims])
            assert len(claims) == body["claim_count"], doc_id  # stored whole
    return out


def test_api_load_50_clients_on_two_workers(
    tmp_path: Path, pg_url: str, extractor: Extractor
) -> None:
    env = server_env(pg_url, relation_scorer="rules", rate_limit_anonymous="", feed_polling="false")
    tally = Tally()
    serials = iter(range(1_000_000))
    with served(env, tmp_path, workers=2) as (base, _):
        # Both workers ready: /readyz answers 200 many times in a row (connections spread).
        streak = 0
        while streak < 20:
            streak = streak + 1 if httpx.get(f"{base}/readyz").status_code == 200 else 0
        deadline = time.monotonic() + SECONDS
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            for seed in range(CLIENTS):
                pool.submit(client_loop, base, seed, deadline, tally, serials)
        summary = dict(sorted(tally.statuses.items()))
        print(f"\nload: {CLIENTS} clients, {SECONDS:.0f} s: {summary}")
        assert tally.errors == []
        assert not [k for k in tally.statuses if k[1] >= 500], summary
        assert not [k for k in tally.statuses if k[1] >= 400], summary  # nothing refused either
        assert len(tally.acknowledged) >= 10, summary

        listing = httpx.get(f"{base}/v1/incidents", params={"limit": 200}, timeout=60).json()
        assert listing["count"] == len(listing["data"])
        members = [d for i in listing["data"] for d in i["document_ids"]]
        assert sorted(members) == sorted(set(tally.acknowledged))  # each in exactly one
        stored = stored_documents(base, tally.acknowledged)
        incidents = [
            httpx.get(f"{base}/v1/incidents/{i['id']}", timeout=60).json() for i in listing["data"]
        ]
    # Every incident equals a recompute from its stored documents, in arrival order.
    comparer = Comparer(extractor=extractor, learned=None)
    for incident in incidents:
        order = incident["document_ids"]
        documents = [stored[d][0] for d in order]
        recomputed = comparer.build_incident(documents, {d: stored[d][1] for d in order})
        assert [c.id for c in recomputed.claims] == [c["id"] for c in incident["claims"]]
        assert [r.model_dump(mode="json") for r in recomputed.relations] == incident["relations"]
        assert recomputed.status.value == incident["status"]
