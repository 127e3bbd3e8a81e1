"""A batch run: scan → extract (workers) → plan (driver) → relate (workers) → write.

Resumable by construction: each finished unit of work (an input partition's extraction, a chunk
of incidents' relations) is written to `OUT/_parts/` under a temporary name and atomically
renamed, its name carrying a digest of what it was computed from. A re-run after a crash or
`kill -9` computes the same names, skips every part already there, and so gives the same
output as an uninterrupted run; a changed input or setting changes the digests, so stale parts
are never reused (and are removed when the run completes). `_parts/manifest.jsonl` records
each part as it finishes (stage, key, rows, seconds) for people and monitoring.

The driver plans over every document's claims and profile (`Comparer.plan`, the same code as
`claims compare`), so batch incidents and relations are those of `claims compare`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from claims import __version__
from claims.batch import inputs, schema
from claims.batch.core import (
    BatchCore,
    CoreSettings,
    documents_table,
    extracted_from_rows,
    incidents_from_table,
    work_rows,
)
from claims.batch.engines import Engine, Stage, make_engine
from claims.batch.errors import OutputDirError
from claims.batch.progress import Reporter, SilentReporter
from claims.models import Claim, Comparison, Document, Incident, RelationType

PARTS = "_parts"
MANIFEST = "manifest.jsonl"
Mode = Literal["compare", "extract"]


@dataclass(frozen=True)
class BatchOptions:
    out: Path
    engine: str = "local"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    address: str | None = None
    scorer: str = "model"
    partition_size: int = 32  # documents per extraction task (and per resumable part)
    relate_chunk: int = 4  # incidents per relate task (and per resumable part)
    write_json: bool = True  # comparison.json: the whole `claims compare` output in one file


@dataclass
class Summary:
    documents: int = 0
    claims: int = 0
    incidents: int = 0
    relations: int = 0
    conflicts: int = 0
    resumed: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "claims": self.claims,
            "incidents": self.incidents,
            "relations": self.relations,
            "conflicts": self.conflicts,
            "resumed": dict(self.resumed),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def _digest(*parts: str) -> str:
    """The name of a part: what it was computed from, and which version of claims and of the
    Parquet contract computed it (an upgrade must not reuse parts written by an older one)."""
    h = hashlib.sha256()
    h.update(f"claims {__version__} schema {schema.SCHEMA_VERSION}".encode())
    h.update(b"\x00")
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def prepare_out(out: Path) -> Path:
    """`out` as a batch output folder: new, empty, or one a batch run wrote before (resumed)."""
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"{out}: --out is a file, expected a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / PARTS).is_dir():
        raise OutputDirError(
            f"{out}: --out holds files but no {PARTS}/ of an earlier batch run; "
            "give a new or empty folder"
        )
    parts = out / PARTS
    parts.mkdir(parents=True, exist_ok=True)
    for tmp in parts.glob("*.tmp"):  # a write cut short by a kill
        tmp.unlink()
    return parts


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file whole or not at all: a temp name, fsync, then rename."""
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_text_atomic(text: str, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _record(parts: Path, stage: str, key: int, name: str, rows: int, seconds: float) -> None:
    line = {"stage": stage, "key": key, "part": name, "rows": rows, "seconds": round(seconds, 3)}
    with (parts / MANIFEST).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_manifest(out: Path) -> list[dict[str, Any]]:
    """The finished parts, oldest first (a line cut short by a kill is skipped)."""
    path = out / PARTS / MANIFEST
    if not path.exists():
        return []
    records: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


class BatchRun:
    """One batch run over `inputs` into `options.out`; `run()` returns the summary."""

    def __init__(
        self, inputs: Sequence[str], options: BatchOptions, reporter: Reporter | None = None
    ) -> None:
        self.inputs = list(inputs)
        self.options = options
        self.reporter = reporter or SilentReporter()
        threads = 1 if options.workers > 1 else None
        self.settings = CoreSettings(scorer=options.scorer, threads=threads)
        self.driver = BatchCore(CoreSettings(scorer=options.scorer))
        self.summary = Summary()

    def _timed(self, stage: str, started: float) -> None:
        self.summary.seconds[stage] = self.summary.seconds.get(stage, 0.0) + (
            time.monotonic() - started
        )

    def run(self, mode: Mode = "compare") -> Summary:
        t = time.monotonic()
        scanned = inputs.scan(self.inputs)  # every record checked before anything is written
        if self.options.partition_size < 1 or self.options.relate_chunk < 1:
            raise ValueError("partition size and relate chunk must be at least 1")
        parts = prepare_out(self.options.out)
        self._timed("scan", t)
        engine = make_engine(
            self.options.engine,
            self.settings,
            self.options.workers,
            self.options.address,
            self.driver,
        )
        keep: set[str] = set()
        try:
            t = time.monotonic()
            engine.start()
            self._timed("start", t)
            extract_parts = self._extract(engine, parts, scanned.documents)
            keep.update(extract_parts)
            if mode == "extract":
                self._write_extraction(extract_parts)
            else:
                relate_parts = self._compare(engine, parts, extract_parts)
                keep.update(relate_parts)
        finally:
            engine.close()
        for stale in parts.glob("*.parquet"):  # parts of an earlier run on other input
            if stale.name not in keep:
                stale.unlink()
        summary = self.summary.to_dict()
        write_text_atomic(json.dumps(summary, indent=2) + "\n", self.options.out / "summary.json")
        return self.summary

    # -- stage 1: extraction, per input partition -------------------------------------------
    def _extract(self, engine: Engine, parts: Path, total: int) -> list[str]:
        t = time.monotonic()
        names: list[str] = []
        sizes: dict[int, int] = {}
        resumed = 0
        self.reporter.start("extract", total, "documents")

        def pending() -> Iterator[tuple[int, pa.Table]]:
            nonlocal resumed
            for key, docs in enumerate(inputs.partitions(self.inputs, self.options.partition_size)):
                digest = _digest(*(d.model_dump_json() for d in docs))
                name = f"extract-{key:06d}-{digest}.parquet"
                names.append(name)
                sizes[key] = len(docs)
                if (parts / name).exists():
                    resumed += 1
                    self.reporter.advance(len(docs))
                    continue
                yield key, documents_table(docs)

        self._drain(engine, "extract", pending(), parts, names, sizes)
        self.reporter.finish()
        self.summary.resumed["extract"] = resumed
        self._timed("extract", t)
        return names

    def _drain(
        self,
        engine: Engine,
        stage: Stage,
        tasks: Iterator[tuple[int, pa.Table]],
        parts: Path,
        names: list[str],
        sizes: dict[int, int],
    ) -> None:
        """Run tasks on the engine, writing each result as its part the moment it arrives."""
        last = time.monotonic()
        for key, result in engine.map(stage, tasks):
            name = names[key]
            write_atomic(result, parts / name)
            now = time.monotonic()
            _record(parts, stage, key, name, result.num_rows, now - last)
            last = now
            self.reporter.advance(sizes[key])

    def _load_extracted(self, names: Sequence[str]) -> Iterator[tuple[Document, list[Claim], Any]]:
        parts = self.options.out / PARTS
        for name in names:
            yield from extracted_from_rows(pq.read_table(parts / name).to_pylist())

    def _write_extraction(self, names: Sequence[str]) -> None:
        """`claims batch extract`: documents.parquet and claims.parquet, no grouping."""
        t = time.monotonic()
        doc_rows: list[dict[str, Any]] = []
        claim_rows: list[dict[str, Any]] = []
        for document, claims, _ in self._load_extracted(names):
            doc_rows.append({**document.model_dump(mode="json"), "incident": None})
            claim_rows.extend({"incident_id": None, **c.model_dump(mode="json")} for c in claims)
        out = self.options.out
        write_atomic(schema.table(doc_rows, schema.DOCUMENTS), out / "documents.parquet")
        write_atomic(schema.table(claim_rows, schema.CLAIMS), out / "claims.parquet")
        self.summary.documents = len(doc_rows)
        self.summary.claims = len(claim_rows)
        self._timed("write", t)

    # -- stages 2 and 3: plan in the driver, relate per chunk of incidents ------------------
    def _compare(self, engine: Engine, parts: Path, extract_parts: Sequence[str]) -> list[str]:
        t = time.monotonic()
        self.driver.warm_up()  # the driver's own models, for planning (a no-op when inline)
        self._timed("start", t)
        t = time.monotonic()
        docs: list[Document] = []
        claims_by_doc: dict[str, list[Claim]] = {}
        profiles: list[Any] = []
        for document, claims, profile in self._load_extracted(extract_parts):
            docs.append(document)
            claims_by_doc[document.id] = claims
            profiles.append(profile)
        plan = self.driver.comparer.plan(docs, claims_by_doc, profiles)
        self._timed("group", t)

        t = time.monotonic()
        k = self.options.relate_chunk
        chunks = [list(range(i, min(i + k, len(plan.work)))) for i in range(0, len(plan.work), k)]
        names: list[str] = []
        sizes: dict[int, int] = {}
        todo: list[int] = []
        for key, positions in enumerate(chunks):
            # Whole documents and claims, not their ids: a claim id comes from the document id
            # and text offsets, so an edited text or date can keep every id.
            digest = _digest(
                self.options.scorer,
                *(
                    "\n".join(
                        [
                            *(d.model_dump_json() for d in plan.work[p].members),
                            "|",
                            *plan.work[p].own,
                            "|",
                            *(
                                c.model_dump_json()
                                for cs in plan.work[p].claims_by_doc.values()
                                for c in cs
                            ),
                        ]
                    )
                    for p in positions
                ),
            )
            names.append(f"relate-{key:06d}-{digest}.parquet")
            sizes[key] = len(positions)
            if not (parts / names[-1]).exists():
                todo.append(key)
        self.summary.resumed["relate"] = len(chunks) - len(todo)
        self.reporter.start("relate", len(plan.work), "incidents")
        self.reporter.advance(sum(sizes[key] for key in range(len(chunks)) if key not in todo))
        tasks = ((key, schema.table(work_rows(plan, chunks[key]), schema.WORK)) for key in todo)
        self._drain(engine, "relate", tasks, parts, names, sizes)
        self.reporter.finish()
        self._timed("relate", t)

        t = time.monotonic()
        incidents: dict[int, Incident] = {}
        for name in names:
            incidents.update(incidents_from_table(pq.read_table(parts / name)))
        result = plan.assemble([incidents[p] for p in range(len(plan.work))])
        self._write_comparison(result, docs, claims_by_doc)
        self._timed("write", t)
        return names

    def _write_comparison(
        self,
        result: Comparison,
        docs: Sequence[Document],
        claims_by_doc: dict[str, list[Claim]],
    ) -> None:
        out = self.options.out
        primary = {d.id: d.incident for d in result.documents}
        claim_incident = {c.id: i.id for i in result.incidents for c in i.claims}
        doc_rows = [{**d.model_dump(mode="json"), "incident": primary[d.id]} for d in docs]
        claim_rows = [
            {"incident_id": claim_incident.get(c.id), **c.model_dump(mode="json")}
            for d in docs
            for c in claims_by_doc[d.id]
        ]
        rows: dict[str, list[dict[str, Any]]] = {
            "incidents": [],
            "relations": [],
            "facts": [],
            "fact_sheet": [],
            "provenance": [],
        }
        for incident in result.incidents:
            row = incident.model_dump(
                mode="json", exclude={"claims", "facts", "relations", "provenance", "fact_sheet"}
            )
            rows["incidents"].append({**row, "claim_ids": [c.id for c in incident.claims]})
            for table_name, values in (
                ("relations", incident.relations),
                ("facts", incident.facts),
                ("fact_sheet", incident.fact_sheet),
                ("provenance", incident.provenance),
            ):
                rows[table_name].extend(
                    {"incident_id": incident.id, **v.model_dump(mode="json")} for v in values
                )
        tables = {"documents": doc_rows, "claims": claim_rows, **rows}
        for name, table_rows in tables.items():
            write_atomic(
                schema.table(table_rows, schema.OUTPUT_TABLES[name]), out / f"{name}.parquet"
            )
        if self.options.write_json:
            payload = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2)
            write_text_atomic(payload + "\n", out / "comparison.json")
        s = self.summary
        s.documents = len(docs)
        s.claims = len(claim_rows)
        s.incidents = len(result.incidents)
        s.relations = len(rows["relations"])
        s.conflicts = sum(
            r.type is RelationType.CONFLICTS for i in result.incidents for r in i.relations
        )


def run_batch(
    inputs: Sequence[str],
    options: BatchOptions,
    mode: Mode = "compare",
    reporter: Reporter | None = None,
) -> Summary:
    """Run a batch comparison (or extraction) of `inputs` into `options.out`."""
    return BatchRun(inputs, options, reporter).run(mode)
