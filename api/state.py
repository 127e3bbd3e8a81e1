"""What the app holds for its lifetime: settings, the store, and the models once loaded.

Models load in a background thread after startup, so the process answers `/healthz` (alive)
at once and `/readyz` (ready) only when extraction, embedding and comparison can run.

The extractor and the relation scorer share one spaCy pipeline (`load_spacy` is cached), which is
not guaranteed to be thread-safe, so every use of it, through `SerialExtractor` or
`SerialComparer`, takes the same lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from api.access import RateLimiter
from api.errors import NotReadyError
from api.settings import Settings
from claims.comparison.compare import Comparer
from claims.comparison.embed import Embedder, SentenceTransformerEmbedder
from claims.comparison.incidents import DocumentGrouper, Profile
from claims.comparison.learned import LearnedScorer
from claims.comparison.relate import RuleRelationScorer
from claims.errors import ClaimsError
from claims.extraction.extract import Extractor
from claims.models import Claim, Comparison, Document, Incident
from claims.store import ClaimStore

logger = logging.getLogger("api")


class SerialExtractor:
    """An extractor that runs one document at a time: spaCy pipelines are not guaranteed to be
    thread-safe, and the API calls them from its worker threads."""

    def __init__(self, extractor: Extractor, lock: threading.RLock | None = None) -> None:
        self.extractor = extractor
        self._lock = lock or threading.RLock()

    def run(self, document: Document) -> list[Claim]:
        with self._lock:
            return self.extractor.run(document)

    def analyse(self, document: Document) -> tuple[list[Claim], Profile]:
        """Claims and the incident-grouping profile from one parse. The profile is read while
        the lock is held, because reading a parse's strings touches the shared vocabulary."""
        with self._lock:
            [(_, doc, claims)] = list(self.extractor.process_many([document]))
            return claims, Profile.from_doc(doc, document.published_at)


class SerialComparer:
    """The app's `Comparer`, run under the pipeline lock it shares with the extractor. (The
    read-modify-write of stored incidents is serialised by the store's `incident_lock()`,
    across this process's threads and other processes.)"""

    def __init__(self, comparer: Comparer, lock: threading.RLock) -> None:
        self.comparer = comparer
        self._lock = lock

    @property
    def grouper(self) -> DocumentGrouper:
        return self.comparer.grouper

    def warm_up(self) -> None:
        with self._lock:
            self.comparer.warm_up()

    def compare(self, documents: Sequence[Document]) -> Comparison:
        with self._lock:
            return self.comparer.run(documents)

    def build_incident(
        self, documents: Sequence[Document], claims_by_doc: Mapping[str, list[Claim]]
    ) -> Incident:
        with self._lock:
            return self.comparer.build_incident(documents, claims_by_doc)


@dataclass
class AppState:
    settings: Settings
    store: ClaimStore
    extractor: Extractor
    embedder: Embedder
    ready: threading.Event = field(default_factory=threading.Event)
    load_error: ClaimsError | None = None
    serial_extractor: SerialExtractor = field(init=False)
    comparer: SerialComparer = field(init=False)
    rate_limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.rate_limiter = RateLimiter(self.settings)
        # One lock for the one spaCy pipeline the extractor and the relation scorer share.
        nlp_lock = threading.RLock()
        self.serial_extractor = SerialExtractor(self.extractor, nlp_lock)
        scorer = RuleRelationScorer(spacy_model=self.settings.spacy_model)
        learned = LearnedScorer() if self.settings.relation_scorer == "model" else None
        comparer = Comparer(
            extractor=self.extractor, embedder=self.embedder, scorer=scorer, learned=learned
        )
        self.comparer = SerialComparer(comparer, nlp_lock)

    def load_models(self) -> None:
        """Warm up the models (idempotent); remembers a load failure for `/readyz`."""
        try:
            self.extractor.warm_up()
            self.embedder.warm_up()
            self.comparer.warm_up()  # the relation scorer's pipeline
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
