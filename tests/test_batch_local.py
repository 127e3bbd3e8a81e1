"""`claims batch` on the local engine gives what `claims compare` gives, in Parquet and JSON.

The reference is `Comparer().run` in this process on the same documents: the batch run spreads
its stages over two spawned workers (the pool), so any drift in what crosses the process
boundary (claims, profiles, incident work) shows up as a difference here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from claims.batch.run import BatchOptions, read_manifest, run_batch
from claims.comparison.compare import Comparer
from claims.extraction.extract import Extractor
from claims.extraction.ingest import read_jsonl_documents
from claims.models import Comparison, RelationType

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
INPUTS = [
    str(CASES / "kuruzan-border-clash" / "documents.jsonl"),
    str(CASES / "karsvik-workshop-fire" / "documents.jsonl"),
]


@pytest.fixture(scope="module")
def reference() -> Comparison:
    docs = [d for path in INPUTS for d in read_jsonl_documents(path)]
    return Comparer().run(docs)


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run with the default scorer (the model) on a pool of two workers."""
    out = tmp_path_factory.mktemp("pooled")
    run_batch(
        INPUTS, BatchOptions(out=out, engine="local", workers=2, partition_size=3, relate_chunk=1)
    )
    return out


def test_pool_gives_the_claims_compare_output(pooled: Path, reference: Comparison) -> None:
    got = json.loads((pooled / "comparison.json").read_text(encoding="utf-8"))
    assert got == reference.model_dump(mode="json")


def test_tables_hold_the_comparison(pooled: Path, reference: Comparison) -> None:
    incidents = pq.read_table(pooled / "incidents.parquet").to_pylist()
    assert [i["id"] for i in incidents] == [i.id for i in reference.incidents]
    assert [i["claim_ids"] for i in incidents] == [
        [c.id for c in i.claims] for i in reference.incidents
    ]
    relations = pq.read_table(pooled / "relations.parquet").to_pylist()
    expected = [
        {"incident_id": i.id, **r.model_dump(mode="json")}
        for i in reference.incidents
        for r in i.relations
    ]
    assert relations == expected
    documents = pq.read_table(pooled / "documents.parquet").to_pylist()
    assert [(d["id"], d["incident"]) for d in documents] == [
        (d.id, d.incident) for d in reference.documents
    ]
    claims = pq.read_table(pooled / "claims.parquet")
    assert claims.num_rows == sum(len(i.claims) for i in reference.incidents)
    for name in ("facts", "fact_sheet", "provenance"):
        rows = pq.read_table(pooled / f"{name}.parquet").num_rows
        assert rows == sum(len(getattr(i, name)) for i in reference.incidents), name
    summary = json.loads((pooled / "summary.json").read_text(encoding="utf-8"))
    conflicts = sum(
        r.type is RelationType.CONFLICTS for i in reference.incidents for r in i.relations
    )
    assert summary["conflicts"] == conflicts
    assert summary["documents"] == 10
    assert {r["stage"] for r in read_manifest(pooled)} == {"extract", "relate"}
    assert len([r for r in read_manifest(pooled) if r["stage"] == "extract"]) == 4  # 10 docs / 3


def test_rerun_resumes_everything_and_changes_nothing(pooled: Path, tmp_path: Path) -> None:
    """A second run into a finished folder skips every part (inline: no pool to start)."""
    before = (pooled / "comparison.json").read_bytes()
    summary = run_batch(
        INPUTS, BatchOptions(out=pooled, workers=1, partition_size=3, relate_chunk=1)
    )
    assert summary.resumed == {"extract": 4, "relate": 4}
    assert (pooled / "comparison.json").read_bytes() == before


def test_changed_input_is_not_mixed_with_old_parts(tmp_path: Path) -> None:
    """Parts are named by a digest of what they came from: new input, new parts, old ones gone."""
    out = tmp_path / "out"
    first = tmp_path / "first.jsonl"
    lines = Path(INPUTS[0]).read_text(encoding="utf-8").splitlines()
    first.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    options = BatchOptions(out=out, workers=1, scorer="rules", partition_size=2)
    run_batch([str(first)], options)
    first.write_text("\n".join(lines[1:4]) + "\n", encoding="utf-8")
    summary = run_batch([str(first)], options)
    assert summary.resumed["extract"] == 0  # both partitions changed
    docs = read_jsonl_documents(str(first))
    expected = Comparer(learned=None).run(docs).model_dump(mode="json")
    assert json.loads((out / "comparison.json").read_text(encoding="utf-8")) == expected
    assert len(list((out / "_parts").glob("extract-*.parquet"))) == 2


def test_changed_date_with_the_same_ids_is_recomputed(tmp_path: Path) -> None:
    """Claim ids come from the document id and text offsets, so a report re-dated (same id,
    same text) keeps every id; its relate part must still be recomputed, not reused."""
    out = tmp_path / "out"
    source = tmp_path / "in.jsonl"
    lines = [json.loads(x) for x in Path(INPUTS[0]).read_text(encoding="utf-8").splitlines() if x]
    source.write_text("".join(json.dumps(x) + "\n" for x in lines[:3]), encoding="utf-8")
    options = BatchOptions(out=out, workers=1, scorer="rules", partition_size=3)
    run_batch([str(source)], options)
    lines[0]["published_at"] = "2025-09-21T13:00:00+05:00"  # now the last of the three
    source.write_text("".join(json.dumps(x) + "\n" for x in lines[:3]), encoding="utf-8")
    summary = run_batch([str(source)], options)
    assert summary.resumed["relate"] == 0
    expected = Comparer(learned=None).run(read_jsonl_documents(str(source)))
    got = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert got == expected.model_dump(mode="json")


def test_batch_extract_gives_the_extractor_claims(tmp_path: Path, extractor: Extractor) -> None:
    out = tmp_path / "out"
    summary = run_batch(
        INPUTS[:1], BatchOptions(out=out, workers=1, partition_size=2), mode="extract"
    )
    docs = read_jsonl_documents(INPUTS[0])
    expected = [c.model_dump(mode="json") for d in docs for c in extractor.run(d)]
    rows = pq.read_table(out / "claims.parquet").to_pylist()
    assert [{k: v for k, v in r.items() if k != "incident_id"} for r in rows] == expected
    assert {r["incident_id"] for r in rows} == {None}
    assert summary.claims == len(expected)
    assert pq.read_table(out / "documents.parquet").column("id").to_pylist() == [d.id for d in docs]
    assert not (out / "comparison.json").exists()
