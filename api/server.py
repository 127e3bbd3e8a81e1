"""Running the API under uvicorn; `claims serve` calls `serve()`.

One process parses one report at a time (spaCy pipelines are not thread-safe, so the app
serialises them), so using every core means several worker processes: uvicorn's supervisor
starts `workers` processes that share the listening socket, each building its own app from the
`CLAIMS_*` environment and loading its own models (~0.8 GB each). The workers share the
database, and the store's `incident_lock()` keeps their incident updates from overwriting each
other. With several workers each process gets `cores // workers` torch threads unless
`CLAIMS_EMBEDDING_THREADS` says otherwise, so the workers do not fight over the cores.
"""

from __future__ import annotations

import os

from api.settings import Settings


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    settings: Settings | None = None,
    workers: int = 1,
) -> None:
    """Serve the app: in this process when `workers` is 1 (and `settings`, if given, are used),
    else in `workers` processes that each read their settings from the environment."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import uvicorn

    if workers <= 1:
        from api.app import create_app

        uvicorn.run(
            create_app(settings), host=host, port=port, log_level="info", proxy_headers=True
        )
        return
    if settings is not None:
        raise ValueError("settings cannot be passed to worker processes; use CLAIMS_* variables")
    os.environ.setdefault("CLAIMS_EMBEDDING_THREADS", str(max(1, default_workers() // workers)))
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
    )
