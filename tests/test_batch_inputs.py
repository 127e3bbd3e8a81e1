"""Batch inputs, the Arrow schema and coded errors: fast, no models.

The readers must give exactly the documents `claims compare` reads (same ids, texts, dates), in
JSON Lines, Parquet or a folder of .txt/.html, and every bad input must be one coded error
before anything is written to --out.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from claims.batch import inputs, schema
from claims.batch.errors import OutputDirError
from claims.batch.run import BatchOptions, prepare_out, run_batch
from claims.cli import app
from claims.errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingError,
    InputError,
    InvalidRecordError,
    UnreadableInputError,
)
from claims.extraction.ingest import read_jsonl_documents
from claims.models import (
    Claim,
    Claimant,
    ClaimKind,
    Document,
    Frame,
    Incident,
    IncidentStatus,
    Quantity,
    Span,
    Stance,
    TimeExpression,
)

CASE = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "kuruzan-border-clash"
JSONL = CASE / "documents.jsonl"


def test_schema_follows_the_models() -> None:
    """A model field is a column of the same name; nested models are structs, lists lists."""
    assert schema.CLAIMS.names == ["incident_id", *Claim.model_fields]
    assert schema.DOCUMENTS.names == [*Document.model_fields, "incident"]
    assert schema.CLAIMS.field("content").type == pa.struct(
        [("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())]
    )
    assert pa.types.is_list(schema.CLAIMS.field("frames").type)
    assert schema.DOCUMENTS.field("published_at").type == pa.string()
    assert "claims" not in schema.INCIDENTS.names
    assert "claim_ids" in schema.INCIDENTS.names
    assert schema.CLAIMS.metadata[b"claims.schema_version"] == str(schema.SCHEMA_VERSION).encode()
    assert "`claims.parquet`" in schema.describe()


def test_schema_round_trips_a_full_claim() -> None:
    text = "At least 15 soldiers were killed on 3 May, the army said."
    claim = Claim(
        id="c1",
        document_id="d1",
        speaker=Span(start=44, end=52, text="the army"),
        cue=Span(start=53, end=57, text="said"),
        content=Span(start=0, end=42, text=text[:42]),
        kind=ClaimKind.INDIRECT,
        claimant=Claimant(name="army", mention=Span(start=44, end=52, text="the army")),
        stance=Stance.ASSERTED,
        quantities=[
            Quantity(
                value=15, low=15, unit="soldiers", span=Span(start=0, end=11, text="At least 15")
            )
        ],
        times=[TimeExpression(span=Span(start=34, end=41, text="3 May"), value=date(2025, 5, 3))],
        frames=[
            Frame(
                event="killed", category="soldiers", low=15, trigger=Span(start=0, end=11, text="x")
            )
        ],
    )
    table = schema.table([{"incident_id": "i1", **claim.model_dump(mode="json")}], schema.CLAIMS)
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    back = pq.read_table(pa.BufferReader(buffer.getvalue()))
    assert schema.from_rows(Claim, back.to_pylist()) == [claim]
    incident = Incident(
        id="i1",
        label="x",
        document_ids=["d1"],
        claims=[claim],
        facts=[],
        relations=[],
        status=IncidentStatus.SINGLE_SOURCE,
        independent_sources=1,
        first_document_id="d1",
        provenance=[],
        time_start=date(2025, 5, 3),
    )
    row = {"position": 0, **incident.model_dump(mode="json")}
    assert schema.from_rows(Incident, schema.table([row], schema.RELATED).to_pylist()) == [incident]


def test_jsonl_reads_what_claims_compare_reads() -> None:
    assert list(inputs.read_input(str(JSONL))) == read_jsonl_documents(str(JSONL))
    assert inputs.scan([str(JSONL)]).documents == 5


def test_parquet_with_the_same_columns(tmp_path: Path) -> None:
    records = [json.loads(line) for line in JSONL.read_text(encoding="utf-8").splitlines()]
    path = tmp_path / "docs.parquet"
    pq.write_table(pa.Table.from_pylist(records), path)
    assert list(inputs.read_input(str(path))) == read_jsonl_documents(str(JSONL))


def test_parquet_with_timestamps_and_missing_ids(tmp_path: Path) -> None:
    published = datetime(2025, 6, 1, 8, 30)
    path = tmp_path / "docs.parquet"
    pq.write_table(
        pa.table({"text": ["One report.", "Another."], "published_at": [published, None]}), path
    )
    docs = list(inputs.read_input(str(path)))
    assert [d.published_at for d in docs] == [published, None]
    assert docs[0].id != docs[1].id  # content hashes, as claims compare gives without an id


def test_folder_of_text_and_html(tmp_path: Path, article_html: str) -> None:
    (tmp_path / "a-report.txt").write_text(
        "The mayor said the bridge was closed.", encoding="utf-8"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b-page.html").write_text(article_html, encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    docs = list(inputs.read_input(str(tmp_path)))
    assert [d.id for d in docs] == ["a-report", "b-page"]
    assert "<" not in docs[1].text  # HTML reduced to article text


def test_partitions_are_fixed_by_the_input() -> None:
    sizes = [
        len(p)
        for p in inputs.partitions(
            [str(JSONL), str(JSONL.parent.parent / "karsvik-workshop-fire" / "documents.jsonl")], 3
        )
    ]
    assert sizes == [3, 3, 3, 1]


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b'{"id": "a", "text": "x"}\nnot json\n', InvalidRecordError, ":2: not JSON"),
        (b'{"id": "a"}\n', InvalidRecordError, "string 'text'"),
        (b'{"id": "a", "text": "x", "body": 1}\n', InvalidRecordError, "unknown fields"),
        (b'{"id": "a", "text": "x", "published_at": "soon"}\n', InvalidRecordError, ":1:"),
        (
            b'{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n',
            InvalidRecordError,
            "duplicate id",
        ),
        (b"\n\n", EmptyInputError, "no documents"),
        (b'{"id": "a", "text": "\xff"}\n', EncodingError, "UTF-8"),
        (b'{"id": "a", "text": "x\x00"}\n', BinaryInputError, "binary"),
    ],
)
def test_bad_jsonl_is_one_coded_error(
    tmp_path: Path, content: bytes, error: type[InputError], message: str
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        inputs.scan([str(path)])


def test_bad_inputs_of_other_kinds(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInputError, match="no such file"):
        inputs.scan([str(tmp_path / "missing.jsonl")])
    with pytest.raises(EmptyInputError, match=r"no \.txt or \.html"):
        inputs.scan([str(tmp_path)])
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(UnreadableInputError, match="Parquet"):
        inputs.scan([str(bad)])
    extra = tmp_path / "extra.parquet"
    pq.write_table(pa.table({"text": ["x"], "body": ["y"]}), extra)
    with pytest.raises(InvalidRecordError, match="unknown columns"):
        inputs.scan([str(extra)])
    with pytest.raises(InvalidRecordError, match="duplicate id"):
        inputs.scan([str(JSONL), str(JSONL)])


def test_out_must_be_new_empty_or_an_earlier_batch_output(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    with pytest.raises(OutputDirError, match="is a file"):
        prepare_out(file)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputDirError, match="holds files"):
        prepare_out(foreign)
    assert sorted(p.name for p in foreign.iterdir()) == ["keep.txt"]
    assert prepare_out(tmp_path / "new").is_dir()


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "in.jsonl"
    bad.write_text('{"id": "a", "text": "fine"}\n{"id": "b"}\n', encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(InvalidRecordError):
        run_batch([str(bad)], BatchOptions(out=out, workers=1, scorer="rules"))
    assert not out.exists()


def test_cli_bad_input_is_a_coded_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "in.jsonl"
    bad.write_text('{"id": "a", "text": "fine"}\nnot json\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", "compare", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "error invalid_record:" in result.stderr
    assert "in.jsonl:2: not JSON" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_cli_unusable_out_dir(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", "extract", str(JSONL), "--out", str(file)])
    assert result.exit_code == 2
    assert "error invalid_output_dir:" in result.stderr
