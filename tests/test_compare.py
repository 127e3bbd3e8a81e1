"""`Comparer` on the invented Tarsa incident (fixtures/compare/tarsa.jsonl): five reports of one
attack by different outlets and parties, one wire story run twice, a later raised toll, and an
unrelated ferry report."""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.comparison.compare import Comparer, source_key, wire_copy_groups
from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor
from claims.extraction.ingest import read_jsonl_documents
from claims.models import Comparison, Document, IncidentStatus, RelationType

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "compare" / "tarsa.jsonl"
TARSA = ["meridian-0510", "wire-0510", "courier-0510", "front-0510", "harbour-0511"]


@pytest.fixture(scope="module")
def comparison(extractor: Extractor) -> Comparison:
    comparer = Comparer(extractor=extractor, embedder=SentenceTransformerEmbedder(threads=1))
    return comparer.run(read_jsonl_documents(str(FIXTURE)))


def test_compare_groups_the_incident_and_keeps_the_ferry_apart(comparison: Comparison) -> None:
    assert len(comparison.incidents) == 2
    tarsa, ferry = comparison.incidents
    assert tarsa.document_ids == TARSA  # in time order
    assert ferry.document_ids == ["ferry-0511"]
    assignment = {d.id: d.incident for d in comparison.documents}
    assert {assignment[d] for d in TARSA} == {tarsa.id}
    assert assignment["ferry-0511"] == ferry.id


def test_compare_first_report_and_time_range(comparison: Comparison) -> None:
    tarsa = comparison.incidents[0]
    assert tarsa.first_document_id == "meridian-0510"
    assert str(tarsa.time_start) == "2025-05-09"  # "on Friday", resolved against the dates
    assert str(tarsa.time_end) == "2025-05-11"


def test_compare_conflicting_casualty_counts_with_reason(comparison: Comparison) -> None:
    tarsa = comparison.incidents[0]
    numeric = [r for r in tarsa.relations if r.reason.code == "numeric"]
    assert numeric, tarsa.relations
    texts = " | ".join(r.reason.text for r in numeric)
    # the army's seven was raised to nine by the army itself: the Front's three meets the nine
    assert "nine" in texts.lower()
    assert "three" in texts.lower()
    updates = [r.reason.text for r in tarsa.relations if r.reason.code == "update"]
    assert any("from 7 to 9" in u for u in updates)
    assert "Velorian army" in texts
    assert "Highland Front" in texts
    assert all(r.type is RelationType.CONFLICTS for r in numeric)


def test_compare_denial_is_a_conflict(comparison: Comparison) -> None:
    tarsa = comparison.incidents[0]
    denials = [r for r in tarsa.relations if r.reason.code == "denial"]
    assert len(denials) == 1  # one voice denying one voice, however many outlets carry it
    assert denials[0].type is RelationType.CONFLICTS
    assert denials[0].reason.text.startswith("Highland Front denies")


def test_compare_role_swap_who_attacked_whom(comparison: Comparison) -> None:
    swaps = [r for r in comparison.incidents[0].relations if r.reason.code == "role_swap"]
    assert len(swaps) == 1
    assert swaps[0].reason.text == (
        "who attacked whom: Velorian army says Highland Front attacked Velorian army; "
        "Highland Front says Velorian army attacked Highland Front"
    )


def test_compare_no_agreement_claimed_between_disputing_sources(comparison: Comparison) -> None:
    same = [r for r in comparison.incidents[0].relations if r.reason.code == "same_fact"]
    assert all("Highland Front" not in r.reason.text for r in same)


def test_compare_incident_status_counts_independent_sources(comparison: Comparison) -> None:
    tarsa, ferry = comparison.incidents
    assert tarsa.status is IncidentStatus.CONFLICTING  # nothing is corroborated independently
    assert ferry.status is IncidentStatus.SINGLE_SOURCE
    attack = next(f for f in tarsa.facts if f.status is IncidentStatus.CONFLICTING)
    # the wire story run by two outlets is one source: army and Highland Front, no more
    assert attack.independent_sources == 2


def test_compare_one_voice_repeated_is_one_source(comparison: Comparison) -> None:
    """The army's spokeswoman, the army in the wire story and Harbour citing Meridian's report of
    her words: one source, however many outlets carry it."""
    hills = next(f for f in comparison.incidents[0].facts if "hills" in f.label)
    assert len(hills.claim_ids) == 4
    assert hills.independent_sources == 1
    assert hills.status is IncidentStatus.SINGLE_SOURCE


def test_compare_provenance_wire_copy_and_citation(comparison: Comparison) -> None:
    edges = {(e.source, e.target, e.kind) for e in comparison.incidents[0].provenance}
    assert ("courier-0510", "wire-0510", "wire_copy") in edges
    assert ("harbour-0511", "meridian-0510", "cites") in edges


def test_compare_invariants(comparison: Comparison) -> None:
    seen: set[str] = set()
    for incident in comparison.incidents:
        ids = {c.id for c in incident.claims}
        in_facts = [cid for f in incident.facts for cid in f.claim_ids]
        # every claim in a fact; a claim with frames also sits in its slots' value groups
        assert set(in_facts) == ids
        assert all(len(f.claim_ids) == len(set(f.claim_ids)) for f in incident.facts)
        assert not ids & seen  # and in at most one incident
        seen |= ids
        pairs = [(r.a, r.b) for r in incident.relations]
        assert all(a < b for a, b in pairs)  # stored once, symmetric by construction
        assert all(a in ids and b in ids for a, b in pairs)


def test_compare_wire_copies_share_a_source() -> None:
    text = "The army said seven soldiers were killed near Tarsa on Friday in a dawn attack."
    docs = [Document(id="a", text=text), Document(id="b", text=text), Document(id="c", text="x")]
    groups = wire_copy_groups(docs)
    assert groups == {"a": "a", "b": "a", "c": "c"}


def test_compare_a_rerun_cut_short_is_a_wire_copy_and_a_quote_is_not() -> None:
    paragraphs = [
        "Floodwater cut the main road to the valley on Tuesday, the regional council said.",
        "Council engineers said the bridge at the mill would stay closed until the water fell.",
        "About two hundred families left their homes overnight and slept in the town school.",
        "The weather service said more rain was expected on Thursday and Friday in the hills.",
        "Shops in the old town stayed shut and the market was moved to the station car park.",
    ]
    full = " ".join(paragraphs)
    cut = " ".join(p.replace("Tuesday", "Tuesday morning") for p in paragraphs[:4])
    quote = f"A resident said: {paragraphs[1]} Nobody else would comment on the closure."
    docs = [Document(id="wire", text=full), Document(id="rerun", text=cut)]
    docs.append(Document(id="quote", text=quote))
    assert wire_copy_groups(docs) == {"wire": "wire", "rerun": "wire", "quote": "quote"}


def test_compare_source_key_quoted_speaker_is_one_source(extractor: Extractor) -> None:
    text = "The army said seven soldiers were killed."
    a = extractor.run(Document(id="a", text=text, outlet="One"))[0]
    b = extractor.run(Document(id="b", text=text + " ", outlet="Two"))[0]
    assert source_key(a, {"a": "a", "b": "b"}) == source_key(b, {"a": "a", "b": "b"})


def test_compare_document_touching_two_incidents(extractor: Extractor) -> None:
    """A round-up recalling the Tarsa attack and reporting the ferry: its claims go to the
    incident each is about; its primary incident is where most of them go."""
    roundup = Document(
        id="roundup-0511",
        outlet="Evening Digest",
        text=(
            "The Velorian army said on Sunday that nine soldiers had died after Friday's attack "
            "on an army post near Tarsa.\n"
            "The Highland Front again denied that its fighters had attacked the post.\n"
            "A passenger ferry ran aground off Lura Island on Sunday and all 212 people on board "
            "were rescued, the Korvan coast guard said."
        ),
    )
    comparer = Comparer(extractor=extractor, embedder=SentenceTransformerEmbedder(threads=1))
    result = comparer.run([*read_jsonl_documents(str(FIXTURE)), roundup])
    tarsa, ferry = result.incidents
    assert "roundup-0511" in tarsa.document_ids
    assert "roundup-0511" in ferry.document_ids
    in_ferry = [c.content.text for c in ferry.claims if c.document_id == "roundup-0511"]
    assert len(in_ferry) == 1
    assert in_ferry[0].startswith("A passenger ferry ran aground")
    assert {d.id: d.incident for d in result.documents}["roundup-0511"] == tarsa.id
