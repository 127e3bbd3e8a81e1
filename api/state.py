"""What the app holds for its lifetime: settings, the store, and the models once loaded.

Models load in a background thread after startup, so the process answers `/healthz` (alive)
at once and `/readyz` (ready) only when extraction and embedding can run.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from api.errors import NotReadyError
from api.settings import Settings
from claims.embed import Embedder, SentenceTransformerEmbedder
from claims.errors import ClaimsError
from claims.extract import Extractor
from claims.models import Claim, Document
from claims.store import ClaimStore

logger = logging.getLogger("api")


class SerialExtractor:
    """An extractor that runs one document at a time: spaCy pipelines are not guaranteed to be
    thread-safe, and the API calls them from its worker threads."""

    def __init__(self, extractor: Extractor) -> None:
        self.extractor = extractor
        self._lock = threading.Lock()

    def run(self, document: Document) -> list[Claim]:
        with self._lock:
            return self.extractor.run(document)


@dataclass
class AppState:
    settings: Settings
    store: ClaimStore
    extractor: Extractor
    embedder: Embedder
    ready: threading.Event = field(default_factory=threading.Event)
    load_error: ClaimsError | None = None
    serial_extractor: SerialExtractor = field(init=False)

    def __post_init__(self) -> None:
        self.serial_extractor = SerialExtractor(self.extractor)

    def load_models(self) -> None:
        """Warm up both models (idempotent); remembers a load failure for `/readyz`."""
        try:
            self.extractor.warm_up()
            self.embedder.warm_up()
        except ClaimsError as exc:
            logger.error("model loading failed: %s: %s", exc.code, exc)
            self.load_error = exc
            return
        self.ready.set()
        logger.info("models loaded; ready")

    def check_ready(self) -> None:
        if self.load_error is not None:
            raise self.load_error
        if not self.ready.is_set():
            raise NotReadyError("models are still loading; retry shortly")


def default_components(settings: Settings) -> tuple[Extractor, Embedder]:
    return (
        Extractor(spacy_model=settings.spacy_model),
        SentenceTransformerEmbedder(settings.embedding_model, threads=settings.embedding_threads),
    )
