"""Tests for the `claims extract` command, in process (CliRunner) and once as a real process.

Click >= 8.2 keeps stdout and stderr apart in `Result`, so the in-process tests check that results
go to stdout and one error line per bad file goes to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from claims.cli import app
from claims.extraction.extract import Extractor

GOOD_TEXT = (
    "Dockworkers at the port of Kavala went on strike on Monday over pay.\n"
    "“We have not had a real raise since 2019,” union secretary Rosa Delgado told reporters.\n"
    "The port authority said its offer was generous and final.\n"
)


@pytest.fixture(scope="module")
def runner(extractor: Extractor) -> CliRunner:
    """A runner; depending on `extractor` loads the spaCy model (cached) once for all CLI tests."""
    return CliRunner()


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "kavala-strike.txt"
    path.write_text(GOOD_TEXT, encoding="utf-8")
    return path


def check_extraction(result: dict[str, Any], doc_id: str) -> None:
    assert result["document"]["id"] == doc_id
    assert isinstance(result["claims"], list)
    assert result["claims"], "expected at least one claim"
    text = result["document"]["text"]
    for claim in result["claims"]:
        content = claim["content"]
        assert content["text"] == text[content["start"] : content["end"]]


def test_cli_extract_json(runner: CliRunner, good_file: Path) -> None:
    result = runner.invoke(app, ["extract", str(good_file)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    payload = json.loads(result.stdout)
    check_extraction(payload, "kavala-strike")
    kinds = {c["kind"] for c in payload["claims"]}
    assert "direct" in kinds


def test_cli_extract_options(runner: CliRunner, good_file: Path) -> None:
    result = runner.invoke(
        app,
        ["extract", str(good_file), "--outlet", "Example Wire", "--published-at", "2025-07-14"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["document"]["outlet"] == "Example Wire"
    assert payload["document"]["published_at"].startswith("2025-07-14")
    unattributed = [c for c in payload["claims"] if c["kind"] == "unattributed"]
    assert unattributed
    assert all(c["claimant"]["name"] == "Example Wire" for c in unattributed)


def test_cli_extract_json_several_files_is_a_list(
    runner: CliRunner, good_file: Path, tmp_path: Path
) -> None:
    second = tmp_path / "second.txt"
    second.write_text("The army said six soldiers died on Sunday.\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", str(good_file), str(second)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [r["document"]["id"] for r in payload] == ["kavala-strike", "second"]


def test_cli_extract_jsonl(runner: CliRunner, good_file: Path, tmp_path: Path) -> None:
    second = tmp_path / "second.txt"
    second.write_text("The army said six soldiers died on Sunday.\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", "--format", "jsonl", str(good_file), str(second)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    check_extraction(json.loads(lines[0]), "kavala-strike")
    check_extraction(json.loads(lines[1]), "second")


def test_cli_extract_stdin(runner: CliRunner) -> None:
    result = runner.invoke(app, ["extract", "-"], input=GOOD_TEXT.encode("utf-8"))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    check_extraction(payload, "stdin")
    assert payload["document"]["text"] == GOOD_TEXT


def test_cli_extract_html(runner: CliRunner, tmp_path: Path, article_html: str) -> None:
    page = tmp_path / "bridge.html"
    page.write_text(article_html, encoding="utf-8")
    result = runner.invoke(app, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    check_extraction(payload, "bridge")
    text = payload["document"]["text"]
    assert "<" not in text
    assert "Selvik was closed on Monday" in text
    assert "Engineers will inspect the structure" in text
    assert "“We will not reopen it until we are certain it is safe,”" in text
    assert "Copyright" not in text


BAD_FILES: list[tuple[str, bytes | None, str]] = [
    ("empty.txt", b"", "empty_input"),
    ("blank.txt", b"  \n\n ", "empty_input"),
    ("image.txt", b"GIF89a\x00\x01\x00\x00\xff", "binary_input"),
    ("latin1.txt", "Le caf\u00e9 est ferm\u00e9 depuis lundi.".encode("latin-1"), "not_utf8"),
    ("missing.txt", None, "unreadable_input"),
    ("folder", None, "unreadable_input"),
    ("notes[draft].txt", b"", "empty_input"),  # brackets must not be read as console markup
]


@pytest.mark.parametrize(("name", "content", "code"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_cli_extract_bad_file(
    runner: CliRunner,
    good_file: Path,
    tmp_path: Path,
    name: str,
    content: bytes | None,
    code: str,
    fmt: str,
) -> None:
    bad = tmp_path / name
    if name == "folder":
        bad.mkdir()
    elif content is not None:
        bad.write_bytes(content)
    result = runner.invoke(app, ["extract", "--format", fmt, str(bad), str(good_file)])
    assert result.exit_code != 0
    errors = result.stderr.splitlines()
    assert len(errors) == 1, result.stderr
    assert str(bad) in errors[0]
    assert code in errors[0]
    if fmt == "json":
        payload = json.loads(result.stdout)
        assert [r["document"]["id"] for r in payload] == ["kavala-strike"]
    else:
        (line,) = result.stdout.splitlines()
        check_extraction(json.loads(line), "kavala-strike")


def test_cli_extract_only_bad_files(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    missing = tmp_path / "missing.txt"
    result = runner.invoke(app, ["extract", str(bad), str(missing)])
    assert result.exit_code != 0
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert str(bad) in errors[0]
    assert str(missing) in errors[1]


def test_cli_extract_subprocess_stdin_and_errors(tmp_path: Path) -> None:
    """The real process: stdin bytes, stdout JSON lines, one stderr line, exit status 1."""
    missing = tmp_path / "missing.txt"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from claims.cli import app; app()",
            "extract",
            "--format",
            "jsonl",
            "-",
            str(missing),
        ],
        input=GOOD_TEXT.encode("utf-8"),
        capture_output=True,
        timeout=300,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
    assert proc.returncode == 1, proc.stderr.decode()
    (line,) = proc.stdout.decode("utf-8").splitlines()
    check_extraction(json.loads(line), "stdin")
    (error,) = proc.stderr.decode("utf-8").splitlines()
    assert str(missing) in error
    assert "unreadable_input" in error


def _polnear_line(annotator: str, primary: bool, with_quote: bool) -> str:
    """One line of a PolNeAR-format corpus over GOOD_TEXT (invented, not corpus data)."""

    def span(piece: str) -> dict[str, object]:
        start = GOOD_TEXT.index(piece)
        return {"start": start, "end": start + len(piece), "text": piece}

    said = {
        "id": "E1",
        "type": "Attribution",
        "source": [span("union secretary Rosa Delgado")],
        "cue": [span("told")],
        "content": [span("“We have not had a real raise since 2019,”")],
    }
    return json.dumps(
        {
            "article_id": "kavala",
            "annotator": annotator,
            "primary": primary,
            "publisher": "test",
            "publication_date": "2025-03-03",
            "title": "t",
            "text": GOOD_TEXT,
            "attributions": [said] if with_quote else [],
            "flags": [],
        }
    )


def test_cli_eval_attribution_agreement(runner: CliRunner, tmp_path: Path) -> None:
    lines = [_polnear_line("a", True, True), _polnear_line("b", False, True)]
    (tmp_path / "attributions.jsonl").write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "scores.json"
    result = runner.invoke(
        app, ["eval", "attribution", str(tmp_path), "--agreement", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "1 articles annotated 2 times" in result.output
    scores = json.loads(out.read_text(encoding="utf-8"))
    assert scores["humans"]["attribution"]["f1"] == 1.0
    assert set(scores["claims"]) == set(scores["humans"])


def test_cli_eval_attribution_agreement_needs_a_second_annotator(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "attributions.jsonl").write_text(_polnear_line("a", True, True), "utf-8")
    result = runner.invoke(app, ["eval", "attribution", str(tmp_path), "--agreement"])
    assert result.exit_code == 2


def test_cli_eval_matching(runner: CliRunner, checkthat_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.json"
    result = runner.invoke(app, ["eval", "matching", str(checkthat_dir), "--json", str(out)])
    assert result.exit_code == 0, result.output
    scores = json.loads(out.read_text(encoding="utf-8"))
    assert set(scores) == {"embedding (claims)", "TF-IDF baseline"}
    assert scores["embedding (claims)"]["queries"] == 2
    assert scores["embedding (claims)"]["recall"]["1"] == 1.0  # two claims, two easy tweets


def test_cli_eval_matching_missing_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "matching", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "not found" in result.stderr
