"""Checking an investigator's answers against a questionnaire, and cleaning them.

Pure Python so that the same rules hold on the server (which wraps them at its API edge), in the
demo's simulated reports and in the tests. Questions are checked in order, so the visibility of a
question is decided on the cleaned answers before it, exactly as the phone form decides it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from survey_schemas.coerce import BadAnswer, JSONValue, coerce, is_empty
from survey_schemas.conditions import evaluate, references
from survey_schemas.errors import InvalidAnswers
from survey_schemas.model import DelayRule, Question, Questionnaire

#: key of errors that concern the report as a whole rather than one question
GENERAL = "__all__"


def _number(value: float) -> str:
    """A French-looking number for messages: 2.5 → 2,5 and 20.0 → 20."""
    return f"{value:g}".replace(".", ",")


def _constraint_errors(question: Question, value: JSONValue, today: date) -> list[str]:
    """Constraints that only need the answer itself (not another question's)."""
    limits = question.constraints
    errors: list[str] = []
    if isinstance(value, int | float):
        if limits.min is not None and value < limits.min:
            errors.append(f"doit être au moins {_number(limits.min)}")
        if limits.max is not None and value > limits.max:
            errors.append(f"doit être au plus {_number(limits.max)}")
    if isinstance(value, str) and question.type == "text":
        if limits.min_length is not None and len(value) < limits.min_length:
            errors.append(f"au moins {limits.min_length} caractères attendus")
        if limits.max_length is not None and len(value) > limits.max_length:
            errors.append(f"au plus {limits.max_length} caractères permis")
        if limits.pattern is not None and not re.fullmatch(limits.pattern, value):
            errors.append("le format de la réponse n’est pas celui attendu")
    too_many = limits.max_photos is not None and len(value) > limits.max_photos
    if question.type == "photo" and too_many:
        errors.append(f"au plus {limits.max_photos} photo(s) permise(s)")
    if question.type == "multiple_choice" and len(value) > 1:
        exclusive = [c.label for c in question.choices if c.exclusive and c.value in value]
        if exclusive:
            errors.append(f"« {exclusive[0]} » ne peut pas être coché avec un autre choix")
    if limits.not_after_today and _day(question, value) > today:
        errors.append(f"date dans le futur (après le {today.strftime('%d/%m/%Y')})")
    return errors


def _day(question: Question, value: str) -> date:
    if question.type == "datetime":
        return datetime.fromisoformat(value).date()
    return date.fromisoformat(value)


def _order_errors(questionnaire: Questionnaire, clean: Mapping[str, JSONValue]) -> dict[str, str]:
    """A date or time that precedes the earlier one it must follow (reply before send…)."""
    errors: dict[str, str] = {}
    for question in questionnaire.questions:
        value = clean.get(question.id)
        pairs: list[str] = []
        if question.constraints.not_before is not None:
            pairs.append(question.constraints.not_before)
        if isinstance(question.scoring, DelayRule) and question.scoring.sent not in pairs:
            pairs.append(question.scoring.sent)
        for other_id in pairs:
            other = clean.get(other_id)
            if value is None or other is None:
                continue
            if _comparable(question, value) < _comparable(questionnaire.question(other_id), other):
                label = questionnaire.question(other_id).label
                errors[question.id] = f"ne peut pas précéder la réponse à « {label} » ({other})"
    return errors


def _comparable(question: Question, value: str) -> Any:
    """Dates and times compare as strings; datetimes with an offset are compared in UTC."""
    if question.type == "datetime":
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=None) if moment.tzinfo is None else moment.timestamp()
    return value


def check_answers(
    questionnaire: Questionnaire, answers: Any, today: date | None
) -> tuple[dict[str, JSONValue], dict[str, list[str]]]:
    """Clean answers and every error found, in one pass over the questions."""
    today = today if today is not None else date.today()
    errors: dict[str, list[str]] = {}
    clean: dict[str, JSONValue] = {}
    if not isinstance(answers, Mapping):
        return clean, {GENERAL: ["les réponses doivent former un objet {question: réponse}"]}
    known = {question.id for question in questionnaire.questions}
    for key in answers:
        if key not in known:
            errors[str(key)] = ["question inconnue dans ce questionnaire"]
    for question in questionnaire.questions:
        raw = answers.get(question.id)
        if question.visible_if is not None and not evaluate(question.visible_if, clean):
            undecided = any(name in errors for name in references(question.visible_if))
            if not is_empty(raw) and not undecided:
                errors[question.id] = [
                    f"question masquée par sa condition ({question.visible_if_source}) : "
                    "aucune réponse ne doit être donnée"
                ]
            continue
        value = None
        if not is_empty(raw):
            try:
                value = coerce(question, raw)
            except BadAnswer as exc:
                errors[question.id] = [str(exc)]
                continue
        if is_empty(value):
            if question.required:
                errors[question.id] = ["réponse obligatoire"]
            continue
        problems = _constraint_errors(question, value, today)
        if problems:
            errors[question.id] = problems
            continue
        clean[question.id] = value
    for question_id, message in _order_errors(questionnaire, clean).items():
        errors.setdefault(question_id, []).append(message)
    return clean, errors


def visible_question_ids(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[str]:
    """The ids of the questions shown for these (canonical) answers, in questionnaire order.

    Conditions read only earlier questions, and the answer of a hidden question counts as no
    answer, exactly as :func:`check_answers` does; the phone's ``visibleQuestionIds``
    (``server/static/js/conditions.js``) is the same loop, checked against this one.
    """
    shown: dict[str, Any] = {}
    visible: list[str] = []
    for question in questionnaire.questions:
        if question.visible_if is not None and not evaluate(question.visible_if, shown):
            continue
        visible.append(question.id)
        value = answers.get(question.id)
        if not is_empty(value):
            shown[question.id] = value
    return visible


def validate_answers(
    questionnaire: Questionnaire, answers: Any, *, today: date | None = None
) -> dict[str, list[str]]:
    """French errors per question id; empty when the answers are acceptable.

    ``answers`` maps question ids to JSON values (see :mod:`survey_schemas.coerce`). Refused:
    unknown question ids, answers to questions hidden by their ``visible_if``, a missing answer to
    a visible required question, a value of the wrong type or outside its constraints, a date
    after ``today`` where the question forbids it (default: the real today), and a date or time
    before the one it must follow (a reply before its send date). Errors about the report as a
    whole are under the key ``"__all__"``.
    """
    return check_answers(questionnaire, answers, today)[1]


def clean_answers(
    questionnaire: Questionnaire, answers: Any, *, today: date | None = None
) -> dict[str, JSONValue]:
    """The answers in canonical JSON form, without unanswered questions; InvalidAnswers if any
    answer is refused (its ``errors`` is what :func:`validate_answers` returns)."""
    clean, errors = check_answers(questionnaire, answers, today)
    if errors:
        raise InvalidAnswers(errors)
    return clean
