"""Every operation of the OpenAPI document lists the error answers it can give
(``server/api/error_docs.py``), each as the shared ``Error`` body: a client learns from the
spec that it may be refused, not only that it may succeed.

The operations come from the app's spec, so a new view (``server/api/users.py`` included)
cannot escape this test.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from server.api.error_docs import expected_errors

METHODS = ("get", "post", "put", "patch", "delete")


def _spec() -> dict[str, Any]:
    from server.app import create_app

    app: Flask = create_app({"ENV_PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    spec: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
    return spec


SPEC = _spec()
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in SPEC["paths"].items()
    for method in METHODS
    if method in item
)


def _operation(method: str, path: str) -> tuple[dict[str, Any], bool]:
    item = SPEC["paths"][path]
    parameters = [*item.get("parameters", []), *item[method.lower()].get("parameters", [])]
    return item[method.lower()], any(p.get("in") == "path" for p in parameters)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_operation_documents_its_error_answers(method: str, path: str) -> None:
    operation, has_path_parameters = _operation(method, path)
    expected = expected_errors(method.lower(), operation, has_path_parameters=has_path_parameters)
    assert expected <= set(operation["responses"]), sorted(expected - set(operation["responses"]))
    for status in expected:
        response = operation["responses"][status]
        assert response == {"$ref": response["$ref"]}
        component = SPEC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        schema = component["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def test_guarded_operations_document_401_and_403_and_the_others_do_not() -> None:
    """Signing in is the one public operation; every other one is refused without a token."""
    public = [(m, p) for m, p in OPERATIONS if _operation(m, p)[0].get("security") == []]
    assert public == [("POST", "/api/v1/auth/token")]
    missing = [
        (m, p)
        for m, p in OPERATIONS
        if (m, p) not in public and not {"401", "403"} <= set(_operation(m, p)[0]["responses"])
    ]
    assert missing == []


def test_the_error_body_is_what_the_api_sends() -> None:
    """``code`` is a word (``not_found``), as ``server/errors.py`` sends it."""
    error = SPEC["components"]["schemas"]["Error"]
    assert error["properties"]["code"]["type"] == "string"
    assert set(error["required"]) == {"code", "message", "errors"}


def test_no_operation_keeps_an_openapi_2_form_parameter() -> None:
    """``in: formData`` is OpenAPI 2; a multipart body declares its fields in OpenAPI 3."""
    stray = [
        (m, p)
        for m, p in OPERATIONS
        for parameter in _operation(m, p)[0].get("parameters", [])
        if parameter.get("in") not in {"path", "query", "header", "cookie"}
    ]
    assert stray == []


def test_the_pagination_header_is_documented_as_json() -> None:
    header = SPEC["components"]["headers"]["PAGINATION"]
    assert "schema" not in header
    assert header["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginationMetadata"
    }
