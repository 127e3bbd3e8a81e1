"""The Parquet contract of a batch run: Arrow schemas derived from the pydantic data model.

The schemas are *derived* from `claims.models` rather than written out by hand, so the Parquet
columns can never drift from the JSON that `claims compare` prints: a field added to `Claim`
appears in `claims.parquet` with the same name and shape. The mapping is the JSON one
(`model_dump(mode="json")`): nested models are structs, lists are lists, enums are their string
values, and dates and times are ISO 8601 strings exactly as in the JSON output (Arrow timestamps
would lose the difference between a naive and a UTC `published_at`, which changes the order of
reports). `docs/batch.md` lists every table; `describe()` prints them.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

import pyarrow as pa
from pydantic import BaseModel

from claims.models import (
    Claim,
    Document,
    FactGroup,
    FactRow,
    Incident,
    ProvenanceEdge,
    Relation,
)

M = TypeVar("M", bound=BaseModel)

SCHEMA_VERSION = 1  # bump when a table changes shape; stored in every file's metadata


def arrow_type(annotation: Any) -> pa.DataType:
    """The Arrow type of one pydantic field annotation (the JSON mapping, see the module doc)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"no Arrow type for the union {annotation!r}")
        return arrow_type(args[0])
    if origin in (list, tuple, Sequence):
        (item, *_) = typing.get_args(annotation)
        return pa.list_(arrow_type(item))
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return pa.struct(model_fields(annotation))
        if issubclass(annotation, Enum) or annotation is str:
            return pa.string()
        if annotation in (datetime, date):
            return pa.string()
        if annotation is bool:  # before int: bool is an int subclass
            return pa.bool_()
        if annotation is int:
            return pa.int64()
        if annotation is float:
            return pa.float64()
    raise TypeError(f"no Arrow type for {annotation!r}")


def model_fields(model: type[BaseModel], drop: Iterable[str] = ()) -> list[pa.Field]:
    """One nullable Arrow field per model field, in declaration order (less `drop`)."""
    hints = typing.get_type_hints(model)
    skip = set(drop)
    return [
        pa.field(name, arrow_type(hints[name])) for name in model.model_fields if name not in skip
    ]


def _schema(fields: list[pa.Field], table: str) -> pa.Schema:
    return pa.schema(
        fields, metadata={"claims.table": table, "claims.schema_version": str(SCHEMA_VERSION)}
    )


INCIDENT_ID = pa.field("incident_id", pa.string())

# -- the inputs (`inputs.py`) -----------------------------------------------------------------
DOCUMENT_FIELDS = model_fields(Document)
INPUT_SCHEMA = _schema(DOCUMENT_FIELDS, "input")

# -- the outputs in --out DIR -----------------------------------------------------------------
# documents.parquet: every input document, and the incident most of its claims belong to.
DOCUMENTS = _schema([*DOCUMENT_FIELDS, pa.field("incident", pa.string())], "documents")
# claims.parquet: every claim, with the incident it was grouped into (`incident_id` is null in
# the output of `claims batch extract`, which does not group).
CLAIMS = _schema([INCIDENT_ID, *model_fields(Claim)], "claims")
# incidents.parquet: one row per incident; its claims, facts, relations, fact sheet and
# provenance are the other tables (joined on incident_id), `claim_ids` lists its claims in order.
INCIDENTS = _schema(
    [
        *model_fields(Incident, drop=("claims", "facts", "relations", "provenance", "fact_sheet")),
        pa.field("claim_ids", pa.list_(pa.string())),
    ],
    "incidents",
)
RELATIONS = _schema([INCIDENT_ID, *model_fields(Relation)], "relations")
FACTS = _schema([INCIDENT_ID, *model_fields(FactGroup)], "facts")
FACT_SHEET = _schema([INCIDENT_ID, *model_fields(FactRow)], "fact_sheet")
PROVENANCE = _schema([INCIDENT_ID, *model_fields(ProvenanceEdge)], "provenance")

OUTPUT_TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "claims": CLAIMS,
    "incidents": INCIDENTS,
    "relations": RELATIONS,
    "facts": FACTS,
    "fact_sheet": FACT_SHEET,
    "provenance": PROVENANCE,
}

# -- what the workers exchange with the driver (and what `_parts/` holds) ---------------------
PROFILE = pa.struct(
    [
        pa.field("lemmas", pa.list_(pa.string())),
        pa.field("names", pa.list_(pa.string())),
        pa.field("values", pa.list_(pa.string())),
        pa.field("published_at", pa.string()),
        pa.field("lead", pa.list_(pa.string())),
        pa.field("lead_names", pa.list_(pa.string())),
    ]
)
# One row per document: the document, its claims and the profile incident grouping reads.
EXTRACTED = _schema(
    [
        *DOCUMENT_FIELDS,
        pa.field("claims", pa.list_(arrow_type(Claim))),
        pa.field("profile", PROFILE),
    ],
    "extracted",
)
# One row per incident to relate (an `IncidentWork`): `members` in plan order, `order` their
# input positions (which break ties of publication time), `own` the members grouped into it.
WORK = _schema(
    [
        pa.field("position", pa.int64()),
        pa.field("members", pa.list_(arrow_type(Document))),
        pa.field("claims", pa.list_(arrow_type(Claim))),
        pa.field("order", pa.list_(pa.int64())),
        pa.field("own", pa.list_(pa.string())),
    ],
    "work",
)
# One row per related incident, with its plan position.
RELATED = _schema([pa.field("position", pa.int64()), *model_fields(Incident)], "related")


def to_rows(models: Iterable[BaseModel]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json") for m in models]


def table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows (JSON-mode dicts) as a table of `schema`; a missing key is null."""
    return pa.Table.from_pylist(rows, schema=schema)


def from_rows(model: type[M], rows: Iterable[dict[str, Any]]) -> list[M]:
    """Models back from rows, ignoring columns the model does not have (`incident_id`, ...)."""
    names = model.model_fields.keys()
    return [model.model_validate({k: v for k, v in r.items() if k in names}) for r in rows]


def describe() -> str:
    """Every output table and its columns, as Markdown (the table in docs/batch.md)."""
    lines: list[str] = []
    for name, schema in OUTPUT_TABLES.items():
        lines.append(f"### `{name}.parquet`\n")
        lines.append("| column | Arrow type |\n|---|---|")
        lines.extend(f"| `{f.name}` | `{f.type}` |" for f in schema)
        lines.append("")
    return "\n".join(lines)
