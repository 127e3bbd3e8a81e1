"""A comparison as Markdown, for people: what a fact-checker would write by hand."""

from __future__ import annotations

from claims.models import Claim, Comparison, Incident, RelationType


def _who(claim: Claim) -> str:
    name = claim.claimant.name
    return f"{name} (anonymous)" if claim.claimant.anonymous else name


def render_markdown(comparison: Comparison, outlets: dict[str, str | None]) -> str:
    lines: list[str] = []
    for incident in comparison.incidents:
        lines.extend(_incident(incident, outlets))
    return "\n".join(lines).rstrip() + "\n"


def fact_sheet_table(incident: Incident) -> list[str]:
    """The fact sheet as a Markdown table: one row per slot, one cell per source ("soldiers
    killed | conflicting | army: 6 · rebels: ≥ 20")."""
    rows = [r for r in incident.fact_sheet if r.cells]
    if not rows:
        return []
    out = ["### Fact sheet", "", "| fact | status | sources |", "|---|---|---|"]
    for row in rows:
        cells = " · ".join(f"{_cell(c.source)}: {c.value}" for c in row.cells)
        out.append(f"| {row.label} | {row.status.value} | {cells} |")
    out.append("")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _incident(incident: Incident, outlets: dict[str, str | None]) -> list[str]:
    claims = {c.id: c for c in incident.claims}
    docs = ", ".join(f"{d} ({outlets.get(d) or '?'})" for d in incident.document_ids)
    span = ""
    if incident.time_start:
        span = f", {incident.time_start}" + (
            f" – {incident.time_end}" if incident.time_end != incident.time_start else ""
        )
    out = [
        f"## {incident.label}",
        "",
        f"**Status:** {incident.status.value} · {incident.independent_sources} independent "
        f"source(s) · first reported by `{incident.first_document_id}`{span}",
        f"**Documents:** {docs}",
        "",
    ]
    out.extend(fact_sheet_table(incident))
    updates = [r for r in incident.relations if r.type is RelationType.UPDATES]
    if updates:
        out.append("### Updates (a source revising its own figure)")
        out.extend(f"- {r.reason.text}" for r in updates)
        out.append("")
    disputed = [f for f in incident.facts if len(f.claim_ids) > 1]
    if disputed:
        out.append("### Facts reported more than once")
        for fact in disputed:
            out.append(
                f"- **{fact.label}** — {fact.status.value}, "
                f"{fact.independent_sources} independent source(s)"
            )
            for cid in fact.claim_ids:
                c = claims[cid]
                out.append(f"  - {_who(c)} in `{c.document_id}`: “{c.content.text}”")
        out.append("")
    conflicts = [r for r in incident.relations if r.type is RelationType.CONFLICTS]
    agreements = [r for r in incident.relations if r.type is RelationType.CORROBORATES]
    if conflicts:
        out.append("### Conflicts")
        out.extend(f"- `{r.reason.code}` ({r.scorer}): {r.reason.text}" for r in conflicts)
        out.append("")
    if agreements:
        out.append("### Corroborations")
        out.extend(f"- `{r.reason.code}` ({r.scorer}): {r.reason.text}" for r in agreements)
        out.append("")
    if incident.provenance:
        out.append("### Provenance")
        out.extend(
            f"- `{e.source}` repeats `{e.target}` ({e.kind}: {e.detail})"
            for e in incident.provenance
        )
        out.append("")
    return out
