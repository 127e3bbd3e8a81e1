"""Exporting an incident to the formats fact-checking and provenance tools already read.

- **ClaimReview** (schema.org JSON-LD), one review per fact group: what fact-checkers publish and
  search engines index. We compare sources, we do not rate truth, so `reviewRating` carries only
  the fact's status as `alternateName` (conflicting / corroborated / single_source / mixed) and the
  relation reasons as `ratingExplanation`; no numeric rating is invented.
- **PROV-JSON** (W3C PROV, the JSON serialisation of the PROV data model): documents and claims
  as entities, claimants and outlets as agents, "this claim comes from that document", "this claim
  is that speaker's", "this document is that outlet's", and "this document repeats that one" (the
  incident's provenance edges), so provenance tools can draw and query the chain.

Both are plain dicts built from the library's models, so the CLI, the API and batch jobs export
exactly the same thing and no JSON-LD or PROV library is needed at run time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from claims.models import (
    Claim,
    Claimant,
    Document,
    EntityType,
    FactGroup,
    Incident,
    RelationType,
)

SCHEMA_CONTEXT = "https://schema.org"
PROV_PREFIXES = {
    "doc": "urn:claims:document:",
    "claim": "urn:claims:claim:",
    "agent": "urn:claims:agent:",
    "outlet": "urn:claims:outlet:",
    "claims": "urn:claims:vocab#",
    "schema": "https://schema.org/",
}
# Claimant types that are people; everything else that speaks (ministries, armies, outlets,
# groups, states) is an organisation in schema.org's and PROV's terms.
_PERSON_TYPES = frozenset({EntityType.PERSON})


# -- ClaimReview -----------------------------------------------------------------------------------
def to_claimreview(
    incident: Incident,
    documents: Sequence[Document],
    *,
    date_published: date | None = None,
    review_author: str = "claims",
) -> list[dict[str, Any]]:
    """One schema.org `ClaimReview` per fact group of the incident.

    `documents` are the incident's documents (for urls, outlets and dates; missing ones are
    skipped, never invented). `date_published` is the review's own date, today (UTC) by default.
    """
    docs = {d.id: d for d in documents}
    by_id = {c.id: c for c in incident.claims}
    reviewed_on = (date_published or datetime.now(UTC).date()).isoformat()
    out: list[dict[str, Any]] = []
    for fact in incident.facts:
        claims = [by_id[i] for i in fact.claim_ids if i in by_id]
        first = by_id.get(fact.first_claim_id) or (claims[0] if claims else None)
        if first is None:
            continue
        item: dict[str, Any] = {"@type": "Claim", "author": _schema_agent(first.claimant)}
        first_doc = docs.get(first.document_id)
        if first_doc is not None and first_doc.published_at is not None:
            item["datePublished"] = first_doc.published_at.date().isoformat()
        item["appearance"] = [
            _appearance(docs[doc_id])
            for doc_id in dict.fromkeys(c.document_id for c in claims)
            if doc_id in docs
        ]
        rating: dict[str, Any] = {"@type": "Rating", "alternateName": fact.status.value}
        reasons = _fact_reasons(incident, fact)
        if reasons:
            rating["ratingExplanation"] = "; ".join(reasons)
        out.append(
            {
                "@context": SCHEMA_CONTEXT,
                "@type": "ClaimReview",
                "identifier": fact.id,
                "claimReviewed": first.content.text,
                "itemReviewed": item,
                "reviewRating": rating,
                "author": {"@type": "Organization", "name": review_author},
                "datePublished": reviewed_on,
            }
        )
    return out


def _schema_agent(claimant: Claimant) -> dict[str, Any]:
    kind = "Person" if claimant.type in _PERSON_TYPES else "Organization"
    return {"@type": kind, "name": claimant.name}


def _appearance(document: Document) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork"}
    if document.url:
        work["url"] = document.url
    if document.title:
        work["headline"] = document.title
    if document.outlet:
        work["publisher"] = {"@type": "Organization", "name": document.outlet}
    if document.published_at is not None:
        work["datePublished"] = document.published_at.isoformat()
    return work


def _fact_reasons(incident: Incident, fact: FactGroup) -> list[str]:
    """The reasons of the fact's relations, conflicts first, each once."""
    members = set(fact.claim_ids)
    relations = [r for r in incident.relations if r.a in members and r.b in members]
    relations.sort(key=lambda r: r.type is not RelationType.CONFLICTS)
    return list(dict.fromkeys(r.reason.text for r in relations))


# -- PROV-JSON -------------------------------------------------------------------------------------
def to_prov(incident: Incident, documents: Sequence[Document]) -> dict[str, Any]:
    """The incident as a W3C PROV-JSON document.

    Entities `doc:<id>` and `claim:<id>`; agents `agent:<slug>` (claimants) and `outlet:<slug>`
    (publishers; a claim whose claimant is the outlet itself, the reporter's own words, is
    attributed to the outlet agent, since they are the same party). `wasDerivedFrom` links each
    claim to its document and each repeating document to the one it repeats, typed with the
    provenance kind (`claims:wire_copy`, `claims:cites`, `claims:same_speaker`).
    """
    docs = {d.id: d for d in documents}
    fact_of = {cid: f.id for f in incident.facts for cid in f.claim_ids}
    entity: dict[str, dict[str, Any]] = {}
    agent: dict[str, dict[str, Any]] = {}
    derived: dict[str, dict[str, Any]] = {}
    attributed: dict[str, dict[str, Any]] = {}

    for doc_id in incident.document_ids:
        doc_ref = _doc_ref(doc_id)
        attrs: dict[str, Any] = {"prov:type": _qname("schema:NewsArticle")}
        document = docs.get(doc_id)
        if document is not None:
            if document.title:
                attrs["prov:label"] = document.title
            if document.url:
                attrs["schema:url"] = {"$": document.url, "type": "xsd:anyURI"}
            if document.published_at is not None:
                attrs["schema:datePublished"] = {
                    "$": document.published_at.isoformat(),
                    "type": "xsd:dateTime",
                }
            if document.outlet:
                outlet_ref = _outlet_ref(document.outlet)
                agent.setdefault(outlet_ref, _prov_agent(document.outlet, person=False))
                attributed[f"_:wat{len(attributed) + 1}"] = {
                    "prov:entity": doc_ref,
                    "prov:agent": outlet_ref,
                }
        entity[doc_ref] = attrs

    outlets = {_slug(d.outlet): d.outlet for d in documents if d.outlet}
    for claim in incident.claims:
        claim_ref = f"claim:{_local(claim.id)}"
        attrs = {
            "prov:type": _qname("claims:Claim"),
            "prov:value": claim.content.text,
            "claims:kind": claim.kind.value,
            "claims:stance": claim.stance.value,
        }
        if claim.id in fact_of:
            attrs["claims:fact"] = fact_of[claim.id]
        entity[claim_ref] = attrs
        derived[f"_:wdf{len(derived) + 1}"] = {
            "prov:generatedEntity": claim_ref,
            "prov:usedEntity": _doc_ref(claim.document_id),
        }
        speaker_ref = _claimant_ref(claim, outlets)
        if speaker_ref is not None:
            if speaker_ref not in agent:
                agent[speaker_ref] = _prov_agent(
                    claim.claimant.name, person=claim.claimant.type in _PERSON_TYPES
                )
            attributed[f"_:wat{len(attributed) + 1}"] = {
                "prov:entity": claim_ref,
                "prov:agent": speaker_ref,
            }

    for edge in incident.provenance:
        derived[f"_:wdf{len(derived) + 1}"] = {
            "prov:generatedEntity": _doc_ref(edge.source),
            "prov:usedEntity": _doc_ref(edge.target),
            "prov:type": _qname(f"claims:{edge.kind}"),
            "prov:label": edge.detail,
        }

    return {
        "prefix": dict(PROV_PREFIXES),
        "entity": entity,
        "agent": agent,
        "wasDerivedFrom": derived,
        "wasAttributedTo": attributed,
    }


def _claimant_ref(claim: Claim, outlets: dict[str, str]) -> str | None:
    name = claim.claimant.name
    if not name.strip():
        return None
    slug = _slug(name)
    if claim.claimant.type is EntityType.OUTLET or slug in outlets:
        return f"outlet:{slug}"
    return f"agent:{slug}"


def _prov_agent(name: str, *, person: bool) -> dict[str, Any]:
    kind = "prov:Person" if person else "prov:Organization"
    return {"prov:type": _qname(kind), "prov:label": name}


def _doc_ref(doc_id: str) -> str:
    return f"doc:{_local(doc_id)}"


def _outlet_ref(outlet: str) -> str:
    return f"outlet:{_slug(outlet)}"


def _qname(name: str) -> dict[str, str]:
    """A typed PROV-JSON value naming a qualified name (so it is not read as a plain string)."""
    return {"$": name, "type": "prov:QUALIFIED_NAME"}


def _local(identifier: str) -> str:
    """An id as the local part of a qualified name: unreserved characters kept, others escaped."""
    return quote(identifier, safe="-._~")


def _slug(name: str | None) -> str:
    """`Lena Korr` → `lena-korr`; `The Velorian army` → `velorian-army` (one agent whatever the
    case or a leading article); accents folded, other scripts kept (escaped), never empty."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"[^\W_]+", text)
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    return _local("-".join(words)) or "unknown"
