"""Turning one JSON answer into its canonical JSON value, per question type.

Canonical representation (what :func:`survey_schemas.clean_answers` returns and the server
stores); accepted inputs are listed after the arrow:

==================  =========================================  =================================
type                canonical                                   also accepted
==================  =========================================  =================================
yes_no              ``"oui"`` / ``"non"``                        ``true``/``false``, any case
yes_no_na           ``"oui"`` / ``"non"`` / ``"na"``             ``true``/``false``, ``"n/a"``
single_choice       the choice value, ``"plain_pied"``            surrounding spaces
multiple_choice     list of values in the questionnaire's order  any order
integer, rings,     JSON integer, ``5``                          ``5.0``, ``"5"``
duration_minutes    (minutes; rings and minutes are ≥ 0)
decimal             JSON number, ``3.5``                         ``"3,5"``, ``"3.5"``
date                ``"2024-12-24"``                              —
time                ``"09:05"``                                   ``"09:05:30"`` (seconds dropped)
datetime            ``"2024-12-24T09:05:00+01:00"``               ``Z``, no seconds, no offset
text                trimmed string                               —
photo               list of photo references (upload ids)       a single string
position            ``{"latitude": 48.85, "longitude": 2.35}``   ``"accuracy"`` (metres) kept
==================  =========================================  =================================

``null``, ``""`` and ``[]`` mean "no answer" for every type. Forms post text, so numbers and
yes/no arrive as strings as often as JSON numbers and booleans; one canonical form keeps
conditions, scoring and exports simple.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from survey_schemas.model import Question

JSONValue = Any


class BadAnswer(ValueError):
    """The answer cannot be read as its question's type; the message is French."""


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?$")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
_DECIMAL_RE = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")


def is_empty(value: JSONValue) -> bool:
    """True for the JSON values that mean "no answer"."""
    return value is None or value == "" or value == [] or value == {}


def _yes_no(values: tuple[str, ...], question: Question, value: JSONValue) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, str):
        word = value.strip().lower()
        word = "na" if word == "n/a" else word
        if word in values:
            return word
    allowed = " ou ".join(f"« {v} »" for v in values)
    raise BadAnswer(f"réponse {allowed} attendue")


def _single(question: Question, value: JSONValue) -> str:
    if isinstance(value, str) and value.strip() in question.answer_values:
        return value.strip()
    allowed = ", ".join(question.answer_values)
    raise BadAnswer(f"choix inconnu {value!r} ; choix possibles : {allowed}")


def _multiple(question: Question, value: JSONValue) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadAnswer("une liste de choix est attendue")
    picked = [item.strip() for item in value]
    unknown = [item for item in picked if item not in question.answer_values]
    if unknown:
        raise BadAnswer(f"choix inconnu(s) : {', '.join(unknown)}")
    if len(set(picked)) != len(picked):
        raise BadAnswer("un même choix est coché deux fois")
    return [choice for choice in question.answer_values if choice in picked]


def _integer(question: Question, value: JSONValue) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER_RE.match(value.strip()):
        number = int(value.strip())
    if number is None:
        raise BadAnswer("un nombre entier est attendu")
    if question.type in ("rings", "duration_minutes") and number < 0:
        raise BadAnswer("un nombre positif ou nul est attendu")
    return number


def _decimal(question: Question, value: JSONValue) -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and _DECIMAL_RE.match(value.strip()):
        number = float(value.strip().replace(",", "."))
    if number is None or not math.isfinite(number):
        raise BadAnswer("un nombre est attendu (par exemple 3,5)")
    return number


def _date(question: Question, value: JSONValue) -> str:
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise BadAnswer("une date AAAA-MM-JJ est attendue")


def _time(question: Question, value: JSONValue) -> str:
    match = _TIME_RE.match(value) if isinstance(value, str) else None
    if match:
        try:
            return time(int(match[1]), int(match[2])).strftime("%H:%M")
        except ValueError:
            pass
    raise BadAnswer("une heure HH:MM est attendue")


def _datetime(question: Question, value: JSONValue) -> str:
    if isinstance(value, str) and _DATETIME_RE.match(value):
        try:
            return datetime.fromisoformat(value).isoformat(timespec="seconds")
        except ValueError:
            pass
    raise BadAnswer("une date et heure AAAA-MM-JJTHH:MM (ISO 8601) est attendue")


def _text(question: Question, value: JSONValue) -> str:
    if not isinstance(value, str):
        raise BadAnswer("un texte est attendu")
    return value.strip()


def _photo(question: Question, value: JSONValue) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise BadAnswer("une liste de références de photos est attendue")
    if len(set(items)) != len(items):
        raise BadAnswer("une même photo est jointe deux fois")
    return list(items)


def _coordinate(value: JSONValue, low: float, high: float, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high:
        return float(value)
    raise BadAnswer(f"{name} entre {low:g} et {high:g} attendue")


def _position(question: Question, value: JSONValue) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise BadAnswer("une position {latitude, longitude} est attendue")
    extra = set(value) - {"latitude", "longitude", "accuracy"}
    if extra or "latitude" not in value or "longitude" not in value:
        raise BadAnswer("une position {latitude, longitude, accuracy facultative} est attendue")
    position = {
        "latitude": _coordinate(value["latitude"], -90, 90, "latitude"),
        "longitude": _coordinate(value["longitude"], -180, 180, "longitude"),
    }
    if value.get("accuracy") is not None:
        position["accuracy"] = _coordinate(value["accuracy"], 0, math.inf, "précision (m)")
    return position


_COERCERS: dict[str, Callable[[Question, JSONValue], JSONValue]] = {
    "yes_no": lambda question, value: _yes_no(("oui", "non"), question, value),
    "yes_no_na": lambda question, value: _yes_no(("oui", "non", "na"), question, value),
    "single_choice": _single,
    "multiple_choice": _multiple,
    "integer": _integer,
    "rings": _integer,
    "duration_minutes": _integer,
    "decimal": _decimal,
    "date": _date,
    "time": _time,
    "datetime": _datetime,
    "text": _text,
    "photo": _photo,
    "position": _position,
}


def coerce(question: Question, value: JSONValue) -> JSONValue:
    """The canonical value of a non-empty answer; BadAnswer (French) if it is not readable."""
    return _COERCERS[question.type](question, value)
