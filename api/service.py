"""What the endpoints do, as keyword-only functions over plain values (Netflix Dispatch style).

Routes only translate HTTP to these calls, so the behaviour is testable without HTTP and reusable
by batch jobs. Input is checked before any model runs, and an ingest writes to the store in one
call at the very end, after extraction and embedding succeeded, so a failure anywhere leaves
nothing behind.
"""

from __future__ import annotations

from typing import Protocol

from api.errors import at
from api.schemas import (
    ClaimsPublic,
    DocumentCreate,
    DocumentPublic,
    Extraction,
    ExtractRequest,
    ScoredClaim,
    SearchResults,
)
from api.settings import Settings
from claims.embed import Embedder
from claims.errors import ClaimsError, InputTooLargeError
from claims.ingest import decode, make_document
from claims.models import Claim, Document
from claims.store import (
    ClaimFilters,
    ClaimStore,
    DocumentConflictError,
    DocumentNotFoundError,
    StoredDocument,
)


class ClaimExtractor(Protocol):
    def run(self, document: Document) -> list[Claim]: ...


def build_document(
    *, request: ExtractRequest, settings: Settings, doc_id: str | None = None
) -> Document:
    """The `Document` for a request, after the same checks the CLI applies to a file."""
    text = request.text
    if len(text) > settings.max_text_chars:
        raise at(
            ["body", "text"],
            InputTooLargeError(
                f"text has {len(text)} characters, the limit is {settings.max_text_chars}"
            ),
        )
    try:
        decode(text.encode("utf-8"), "text")  # empty, NUL bytes, control characters
        return make_document(
            text,
            doc_id=doc_id,
            name="text",
            title=request.title,
            outlet=request.outlet,
            url=request.url,
            published_at=request.published_at,
        )
    except ClaimsError as exc:  # empty, binary, or over the library's own ceiling
        at(["body", "text"], exc)
        raise


def extract(
    *, request: ExtractRequest, settings: Settings, extractor: ClaimExtractor
) -> Extraction:
    document = build_document(request=request, settings=settings)
    return Extraction(document=document, claims=extractor.run(document))


def _public(stored: StoredDocument) -> DocumentPublic:
    return DocumentPublic(
        **stored.document.model_dump(),
        claim_count=stored.claim_count,
        ingested_at=stored.ingested_at,
    )


def ingest_document(
    *,
    request: DocumentCreate,
    settings: Settings,
    store: ClaimStore,
    extractor: ClaimExtractor,
    embedder: Embedder,
) -> tuple[DocumentPublic, bool]:
    """Extract, embed and store a document; `(document, created)`.

    Idempotent: the same text under the same id (by default the text's hash) is stored once, and
    a repeat returns the stored document without running the models. Metadata of a repeat is
    ignored (first write wins); delete the document to change it.
    """
    document = build_document(request=request, settings=settings, doc_id=request.id)
    existing = store.get_document(document.id)
    if existing is None:
        claims = extractor.run(document)
        vectors = embedder.embed([c.content.text for c in claims])
        # The store re-checks inside its transaction, in case another worker got there first.
        created = store.add_document(document, claims, vectors, embedder.model_name)
        existing = store.get_document(document.id)
        assert existing is not None
    else:
        created = False
    if existing.document.text != document.text:
        raise at(
            ["body", "id"],
            DocumentConflictError(f"document {document.id!r} is already stored with other text"),
        )
    return _public(existing), created


def get_document(*, store: ClaimStore, document_id: str) -> DocumentPublic:
    stored = store.get_document(document_id)
    if stored is None:
        raise at(["path", "document_id"], DocumentNotFoundError(f"no document {document_id!r}"))
    return _public(stored)


def delete_document(*, store: ClaimStore, document_id: str) -> None:
    if not store.delete_document(document_id):
        raise at(["path", "document_id"], DocumentNotFoundError(f"no document {document_id!r}"))


def document_claims(*, store: ClaimStore, document_id: str) -> ClaimsPublic:
    if store.get_document(document_id) is None:
        raise at(["path", "document_id"], DocumentNotFoundError(f"no document {document_id!r}"))
    claims = store.document_claims(document_id)
    return ClaimsPublic(data=claims, count=len(claims))


def list_claims(
    *, store: ClaimStore, filters: ClaimFilters, offset: int, limit: int
) -> ClaimsPublic:
    claims, total = store.list_claims(filters, offset, limit)
    return ClaimsPublic(data=claims, count=total)


def search_claims(*, store: ClaimStore, embedder: Embedder, q: str, k: int) -> SearchResults:
    vector = embedder.embed([q])[0]
    hits = store.search(vector, k, embedder.model_name)
    return SearchResults(
        data=[ScoredClaim(score=h.score, claim=h.claim) for h in hits],
        count=len(hits),
        model=embedder.model_name,
    )
