"""Grades /10 of one test and of one site, as DOMAIN.md §4 defines them.

Each scored question gives (points obtained, points possible) to its engagement, or nothing when
it is not applicable (an "na" answer, a choice worth ``null``, a question hidden by skip logic or
left unanswered). Engagement grade of a test = 10 × obtained / possible; site grade of an
engagement = mean over the site's tests; site grade = weighted mean of its engagement grades over
the engagements that have data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from survey_schemas.answers import check_answers
from survey_schemas.errors import InvalidAnswers
from survey_schemas.model import (
    NOT_APPLICABLE,
    Band,
    DelayRule,
    PointsRule,
    Question,
    Questionnaire,
    ThresholdRule,
)
from survey_schemas.workdays import working_days_between


def _banded(bands: tuple[Band, ...], otherwise: float, value: float) -> float:
    for band in bands:
        if value <= band.max:
            return band.points
    return otherwise


def possible_points(question: Question) -> float:
    """The most a question can give: the best band or answer, or all positive choices ticked."""
    rule = question.scoring
    if isinstance(rule, PointsRule):
        numbers = [points for points in rule.points.values() if points is not None]
        if question.type == "multiple_choice":
            return sum(points for points in numbers if points > 0)
        return max(numbers, default=0.0)
    if rule is None:
        return 0.0
    return max([band.points for band in rule.bands] + [rule.otherwise])


def question_points(
    question: Question,
    answers: Mapping[str, Any],
    *,
    wave_closed_on: date | None = None,
    department: str | None = None,
) -> tuple[float, float] | None:
    """(obtained, possible) for one scored question on cleaned answers, None if not applicable."""
    rule = question.scoring
    value = answers.get(question.id)
    possible = possible_points(question)
    if isinstance(rule, DelayRule):
        sent = answers.get(rule.sent)
        if sent is None:
            return None
        if value is None:  # no reply: 0 once the wave is closed, still pending before
            return (0.0, possible) if wave_closed_on is not None else None
        days = working_days_between(
            date.fromisoformat(sent), date.fromisoformat(value), department=department
        )
        return _banded(rule.bands, rule.otherwise, days), possible
    if value is None or rule is None:
        return None
    if isinstance(rule, ThresholdRule):
        return _banded(rule.bands, rule.otherwise, float(value)), possible
    if question.type == "multiple_choice":
        given = [rule.points.get(choice) for choice in value]
        counted = [points for points in given if points is not None]
        if not counted:
            return None
        return min(max(sum(counted), 0.0), possible), possible
    points = rule.points.get(value)
    if value == NOT_APPLICABLE or points is None:
        return None
    return points, possible


def score_test(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    *,
    wave_closed_on: date | None = None,
    department: str | None = None,
) -> dict[str, float | None]:
    """Grade /10 of each engagement the questionnaire scores; None where no question applied.

    ``answers`` are checked and cleaned first (InvalidAnswers if refused), except that a date in
    the future is not refused here: scoring judges what was recorded and must not depend on the
    day it runs. ``wave_closed_on`` set means the wave is closed, so a reply still missing scores
    0 on its delay criterion; ``department`` selects the extra holidays of the site (see
    :func:`survey_schemas.working_days_between`).
    """
    clean, errors = check_answers(questionnaire, answers, date.max)
    if errors:
        raise InvalidAnswers(errors)
    obtained: dict[str, float] = dict.fromkeys(questionnaire.scored_engagements, 0.0)
    possible: dict[str, float] = dict(obtained)
    for question in questionnaire.questions:
        if question.scoring is None or question.engagement is None:
            continue
        result = question_points(
            question, clean, wave_closed_on=wave_closed_on, department=department
        )
        if result is not None:
            obtained[question.engagement] += result[0]
            possible[question.engagement] += result[1]
    return {
        code: 10 * obtained[code] / possible[code] if possible[code] > 0 else None
        for code in obtained
    }


def site_grades(
    tests: Iterable[Mapping[str, float | None]],
    *,
    weights: Mapping[str, float] | None = None,
) -> tuple[dict[str, float | None], float | None]:
    """(grade per engagement, overall grade) of a site from its tests' grades.

    Engagement grade = mean of the tests' grades that are not None (None if there are none).
    Overall = mean of the engagement grades weighted by ``weights`` (equal weights when None,
    e.g. ``referentiel.weights`` otherwise) over the engagements with data; None if none has.
    A graded engagement missing from ``weights``, or a negative weight, raises ValueError: a
    silent default weight would hide a typo in a référentiel.
    """
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for test in tests:
        for code, grade in test.items():
            sums.setdefault(code, 0.0)
            counts.setdefault(code, 0)
            if grade is not None:
                sums[code] += grade
                counts[code] += 1
    means: dict[str, float | None] = {
        code: sums[code] / counts[code] if counts[code] else None for code in sums
    }
    total = 0.0
    weight_sum = 0.0
    for code, mean in means.items():
        if mean is None:
            continue
        if weights is not None and code not in weights:
            raise ValueError(f"pas de poids pour l’engagement {code}")
        weight = 1.0 if weights is None else float(weights[code])
        if weight < 0:
            raise ValueError(f"poids négatif pour l’engagement {code}")
        total += weight * mean
        weight_sum += weight
    return means, (total / weight_sum if weight_sum > 0 else None)
