"""The web pages in a real browser: Playwright driving Debian's Chromium against a real
`claims serve` on a loopback port, holding the bundled Kuruzan reports (ingested through the
API, as a newsroom would) and one report carrying a `<script>`.

One server and one browser for the module (starting them is most of the cost). Chromium runs
with its own network calls switched off, so every request a page makes is the page's own, and
the offline tests can demand that all of them go to the loopback server.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import served, server_env
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
KURUZAN = ROOT / "fixtures" / "cases" / "kuruzan-border-clash" / "documents.jsonl"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    # Without these Chromium phones home (updates, sync, field trials) on the closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCRIPT = "<script>window.__x=1</script>"
INERT = {
    "id": "inert-1",
    "title": "Harbour fire <script>window.__x=1</script>",
    "outlet": "Velmar Courier",
    "published_at": "2025-10-02T08:00:00+00:00",
    "text": (
        "Firefighters contained a blaze at the Velmar harbour warehouse on Tuesday night.\n"
        f"The port authority said that 40 containers had been damaged {SCRIPT} overnight.\n"
        "“Nobody was inside when the roof collapsed,” fire chief Anton Brell told reporters.\n"
    ),
}


def _reports() -> list[dict[str, Any]]:
    lines = KURUZAN.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `claims serve --workers 1` (rule scorer, no rate limits) with the reports ingested."""
    directory = tmp_path_factory.mktemp("web")
    env = server_env(
        f"sqlite:///{directory / 'claims.db'}", relation_scorer="rules", rate_limit_anonymous=""
    )
    with served(env, directory, workers=1) as (url, _), httpx.Client(base_url=url) as client:
        for report in _reports():
            response = client.post("/v1/documents", json=report, timeout=120)
            assert response.status_code == 201, response.text
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this when missing)"
        )
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _incident_with_conflicts(base: str) -> dict[str, Any]:
    body = httpx.get(f"{base}/v1/incidents", params={"limit": 200}).json()
    [incident] = [i for i in body["data"] if "cws-1" in i["document_ids"]]
    assert incident["conflict_count"] > 0
    full: dict[str, Any] = httpx.get(f"{base}/v1/incidents/{incident['id']}").json()
    return full


def test_journey_list_incident_conflict_document_export(base: str, page: Page) -> None:
    incident = _incident_with_conflicts(base)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The list: the incident with its status and outlets, found again by a search.
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
    link = page.locator(f'a[href="/incidents/{incident["id"]}"]')
    expect(link).to_have_text(incident["label"])
    expect(page.locator("li.incident", has=link)).to_contain_text("Continental Wire Service")
    page.screenshot(path=str(SCREENSHOTS / "incident-list.png"), full_page=True)
    page.get_by_label("Search").fill("Continental Wire")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(f'a[href="/incidents/{incident["id"]}"]')).to_be_visible()
    page.get_by_label("Search").fill("no such outlet anywhere")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_have_text("0 incidents")
    page.goto(f"{base}/")

    # The incident: the fact sheet, and a conflict's reason on keyboard focus.
    page.locator(f'a[href="/incidents/{incident["id"]}"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(incident["label"])
    sheet = page.locator("table.sheet")
    expect(sheet).to_be_visible()
    rows = [r for r in incident["fact_sheet"] if r["cells"]]
    expect(sheet.locator("tbody tr")).to_have_count(len(rows))
    flag = sheet.locator(".conflict-flag").first
    tip = page.locator(f"#{flag.get_attribute('aria-describedby')}")
    expect(tip).to_be_hidden()
    flag.focus()
    expect(tip).to_be_visible()
    reasons = {r["reason"]["text"] for r in incident["relations"] if r["type"] == "conflicts"}
    assert tip.inner_text().rsplit(" (", 1)[0] in reasons
    flag.evaluate("el => el.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(SCREENSHOTS / "incident.png"))  # the conflict, its reason shown
    flag.blur()
    expect(tip).to_be_hidden()
    flag.hover()
    expect(tip).to_be_visible()

    # The timeline marks the first report; every report is there.
    timeline = page.locator("ol.timeline li")
    expect(timeline).to_have_count(len(incident["sources"]))
    first = page.locator("ol.timeline li.first")
    expect(first).to_contain_text("first report")

    # The exports are JSON.
    for fmt in ("claimreview", "prov"):
        href = page.locator(f'a[href$="/export?format={fmt}"]').get_attribute("href")
        assert href is not None
        response = page.request.get(f"{base}{href}")
        assert response.ok
        assert "json" in response.headers["content-type"]
        assert response.json()

    # The first report's page: spans highlighted, claimants beside, a link back.
    first.get_by_role("link").click()
    first_id = incident["first_document_id"]
    page.wait_for_url(f"{base}/documents/{first_id}")
    claims = httpx.get(f"{base}/v1/documents/{first_id}/claims").json()["data"]
    assert claims
    for role in ("speaker", "cue", "content"):
        marks = page.locator(f"mark.hl.{role}")
        expected = [c[role]["text"] for c in claims if c[role] is not None]
        assert marks.count() >= 1
        shown = " ".join(marks.all_inner_texts())
        assert all(text.split()[0] in shown for text in expected)
    claimants = page.locator(".claimants .claimant").all_inner_texts()
    assert claimants == [c["claimant"]["name"] for c in claims]
    expect(page.locator(f'a[href="/incidents/{incident["id"]}"]').first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "document.png"), full_page=True)


def test_script_in_a_report_renders_as_text(base: str, browser: Browser) -> None:
    # The pages' CSP forbids scripts anyway; bypass it so this tests the escaping alone.
    response = httpx.post(f"{base}/v1/documents", json=INERT, timeout=120)
    assert response.status_code in (200, 201), response.text
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/documents/{INERT['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(INERT["title"])
    expect(page.locator(".reading")).to_contain_text(SCRIPT)
    assert page.evaluate("typeof window.__x") == "undefined"
    assert page.locator("main script").count() == 0
    page.goto(f"{base}/?q=harbour")
    expect(page.locator("main")).to_contain_text("Harbour")
    assert page.evaluate("typeof window.__x") == "undefined"
    context.close()


def test_pages_forbid_scripts(base: str, page: Page) -> None:
    """Only the app's own script files may run: nothing inline, nothing from elsewhere."""
    response = page.goto(f"{base}/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy


def test_a_reason_is_dismissed_with_escape(base: str, page: Page) -> None:
    incident = _incident_with_conflicts(base)
    page.goto(f"{base}/incidents/{incident['id']}")
    flag = page.locator("table.sheet .conflict-flag").first
    tip = page.locator(f"#{flag.get_attribute('aria-describedby')}")
    flag.focus()
    expect(tip).to_be_visible()
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    expect(flag).to_be_focused()  # dismissed without moving the focus
    page.keyboard.press("Shift+Tab")
    flag.focus()
    expect(tip).to_be_visible()


def test_docs_and_redoc_render_offline(base: str, page: Page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base}/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock-summary-path", has_text="/v1/documents").first).to_be_visible()
    page.goto(f"{base}/redoc")
    operation = page.locator("h2", has_text="List incidents, most recently updated first")
    expect(operation).to_be_visible(timeout=15_000)
    assert requested
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    assert all(p.startswith(("/v1/", "/healthz", "/readyz")) for p in paths)  # pages stay out
    # blob: URLs of the page's own origin are ReDoc's web worker, made in the page.
    own = (f"{base}/", f"blob:{base}/")
    elsewhere = [u for u in requested if not u.startswith(own)]
    assert elsewhere == [], elsewhere


@pytest.mark.parametrize("which", ["list", "incident", "document"])
def test_narrow_screen_has_no_horizontal_scroll(base: str, browser: Browser, which: str) -> None:
    incident = _incident_with_conflicts(base)
    path = {
        "list": "/",
        "incident": f"/incidents/{incident['id']}",
        "document": f"/documents/{incident['first_document_id']}",
    }[which]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{base}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at 390"
    finally:
        context.close()


def test_unknown_pages_are_html_404s(base: str, page: Page) -> None:
    for path in ("/incidents/inc_missing", "/documents/missing"):
        response = page.goto(f"{base}{path}")
        assert response is not None
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


def test_compare_now_shows_conflicts_and_stores_nothing(base: str, page: Page) -> None:
    reports = [r | {"id": f"cmp-{r['id']}"} for r in _reports()[:2]]
    page.goto(f"{base}/")
    page.get_by_role("link", name="Compare now").click()
    page.get_by_label("JSON Lines").check()
    page.get_by_label("Reports", exact=True).fill("\n".join(json.dumps(r) for r in reports))
    page.get_by_role("button", name="Compare").click()
    result = page.locator("section.result")
    expect(result.locator("table.sheet").first).to_be_visible(timeout=60_000)
    flag = result.locator("table.sheet .conflict-flag").first
    flag.focus()
    expect(page.locator(f"#{flag.get_attribute('aria-describedby')}")).to_be_visible()
    expect(page.get_by_label("Reports", exact=True)).to_have_value(
        "\n".join(json.dumps(r) for r in reports)
    )
    for report in reports:
        assert httpx.get(f"{base}/v1/documents/{report['id']}").status_code == 404

    page.get_by_label("JSON Lines").check()
    page.get_by_label("Reports", exact=True).fill("{not json")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("alert")).to_contain_text("line 1 is not JSON")


def test_compare_now_works_without_javascript(base: str, browser: Browser) -> None:
    """The plain form posts urlencoded and gets the whole page back."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        reports = [r | {"id": f"nojs-{r['id']}"} for r in _reports()[:2]]
        page.goto(f"{base}/compare")
        page.get_by_label("JSON Lines").check()
        page.get_by_label("Reports", exact=True).fill("\n".join(json.dumps(r) for r in reports))
        page.get_by_role("button", name="Compare").click()
        expect(page.locator("section.result table.sheet").first).to_be_visible(timeout=60_000)
    finally:
        context.close()


def test_reports_are_stored_from_the_page(base: str, page: Page) -> None:
    """A newcomer pastes reports and stores them without touching the API; each stored
    report links to its page and its incident."""
    reports = [r | {"id": f"page-{r['id']}"} for r in _reports()[:2]]
    page.goto(f"{base}/compare")
    page.get_by_label("JSON Lines").check()
    page.get_by_label("Reports", exact=True).fill("\n".join(json.dumps(r) for r in reports))
    page.get_by_role("button", name="Store them").click()
    expect(page.locator("#stored-h")).to_have_text("Stored 2 of 2 reports", timeout=60_000)
    for report in reports:
        assert httpx.get(f"{base}/v1/documents/{report['id']}").status_code == 200
    page.get_by_role("link", name="its incident").first.click()
    expect(page.locator("table.sheet").first).to_be_visible()


def test_compare_now_loads_html_files(base: str, page: Page, tmp_path: Path) -> None:
    """Files chosen on the page are read in the browser into the box (HTML → the html format),
    then compared like pasted input."""
    paths = []
    for report in _reports()[:2]:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in report["text"].splitlines() if p)
        path = tmp_path / f"{report['id']}.html"
        path.write_text(
            f"<html><head><title>{html.escape(report['id'])}</title></head><body>"
            f"<nav>Home · World</nav><article>{paragraphs}</article></body></html>",
            encoding="utf-8",
        )
        paths.append(path)
    page.goto(f"{base}/compare")
    page.get_by_label("Or load files").set_input_files(paths)
    expect(page.get_by_label("HTML pages")).to_be_checked()
    expect(page.get_by_label("Reports", exact=True)).to_have_value(re.compile("<article>"))
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("section.result table.sheet").first).to_be_visible(timeout=60_000)


# WCAG 2.x contrast of every visible text element against the first opaque background behind
# it, computed in the browser from the rendered styles (not from the stylesheet by hand).
CONTRAST_JS = """
() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") continue;
    const fg = rgb(style.color).slice(0, 3), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) out.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)}`);
  }
  return out;
}
"""


def test_text_contrast_is_wcag_aa(base: str, page: Page) -> None:
    incident = _incident_with_conflicts(base)
    paths = ["/", f"/incidents/{incident['id']}", f"/documents/{incident['document_ids'][0]}"]
    for path in paths:
        page.goto(f"{base}{path}")
        assert page.evaluate(CONTRAST_JS) == [], path
    # A reason's tooltip, shown on focus.
    page.goto(f"{base}/incidents/{incident['id']}")
    flag = page.locator("table.sheet .conflict-flag").first
    flag.focus()
    assert page.evaluate(CONTRAST_JS) == []
