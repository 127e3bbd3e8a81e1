"""The pages' decisions as plain functions: spans cut into marks, searches, date ranges, the
fact sheet's conflict notes. Fast, no server or browser."""

from __future__ import annotations

from datetime import date

import pytest

from api.schemas import IncidentPublic, IncidentSummary
from api.web import views
from api.web.compare import FormError, parse_reports
from api.web.pages import web_url
from claims.models import (
    Claim,
    Claimant,
    ClaimKind,
    FactCell,
    FactRow,
    IncidentStatus,
    Relation,
    RelationType,
    Span,
)


def _span(text: str, part: str, start: int = 0) -> Span:
    i = text.index(part, start)
    return Span(start=i, end=i + len(part), text=part)


def _claim(cid: str, text: str, speaker: str | None, cue: str | None, content: str) -> Claim:
    return Claim(
        id=cid,
        document_id="d",
        speaker=_span(text, speaker) if speaker else None,
        cue=_span(text, cue) if cue else None,
        content=_span(text, content),
        kind=ClaimKind.INDIRECT,
        claimant=Claimant(name=speaker or "outlet"),
    )


def test_highlight_cuts_at_every_edge_and_line_break() -> None:
    text = "Police said two men were held.\nThe mayor said police said too much."
    first = _claim("c1", text, "Police", "said", "two men were held")
    # The second claim's content holds words that are not its speaker: cuts, never nesting.
    second = _claim("c2", text, "The mayor", "said", "police said too much")
    paragraphs = views.highlight(text, [first, second])
    assert len(paragraphs) == 2
    assert "".join(s.text for p in paragraphs for s in p.segments) == text.replace("\n", "")
    roles = [(s.text, s.role) for s in paragraphs[0].segments if s.role]
    assert roles == [("Police", "speaker"), ("said", "cue"), ("two men were held", "content")]
    assert [n for n, _ in paragraphs[0].claims] == [1]
    assert [n for n, _ in paragraphs[1].claims] == [2]
    content = [s for s in paragraphs[1].segments if s.role == "content"]
    assert "".join(s.text for s in content) == "police said too much"
    assert content[0].starts == (2,)


def test_highlight_ignores_offsets_outside_the_text() -> None:
    text = "Short."
    bad = Claim(
        id="x",
        document_id="d",
        speaker=None,
        cue=None,
        content=Span(start=2, end=99, text="?"),
        kind=ClaimKind.UNATTRIBUTED,
        claimant=Claimant(name="outlet"),
    )
    [paragraph] = views.highlight(text, [bad])
    assert [(s.text, s.role) for s in paragraph.segments] == [("Short.", None)]


def _summary(**changes: object) -> IncidentSummary:
    base: dict[str, object] = {
        "id": "i",
        "label": "Clash near Kuruzan",
        "status": IncidentStatus.MIXED,
        "document_ids": ["a"],
        "first_document_id": "a",
        "independent_sources": 1,
        "time_start": date(2025, 9, 21),
        "time_end": date(2025, 9, 22),
        "places": ["Kuruzan"],
        "actors": ["Daniyar Sarsen"],
        "claim_count": 1,
        "fact_count": 1,
        "conflict_count": 0,
        "corroboration_count": 0,
    }
    return IncidentSummary.model_validate(base | changes)


def test_search_date_range_and_order() -> None:
    row = views.IncidentRow(_summary(), ["Continental Wire Service"])
    assert views.matches(row, "kuruzan")
    assert views.matches(row, "sarsen continental")
    assert not views.matches(row, "ferry")
    assert views.in_range(row, date(2025, 9, 22), None)
    assert not views.in_range(row, None, date(2025, 9, 20))
    undated = views.IncidentRow(_summary(id="u", time_start=None, time_end=None), [])
    assert views.in_range(undated, None, None)
    assert not views.in_range(undated, date(2025, 1, 1), None)
    older = views.IncidentRow(_summary(id="o", time_start=date(2024, 1, 1), time_end=None), [])
    hot = views.IncidentRow(
        _summary(
            id="h", status=IncidentStatus.CONFLICTING, time_start=date(2023, 1, 1), time_end=None
        ),
        [],
    )
    ordered = views.order_rows([undated, older, row, hot], conflicting_first=False)
    assert [r.summary.id for r in ordered] == ["i", "o", "h", "u"]
    ordered = views.order_rows([undated, older, row, hot], conflicting_first=True)
    assert [r.summary.id for r in ordered] == ["h", "i", "o", "u"]


def test_fact_sheet_puts_reasons_in_the_cells_they_explain() -> None:
    text = "The army said 6 soldiers died. Rebels said 20 soldiers died."
    army = _claim("a1", text, "The army", "said", "6 soldiers died")
    rebels = _claim("r1", text, "Rebels", "said", "20 soldiers died")
    conflict = Relation.between(
        "a1", "r1", RelationType.CONFLICTS, "numeric", "army says 6; rebels say 20", 0.9, "frames"
    )
    row = FactRow(
        fact_id="f1",
        label="soldiers killed",
        event="killed",
        category="soldiers",
        status=IncidentStatus.CONFLICTING,
        cells=[
            FactCell(source="army", value="6", claim_ids=["a1"], first_document_id="d"),
            FactCell(source="rebels", value="20", claim_ids=["r1"], first_document_id="d"),
        ],
    )
    incident = IncidentPublic(
        id="inc",
        label="x",
        document_ids=["d"],
        claims=[army, rebels],
        facts=[],
        relations=[conflict],
        status=IncidentStatus.CONFLICTING,
        independent_sources=2,
        first_document_id="d",
        provenance=[],
        fact_sheet=[row],
        sources=[],
    )
    sheet = views.fact_sheet(incident)
    assert sheet.sources == ["army", "rebels"]
    [sheet_row] = sheet.rows
    cells = [c for c in sheet_row.cells if c is not None]
    assert [c.value for c in cells] == ["6", "20"]
    assert [n.other for n in cells[0].conflicts] == ["Rebels"]
    assert cells[1].conflicts[0].text == "army says 6; rebels say 20"
    assert cells[0].conflicts[0].id != cells[1].conflicts[0].id  # unique aria targets


def test_only_web_urls_are_linked() -> None:
    assert web_url("https://news.example/a") == "https://news.example/a"
    assert web_url("javascript:alert(1)") is None
    assert web_url("data:text/html,x") is None
    assert web_url(None) is None


def test_pasted_reports_become_a_compare_request() -> None:
    text = "The army said six soldiers died.\n---\nRebels said 20 died.\n---\n\n"
    body = parse_reports(text, "text")
    assert [(d.id, d.text) for d in body.documents] == [
        ("report-1", "The army said six soldiers died."),
        ("report-2", "Rebels said 20 died."),
    ]
    jsonl = '{"id": "a", "text": "One.", "outlet": "Wire"}\n\n{"text": "Two."}\n'
    body = parse_reports(jsonl, "jsonl")
    assert [(d.id, d.outlet) for d in body.documents] == [("a", "Wire"), (None, None)]
    with pytest.raises(FormError, match="line 2 is not JSON"):
        parse_reports('{"text": "ok"}\n{oops', "jsonl")
    with pytest.raises(FormError, match="line 1, publishd_at"):
        parse_reports('{"text": "ok", "publishd_at": "2025-01-01"}', "jsonl")
    with pytest.raises(FormError, match="at least one report"):
        parse_reports("  \n---\n", "text")


def test_pasted_html_pages_are_reduced_to_their_articles() -> None:
    page = (
        "<html><head><title>Floods in Orsk &amp; beyond</title></head><body>"
        "<nav>Home | World | Sport</nav><article><p>Rescue teams evacuated some 1,200"
        " residents of Orsk on Sunday, the flood agency said in a statement.</p>"
        "<p>The governor said that nine shelters had been opened in schools.</p></article>"
        "<footer>All rights reserved.</footer></body></html>"
    )
    body = parse_reports(f"{page}\n---\n{page}", "html")
    assert len(body.documents) == 2
    first = body.documents[0]
    assert first.title == "Floods in Orsk & beyond"
    assert "nine shelters" in first.text
    assert "All rights reserved" not in first.text
    with pytest.raises(FormError, match="no article text"):
        parse_reports("<html><body></body></html>", "html")
