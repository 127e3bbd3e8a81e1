"""`claims.formats.export`: ClaimReview JSON-LD and PROV-JSON built from a real incident.

The incident comes from a real `Comparer` over three small invented reports (two outlets carrying
conflicting tolls of one landslide, one repeating the other), so the exports are checked on what
the pipeline really produces, not on hand-made models.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from claims.comparison.compare import Comparer
from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor
from claims.formats.export import PROV_PREFIXES, to_claimreview, to_prov
from claims.models import Document, Incident

DOCUMENTS = [
    Document(
        id="north-1",
        title="Landslide buries road near Kestra",
        outlet="North Ledger",
        url="https://north.example/kestra-landslide",
        published_at=datetime(2025, 3, 4, 9, 0),
        text=(
            "A landslide buried a mountain road near the village of Kestra on Monday.\n"
            "Regional governor Ana Velis said that twelve people were killed in the landslide.\n"
            "“The rain had loosened the whole slope,” rescue chief Piet Marr told reporters.\n"
        ),
    ),
    Document(
        id="valley-1",
        title="Kestra landslide kills four",
        outlet="Valley Post",
        published_at=datetime(2025, 3, 4, 15, 0),
        text=(
            "A landslide buried a mountain road near the village of Kestra on Monday.\n"
            "The Kestra police said that four people were killed in the landslide.\n"
            "The North Ledger reported that the rain had loosened the whole slope.\n"
        ),
    ),
]


@pytest.fixture(scope="module")
def incident(extractor: Extractor) -> Incident:
    comparer = Comparer(extractor=extractor, embedder=SentenceTransformerEmbedder(threads=1))
    claims = {d.id: extractor.run(d) for d in DOCUMENTS}
    return comparer.build_incident(DOCUMENTS, claims)


def test_export_build_incident_matches_a_batch_run(
    extractor: Extractor, incident: Incident
) -> None:
    comparer = Comparer(extractor=extractor, embedder=SentenceTransformerEmbedder(threads=1))
    batch = comparer.run(DOCUMENTS)
    assert batch.incidents == [incident]  # the same documents in one batch: the same incident
    assert incident.document_ids == ["north-1", "valley-1"]
    with pytest.raises(ValueError, match="at least one document"):
        comparer.build_incident([], {})


def test_export_claimreview_one_review_per_fact(incident: Incident) -> None:
    reviews = to_claimreview(incident, DOCUMENTS, date_published=date(2025, 3, 5))
    assert len(reviews) == len(incident.facts)
    claims = {c.id: c for c in incident.claims}
    for review, fact in zip(reviews, incident.facts, strict=True):
        assert review["@context"] == "https://schema.org"
        assert review["@type"] == "ClaimReview"
        assert review["identifier"] == fact.id
        assert review["datePublished"] == "2025-03-05"
        assert review["claimReviewed"] == claims[fact.first_claim_id].content.text
        rating = review["reviewRating"]
        assert rating == {**rating, "@type": "Rating", "alternateName": fact.status.value}
        assert not {"ratingValue", "bestRating", "worstRating"} & set(rating)
        item = review["itemReviewed"]
        assert item["@type"] == "Claim"
        assert item["author"]["name"] == claims[fact.first_claim_id].claimant.name
        assert item["author"]["@type"] in {"Person", "Organization"}
        assert item["datePublished"] == "2025-03-04"
        carried = {claims[c].document_id for c in fact.claim_ids}
        assert len(item["appearance"]) == len(carried)
        for work in item["appearance"]:
            assert work["@type"] == "CreativeWork"
            assert work["publisher"]["@type"] == "Organization"
    json.dumps(reviews)  # plain JSON


def test_export_claimreview_conflicting_toll(incident: Incident) -> None:
    reviews = to_claimreview(incident, DOCUMENTS)
    toll = [r for r in reviews if "killed" in r["claimReviewed"]]
    assert toll
    review = toll[0]
    assert review["reviewRating"]["alternateName"] in {"conflicting", "mixed"}
    assert "twelve" in review["reviewRating"]["ratingExplanation"].lower()
    appearances = review["itemReviewed"]["appearance"]
    assert {a["publisher"]["name"] for a in appearances} == {"North Ledger", "Valley Post"}
    # Only the url a document has: none is invented for the one without.
    assert [a.get("url") for a in appearances] == ["https://north.example/kestra-landslide", None]
    first = next(c for c in incident.claims if c.content.text == review["claimReviewed"])
    assert review["itemReviewed"]["author"]["name"] == first.claimant.name


def test_export_prov_structure(incident: Incident) -> None:
    prov = to_prov(incident, DOCUMENTS)
    assert set(prov) == {"prefix", "entity", "agent", "wasDerivedFrom", "wasAttributedTo"}
    assert prov["prefix"] == PROV_PREFIXES
    entities, agents = prov["entity"], prov["agent"]
    assert {"doc:north-1", "doc:valley-1"} <= set(entities)
    assert {f"claim:{c.id}" for c in incident.claims} <= set(entities)
    assert {"outlet:north-ledger", "outlet:valley-post", "agent:piet-marr"} <= set(agents)
    assert agents["agent:piet-marr"]["prov:type"]["$"] == "prov:Person"
    assert agents["outlet:north-ledger"]["prov:type"]["$"] == "prov:Organization"
    for qualified in [*entities, *agents]:
        assert qualified.split(":", 1)[0] in PROV_PREFIXES

    derived = list(prov["wasDerivedFrom"].values())
    from_docs = {
        (r["prov:generatedEntity"], r["prov:usedEntity"])
        for r in derived
        if r["prov:generatedEntity"].startswith("claim:")
    }
    assert from_docs == {(f"claim:{c.id}", f"doc:{c.document_id}") for c in incident.claims}
    doc_links = [r for r in derived if r["prov:generatedEntity"].startswith("doc:")]
    assert len(doc_links) == len(incident.provenance)
    # The Valley Post cites the North Ledger: a document-to-document derivation.
    assert ("doc:valley-1", "doc:north-1") in {
        (r["prov:generatedEntity"], r["prov:usedEntity"]) for r in doc_links
    }

    attributed = {(r["prov:entity"], r["prov:agent"]) for r in prov["wasAttributedTo"].values()}
    assert ("doc:north-1", "outlet:north-ledger") in attributed
    assert ("doc:valley-1", "outlet:valley-post") in attributed
    for claim in incident.claims:
        assert any(e == f"claim:{claim.id}" for e, _ in attributed), claim
        if claim.claimant.name == "North Ledger":  # its own words, or quoted by the Valley Post
            assert (f"claim:{claim.id}", "outlet:north-ledger") in attributed
    for entity, agent in attributed:
        assert entity in entities
        assert agent in agents
    assert all(key.startswith("_:") for key in prov["wasDerivedFrom"])
    json.dumps(prov)


def test_export_prov_ids_are_escaped(incident: Incident) -> None:
    odd = Document(id="a b/ç", text="x", outlet="The Ærø Times")
    empty = {"claims": [], "facts": [], "relations": [], "provenance": []}
    relabelled = incident.model_copy(update={"document_ids": ["a b/ç"], **empty})
    prov = to_prov(relabelled, [odd])
    assert list(prov["entity"]) == ["doc:a%20b%2F%C3%A7"]
    assert list(prov["agent"]) == ["outlet:%C3%A6r%C3%B8-times"]
