"""Turning files and bytes into `Document`s, with one clear error per unusable input.

HTML is reduced to article text with trafilatura (boilerplate removal is a solved problem; we do
not hand-roll it). Input checks happen here, before any model runs, so a bad file costs nothing.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime
from pathlib import Path

from claims.errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingError,
    InputTooLargeError,
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
