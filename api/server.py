"""Running the API under uvicorn; `claims serve` calls `serve()`."""

from __future__ import annotations

import os

from api.settings import Settings


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None) -> None:
    """Serve one app in this process. One worker: each worker would load its own models, and the
    extractor is serialised anyway; scale out with more processes behind a proxy instead."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=True)
