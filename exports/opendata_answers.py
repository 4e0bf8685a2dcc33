"""Which answers of the approved tests the open data publishes, and as which type.

Free text (``text`` questions) may name site staff, photos may show them and positions trace
the investigator: those answers are dropped. Coded answers (yes/no, choices, numbers,
durations, rings, dates, times) are kept. With the questionnaires' types (question id →
type) the choice follows the types, and a question the types do not know is dropped; without
them, only answers whose every value is a number, a yes/no/na word, a date or a time are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from exports.barometer_data import TestRow
from exports.opendata_schema import FORMULA_NOTE, Field
from exports.workbook_tables import question_ids

#: Questionnaire types whose answers are codes, numbers or moments: published.
CODED_TYPES = frozenset(
    {
        "yes_no",
        "yes_no_na",
        "single_choice",
        "multiple_choice",
        "integer",
        "decimal",
        "duration_minutes",
        "rings",
        "date",
        "time",
        "datetime",
    }
)
YES_NO = {"yes_no": ["oui", "non"], "yes_no_na": ["oui", "non", "na"]}
#: Between the boxes ticked of a multiple-choice answer.
MULTIPLE_SEPARATOR = "|"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$")


def _moment_text(value: object) -> object:
    if isinstance(value, str) and _TIME.match(value) and len(value) == 5:
        return value + ":00"  # Table Schema times have seconds
    return value


def _value_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        for kind, pattern in (("date", _DATE), ("time", _TIME), ("datetime", _DATETIME)):
            if pattern.match(value):
                return kind
        return "yes_no" if value in ("oui", "non", "na") else "string"
    return "list" if isinstance(value, list | tuple) else "object"


#: Kinds of values that cannot hold a person's name or a place: kept without types.
_SAFE_KINDS = frozenset({"boolean", "integer", "number", "date", "time", "datetime", "yes_no"})


def _column_type(kinds: set[str]) -> str:
    if kinds <= {"integer"}:
        return "integer"
    if kinds <= {"integer", "number"}:
        return "number"
    if len(kinds) == 1 and next(iter(kinds)) in ("date", "time", "datetime", "boolean"):
        return next(iter(kinds))
    return "string"


def _answer(value: object) -> object:
    if isinstance(value, list | tuple):
        return MULTIPLE_SEPARATOR.join(str(item) for item in value)
    return _moment_text(value)


def _reader(question: str) -> Callable[[TestRow], object]:
    def read(test: TestRow) -> object:
        return _answer(test.answers.get(question))

    return read


def _answer_field(question: str, kinds: set[str], question_type: str | None) -> Field:
    kinds = kinds or {"string"}
    column_type = _column_type(kinds)
    constraints: dict[str, object] = {}
    description = f"Réponse à la question « {question} » du questionnaire."
    if question_type in YES_NO and kinds <= {"yes_no"}:
        constraints["enum"] = YES_NO[question_type]
        description += " oui, non" + (", na = sans objet." if question_type == "yes_no_na" else ".")
    elif question_type == "multiple_choice":
        description += f" Choix cochés, séparés par « {MULTIPLE_SEPARATOR} »."
    if question_type in ("rings", "duration_minutes") and column_type == "integer":
        constraints["minimum"] = 0
        description += " Sonneries." if question_type == "rings" else " Durée en minutes."
    if column_type == "string":
        description += f" {FORMULA_NOTE}"
    return Field(
        question,
        column_type,
        question,
        description,
        _reader(question),
        constraints,
    )


@dataclass(frozen=True)
class Answers:
    """The answer columns published, and the questions left out (free text, photos…)."""

    fields: list[Field]
    dropped: list[str]


def answer_columns(tests: Sequence[TestRow], question_types: Mapping[str, str] | None) -> Answers:
    """Which answers are published, as which Table Schema type (one pass over the tests)."""
    kinds: dict[str, set[str]] = {question: set() for question in question_ids(tests)}
    for test in tests:
        for question, value in test.answers.items():
            if value is not None and value != "" and value != []:
                kinds[question].add(_value_kind(value))
    fields, dropped = [], []
    for question, found in kinds.items():
        if question_types is not None:
            question_type = question_types.get(question)
            kept = question_type in CODED_TYPES
        else:
            question_type = None
            kept = found <= _SAFE_KINDS
        if kept:
            fields.append(_answer_field(question, found, question_type))
        else:
            dropped.append(question)
    return Answers(fields, dropped)
