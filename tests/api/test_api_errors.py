"""Bad input of every kind gets the right 4xx with the one coded error shape, never a 500, and a
failed ingest never leaves a half-written record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import SCHOOL_VOTE, assert_error, running_app, settings_for
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.comparison.embed import SentenceTransformerEmbedder
from claims.extraction.extract import Extractor

MAX_TEXT = 5_000
MAX_BODY = 20_000
JSON = {"content-type": "application/json"}
ENDPOINTS = ["/v1/extract", "/v1/documents"]


@pytest.fixture(scope="module")
def small(
    tmp_path_factory: pytest.TempPathFactory,
    extractor: Extractor,
    embedder: SentenceTransformerEmbedder,
) -> Iterator[TestClient]:
    """An app with small limits, so the limits are cheap to cross."""
    app_settings = settings_for(
        tmp_path_factory.mktemp("errors"), max_text_chars=MAX_TEXT, max_body_bytes=MAX_BODY
    )
    with running_app(app_settings, extractor, embedder) as c:
        yield c


@pytest.fixture(autouse=True)
def nothing_stored(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test in this module the store is still empty: no failure wrote anything."""
    yield
    if "small" in request.fixturenames:
        small: TestClient = request.getfixturevalue("small")
        assert small.get("/v1/claims").json() == {"data": [], "count": 0, "next_cursor": None}


def post_json(client: TestClient, path: str, body: Any) -> Any:
    return client.post(path, content=json.dumps(body).encode("utf-8"), headers=JSON)


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    ("body", "status", "code", "loc"),
    [
        ({"text": ""}, 422, "empty_input", ["body", "text"]),
        ({"text": " \n\t "}, 422, "empty_input", ["body", "text"]),
        ({}, 422, "missing", ["body", "text"]),
        ([], 422, "model_attributes_type", ["body"]),
        ("just a string", 422, "model_attributes_type", ["body"]),
        ({"text": 123}, 422, "string_type", ["body", "text"]),
        ({"text": None}, 422, "string_type", ["body", "text"]),
        ({"text": "A b c d.", "title": ["x"]}, 422, "string_type", ["body", "title"]),
        ({"text": "A b c d.", "published_at": "soon"}, 422, None, ["body", "published_at"]),
        ({"text": "A b c d.", "published_at": "9999-01-01"}, 422, "date_out_of_range", None),
        ({"text": "A b c d.", "published_at": "0001-01-01T00:00:00+05:00"}, 422, None, None),
        ({"text": "A b c d.", "outlet": "x" * 201}, 422, "string_too_long", ["body", "outlet"]),
        ({"text": "A b c d.", "colour": "red"}, 422, "extra_forbidden", ["body", "colour"]),
        ({"text": "x" * (MAX_TEXT + 1)}, 413, "input_too_large", ["body", "text"]),
        ({"text": "NUL\u0000bytes\u0000here"}, 415, "binary_input", ["body", "text"]),
        ({"text": "\u0001\u0002\u0003\u0004 control"}, 415, "binary_input", ["body", "text"]),
        ({"text": "lone \ud800 surrogate"}, 422, "not_utf8", ["body", "text"]),
        ({"text": "ok", "title": "lone \udfff"}, 422, "not_utf8", ["body", "title"]),
    ],
)
def test_api_errors_bad_json_fields(
    small: TestClient,
    path: str,
    body: Any,
    status: int,
    code: str | None,
    loc: list[str] | None,
) -> None:
    response = post_json(small, path, body)
    item = assert_error(response, status, code or response.json()["detail"][0]["type"])
    if loc is not None:
        assert item["loc"] == loc


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b"\x00\x01\x02\x03\xff\xfe" * 10, JSON, 415, "binary_input"),
        ('{"text": "café crème"}'.encode("latin-1"), JSON, 415, "not_utf8"),
        ('{"text": "A b c d."}'.encode("utf-16"), JSON, 415, "not_utf8"),
        ('{"text": "A b c d."}'.encode("utf-32"), JSON, 415, "not_utf8"),
        ('{"text": "A b c d."}'.encode("utf-16-le"), JSON, 415, "binary_input"),
        (
            b'{"text": "A b c d."}',
            {"content-type": "application/json; charset=latin-1"},
            415,
            "not_utf8",
        ),
        (b'{"text": "A b c d."}', {"content-type": "text/plain"}, 415, "unsupported_media_type"),
        (b"text=hello", {"content-type": "application/x-www-form-urlencoded"}, 415, None),
        (b'{"text": "A b c d."}', {}, 415, "unsupported_media_type"),
        (b'{"text": "unterminated', JSON, 422, "json_invalid"),
        (b"", JSON, 422, "missing"),
        (b"[" * 10_001 + b"]" * 10_001, JSON, 413, "body_too_large"),
        (b"[" * 5_000 + b"]" * 5_000, JSON, 400, "bad_request"),
    ],
)
def test_api_errors_bad_bodies(
    small: TestClient,
    path: str,
    content: bytes,
    headers: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    response = small.post(path, content=content, headers=headers)
    assert_error(response, status, code or "unsupported_media_type")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_api_errors_body_too_large_by_content_length(small: TestClient, path: str) -> None:
    body = json.dumps({"text": "word " * (MAX_BODY // 5 + 10)}).encode()
    response = small.post(path, content=body, headers=JSON)
    item = assert_error(response, 413, "body_too_large")
    assert item["loc"] == ["body"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_api_errors_body_too_large_streamed(small: TestClient, path: str) -> None:
    """No Content-Length (chunked): the limit still holds while reading."""

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(MAX_BODY // 1000 + 2):
            yield b"a" * 1000
        yield b'"}'

    response = small.post(path, content=chunks(), headers=JSON)
    assert_error(response, 413, "body_too_large")


def test_api_errors_text_limit_is_the_setting(small: TestClient) -> None:
    ok = post_json(small, "/v1/extract", {"text": "The mayor said it. " * (MAX_TEXT // 20)})
    assert ok.status_code == 200


def test_api_errors_valid_body_still_works(small: TestClient) -> None:
    assert post_json(small, "/v1/extract", {"text": SCHOOL_VOTE}).status_code == 200


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "text": st.text(max_size=300) | _json_values,
        "title": st.text(max_size=30) | _json_values,
        "outlet": st.text(max_size=30) | _json_values,
        "url": st.text(max_size=30),
        "published_at": st.datetimes().map(lambda d: d.isoformat())
        | st.text(max_size=30)
        | st.integers(),
        "id": st.text(max_size=30),
    },
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        _fields.map(lambda d: json.dumps(d).encode("utf-8")),
        _json_values.map(lambda v: json.dumps(v).encode("utf-8")),
        st.binary(max_size=300),
    )
)
def test_api_errors_fuzzed_extract_never_500(small: TestClient, body: bytes) -> None:
    response = small.post("/v1/extract", content=body, headers=JSON)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_error(response, response.status_code, response.json()["detail"][0]["type"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["claimant", "outlet", "document_id", "since", "until", "kind", "offset", "limit"]
        ),
        st.text(max_size=30) | st.integers().map(str) | st.datetimes().map(lambda d: d.isoformat()),
    )
)
def test_api_errors_fuzzed_claims_query_never_500(
    small: TestClient, params: dict[str, str]
) -> None:
    response = small.get("/v1/claims", params=params)
    assert response.status_code in {200, 422}, response.text
