"""End to end: `claims serve` as a real process on a free loopback port, over a SQLite file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from api_support import HARBOUR_FIRE

READY_TIMEOUT = 60.0


def free_port() -> int:
    """A port the kernel just gave out; it could be taken again before the server binds it,
    which on a loopback test runner is unlikely enough to accept."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
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


def test_api_serve_subprocess_ingest_and_read_back(tmp_path: Path) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CLAIMS_")  # the developer's own settings must not leak in
    }
    env |= {
        "CLAIMS_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "CLAIMS_EMBEDDING_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", "from claims.cli import app; app()", "serve", "--port", str(port)],
        cwd=tmp_path,  # no stray .env file is read
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
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
