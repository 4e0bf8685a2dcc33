"""Errors raised by services; the API and pages turn them into 4xx answers in French."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A request a user made that cannot be carried out, with a message they can act on."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Invalid(ServiceError):
    status = 422
    code = "invalid"


class AuthenticationFailed(ServiceError):
    status = 401
    code = "unauthorized"


class TooManyAttempts(ServiceError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
