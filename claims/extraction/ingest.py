"""Turning files and bytes into `Document`s, with one clear error per unusable input.

HTML is reduced to article text with trafilatura (boilerplate removal is a solved problem; we do
not hand-roll it). Input checks happen here, before any model runs, so a bad file costs nothing.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from claims.errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingError,
    InputTooLargeError,
    InvalidRecordError,
    UnreadableInputError,
)
from claims.models import Document

MAX_CHARS = 200_000
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


def content_id(text: str) -> str:
    """A content hash, so that ingesting the same text twice gives the same document id."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise EmptyInputError(f"{name}: input is empty")
    if b"\x00" in data[:8192]:
        raise BinaryInputError(f"{name}: input looks binary (NUL bytes), expected UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EncodingError(f"{name}: not valid UTF-8 (byte {exc.start})") from exc
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > 0.01 * min(len(text), 8192):
        raise BinaryInputError(f"{name}: input looks binary (control characters)")
    return text


def html_to_text(html: str, name: str) -> str:
    import trafilatura

    extracted = trafilatura.extract(html, include_comments=False, include_tables=False)
    if not extracted or not extracted.strip():
        raise EmptyInputError(f"{name}: no article text found in the HTML")
    return str(extracted)


def make_document(
    text: str,
    *,
    doc_id: str | None = None,
    name: str = "<input>",
    is_html: bool = False,
    title: str | None = None,
    outlet: str | None = None,
    url: str | None = None,
    published_at: datetime | None = None,
) -> Document:
    if is_html:
        text = html_to_text(text, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise EmptyInputError(f"{name}: input is empty")
    if len(text) > MAX_CHARS:
        raise InputTooLargeError(f"{name}: {len(text)} characters, the limit is {MAX_CHARS}")
    return Document(
        id=doc_id or content_id(text),
        text=text,
        title=title,
        outlet=outlet,
        url=url,
        published_at=published_at,
    )


def read_document(
    path: str, *, outlet: str | None = None, published_at: datetime | None = None
) -> Document:
    """`-` reads standard input; the document id is the file name without its extension."""
    if path == "-":
        data = sys.stdin.buffer.read()
        name, doc_id, suffix = "<stdin>", "stdin", ""
    else:
        p = Path(path)
        name, doc_id, suffix = path, p.stem, p.suffix.lower()
        try:
            data = p.read_bytes()
        except IsADirectoryError as exc:
            raise UnreadableInputError(f"{name}: is a directory") from exc
        except OSError as exc:
            raise UnreadableInputError(f"{name}: cannot read ({exc.strerror})") from exc
    text = decode(data, name)
    is_html = suffix in HTML_SUFFIXES or (
        suffix == "" and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))
    )
    return make_document(
        text, doc_id=doc_id, name=name, is_html=is_html, outlet=outlet, published_at=published_at
    )


def read_jsonl_documents(path: str) -> list[Document]:
    """`claims compare` input: one JSON object per line with `id` and `text`, optionally `title`,
    `outlet`, `url`, `published_at`. Errors name the line, so a batch job can fix its input."""
    import json

    name = "<stdin>" if path == "-" else path
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise UnreadableInputError(f"{name}: cannot read ({exc.strerror})") from exc
    text = decode(data, name)
    documents: list[Document] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRecordError(f"{where}: not JSON ({exc.msg})") from exc
        document = record_document(record, where)
        if document.id in seen:
            raise InvalidRecordError(f"{where}: duplicate id {document.id!r}")
        seen.add(document.id)
        documents.append(document)
    if not documents:
        raise EmptyInputError(f"{name}: no documents")
    return documents


RECORD_FIELDS = ("id", "text", "title", "outlet", "url", "published_at")  # a `compare` record


def record_document(record: Any, where: str) -> Document:
    """One `claims compare` record (a JSON object, a Parquet row) as a Document; one place for
    the CLI, the batch readers and their coded errors."""
    from pydantic import ValidationError

    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise InvalidRecordError(f"{where}: expected an object with a string 'text'")
    unknown = set(record) - set(RECORD_FIELDS)
    if unknown:
        raise InvalidRecordError(f"{where}: unknown fields {sorted(unknown)}")
    try:
        return make_document(
            record["text"],
            doc_id=str(record["id"]) if record.get("id") is not None else None,
            name=where,
            title=record.get("title"),
            outlet=record.get("outlet"),
            url=record.get("url"),
            published_at=record.get("published_at"),
        )
    except ValidationError as exc:
        raise InvalidRecordError(f"{where}: {exc.errors()[0]['msg']}") from exc
