"""Batch inputs, read as a stream of partitions: JSON Lines, Parquet, or folders of .txt/.html.

A batch run reads its input twice: once to check every record and count them (`scan`, before
anything is written, so bad input gives one coded error and no half-written output), then again
in partitions of a few dozen documents (`partitions`), so an archive of a million reports never
sits in memory. Records are checked as `claims compare` checks them
(`claims.extraction.ingest.read_jsonl_documents`): the same fields, the same `make_document`, the
same coded errors, naming the file and line (or row) so a batch job can fix its input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from claims.errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingError,
    InvalidRecordError,
    UnreadableInputError,
)
from claims.extraction.ingest import (
    HTML_SUFFIXES,
    RECORD_FIELDS,
    read_document,
    record_document,
)
from claims.models import Document

FIELDS = RECORD_FIELDS  # the `claims compare` record
TEXT_SUFFIXES = {".txt", *HTML_SUFFIXES}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
PARQUET_BATCH = 256  # rows read from a Parquet file at a time


@dataclass(frozen=True)
class InputScan:
    """What `scan` found: the number of documents (for the progress bar's ETA)."""

    documents: int


def _jsonl(path: Path) -> Iterator[Document]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise UnreadableInputError(f"{path}: cannot read ({exc.strerror})") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if b"\x00" in raw:
                raise BinaryInputError(f"{where}: input looks binary (NUL bytes)")
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise EncodingError(f"{where}: not valid UTF-8 (byte {exc.start})") from exc
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidRecordError(f"{where}: not JSON ({exc.msg})") from exc
            yield record_document(record, where)


def _parquet(path: Path) -> Iterator[Document]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise UnreadableInputError(f"{path}: not a readable Parquet file ({exc})") from exc
    names = set(file.schema_arrow.names)
    if "text" not in names:
        raise InvalidRecordError(f"{path}: no 'text' column")
    unknown = names - set(FIELDS)
    if unknown:
        raise InvalidRecordError(f"{path}: unknown columns {sorted(unknown)}")
    row = 0
    for batch in file.iter_batches(batch_size=PARQUET_BATCH):
        for record in batch.to_pylist():
            row += 1
            present = {k: v for k, v in record.items() if v is not None or k == "text"}
            yield record_document(present, f"{path}:row {row}")


def _files(folder: Path) -> Iterator[Document]:
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)
    if not paths:
        raise EmptyInputError(f"{folder}: no .txt or .html files")
    for path in paths:
        yield read_document(str(path))  # id: the file name without its extension


def read_input(path: str) -> Iterator[Document]:
    """The documents of one input, in order, lazily."""
    p = Path(path)
    if path == "-":
        raise UnreadableInputError("-: a batch run reads its input twice; give a file or folder")
    if p.is_dir():
        return _files(p)
    if not p.exists():
        raise UnreadableInputError(f"{path}: no such file or folder")
    suffix = p.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return _parquet(p)
    if suffix in TEXT_SUFFIXES:
        return iter([read_document(path)])
    return _jsonl(p)  # JSON Lines, whatever the name (as `claims compare` reads it)


def documents(inputs: Sequence[str]) -> Iterator[Document]:
    """Every document of every input, in order."""
    for path in inputs:
        yield from read_input(path)


def scan(inputs: Sequence[str]) -> InputScan:
    """Check every record of every input, and that ids are unique across them, before any
    work starts. Raises the first problem as a coded `InputError`."""
    if not inputs:
        raise EmptyInputError("no inputs given")
    seen: dict[str, str] = {}
    count = 0
    for path in inputs:
        for document in read_input(path):
            if document.id in seen:
                raise InvalidRecordError(
                    f"{path}: duplicate id {document.id!r} (first in {seen[document.id]})"
                )
            seen[document.id] = path
            count += 1
    if not count:
        raise EmptyInputError(f"{', '.join(inputs)}: no documents")
    return InputScan(documents=count)


def partitions(inputs: Sequence[str], size: int) -> Iterator[list[Document]]:
    """The documents of all inputs in consecutive partitions of `size` (the last may be short).
    Partition boundaries depend only on the input, so a re-run finds the same partitions."""
    yield from chunked(documents(inputs), size)


def chunked(items: Iterable[Document], size: int) -> Iterator[list[Document]]:
    if size < 1:
        raise ValueError("partition size must be at least 1")
    chunk: list[Document] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
