"""A questionnaire's skip logic and scoring rules in plain French, for pages.

Coordinators check a questionnaire by reading it as the investigator will see it; an
expression such as ``t_decroche = "oui"`` means little to them, « la réponse à « Un agent
a-t-il pris l’appel ? » est « Oui » » does. Shared by every audience's pages.
"""

from __future__ import annotations

from server.services.definitions import YES_NO_LABELS
from survey_schemas import (
    Condition,
    DelayRule,
    PointsRule,
    Question,
    Questionnaire,
    Section,
    ThresholdRule,
)
from survey_schemas.conditions import And, Answered, Compare, In, Not, Or
from survey_schemas.scoring import possible_points

_NUMERIC_OPERATORS = {
    "=": "égale à",
    "!=": "différente de",
    "<": "inférieure à",
    "<=": "inférieure ou égale à",
    ">": "supérieure à",
    ">=": "supérieure ou égale à",
}


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _points(value: float) -> str:
    return f"{_number(value)} pt" + ("s" if abs(value) >= 2 else "")


def _value_name(question: Question | None, value: str) -> str:
    """ "Oui" for "oui", a choice's label for its value."""
    if question is not None:
        for choice in question.choices:
            if choice.value == value:
                return choice.label
    return YES_NO_LABELS.get(value, value)


def _value_label(question: Question | None, value: str | float) -> str:
    """« Oui » for "oui", « a choice's label » for its value, the number itself otherwise."""
    if isinstance(value, int | float):
        return _number(value)
    return f"« {_value_name(question, value)} »"


def condition_text(condition: Condition, questionnaire: Questionnaire) -> str:
    """A ``visible_if`` condition as a French sentence naming the questions by their label."""

    def question(question_id: str) -> Question | None:
        try:
            return questionnaire.question(question_id)
        except KeyError:
            return None

    def label(question_id: str) -> str:
        found = question(question_id)
        return f"« {found.label} »" if found else f"« {question_id} »"

    def text(node: Condition, nested: bool) -> str:
        if isinstance(node, Answered):
            return f"{label(node.question)} a une réponse"
        if isinstance(node, Not):
            return f"non ({text(node.operand, False)})"
        if isinstance(node, And | Or):
            joiner = " et " if isinstance(node, And) else " ou "
            sentence = joiner.join(text(operand, True) for operand in node.operands)
            return f"({sentence})" if nested else sentence
        target = question(node.question)
        multiple = target is not None and target.type == "multiple_choice"
        if isinstance(node, In):
            values = " ou ".join(_value_label(target, value) for value in node.values)
            if multiple:
                return f"{values} est coché à {label(node.question)}"
            return f"la réponse à {label(node.question)} est {values}"
        return _comparison(node, target, label(node.question), multiple)

    return text(condition, False)


def _comparison(node: Compare, target: Question | None, label: str, multiple: bool) -> str:
    value = _value_label(target, node.value)
    if multiple:
        verb = "est coché" if node.op == "=" else "n’est pas coché"
        return f"{value} {verb} à {label}"
    if isinstance(node.value, str):
        verb = "est" if node.op == "=" else "n’est pas"
        return f"la réponse à {label} {verb} {value}"
    return f"la réponse à {label} est {_NUMERIC_OPERATORS[node.op]} {value}"


def scoring_text(question: Question, questionnaire: Questionnaire) -> str:
    """How a question is scored, e.g. « Oui : 1 pt · Non : 0 pt », or "" if it is not."""
    rule = question.scoring
    if isinstance(rule, PointsRule):
        parts = []
        for value, points in rule.points.items():
            shown = "sans objet" if points is None else _points(points)
            parts.append(f"{_value_name(question, value)} : {shown}")
        return " · ".join(parts)
    if isinstance(rule, ThresholdRule | DelayRule):
        unit = " jours ouvrés" if isinstance(rule, DelayRule) else ""
        parts = [
            f"jusqu’à {_number(band.max)}{unit} : {_points(band.points)}" for band in rule.bands
        ]
        parts.append(f"au-delà : {_points(rule.otherwise)}")
        sentence = " · ".join(parts)
        if isinstance(rule, DelayRule):
            sent = questionnaire.question(rule.sent).label
            sentence = f"délai depuis « {sent} » — {sentence}"
        return sentence
    return ""


def max_points(question: Question) -> str:
    """The most the question can give its engagement, e.g. « 2 pts »."""
    return _points(possible_points(question) if question.scoring is not None else 0.0)


def constraints_text(question: Question, questionnaire: Questionnaire) -> list[str]:
    """The limits an answer must respect, one short French phrase each."""
    limits = question.constraints
    phrases = []
    if limits.min is not None:
        phrases.append(f"au moins {_number(limits.min)}")
    if limits.max is not None:
        phrases.append(f"au plus {_number(limits.max)}")
    if limits.min_length is not None:
        phrases.append(f"au moins {limits.min_length} caractères")
    if limits.max_length is not None:
        phrases.append(f"au plus {limits.max_length} caractères")
    if limits.pattern is not None:
        phrases.append(f"format imposé ({limits.pattern})")
    if limits.max_photos is not None:
        phrases.append(f"jusqu’à {limits.max_photos} photo(s)")
    if limits.not_after_today:
        phrases.append("pas dans le futur")
    if limits.not_before is not None:
        earlier = questionnaire.question(limits.not_before).label
        phrases.append(f"pas avant la réponse à « {earlier} »")
    return phrases


def grouped_by_section(
    questionnaire: Questionnaire,
) -> list[tuple[Section | None, list[Question]]]:
    """Consecutive questions grouped under their section (a page of the phone form)."""
    titles = {section.id: section for section in questionnaire.sections}
    groups: list[tuple[Section | None, list[Question]]] = []
    current: object = object()
    for question in questionnaire.questions:
        if question.section != current:
            current = question.section
            groups.append((titles.get(question.section or ""), []))
        groups[-1][1].append(question)
    return groups
