"""The engine-neutral batch core: Arrow record batches in, Arrow tables out.

`BatchCore.extract` turns a batch of documents (`schema.INPUT_SCHEMA`) into one row per document
with its claims and grouping profile (`schema.EXTRACTED`); `BatchCore.relate` turns a batch of
incident work items (`schema.WORK`) into related incidents (`schema.RELATED`). Both are the
public stages of `claims.comparison.compare.Comparer` (extract → plan → relate_incident →
assemble), so spreading them over workers while the driver plans gives exactly the output of
`claims compare`. Only Arrow data crosses process boundaries: the models are built by each
worker in `warm_up()` and never pickled, which is what lets the same functions run in one
process, a local process pool, Ray actors or a Spark `mapInArrow` task (`map_extract`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from claims.batch import schema
from claims.models import Claim, Document, Incident

if TYPE_CHECKING:
    from claims.comparison.compare import Comparer, IncidentPlan, IncidentWork
    from claims.comparison.incidents import Profile


@dataclass(frozen=True)
class CoreSettings:
    """What a worker needs to build its models: plain values, cheap to send to any engine."""

    scorer: str = "model"  # "model": the trained NLI model reviews the rules; "rules": rules only
    # Torch threads per worker. One when several workers share the cores: two processes with
    # two threads each on two cores slow torch ~12× (measured, DESIGN.md §6). None: torch's own.
    threads: int | None = None


def limit_threads(threads: int | None) -> None:
    """Cap the BLAS/torch threads of this process; call before the models load."""
    if threads is None:
        return
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    import torch

    torch.set_num_threads(threads)


def build_comparer(settings: CoreSettings) -> Comparer:
    from claims.comparison.compare import Comparer

    if settings.scorer == "rules":
        return Comparer(learned=None)
    if settings.scorer == "model":
        return Comparer()
    raise ValueError(f"unknown scorer {settings.scorer!r} (model | rules)")


class BatchCore:
    """Stage object: settings in `__init__`, the models in `warm_up()`, pure batch functions."""

    def __init__(self, settings: CoreSettings | None = None) -> None:
        self.settings = settings or CoreSettings()
        self._comparer: Comparer | None = None

    @property
    def comparer(self) -> Comparer:
        self.warm_up()
        assert self._comparer is not None
        return self._comparer

    def warm_up(self) -> None:
        if self._comparer is None:
            limit_threads(self.settings.threads)
            comparer = build_comparer(self.settings)
            comparer.warm_up()
            self._comparer = comparer

    def extract(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """Documents (`INPUT_SCHEMA` columns) → one `EXTRACTED` row per document, in order."""
        docs = schema.from_rows(Document, batch.to_pylist())
        rows = [
            extracted_row(document, claims, profile)
            for document, claims, profile in self.comparer.extract(docs)
        ]
        return schema.table(rows, schema.EXTRACTED)

    def relate(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """Incident work items (`WORK` rows) → one `RELATED` row (an Incident) per item."""
        rows: list[dict[str, Any]] = []
        for position, work in works_from_table(batch):
            incident = self.comparer.relate_incident(work)
            rows.append({"position": position, **incident.model_dump(mode="json")})
        return schema.table(rows, schema.RELATED)


# -- conversions between the stages' Python values and Arrow rows ------------------------------
def documents_table(documents: Sequence[Document]) -> pa.Table:
    return schema.table(schema.to_rows(documents), schema.INPUT_SCHEMA)


def extracted_row(document: Document, claims: Sequence[Claim], profile: Profile) -> dict[str, Any]:
    return {
        **document.model_dump(mode="json"),
        "claims": schema.to_rows(claims),
        "profile": {
            "lemmas": list(profile.lemmas),
            "names": list(profile.names),
            "values": list(profile.values),
            "published_at": document.model_dump(mode="json")["published_at"],
            "lead": list(profile.lead),
            "lead_names": list(profile.lead_names),
        },
    }


def extracted_from_rows(
    rows: Iterable[dict[str, Any]],
) -> Iterator[tuple[Document, list[Claim], Profile]]:
    """`EXTRACTED` rows back to what `Comparer.extract` yields (values equal to the originals)."""
    from claims.comparison.incidents import Profile

    for row in rows:
        document = schema.from_rows(Document, [row])[0]
        claims = schema.from_rows(Claim, row["claims"])
        p = row["profile"]
        profile = Profile(
            lemmas=tuple(p["lemmas"]),
            names=tuple(p["names"]),
            values=tuple(p["values"]),
            published_at=document.published_at,  # the document's own value, not re-parsed
            lead=tuple(p["lead"]),
            lead_names=tuple(p["lead_names"]),
        )
        yield document, claims, profile


def work_rows(plan: IncidentPlan, positions: Iterable[int]) -> list[dict[str, Any]]:
    """`WORK` rows for the plan's work items at `positions`. Only the members' input positions
    travel (all `_incident` reads of `order`), so a row's size does not grow with the archive."""
    rows: list[dict[str, Any]] = []
    for position in positions:
        work = plan.work[position]
        rows.append(
            {
                "position": position,
                "members": schema.to_rows(work.members),
                "claims": schema.to_rows(
                    c for d in work.members for c in work.claims_by_doc.get(d.id, [])
                ),
                "order": [work.order[d.id] for d in work.members],
                "own": list(work.own),
            }
        )
    return rows


def works_from_table(batch: pa.RecordBatch | pa.Table) -> Iterator[tuple[int, IncidentWork]]:
    from claims.comparison.compare import IncidentWork

    for row in batch.to_pylist():
        members = schema.from_rows(Document, row["members"])
        claims_by_doc: dict[str, list[Claim]] = {d.id: [] for d in members}
        for claim in schema.from_rows(Claim, row["claims"]):
            claims_by_doc[claim.document_id].append(claim)
        order = {d.id: int(i) for d, i in zip(members, row["order"], strict=True)}
        work = IncidentWork(
            members=members, claims_by_doc=claims_by_doc, order=order, own=row["own"]
        )
        yield int(row["position"]), work


def incidents_from_table(table: pa.Table) -> Iterator[tuple[int, Incident]]:
    for row in table.to_pylist():
        yield int(row["position"]), schema.from_rows(Incident, [row])[0]


# -- for other engines: Spark's mapInArrow and friends ------------------------------------------
_CORES: dict[CoreSettings, BatchCore] = {}


def shared_core(settings: CoreSettings) -> BatchCore:
    """One warm core per process and settings: a Python worker an engine reuses across tasks
    (Spark reuses them by default) loads the models once."""
    core = _CORES.get(settings)
    if core is None:
        core = _CORES[settings] = BatchCore(settings)
        core.warm_up()
    return core


def map_extract(
    batches: Iterable[pa.RecordBatch], settings: CoreSettings | None = None
) -> Iterator[pa.RecordBatch]:
    """Document batches → extracted batches: the signature of Spark's `mapInArrow`."""
    core = shared_core(settings or CoreSettings(threads=1))
    for batch in batches:
        yield from core.extract(batch).to_batches()


def map_relate(
    batches: Iterable[pa.RecordBatch], settings: CoreSettings | None = None
) -> Iterator[pa.RecordBatch]:
    """Work batches → related-incident batches (`mapInArrow` shape)."""
    core = shared_core(settings or CoreSettings(threads=1))
    for batch in batches:
        yield from core.relate(batch).to_batches()
