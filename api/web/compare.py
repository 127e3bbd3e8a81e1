""" "Compare now": paste reports, see their incidents, fact sheets and conflicts, store nothing.

The form posts to this server-side handler, which builds the same `CompareRequest` that
`POST /v1/compare` takes and calls `api.service.compare`, so the page and the API give one
answer. It declares the API's `Compute` access (a model run: the same keys and rate limits as
`POST /v1/compare`).

The handler takes the form as JSON (`{"format", "reports"}`) or urlencoded. The page's small
script (`static/compare.js`) sends JSON and swaps the returned result fragment in (an
htmx-style partial update); without JavaScript the plain urlencoded form posts and gets the
whole page back (the body middleware checks media types on `/v1` only). Reading the body here
keeps python-multipart (and so file uploads) out of the dependencies.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api import service
from api.access import COST, Kind, access, charge, scope_of
from api.errors import InvalidAPIKeyError, RateLimitedError
from api.schemas import CompareDocument, CompareRequest, DocumentCreate
from api.state import AppState
from api.web import views
from api.web.pages import PAGE_CSP, render
from claims.errors import ClaimsError
from claims.extraction.ingest import html_to_text
from claims.models import Comparison, RelationType

router = APIRouter(include_in_schema=False)

SEPARATOR = "---"
COMPARE_CSP = PAGE_CSP  # the pages' policy: their own script files only, nothing inline
FORMATS = ("text", "html", "jsonl")
EXAMPLE_JSONL = (
    '{"id": "a", "outlet": "Wire", "text": "The army said six soldiers were killed."}\n'
    '{"id": "b", "outlet": "Courier", "text": "Rebels said 20 soldiers were killed."}'
)


def _html_title(page: str) -> str | None:
    found = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    title = html.unescape(found.group(1)).strip() if found else ""
    return title[:1_000] or None


class FormError(Exception):
    """What is wrong with the pasted input, as a sentence for the page."""


def parse_reports(text: str, kind: str) -> CompareRequest:
    """The pasted input as a `CompareRequest`: JSON Lines (one `claims compare` input per
    line), or plain text or HTML pages with reports separated by a line holding only `---`
    (HTML is reduced to its article text with trafilatura, as `claims extract page.html` does;
    the page's `<title>` becomes the report's title)."""
    documents: list[CompareDocument] = []
    if kind == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                documents.append(CompareDocument.model_validate(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise FormError(f"line {number} is not JSON: {exc.msg}") from exc
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "line"
                raise FormError(f"line {number}, {where}: {first['msg']}") from exc
    else:
        chunks: list[list[str]] = [[]]
        for line in text.splitlines():
            if line.strip() == SEPARATOR:
                chunks.append([])
            else:
                chunks[-1].append(line)
        reports = [r for r in ("\n".join(c).strip() for c in chunks) if r]
        for i, body in enumerate(reports, start=1):
            title = None
            if kind == "html":
                title = _html_title(body)
                try:
                    body = html_to_text(body, f"page {i}")
                except ClaimsError as exc:
                    raise FormError(str(exc)) from exc
            documents.append(CompareDocument(id=f"report-{i}", text=body, title=title))
    if not documents:
        raise FormError("paste at least one report")
    return CompareRequest(documents=documents)


async def _read_form(request: Request) -> tuple[str, str, str]:
    """`(reports, format, api key)` from a JSON or urlencoded body."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FormError(f"the form body is not JSON: {exc.msg}") from exc
        if not isinstance(data, dict):
            raise FormError("the form body must be a JSON object")
        text, kind, key = data.get("reports", ""), data.get("format", "text"), data.get("key", "")
    else:
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        text, kind = form.get("reports", [""])[0], form.get("format", ["text"])[0]
        key = form.get("key", [""])[0]
    if not all(isinstance(v, str) for v in (text, kind, key)):
        raise FormError("reports, format and key must be strings")
    return text, kind if kind in FORMATS else "text", key


def _page(request: Request, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    defaults: dict[str, Any] = {
        "text": "",
        "kind": "text",
        "error": None,
        "result": None,
        "example": EXAMPLE_JSONL,
        "separator": SEPARATOR,
        "fragment": False,
        "stored": None,
    }
    context = defaults | context
    name = "_compare_result.html" if context["fragment"] else "compare.html"
    return render(request, name, context, status_code, csp=COMPARE_CSP)


@router.get("/compare", response_class=HTMLResponse)
def compare_form(request: Request) -> HTMLResponse:
    return _page(request, {})


@router.post("/compare", response_class=HTMLResponse, dependencies=[Depends(access(Kind.COMPUTE))])
async def compare_now(request: Request) -> HTMLResponse:
    """Compare the pasted reports and show the result: the whole page with the input shown
    again for editing, or (header `X-Fragment: 1`, from the page's script) just the result."""
    fragment = request.headers.get("x-fragment") == "1"
    context: dict[str, Any] = {"fragment": fragment}
    try:
        text, kind, _ = await _read_form(request)
        context |= {"text": text, "kind": kind}
        body = parse_reports(text, kind)
        state: AppState = request.app.state.claims
        state.check_ready()
        comparison = await run_in_threadpool(
            service.compare, request=body, settings=state.settings, comparer=state.comparer
        )
    except FormError as exc:
        return _page(request, context | {"error": str(exc)}, 422)
    except ClaimsError as exc:  # empty or oversized text, too many reports, models loading
        return _page(request, context | {"error": f"{exc.code}: {exc}"}, 422)
    return _page(request, context | {"result": _result(body, comparison)})


@router.post("/compare/store", response_class=HTMLResponse)
async def store_reports(request: Request) -> HTMLResponse:
    """Store the pasted reports (as `POST /v1/documents` would, one by one) and link to each
    and to its incident. A form cannot send a bearer header, so the key, when keys are
    configured, comes in the form's password field and needs the write scope; the rate limit
    is the API's, per key or per address, at a write's cost per report."""
    fragment = request.headers.get("x-fragment") == "1"
    context: dict[str, Any] = {"fragment": fragment}
    state: AppState = request.app.state.claims
    try:
        text, kind, key = await _read_form(request)
        context |= {"text": text, "kind": kind}
        body = parse_reports(text, kind)
        _check_write_key(state, key)
        valid = key if key and scope_of(key, state.settings) is not None else None
        charge(request, Response(), valid, COST[Kind.WRITE] * len(body.documents))
        state.check_ready()
        stored = await run_in_threadpool(_store_all, state, body)
    except FormError as exc:
        return _page(request, context | {"error": str(exc)}, 422)
    except InvalidAPIKeyError as exc:
        return _page(request, context | {"error": f"{exc.code}: {exc}"}, 403)
    except RateLimitedError as exc:
        return _page(request, context | {"error": f"{exc.code}: {exc}"}, 429)
    except ClaimsError as exc:
        return _page(request, context | {"error": f"{exc.code}: {exc}"}, 422)
    return _page(request, context | {"stored": stored})


def _check_write_key(state: AppState, key: str) -> None:
    settings = state.settings
    if not (settings.api_keys or settings.read_api_keys):
        return  # an open server: anyone may store, as with POST /v1/documents
    if scope_of(key, settings) != "write":
        raise InvalidAPIKeyError("storing needs an API key with the write scope")


def _store_all(state: AppState, body: CompareRequest) -> list[dict[str, Any]]:
    """Ingest each report; per report its id, whether it was new, its incident or its error."""
    out: list[dict[str, Any]] = []
    for i, item in enumerate(body.documents, start=1):
        try:
            request = DocumentCreate(**item.model_dump())
            document, created = service.ingest_document(
                request=request,
                settings=state.settings,
                store=state.store,
                extractor=state.serial_extractor,
                embedder=state.embedder,
                comparer=state.comparer,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            out.append({"n": i, "id": item.id, "error": f"{first['loc'][-1]}: {first['msg']}"})
            continue
        except ClaimsError as exc:
            out.append({"n": i, "id": item.id, "error": f"{exc.code}: {exc}"})
            continue
        out.append(
            {
                "n": i,
                "id": document.id,
                "error": None,
                "created": created,
                "title": document.title or document.outlet or document.id,
                "incident": state.store.incident_of_document(document.id),
            }
        )
    return out


def _result(body: CompareRequest, comparison: Comparison) -> list[dict[str, Any]]:
    """Per incident: its fact sheet, relations and reports, as the incident page shows them."""
    names = {d.id: d.outlet or d.title or d.id for d in body.documents if d.id is not None}
    out: list[dict[str, Any]] = []
    for incident in comparison.incidents:
        out.append(
            {
                "incident": incident,
                "sheet": views.fact_sheet(incident),
                "titles": names,
                "conflicts": views.relations_of(incident, RelationType.CONFLICTS),
                "corroborations": views.relations_of(incident, RelationType.CORROBORATES),
                "updates": views.relations_of(incident, RelationType.UPDATES),
                "claimants": {c.id: c.claimant.name for c in incident.claims},
            }
        )
    return out
