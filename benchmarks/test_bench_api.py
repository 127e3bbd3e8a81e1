"""The REST API in-process: latency and throughput through the whole HTTP stack.

Everything runs against the real app (`create_app` with the real models, a fresh SQLite file)
through FastAPI's TestClient, which runs the lifespan like a server would, so every number
includes routing, validation, the body middleware, JSON (de)serialisation and the thread hop of
a sync endpoint, but no sockets. Absolute times depend on the machine; the number to compare is
the ratio to `GET /healthz`, the cheapest request through the same stack, measured in the same
run. Nothing asserts on time; everything lands in `extra_info` (see `--benchmark-json`).

- `POST /v1/extract` of an ~800-word invented wire report: p50 and p99 over 40 requests.
- `GET /healthz`: the baseline, p50 and p99 over 300 requests.
- `POST /v1/documents`: documents/s ingesting 20 distinct invented reports per round (each
  round new texts on new invented events, so neither the embedding cache nor an existing
  incident makes a round cheaper).
- `GET /v1/claims/search?k=10` over 100,000 stored claims: p50 and p99 over 40 distinct queries.
  The claims (synthetic documents, random unit vectors under the configured model's name) go in
  through `SQLiteClaimStore.add_document` before the app starts, not through the models; each
  query is embedded for real, and each is new, so the embedder's cache never answers. The cold
  first search (loading the vectors, building or loading the store's index) is recorded apart
  as `first_search_s`, and the query embedding alone as `embed_query_p50_ms`.

Run with `make bench` (`pytest benchmarks --benchmark-only --benchmark-enable -q`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pytest_benchmark.fixture import BenchmarkFixture

from api.app import create_app
from api.settings import Settings
from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor
from claims.models import Claim, Claimant, ClaimKind, Document, EntityType, Span
from claims.store.sqlite import SQLiteClaimStore

HEALTHZ_ROUNDS = 300
EXTRACT_ROUNDS = 40
SEARCH_ROUNDS = 40
INGEST_DOCUMENTS = 20
INGEST_ROUNDS = 3
STORED_CLAIMS = 100_000
CLAIMS_PER_DOCUMENT = 50
SEARCH_K = 10
EMBEDDING_THREADS = 1  # as in tests/: steadiest on the 2-core target (test_bench_embed.py)

# An invented wire report (no real people, places or events), ~800 words, one paragraph a line.
ARTICLE = """\
VESSNA, June 3 (Northline Wire) - Talks to end a nine-day strike at the port of Vessna broke down late on Tuesday after the dockworkers' union rejected a revised pay offer, leaving more than 140 container ships waiting at anchor off the coast.
"We came to the table in good faith and were handed the same numbers in a new envelope," said Orla Benedek, general secretary of the Harbour and Transport Union, speaking outside the labour ministry after six hours of talks.
The port operator, Vessna Terminal Holdings, said it had offered a 7 percent rise over two years, up from 5 percent a week ago, along with a one-off payment of 1,200 crowns for each of its roughly 3,800 workers.
The union is seeking 11 percent over the same period and a guarantee that no jobs will be cut when automated cranes are installed at the northern terminal next year.
"An offer of 7 percent is generous by any measure in this economy," the company's chief executive, Tomas Ferrin, told reporters. "We cannot sign a promise that freezes the port in the last century."
Labour Minister Hedda Solvik said the government would not intervene directly but urged both sides to return to mediation by the end of the week.
"Every day this continues costs the country money it does not have," Solvik said in a statement, adding that her ministry estimated losses to exporters at about 40 million crowns a day.
The chamber of commerce put the figure higher. Its president, Ivo Marten, said that daily losses had passed 65 million crowns and that some smaller exporters were close to collapse.
Vessna handles roughly a third of the country's container traffic and nearly all of its fruit exports, which have begun to spoil in refrigerated yards near the quays.
Growers in the southern valleys said on Monday that they had thrown away at least 2,000 tonnes of apples and pears since the stoppage began.
"We have nowhere to send it," said Mirela Dovan, who runs a cooperative of 60 orchards near the town of Kestrel Ford. "The trucks are turned back at the gates every morning."
Police said about 600 strikers had gathered at the main gate on Tuesday and that the protest had been peaceful, although two people were detained overnight after a scuffle with security guards.
A police spokesman, Karel Voss, said both had been released without charge on Wednesday morning.
The union disputed the account. A union organiser, who asked not to be named because she was not authorised to speak to the press, said guards had pushed workers away from the gate before any punches were thrown.
Vessna Terminal Holdings denied that its staff had started the scuffle and said it would hand video footage from the gate to the police.
Shipping lines have started to divert vessels to the smaller ports of Aldmoor and Penrick, which say they are already working at full capacity.
The harbour master at Aldmoor, Stefan Ilves, said the port had received 19 extra ships since the strike began, compared with a normal week's traffic of about 30.
"We are running three shifts and we are still falling behind," Ilves said. "Nobody should expect us to absorb Vessna."
Analysts said the dispute could push up consumer prices if it lasted into July, when imports of fuel and grain usually peak.
Lena Okafor, an economist at Brightwater Bank, said that a month-long stoppage could add as much as half a percentage point to inflation, although she called that a worst case.
"Most of the damage so far is to exporters, not to shoppers," Okafor said. "That changes quickly once fuel tankers start to queue."
The strike is the longest at Vessna since 1998, when a walkout over pensions lasted 23 days and ended with a settlement brokered by the then prime minister.
Opposition lawmakers accused the government of standing aside while the economy suffered. Rasmus Keller, who speaks on transport for the Civic Alliance, said the minister had "chosen to watch rather than to act".
Solvik rejected the criticism, saying that a government-imposed settlement would undermine collective bargaining and invite more strikes in the future.
The company said it would keep the terminal open with managers and contract staff, but the union said fewer than 50 cranes' worth of work had moved since the walkout began.
Union members are due to vote on Friday on whether to extend the strike to the port's rail yard, which would halt the movement of goods already unloaded.
Benedek said that she expected members to back the extension by a wide margin.
"Nobody wants this to go on," she said. "But nobody is going back to work for an offer that does not keep up with the rent."
Ferrin said the company remained ready to talk at any time and that its offer would stay on the table until the end of the month.
Mediators from the national conciliation service said they had invited both sides to meet again on Thursday morning, although neither had confirmed attendance by late Tuesday.
"""  # noqa: E501

# The ingest reports: ten topics with their own vocabulary, each filled in with its own invented
# town, people and numbers. A round holds two reports per topic, dated within ten days of each
# other, and rounds lie 90 days apart, further than the grouper links reports (30 days), so every
# round starts new incidents instead of growing the last round's.
SYLLABLES = ["ka", "ren", "vol", "mi", "dor", "sa", "tel", "bru", "ni", "gar", "o", "lin", "zet"]
FIRST_NAMES = ["Anika", "Bram", "Celia", "Dario", "Elin", "Farid", "Greta", "Hugo", "Ines", "Jonas"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TOPICS = [
    (
        "Fire destroys warehouse in {town}",
        "A fire destroyed a textile warehouse in {town} on {day}, and {n1} workers were treated "
        "for smoke inhalation.\n“The roof came down within minutes,” fire chief {a} said.\n"
        "Police said the cause of the blaze was not yet known.\n{b}, who owns the building, said "
        "the stock had been insured for {n2} million crowns.",
    ),
    (
        "Court jails former {town} treasurer",
        "A court in {town} sentenced the town's former treasurer, {a}, to {n1} months in prison "
        "on {day} for embezzling public funds.\nProsecutors said that {n2},000 crowns had been "
        "moved into private accounts over four years.\n“I never took a single coin for myself,” "
        "{a} told the judge.\nDefence lawyer {b} said the verdict would be appealed.",
    ),
    (
        "{town} council approves tram line",
        "The council of {town} voted on {day} to build a tram line linking the station to the "
        "university, at a cost of {n2} million crowns.\nMayor {a} said the line would carry "
        "{n1},000 passengers a day.\n“This is the biggest investment the city has made in a "
        "generation,” {a} said.\nOpposition councillor {b} said the budget was unrealistic.",
    ),
    (
        "Striker's late goal sends {town} into final",
        "{town} Rovers reached the cup final on {day} after a stoppage-time goal from striker "
        "{a} beat the holders 2-1.\nCoach {b} said the team had deserved the win.\n"
        "“We were the better side for ninety minutes,” {b} told reporters.\nThe club said "
        "{n1},000 tickets for the final had sold within an hour.",
    ),
    (
        "Measles cases rise in {town}",
        "Health officials in {town} reported {n1} new measles cases on {day}, most of them in "
        "children under five.\nThe regional health director, {a}, said vaccination clinics "
        "would stay open at weekends.\n“Every case we see was preventable,” {a} said.\nA parents' "
        "group led by {b} said clinics had run out of doses twice this month.",
    ),
    (
        "Factory in {town} to cut jobs",
        "The carmaker Voltane said on {day} that it would cut {n1}0 jobs at its plant in {town} "
        "as demand for its vans fell.\nChief executive {a} said output would fall by {n2} "
        "percent next year.\nUnion leader {b} called the decision “a betrayal of a loyal "
        "workforce”.\nThe labour ministry said it would meet the company next week.",
    ),
    (
        "Archaeologists find Bronze Age boat near {town}",
        "Archaeologists have uncovered a wooden boat about {n1}00 years old in a peat bog near "
        "{town}, the national museum said on {day}.\nExcavation leader {a} said the hull was "
        "almost complete.\n“Finds like this happen once in a career,” {a} said.\nMuseum director "
        "{b} said the boat would go on display after {n2} months of conservation.",
    ),
    (
        "Drought forces water limits in {town}",
        "Authorities in {town} banned garden watering on {day} after reservoir levels fell to "
        "{n1} percent of capacity.\nWater board chairman {a} said the ban would last at least "
        "{n2} weeks.\nFarmers' leader {b} said crops were already failing.\n“We have not had "
        "proper rain since the spring,” {b} said.",
    ),
    (
        "Teachers in {town} vote to strike",
        "Teachers in {town} voted on {day} to strike for {n1} days over pay and class sizes, "
        "their union said.\nUnion official {a} said classes had grown to {n2} pupils in some "
        "schools.\nEducation chief {b} said the strike would hurt pupils before exams.\n"
        "“Our door remains open,” {b} said in a statement.",
    ),
    (
        "Ferry runs aground off {town}",
        "A passenger ferry carrying {n1}0 people ran aground off {town} on {day}, the coast "
        "guard said.\nNobody was seriously hurt, according to coast guard spokeswoman {a}.\n"
        "The operator said strong winds had pushed the ship onto a sandbank.\nPassenger {b} said "
        "the crew had kept everyone calm. “Nobody panicked,” {b} said.",
    ),
]


def invented_name(rng: random.Random, parts: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def invented_report(index: int) -> dict[str, Any]:
    """A distinct short wire report on its own invented event (see TOPICS)."""
    rng = random.Random(index)
    round_, slot = divmod(index, INGEST_DOCUMENTS)
    title, template = TOPICS[slot % len(TOPICS)]
    town = invented_name(rng)
    fields = {
        "town": town,
        "a": f"{rng.choice(FIRST_NAMES)} {invented_name(rng, 2)}",
        "b": f"{rng.choice(FIRST_NAMES)} {invented_name(rng, 2)}",
        "day": rng.choice(WEEKDAYS),
        "n1": rng.randint(2, 90),
        "n2": rng.randint(3, 40),
    }
    published = date(2025, 1, 1) + timedelta(days=90 * round_ + slot // len(TOPICS) * 10)
    return {
        "id": f"bench-{index:04d}-{town.lower()}",
        "text": template.format(**fields),
        "title": title.format(**fields),
        "outlet": "Northline Wire",
        "published_at": f"{published.isoformat()}T12:00:00Z",
    }


def percentiles_ms(benchmark: BenchmarkFixture) -> dict[str, float] | None:
    """p50 and p99 of the rounds in milliseconds, or None when benchmarking is disabled."""
    if benchmark.stats is None:
        return None
    data = np.asarray(benchmark.stats.stats.data, dtype=np.float64) * 1e3
    return {
        "p50_ms": round(float(np.percentile(data, 50)), 3),
        "p99_ms": round(float(np.percentile(data, 99)), 3),
    }


def latencies_ms(client: TestClient, path: str, rounds: int) -> dict[str, float]:
    """p50/p99 of `rounds` GETs, measured directly, for a baseline another test divides by."""
    client.get(path)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    data = np.asarray(samples) * 1e3
    return {"p50_ms": float(np.percentile(data, 50)), "p99_ms": float(np.percentile(data, 99))}


@pytest.fixture(scope="module")
def api_embedder() -> SentenceTransformerEmbedder:
    emb = SentenceTransformerEmbedder(threads=EMBEDDING_THREADS)
    emb.warm_up()
    return emb


def running_client(
    database: Path, extractor: Extractor, embedder: SentenceTransformerEmbedder
) -> TestClient:
    app = create_app(
        Settings(database_url=f"sqlite:///{database}", rate_limit_anonymous=""),
        extractor=extractor,
        embedder=embedder,
    )
    return TestClient(app)


def wait_ready(client: TestClient, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/readyz").status_code != 200:
        if time.monotonic() > deadline:  # pragma: no cover
            raise TimeoutError(client.get("/readyz").json())
        time.sleep(0.02)


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory,
    extractor: Extractor,
    api_embedder: SentenceTransformerEmbedder,
) -> Iterator[TestClient]:
    """An open app over an empty SQLite file, started and ready."""
    database = tmp_path_factory.mktemp("bench-api") / "claims.db"
    with running_client(database, extractor, api_embedder) as c:
        wait_ready(c)
        yield c


@pytest.fixture(scope="module")
def healthz_ms(client: TestClient) -> dict[str, float]:
    """The baseline, measured here, so other tests can report a ratio on their own."""
    return latencies_ms(client, "/healthz", HEALTHZ_ROUNDS)


@pytest.mark.benchmark(group="api")
def test_bench_api_healthz_baseline(benchmark: BenchmarkFixture, client: TestClient) -> None:
    """The cheapest request through the whole stack: no store, no models."""
    response = benchmark.pedantic(
        lambda: client.get("/healthz"), rounds=HEALTHZ_ROUNDS, warmup_rounds=10
    )
    assert response.status_code == 200
    stats = percentiles_ms(benchmark)
    if stats is not None:
        benchmark.extra_info.update(stats)


@pytest.mark.benchmark(group="api")
def test_bench_api_extract(
    benchmark: BenchmarkFixture, client: TestClient, healthz_ms: dict[str, float]
) -> None:
    """One ~800-word report through `POST /v1/extract` (stateless: nothing is stored)."""
    body = {"text": ARTICLE, "outlet": "Northline Wire", "published_at": "2025-06-03T20:00:00Z"}
    response = benchmark.pedantic(
        lambda: client.post("/v1/extract", json=body), rounds=EXTRACT_ROUNDS, warmup_rounds=2
    )
    assert response.status_code == 200, response.text
    claims = response.json()["claims"]
    assert claims
    info = benchmark.extra_info
    info["words"] = len(ARTICLE.split())
    info["claims"] = len(claims)
    info["healthz_p50_ms"] = round(healthz_ms["p50_ms"], 3)
    info["healthz_p99_ms"] = round(healthz_ms["p99_ms"], 3)
    stats = percentiles_ms(benchmark)
    if stats is not None:
        info.update(stats)
        info["p50_ratio_vs_healthz"] = round(stats["p50_ms"] / healthz_ms["p50_ms"], 1)
        info["p99_ratio_vs_healthz"] = round(stats["p99_ms"] / healthz_ms["p99_ms"], 1)


@pytest.mark.benchmark(group="api")
def test_bench_api_ingest(benchmark: BenchmarkFixture, client: TestClient) -> None:
    """20 distinct reports per round through `POST /v1/documents` (extract, embed, store,
    incident update), one request each, as a client would send them."""
    batches = iter(
        [
            [invented_report(r * INGEST_DOCUMENTS + i) for i in range(INGEST_DOCUMENTS)]
            for r in range(INGEST_ROUNDS + 1)  # + the warm-up round
        ]
    )

    def next_batch() -> tuple[tuple[list[dict[str, Any]]], dict[str, Any]]:
        return (next(batches),), {}

    def ingest(batch: list[dict[str, Any]]) -> list[int]:
        return [client.post("/v1/documents", json=report).status_code for report in batch]

    statuses = benchmark.pedantic(
        ingest, setup=next_batch, rounds=INGEST_ROUNDS, warmup_rounds=1, iterations=1
    )
    assert statuses == [201] * INGEST_DOCUMENTS
    stored = client.get("/v1/claims", params={"limit": 1}).json()["count"]
    info = benchmark.extra_info
    info["documents_per_round"] = INGEST_DOCUMENTS
    info["words_per_document"] = round(
        sum(len(invented_report(i)["text"].split()) for i in range(INGEST_DOCUMENTS))
        / INGEST_DOCUMENTS,
        1,
    )
    info["claims_stored"] = stored
    info["incidents_stored"] = client.get("/v1/incidents", params={"limit": 1}).json()["count"]
    if benchmark.stats is not None:
        stats = benchmark.stats.stats
        info["documents_per_s"] = round(INGEST_DOCUMENTS / stats.median, 2)
        info["documents_per_s_best"] = round(INGEST_DOCUMENTS / stats.min, 2)


def synthetic_corpus(
    store: SQLiteClaimStore, model_name: str, dimension: int, claims: int, per_document: int
) -> None:
    """`claims` claims in documents of `per_document`, with random unit vectors, via the store."""
    rng = np.random.default_rng(0)
    texts = random.Random(0)
    for d in range(claims // per_document):
        doc_id = f"synthetic-{d:05d}"
        sentences = [
            f"{invented_name(texts)} officials said {texts.randint(2, 900)} people were "
            f"affected in {invented_name(texts)} on {texts.choice(WEEKDAYS)}."
            for _ in range(per_document)
        ]
        text = "\n".join(sentences)
        document = Document(id=doc_id, text=text, title=f"Synthetic {d}", outlet=f"Outlet {d % 37}")
        batch: list[Claim] = []
        start = 0
        for i, sentence in enumerate(sentences):
            end = start + len(sentence)
            claimant = sentence.split(" ", 1)[0] + " officials"
            batch.append(
                Claim(
                    id=f"{doc_id}-c{i:03d}",
                    document_id=doc_id,
                    speaker=Span(start=start, end=start + len(claimant), text=claimant),
                    cue=None,
                    content=Span(start=start, end=end, text=sentence),
                    kind=ClaimKind.INDIRECT,
                    claimant=Claimant(name=claimant, type=EntityType.ORGANIZATION),
                )
            )
            start = end + 1
        vectors = rng.standard_normal((per_document, dimension), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        assert store.add_document(document, batch, vectors, model_name)


@pytest.fixture(scope="module")
def search_client(
    tmp_path_factory: pytest.TempPathFactory,
    extractor: Extractor,
    api_embedder: SentenceTransformerEmbedder,
) -> Iterator[TestClient]:
    """An app over a SQLite file holding 100,000 synthetic claims, started and ready."""
    database = tmp_path_factory.mktemp("bench-search") / "claims.db"
    store = SQLiteClaimStore(database)
    try:
        synthetic_corpus(
            store,
            api_embedder.model_name,
            api_embedder.dimension,
            STORED_CLAIMS,
            CLAIMS_PER_DOCUMENT,
        )
    finally:
        store.close()
    with running_client(database, extractor, api_embedder) as c:
        wait_ready(c)
        yield c


def search_queries(count: int, seed: int) -> list[str]:
    """Distinct query texts, so the embedder's cache never answers one."""
    rng = random.Random(seed)
    return [
        f"what did officials in {invented_name(rng)} say about "
        f"{rng.choice(TOPICS)[0].split(' ', 2)[1].lower()} on {rng.choice(WEEKDAYS)} ({i})"
        for i in range(count)
    ]


@pytest.mark.benchmark(group="api")
def test_bench_api_search_100k(
    benchmark: BenchmarkFixture,
    search_client: TestClient,
    api_embedder: SentenceTransformerEmbedder,
    healthz_ms: dict[str, float],
) -> None:
    """`GET /v1/claims/search?k=10` over 100k claims; every query a new text (real embedding)."""
    stored = search_client.get("/v1/claims", params={"limit": 1}).json()["count"]
    assert stored == STORED_CLAIMS

    def search(q: str) -> Any:
        return search_client.get("/v1/claims/search", params={"q": q, "k": SEARCH_K})

    # The first search loads the vectors from SQLite (and builds or loads whatever index the
    # store keeps); recorded on its own, then kept out of the rounds.
    started = time.perf_counter()
    assert search("cold start").status_code == 200
    first_search_s = time.perf_counter() - started

    # The query embedding alone, on other distinct texts: the part of a search the store is not.
    embed_ms = []
    for q in search_queries(SEARCH_ROUNDS, seed=2):
        started = time.perf_counter()
        api_embedder.embed([q])
        embed_ms.append((time.perf_counter() - started) * 1e3)

    queries = iter(search_queries(SEARCH_ROUNDS + 2, seed=1))  # + the warm-up rounds

    def next_query() -> tuple[tuple[str], dict[str, Any]]:
        return (next(queries),), {}

    response = benchmark.pedantic(
        search, setup=next_query, rounds=SEARCH_ROUNDS, warmup_rounds=2, iterations=1
    )
    assert response.status_code == 200, response.text
    assert response.json()["count"] == SEARCH_K
    info = benchmark.extra_info
    info["stored_claims"] = stored
    info["k"] = SEARCH_K
    info["first_search_s"] = round(first_search_s, 2)
    info["embed_query_p50_ms"] = round(float(np.percentile(embed_ms, 50)), 3)
    info["healthz_p50_ms"] = round(healthz_ms["p50_ms"], 3)
    stats = percentiles_ms(benchmark)
    if stats is not None:
        info.update(stats)
        info["p50_ratio_vs_healthz"] = round(stats["p50_ms"] / healthz_ms["p50_ms"], 1)
