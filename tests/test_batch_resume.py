"""Kill a real `claims batch compare` process with SIGKILL mid-run, re-run it, and get exactly
the output of an uninterrupted run (every Parquet table and comparison.json)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from claims.batch.run import PARTS, BatchOptions, read_manifest, run_batch
from claims.batch.schema import OUTPUT_TABLES

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
ARGS = ["--workers", "1", "--scorer", "rules", "--partition-size", "1", "--relate-chunk", "1"]


def _archive(tmp_path: Path) -> Path:
    """The four fixture cases as one input of 20 reports (ids prefixed: they repeat)."""
    path = tmp_path / "archive.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
            for line in (case / "documents.jsonl").read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                record["id"] = f"{case.name}/{record['id']}"
                handle.write(json.dumps(record) + "\n")
    return path


def _command(archive: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "claims",
        "batch",
        "compare",
        str(archive),
        "--out",
        str(out),
        *ARGS,
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def test_kill_9_then_rerun_gives_the_uninterrupted_output(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    out = tmp_path / "killed"
    process = subprocess.Popen(
        _command(archive, out),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    parts = out / PARTS
    deadline = time.monotonic() + 120
    try:
        while len(list(parts.glob("extract-*.parquet"))) < 2:  # mid-extraction: 20 partitions
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "no partition finished in 120 s"
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the run and anything it started
        process.wait()
    assert process.returncode == -signal.SIGKILL
    done_before = len(list(parts.glob("extract-*.parquet")))
    assert done_before < 20
    assert not (out / "comparison.json").exists()

    rerun = subprocess.run(
        _command(archive, out), env=_env(), capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["resumed"]["extract"] >= done_before
    assert summary["documents"] == 20
    assert "batch summary" in rerun.stderr
    assert "extract: 20/20 documents" in rerun.stderr  # plain progress lines off a terminal

    reference = tmp_path / "uninterrupted"
    run_batch(
        [str(archive)],
        BatchOptions(out=reference, workers=1, scorer="rules", partition_size=1, relate_chunk=1),
    )
    assert (out / "comparison.json").read_bytes() == (reference / "comparison.json").read_bytes()
    for name in OUTPUT_TABLES:
        got = pq.read_table(out / f"{name}.parquet")
        want = pq.read_table(reference / f"{name}.parquet")
        assert got.equals(want), name
    manifest = read_manifest(out)
    assert len({r["part"] for r in manifest if r["stage"] == "extract"}) == 20
