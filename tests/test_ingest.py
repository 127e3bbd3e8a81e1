"""claims.extraction.ingest: bytes and files to Documents, one error code per unusable input."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from claims.errors import (
    BinaryInputError,
    ClaimsError,
    EmptyInputError,
    EncodingError,
    InputError,
    InputTooLargeError,
    UnreadableInputError,
)
from claims.extraction.ingest import MAX_CHARS, content_id, decode, make_document, read_document


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"The army said six soldiers died.", "The army said six soldiers died."),
        ("Caf\u00e9 \u201cfine\u201d".encode(), "Caf\u00e9 \u201cfine\u201d"),
        (b"\xef\xbb\xbfWith a BOM.", "With a BOM."),
        (b"Tabs\tand\r\nnewlines\f", "Tabs\tand\r\nnewlines\f"),
    ],
)
def test_ingest_decode_valid(data: bytes, expected: str) -> None:
    assert decode(data, "x.txt") == expected


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (b"", EmptyInputError, "empty_input"),
        (b"  \n\t \r\n", EmptyInputError, "empty_input"),
        (b"abc\x00def", BinaryInputError, "binary_input"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", BinaryInputError, "binary_input"),
        (b"\x01\x02\x03\x04" + b"text " * 20, BinaryInputError, "binary_input"),
        (b"caf\xe9 au lait", EncodingError, "not_utf8"),
        ("na\u00efve r\u00e9sum\u00e9".encode("latin-1"), EncodingError, "not_utf8"),
    ],
)
def test_ingest_decode_errors(data: bytes, error: type[ClaimsError], code: str) -> None:
    with pytest.raises(error) as info:
        decode(data, "report.txt")
    assert info.value.code == code
    assert isinstance(info.value, InputError)
    assert "report.txt" in str(info.value)


def test_ingest_make_document_normalises_newlines_and_hashes_content() -> None:
    doc = make_document("One.\r\nTwo.\rThree.", name="x")
    assert doc.text == "One.\nTwo.\nThree."
    assert doc.id == content_id("One.\nTwo.\nThree.")
    assert make_document("One.\nTwo.\nThree.").id == doc.id


def test_ingest_make_document_keeps_metadata() -> None:
    doc = make_document("Some text here.", doc_id="abc", outlet="Example Wire", title="T")
    assert (doc.id, doc.outlet, doc.title) == ("abc", "Example Wire", "T")


@pytest.mark.parametrize("text", ["", "   ", "\r\n\r\n", "\n\t\n"])
def test_ingest_make_document_empty(text: str) -> None:
    with pytest.raises(EmptyInputError) as info:
        make_document(text, name="blank.txt")
    assert info.value.code == "empty_input"
    assert "blank.txt" in str(info.value)


def test_ingest_make_document_too_large() -> None:
    make_document("a" * MAX_CHARS)  # exactly at the limit is fine
    with pytest.raises(InputTooLargeError) as info:
        make_document("a" * (MAX_CHARS + 1), name="big.txt")
    assert info.value.code == "input_too_large"
    assert "big.txt" in str(info.value)


def test_ingest_make_document_html_to_text(article_html: str) -> None:
    doc = make_document(article_html, is_html=True, name="page.html")
    assert "<" not in doc.text
    assert "Selvik was closed on Monday" in doc.text
    assert "“We will not reopen it until we are certain it is safe,”" in doc.text
    assert "Copyright" not in doc.text


def test_ingest_make_document_html_without_article() -> None:
    with pytest.raises(EmptyInputError) as info:
        make_document("<html><body></body></html>", is_html=True, name="blank.html")
    assert info.value.code == "empty_input"


def test_ingest_read_document_text_file(tmp_path: Path) -> None:
    path = tmp_path / "kavala-strike.txt"
    path.write_text("Dockworkers went on strike on Monday.\n", encoding="utf-8")
    doc = read_document(str(path), outlet="Example Wire")
    assert doc.id == "kavala-strike"
    assert doc.text == "Dockworkers went on strike on Monday.\n"
    assert doc.outlet == "Example Wire"


@pytest.mark.parametrize("name", ["page.html", "page.HTM", "page"])
def test_ingest_read_document_html(tmp_path: Path, name: str, article_html: str) -> None:
    path = tmp_path / name
    path.write_text(article_html, encoding="utf-8")
    doc = read_document(str(path))
    assert doc.id == "page"
    assert "<" not in doc.text
    assert "Engineers will inspect the structure" in doc.text


def test_ingest_read_document_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"The army said six soldiers died."))
    monkeypatch.setattr(sys, "stdin", stdin)
    doc = read_document("-")
    assert doc.id == "stdin"
    assert doc.text == "The army said six soldiers died."


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_input"),
        (b"abc\x00def", "binary_input"),
        (b"caf\xe9 au lait is hot today", "not_utf8"),
    ],
)
def test_ingest_read_document_bad_files(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_document(str(path))
    assert info.value.code == code
    assert str(path) in str(info.value)


def test_ingest_read_document_missing(tmp_path: Path) -> None:
    path = tmp_path / "missing.txt"
    with pytest.raises(UnreadableInputError) as info:
        read_document(str(path))
    assert info.value.code == "unreadable_input"
    assert str(path) in str(info.value)


def test_ingest_read_document_directory(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInputError) as info:
        read_document(str(tmp_path))
    assert info.value.code == "unreadable_input"
    assert str(tmp_path) in str(info.value)


def test_ingest_read_document_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * (MAX_CHARS // 5 + 1), encoding="utf-8")
    with pytest.raises(InputTooLargeError) as info:
        read_document(str(path))
    assert info.value.code == "input_too_large"
