"""The fact-checkers' pages: incidents, an incident's fact sheet and sources, a report's text.

Server-rendered from the store the API uses, through the same `api.service` functions, so a
page shows exactly what `/v1` returns. Pages are reads: they declare the API's `Read` access
(the same keys and rate limits as `GET /v1/...`) and never need the models, so they work while
those still load. They are left out of the OpenAPI schema, which documents the JSON API only.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import service
from api.access import Read
from api.errors import IncidentNotFoundError
from api.schemas import IncidentPublic
from api.web import views
from claims.models import RelationType
from claims.store import ClaimStore, DocumentNotFoundError

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

PAGE_SIZE = 20
# The list is searched and sorted in Python over the most recently updated incidents, read in
# batches; beyond this many a search misses older incidents (the store has no text index yet).
SCAN_LIMIT = 1000
_BATCH = 200
# The pages run only the app's own script files (tooltips.js, compare.js), so the browser is told
# to run nothing inline and nothing from elsewhere: even if escaping ever failed, an injected
# `<script>` or `onerror=` in a report would not execute.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _environment() -> jinja2.Environment:
    """Autoescaping on for every template, whatever its name: report text is untrusted, and a
    `<script>` in it must reach the browser as text."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["segment"] = lambda s: quote(str(s), safe="")
    env.filters["moment"] = _moment
    return env


def _moment(value: datetime | date) -> str:
    """A publication time as people read it, with its zone when it has one."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %z" if value.tzinfo else "%Y-%m-%d %H:%M").strip()
    return value.isoformat()


def web_url(url: str | None) -> str | None:
    """A report's URL when it is safe to link (http or https): `javascript:` and `data:` URLs
    in untrusted input would run in the reader's browser when clicked, escaping or not."""
    if url and urlsplit(url).scheme.lower() in {"http", "https"}:
        return url
    return None


templates = Jinja2Templates(env=_environment())

router = APIRouter(include_in_schema=False, dependencies=[Read])


def _store(request: Request) -> ClaimStore:
    store: ClaimStore = request.app.state.claims.store
    return store


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    *,
    csp: str = PAGE_CSP,
) -> HTMLResponse:
    """A template as a response, with the pages' Content-Security-Policy."""
    response: HTMLResponse = templates.TemplateResponse(
        request, name, context, status_code=status_code
    )
    response.headers["Content-Security-Policy"] = csp
    return response


def _not_found(request: Request, what: str) -> HTMLResponse:
    return render(request, "not_found.html", {"what": what}, status_code=404)


def _date(text: str, name: str, errors: list[str]) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors.append(f"{name}: {text!r} is not a date (YYYY-MM-DD); it was ignored.")
        return None


def _rows(store: ClaimStore) -> list[views.IncidentRow]:
    """Up to `SCAN_LIMIT` incidents with their outlets (looked up once per document)."""
    outlets: dict[str, str | None] = {}
    rows: list[views.IncidentRow] = []
    offset = 0
    while offset < SCAN_LIMIT:
        page = service.list_incidents(store=store, offset=offset, limit=_BATCH)
        for summary in page.data:
            names: list[str] = []
            for doc_id in summary.document_ids:
                if doc_id not in outlets:
                    try:
                        doc = service.get_document(store=store, document_id=doc_id)
                        outlets[doc_id] = doc.outlet
                    except DocumentNotFoundError:
                        outlets[doc_id] = None
                outlet = outlets[doc_id]
                if outlet and outlet not in names:
                    names.append(outlet)
            rows.append(views.IncidentRow(summary=summary, outlets=names))
        offset += _BATCH
        if offset >= page.count or not page.data:
            break
    return rows


@router.get("/", response_class=HTMLResponse)
def incident_list(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=40)] = "",
    since_text: Annotated[str, Query(alias="from", max_length=40)] = "",
    until_text: Annotated[str, Query(alias="to", max_length=40)] = "",
    conflicting_first: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """The incidents, newest first, filtered by text, status and date range, paginated.

    The dates are read here rather than by FastAPI: a form sends an empty field as `from=`,
    and a mistyped date deserves a sentence on the page, not a JSON error."""
    errors: list[str] = []
    since, until = _date(since_text, "From", errors), _date(until_text, "To", errors)
    rows = _rows(_store(request))
    if q.strip():
        rows = [r for r in rows if views.matches(r, q)]
    if status:
        rows = [r for r in rows if r.summary.status.value == status]
    rows = [r for r in rows if views.in_range(r, since, until)]
    rows = views.order_rows(rows, conflicting_first=conflicting_first)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(page, pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    params = {
        "q": q,
        "status": status,
        "from": since.isoformat() if since else "",
        "to": until.isoformat() if until else "",
        "conflicting_first": "true" if conflicting_first else "",
    }
    kept = {k: v for k, v in params.items() if v}

    def page_url(n: int) -> str:
        return "/?" + urlencode({**kept, "page": n})

    return render(
        request,
        "incidents.html",
        {
            "rows": shown,
            "errors": errors,
            "total": len(rows),
            "params": params,
            "statuses": ["conflicting", "mixed", "corroborated", "single_source"],
            "page": page,
            "pages": pages,
            "prev_url": page_url(page - 1) if page > 1 else None,
            "next_url": page_url(page + 1) if page < pages else None,
        },
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: str) -> HTMLResponse:
    """One incident: the fact sheet with conflicts explained, the reports in time order, who
    repeats whom, and the exports."""
    try:
        incident = service.get_incident(store=_store(request), incident_id=incident_id)
    except IncidentNotFoundError:
        return _not_found(request, f"incident {incident_id}")
    return render(request, "incident.html", _incident_context(incident))


def _incident_context(incident: IncidentPublic) -> dict[str, Any]:
    titles = {s.id: s.outlet or s.title or s.id for s in incident.sources}
    return {
        "incident": incident,
        "sheet": views.fact_sheet(incident),
        "titles": titles,
        "conflicts": views.relations_of(incident, RelationType.CONFLICTS),
        "corroborations": views.relations_of(incident, RelationType.CORROBORATES),
        "updates": views.relations_of(incident, RelationType.UPDATES),
        "claimants": {c.id: c.claimant.name for c in incident.claims},
        "link_documents": True,
    }


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: str) -> HTMLResponse:
    """A report's text with each claim's speaker, cue and content marked, the claimant beside
    it, and links to its incident and the facts its claims feed."""
    store = _store(request)
    try:
        document = service.get_document(store=store, document_id=document_id)
        claims = service.document_claims(store=store, document_id=document_id).data
    except DocumentNotFoundError:
        return _not_found(request, f"document {document_id}")
    incident: IncidentPublic | None = None
    incident_id = store.incident_of_document(document_id)
    if incident_id is not None:
        try:
            incident = service.get_incident(store=store, incident_id=incident_id)
        except IncidentNotFoundError:  # removed between the two reads
            incident = None
    return render(
        request,
        "document.html",
        {
            "document": document,
            "link": web_url(document.url),
            "claims": claims,
            "paragraphs": views.highlight(document.text, claims),
            "incident": incident,
            "facts": views.facts_fed(incident) if incident is not None else {},
        },
    )
