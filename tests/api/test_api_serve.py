"""End to end: `claims serve` as a real process on a free loopback port, over a SQLite file."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
from api_support import HARBOUR_FIRE, SERVE, free_port, server_env, wait_served


def test_api_serve_subprocess_ingest_and_read_back(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(f"sqlite:///{tmp_path / 'served.db'}")
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [*SERVE, "--port", str(port), "--workers", "1"],
        cwd=tmp_path,  # no stray .env file is read
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_served(base, server)
        created = httpx.post(
            f"{base}/v1/documents",
            json={"id": "velmar-fire", "text": HARBOUR_FIRE, "outlet": "Example Wire"},
            timeout=60.0,
        )
        assert created.status_code == 201, created.text
        got = httpx.get(f"{base}/v1/documents/velmar-fire", timeout=10.0)
        assert got.status_code == 200
        assert got.json() == created.json()
        assert got.json()["text"] == HARBOUR_FIRE
        incidents = httpx.get(f"{base}/v1/incidents", timeout=10.0).json()
        assert [i["document_ids"] for i in incidents["data"]] == [["velmar-fire"]]
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            server.kill()
            server.wait(timeout=10)
        log.close()
    output = (tmp_path / "server.log").read_text(errors="replace")
    # uvicorn shuts down cleanly on SIGTERM, then re-raises the signal, so -SIGTERM is expected.
    assert server.returncode in {0, -signal.SIGTERM}, output
    assert "Application shutdown complete" in output
    assert (tmp_path / "served.db").exists()
