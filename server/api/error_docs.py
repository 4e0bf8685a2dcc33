"""The error answers of every API operation, documented in one place.

flask-smorest documents what a view returns when it succeeds, plus one ``default`` error;
a client (or schemathesis) cannot tell from that which refusals to expect. This apispec
plugin adds the standard ``Error`` answers each operation can give, from what the operation
is, so that seventy views need no hand-written list that would drift:

- 401 and 403 for every guarded operation (not for ``security: []``): 401 without a valid
  token, 403 for a role the view does not allow or, on a write made with the page session,
  a missing ``X-CSRFToken``;
- 404 for an operation with path parameters (an unknown id, or another's object);
- 400 for one taking a body (unreadable JSON, no file in a multipart upload), 422 for one
  taking a body or query arguments (webargs' field errors, and the services' ``Invalid``);
- 409 for every guarded write: writes run the business rules (a locked draw, a closed wave,
  a stale report version, a second reply...), which refuse as ``Conflict``.

``tests/server/api/test_error_docs.py`` walks the spec and fails when one is missing, and the
fuzz run (``tests/fuzz/``) fails on any status an operation answers without documenting it.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from werkzeug.routing import Rule

WRITES = frozenset({"post", "put", "patch", "delete"})
#: flask-smorest registers a response component per HTTP status, named as ``HTTPStatus``.
COMPONENTS = {
    "400": "BAD_REQUEST",
    "401": "UNAUTHORIZED",
    "403": "FORBIDDEN",
    "404": "NOT_FOUND",
    "409": "CONFLICT",
    "422": "UNPROCESSABLE_ENTITY",
}


def expected_errors(
    method: str, operation: dict[str, Any], *, has_path_parameters: bool
) -> set[str]:
    """The error statuses an operation documents (shared with the test that checks it)."""
    guarded = operation.get("security") != []
    takes_body = "requestBody" in operation
    takes_query = any(
        isinstance(p, dict) and p.get("in") == "query" for p in operation.get("parameters", [])
    )
    expected = set()
    if guarded:
        expected |= {"401", "403"}
        if method in WRITES:
            expected.add("409")
    if has_path_parameters:
        expected.add("404")
    if takes_body:
        expected |= {"400", "422"}
    if takes_query:
        expected.add("422")
    return expected


class ErrorResponsesPlugin(BasePlugin):
    """Adds the standard error answers to each operation as flask-smorest registers it."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        rule: Rule | None = kwargs.get("rule")
        if operations is None or rule is None:
            return
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            _drop_oas2_form_parameters(operation)
            responses = operation.setdefault("responses", {})
            expected = expected_errors(method, operation, has_path_parameters=bool(rule.arguments))
            for status in sorted(expected):
                responses.setdefault(status, COMPONENTS[status])


def _drop_oas2_form_parameters(operation: dict[str, Any]) -> None:
    """A view reading both ``files`` and ``form`` gets one multipart body from flask-smorest,
    and the second location left behind as an OpenAPI 2 ``in: formData`` parameter, which
    OpenAPI 3 does not know. The multipart body's schema already declares the field."""
    parameters = operation.get("parameters")
    if not parameters:
        return
    kept = [p for p in parameters if not (isinstance(p, dict) and p.get("in") == "formData")]
    if kept:
        operation["parameters"] = kept
    else:
        del operation["parameters"]


def install(spec: APISpec) -> None:
    """Add the plugin to the app's spec before any blueprint is registered (once per spec)."""
    if not any(isinstance(plugin, ErrorResponsesPlugin) for plugin in spec.plugins):
        plugin = ErrorResponsesPlugin()
        plugin.init_spec(spec)
        spec.plugins.append(plugin)
