"""Helpers shared by the API tests: reports, app start-up, and the error-shape check.

A plain module (not the conftest) so test modules can import it; `tests/api` is on `sys.path`
under pytest's default import mode because the folder is not a package (a `tests/api` package
would shadow the real `api` package).
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

API_KEYS = ["key-alpha", "key-beta"]

# Invented reports: five of one attack near Tarsa (a wire story run twice, a denial, conflicting
# tolls) and one unrelated ferry accident; `claims compare` groups them 5 + 1.
TARSA_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "compare" / "tarsa.jsonl"
TARSA = ["meridian-0510", "wire-0510", "courier-0510", "front-0510", "harbour-0511"]
FERRY = "ferry-0511"


def tarsa_reports() -> list[dict[str, Any]]:
    """The fixture's lines as request bodies, in file (publication) order."""
    lines = TARSA_FIXTURE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def incidents_by_members(client: TestClient) -> dict[frozenset[str], dict[str, Any]]:
    """Every stored incident summary, keyed by its set of document ids."""
    body = client.get("/v1/incidents", params={"limit": 200}).json()
    assert body["count"] == len(body["data"])
    return {frozenset(i["document_ids"]): i for i in body["data"]}


HARBOUR_FIRE = (
    "Firefighters contained a blaze at the Velmar harbour warehouse on Tuesday night.\n"
    "“Nobody was inside when the roof collapsed,” fire chief Anton Brell told reporters.\n"
    "The port authority said that 40 containers had been damaged.\n"
    "Police said the cause of the fire was still unknown.\n"
)
SCHOOL_VOTE = (
    "The city council of Dornfeld voted on Monday to close two primary schools.\n"
    "Mayor Ilse Varga said the schools had lost half of their pupils since 2015.\n"
    "“This decision was taken behind closed doors,” a parents' group said in a statement.\n"
)


def wait_ready(client: TestClient, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/readyz").status_code != 200:
        if time.monotonic() > deadline:  # pragma: no cover
            raise TimeoutError(client.get("/readyz").json())
        time.sleep(0.02)


@contextmanager
def running_app(
    settings: Settings,
    extractor: Any,
    embedder: Any,
    *,
    raise_server_exceptions: bool = True,
    ready: bool = True,
) -> Iterator[TestClient]:
    app = create_app(settings, extractor=extractor, embedder=embedder)
    with TestClient(app, raise_server_exceptions=raise_server_exceptions) as client:
        if ready:
            wait_ready(client)
        yield client


def settings_for(directory: Path, **overrides: Any) -> Settings:
    """Settings for a test app. Rate limits are off unless a test sets them: the fuzzing and
    journey tests send far more requests per minute than one real client would."""
    unlimited: dict[str, Any] = {"rate_limit_anonymous": "", "rate_limit_key": ""}
    return Settings(
        database_url=f"sqlite:///{directory / 'claims.db'}", **{**unlimited, **overrides}
    )


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response has `status` and the one error shape, with `code` as the first type."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"}
    assert isinstance(body["detail"], list)
    assert body["detail"]
    for item in body["detail"]:
        assert set(item) == {"type", "msg", "loc"}
        assert isinstance(item["type"], str)
        assert isinstance(item["msg"], str)
        assert isinstance(item["loc"], list)
    assert body["detail"][0]["type"] == code, body
    first: dict[str, Any] = body["detail"][0]
    return first


# -- real `claims serve` processes -----------------------------------------------------------
SERVE = [sys.executable, "-c", "from claims.cli import app; app()", "serve"]
READY_TIMEOUT = 120.0  # two servers loading models at once on 2 cores take a while


def free_port() -> int:
    """A port the kernel just gave out; it could be taken again before the server binds it,
    which on a loopback test runner is unlikely enough to accept."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_served(base: str, server: subprocess.Popen[bytes]) -> None:
    """Wait until a `claims serve` process answers `/readyz` with 200."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with status {server.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.25)
    raise AssertionError(f"the server was not ready within {READY_TIMEOUT:.0f} s")


def server_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a test server: this one without the developer's CLAIMS_* settings,
    offline, one torch thread, plus `settings` (CLAIMS_<NAME> = value)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMS_")}
    env |= {
        "CLAIMS_DATABASE_URL": database_url,
        "CLAIMS_EMBEDDING_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    env |= {f"CLAIMS_{name.upper()}": value for name, value in settings.items()}
    return env


@contextmanager
def served(
    env: dict[str, str], cwd: Path, *, workers: int = 1
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A `claims serve` process on a free loopback port, ready; yields `(base URL, process)`
    and stops it (SIGTERM, then SIGKILL) on exit, so its return code can be read afterwards.
    Its output goes to `cwd/server-<port>.log`."""
    port = free_port()
    log_path = cwd / f"server-{port}.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*SERVE, "--port", str(port), "--workers", str(workers)],
            cwd=cwd,  # no stray .env file is read
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_served(base, server)
            yield base, server
        except BaseException:
            print(log_path.read_text(errors="replace")[-4000:])
            raise
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover
                server.kill()
                server.wait(timeout=10)


# -- invented short reports for load and throughput runs ------------------------------------------
# Invented events; every report is one of these told by one outlet with its own numbers.
EVENTS = [
    (
        "Floods",
        "Floodwater covered the lower town of {town} on {day} after the river {river} burst "
        "its banks.\n"
        "“We evacuated {n} families during the night,” the regional emergency service said.\n"
        "Mayor {mayor} said that {m} houses had been damaged and two bridges were closed.\n"
        "Residents said the warning had come too late.\n",
    ),
    (
        "Factory fire",
        "A fire destroyed a warehouse of the {town} paper mill on {day}.\n"
        "Fire chief {mayor} told reporters that {n} firefighters had fought the blaze for "
        "six hours.\n"
        "The company said that nobody had been injured and that {m} workers had been sent home.\n"
        "Police said the cause of the fire was not yet known.\n",
    ),
    (
        "Strike",
        "Bus drivers in {town} walked out on {day} in a dispute over pay.\n"
        "“We will stay out until the city talks to us,” union leader {mayor} said.\n"
        "The transport authority said that {n} of its {m} routes were not running.\n"
        "Commuters said they had waited for hours.\n",
    ),
]
TOWNS = ["Velmar", "Ostrava Nova", "Kessling", "Dornfeld", "Harrow Vale", "Lindqvist"]
OTHER_TOWNS = ["Brask", "Moravane", "Tessel Point", "Quarrow", "Einholt", "Saltmere"]
OUTLETS = ["Example Wire", "The Courier", "Morning Post", "Radio North", "Daily Ledger"]
DAYS = ["Monday", "Tuesday", "Wednesday"]


def invented_report(rng: random.Random, serial: int, towns: list[str] = TOWNS) -> dict[str, Any]:
    name, template = EVENTS[rng.randrange(len(EVENTS))]
    town = towns[rng.randrange(len(towns))]
    day = rng.randrange(len(DAYS))
    text = template.format(
        town=town,
        day=DAYS[day],
        river=town.split()[0] + "bach",
        n=rng.randint(5, 60),
        m=rng.randint(10, 200),
        mayor=rng.choice(["Ilse Varga", "Tomas Brell", "Anna Kolins", "Piet Moravec"]),
    )
    return {
        "id": f"load-{serial:05d}",
        "text": text,
        "title": f"{name} in {town}",
        "outlet": rng.choice(OUTLETS),
        "published_at": f"2026-03-{2 + day:02d}T{rng.randint(6, 20):02d}:00:00Z",
    }
