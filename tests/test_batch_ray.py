"""`claims batch --engine ray` on a real local Ray cluster gives the `claims compare` output.

One `ray.init(num_cpus=2)` for the module, shut down at its end; the engine finds Ray running and
leaves it be (as it leaves a cluster given by --address). One actor (concurrency 1): an actor
pool of two on two cores deadlocked on this machine (DESIGN.md §6).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import ray

from claims.batch.core import BatchCore, CoreSettings, documents_table
from claims.batch.engines import RayEngine
from claims.batch.run import BatchOptions, run_batch
from claims.comparison.compare import Comparer
from claims.extraction.ingest import read_jsonl_documents

CASE = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "kuruzan-border-clash"
INPUT = str(CASE / "documents.jsonl")


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_gives_the_claims_compare_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_batch(
        [INPUT],
        BatchOptions(
            out=out, engine="ray", workers=1, scorer="rules", partition_size=2, relate_chunk=1
        ),
    )
    expected = Comparer(learned=None).run(read_jsonl_documents(INPUT)).model_dump(mode="json")
    assert json.loads((out / "comparison.json").read_text(encoding="utf-8")) == expected
    assert summary.documents == 5
    assert summary.resumed == {"extract": 0, "relate": 0}
    assert ray.is_initialized()  # the engine did not shut down a cluster it did not start


def test_ray_engine_maps_every_task_once() -> None:
    """Results come back keyed, whatever order the actors finish in, each equal to the core's."""
    docs = read_jsonl_documents(INPUT)
    engine = RayEngine(CoreSettings(scorer="rules"), workers=1)
    tasks = [(k, documents_table(docs[k : k + 1])) for k in range(len(docs))]
    try:
        results = dict(engine.map("extract", iter(tasks)))
    finally:
        engine.close()
    assert sorted(results) == list(range(len(docs)))
    local = BatchCore(CoreSettings(scorer="rules"))
    for key, table in tasks:
        assert isinstance(results[key], pa.Table)
        assert results[key].equals(local.extract(table))
