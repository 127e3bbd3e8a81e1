"""`claims batch extract`: does a second worker double extraction, and does Ray keep up?

The input is the invented reports of `fixtures/reports/`, each 24 times with a distinct first
line (so no two texts are equal). Two figures per run: the extraction stage alone
(`Summary.seconds["extract"]`: documents through the workers, parts written) and end to end
(`start` + `extract`: starting the pool or the Ray cluster, where the models load, counts too;
Ray's actors load theirs inside the stage, so only the end-to-end figure compares the two
engines fairly). Goals (issue 11), ratios measured in this run: 2 local workers ≥ 1.8× one
(extraction stage); Ray Data on a local cluster with one actor (two deadlocked on this 2-core
machine) ≥ 0.85× the local pool with one worker (end to end).

Run with `make bench`; figures land in `extra_info` and on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from claims.batch.run import BatchOptions, run_batch

COPIES = 24
PARTITION = 8


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, reports_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("archive") / "reports.jsonl"
    texts = [p.read_text(encoding="utf-8") for p in sorted(reports_dir.glob("*.txt"))]
    with path.open("w", encoding="utf-8") as out:
        for copy in range(COPIES):
            for i, text in enumerate(texts):
                line = f"Dispatch {copy * len(texts) + i + 1} of the evening wire.\n{text}"
                out.write(json.dumps({"id": f"r{copy}-{i}", "text": line}) + "\n")
    return path


def _extract(archive: Path, out: Path, engine: str, workers: int) -> dict[str, float]:
    summary = run_batch(
        [str(archive)],
        BatchOptions(out=out, engine=engine, workers=workers, partition_size=PARTITION),
        mode="extract",
    )
    seconds = summary.seconds["extract"]
    start = summary.seconds.get("start", 0.0)
    return {
        "documents": summary.documents,
        "extract_s": seconds,
        "docs_per_s": summary.documents / seconds,
        "start_s": start,
        "end_to_end_docs_per_s": summary.documents / (start + seconds),
    }


def test_bench_batch_extract_scaling(
    benchmark: BenchmarkFixture, archive: Path, tmp_path: Path
) -> None:
    one = _extract(archive, tmp_path / "one", "local", 1)
    two = benchmark.pedantic(
        _extract, args=(archive, tmp_path / "two", "local", 2), rounds=1, iterations=1
    )
    ray = _extract(archive, tmp_path / "ray", "ray", 1)
    info: dict[str, Any] = {
        **{f"local1_{k}": round(v, 2) for k, v in one.items()},
        **{f"local2_{k}": round(v, 2) for k, v in two.items()},
        **{f"ray1_{k}": round(v, 2) for k, v in ray.items()},
        "ratio_2_vs_1": round(two["docs_per_s"] / one["docs_per_s"], 2),
        "ratio_ray_vs_local_stage": round(ray["docs_per_s"] / one["docs_per_s"], 2),
        "ratio_ray_vs_local": round(ray["end_to_end_docs_per_s"] / one["end_to_end_docs_per_s"], 2),
    }
    benchmark.extra_info.update(info)
    print(f"\nbatch extract: {info}")
    assert one["documents"] == two["documents"] == ray["documents"] > 100
    assert info["ratio_2_vs_1"] >= 1.8, info
    assert info["ratio_ray_vs_local"] >= 0.85, info
