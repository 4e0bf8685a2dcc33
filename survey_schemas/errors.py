"""Exceptions of the survey_schemas package.

Each carries structured data (a list or a dict of French messages) so that the server can put it
in its JSON error body as is, and a readable ``str()`` for logs and the command line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class InvalidDefinition(ValueError):
    """A référentiel or questionnaire document is refused; ``errors`` lists every reason."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        super().__init__("\n".join(self.errors))


class ConditionSyntaxError(ValueError):
    """A ``visible_if`` expression does not parse; ``position`` is 1-based, as a person counts."""

    def __init__(self, message: str, position: int) -> None:
        self.message = message
        self.position = position
        super().__init__(f"position {position} : {message}")


class InvalidAnswers(ValueError):
    """A report's answers are refused; ``errors`` maps each question id to its French messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {key: list(value) for key, value in errors.items()}
        lines = [f"{key} : {message}" for key, value in self.errors.items() for message in value]
        super().__init__("\n".join(lines))
