"""Property tests of scoring on every shipped questionnaire, with generated valid reports."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_schemas import (
    Question,
    Questionnaire,
    evaluate,
    load_questionnaire,
    references,
    score_test,
    shipped_questionnaires,
)

#: texts that satisfy the shipped questionnaires' patterns
TEXTS = {
    "t_numero": "03 87 34 87 34",
    "m_adresse": "accueil@moselle.gouv.fr",
    "w_adresse_page": "https://www.moselle.gouv.fr/",
}
START = date(2024, 1, 1)


def _relaxed(questionnaire: Questionnaire) -> Questionnaire:
    """The same questionnaire with every question optional, so N/A can be added anywhere."""
    document = copy.deepcopy(dict(questionnaire.document))
    for question in document["questions"]:
        question["required"] = False
    return load_questionnaire(document)


QUESTIONNAIRES = [pytest.param(q, id=q.code) for q in shipped_questionnaires()] + [
    pytest.param(_relaxed(q), id=f"{q.code}-relaxed") for q in shipped_questionnaires()
]


def _answer(draw: st.DrawFn, question: Question, answers: dict[str, Any]) -> Any:
    """A valid answer to ``question`` given the earlier ``answers``."""
    kind = question.type
    limits = question.constraints
    if kind in ("yes_no", "yes_no_na", "single_choice"):
        return draw(st.sampled_from(question.answer_values))
    if kind == "multiple_choice":
        plain = [c.value for c in question.choices if not c.exclusive]
        exclusive = [[c.value] for c in question.choices if c.exclusive]
        return draw(
            st.sampled_from(exclusive) | st.lists(st.sampled_from(plain), min_size=1, unique=True)
        )
    if kind in ("integer", "rings", "duration_minutes", "decimal"):
        low = int(limits.min) if limits.min is not None else 0
        high = int(limits.max) if limits.max is not None else 500
        return draw(st.integers(low, high))
    earlier = limits.not_before or getattr(question.scoring, "sent", None)
    if kind == "date":
        first = date.fromisoformat(answers[earlier]) if earlier in answers else START
        return (first + timedelta(days=draw(st.integers(0, 60)))).isoformat()
    if kind == "time":
        hour, minute = map(int, answers[earlier].split(":")) if earlier in answers else (8, 0)
        moment = draw(st.integers(hour * 60 + minute, 23 * 60 + 59))
        return f"{moment // 60:02d}:{moment % 60:02d}"
    if kind == "photo":
        return ["photo-1"]
    if kind == "position":
        return {"latitude": 49.1, "longitude": 6.2}
    return TEXTS.get(question.id, "texte")


@st.composite
def reports(draw: st.DrawFn, questionnaire: Questionnaire) -> dict[str, Any]:
    """Valid answers: visible questions in order, optional ones sometimes left out."""
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if question.visible_if is not None and not evaluate(question.visible_if, answers):
            continue
        if not question.required and draw(st.booleans()):
            continue
        answers[question.id] = _answer(draw, question, answers)
    return answers


WAVE_CLOSES = st.none() | st.just(date(2025, 6, 30))
DEPARTMENTS = st.sampled_from([None, "57", "67", "974", "75"])


@pytest.mark.parametrize("questionnaire", QUESTIONNAIRES)
@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data(), closed=WAVE_CLOSES, department=DEPARTMENTS)
def test_every_grade_lies_between_0_and_10(
    questionnaire: Questionnaire, data: st.DataObject, closed: date | None, department: str | None
) -> None:
    answers = data.draw(reports(questionnaire))
    grades = score_test(questionnaire, answers, wave_closed_on=closed, department=department)
    assert set(grades) == set(questionnaire.scored_engagements)
    assert all(grade is None or 0 <= grade <= 10 for grade in grades.values())


def _not_applicable(question: Question) -> str | None:
    """An answer that is N/A for scoring: "na", or a choice worth null points."""
    if question.type == "yes_no_na":
        return "na"
    points = getattr(question.scoring, "points", {})
    nulls = [value for value, given in points.items() if given is None]
    return nulls[0] if nulls and question.type == "single_choice" else None


@pytest.mark.parametrize(
    "questionnaire", [_relaxed(q) for q in shipped_questionnaires()], ids=lambda q: q.code
)
@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data(), closed=WAVE_CLOSES)
def test_adding_not_applicable_answers_never_changes_a_grade(
    questionnaire: Questionnaire, data: st.DataObject, closed: date | None
) -> None:
    answers = data.draw(reports(questionnaire))
    read = {
        name for q in questionnaire.questions if q.visible_if for name in references(q.visible_if)
    }
    more = dict(answers)
    for question in questionnaire.questions:
        visible = question.visible_if is None or evaluate(question.visible_if, answers)
        value = _not_applicable(question)
        if visible and value and question.id not in answers and question.id not in read:
            more[question.id] = value
    assert score_test(questionnaire, more, wave_closed_on=closed) == score_test(
        questionnaire, answers, wave_closed_on=closed
    )
