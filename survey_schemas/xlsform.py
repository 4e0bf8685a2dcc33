"""Export of a questionnaire as an XLSForm workbook (survey, choices, settings sheets).

XLSForm is what ODK Collect, KoboToolbox and SurveyCTO read, so a field partner can run our
questionnaires on its own tools. Skip logic becomes ``relevant`` and constraints ``constraint``;
both follow the meaning of our condition language (a comparison with an empty answer is false).
"""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook

from survey_schemas.conditions import And, Answered, Condition, In, Literal_, Not, Or
from survey_schemas.model import Question, Questionnaire

_TYPES = {
    "integer": "integer",
    "rings": "integer",
    "duration_minutes": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "datetime": "dateTime",
    "text": "text",
    "photo": "image",
    "position": "geopoint",
}
_YES_NO_LISTS = {
    "yes_no": ("oui_non", (("oui", "Oui"), ("non", "Non"))),
    "yes_no_na": ("oui_non_na", (("oui", "Oui"), ("non", "Non"), ("na", "Sans objet"))),
}
_SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "parameters",
)
#: photos are resized on the phone, as XLSForm recommends, to save the investigators' data plans
_IMAGE_PARAMETERS = "max-pixels=1600"


def _literal(value: Literal_) -> str:
    if isinstance(value, str):
        return f'"{value}"' if "'" in value else f"'{value}'"
    return repr(value)


def relevant(condition: Condition, questionnaire: Questionnaire) -> str:
    """The XPath ``relevant`` expression equivalent to a ``visible_if`` condition."""
    if isinstance(condition, Answered):
        return f"${{{condition.question}}} != ''"
    if isinstance(condition, Not):
        return f"not({relevant(condition.operand, questionnaire)})"
    if isinstance(condition, And | Or):
        joiner = " and " if isinstance(condition, And) else " or "
        return "(" + joiner.join(relevant(o, questionnaire) for o in condition.operands) + ")"
    ref = f"${{{condition.question}}}"
    multiple = questionnaire.question(condition.question).type == "multiple_choice"
    if isinstance(condition, In):
        if multiple:
            parts = [f"selected({ref}, {_literal(v)})" for v in condition.values]
        else:
            parts = [f"{ref} = {_literal(v)}" for v in condition.values]
        return "(" + " or ".join(parts) + ")"
    value = _literal(condition.value)
    if multiple:
        ticked = f"selected({ref}, {value})"
        return ticked if condition.op == "=" else f"({ref} != '' and not({ticked}))"
    if condition.op == "!=":
        return f"({ref} != '' and {ref} != {value})"
    return f"{ref} {condition.op} {value}"


def _constraint(question: Question) -> tuple[str, str]:
    """(XPath constraint, French message) of a question's constraints, ('', '') if none."""
    limits = question.constraints
    parts: list[str] = []
    messages: list[str] = []
    if question.type in ("rings", "duration_minutes"):
        parts.append(". >= 0")
        messages.append("nombre positif ou nul")
    if limits.min is not None:
        parts.append(f". >= {limits.min:g}")
        messages.append(f"au moins {limits.min:g}")
    if limits.max is not None:
        parts.append(f". <= {limits.max:g}")
        messages.append(f"au plus {limits.max:g}")
    if limits.min_length is not None:
        parts.append(f"string-length(.) >= {limits.min_length}")
        messages.append(f"au moins {limits.min_length} caractères")
    if limits.max_length is not None:
        parts.append(f"string-length(.) <= {limits.max_length}")
        messages.append(f"au plus {limits.max_length} caractères")
    if limits.pattern is not None:
        parts.append(f"regex(., {_literal(limits.pattern)})")
        messages.append("format attendu non respecté")
    if limits.not_after_today:
        parts.append(". <= today()")
        messages.append("pas de date dans le futur")
    if limits.not_before is not None:
        parts.append(f". >= ${{{limits.not_before}}}")
        messages.append(f"pas avant la réponse à « {limits.not_before} »")
    for choice in question.choices:
        if choice.exclusive:
            parts.append(f"(not(selected(., '{choice.value}')) or count-selected(.) = 1)")
            messages.append(f"« {choice.label} » se coche seul")
    return " and ".join(parts), " ; ".join(messages).capitalize()


def _hint(question: Question) -> str:
    hint = question.help
    if question.type == "photo" and (question.constraints.max_photos or 1) > 1:
        extra = f"Jusqu’à {question.constraints.max_photos} photos dans l’application Baromètre."
        hint = f"{hint} {extra}".strip()
    return hint


def _choice_list(question: Question) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    if question.type in _YES_NO_LISTS:
        return _YES_NO_LISTS[question.type]
    if question.type in ("single_choice", "multiple_choice"):
        return question.id, tuple((c.value, c.label) for c in question.choices)
    return None


def _xlsform_type(question: Question) -> str:
    listed = _choice_list(question)
    if listed is None:
        return _TYPES[question.type]
    verb = "select_multiple" if question.type == "multiple_choice" else "select_one"
    return f"{verb} {listed[0]}"


def _question_row(question: Question, questionnaire: Questionnaire) -> list[str]:
    constraint, message = _constraint(question)
    return [
        _xlsform_type(question),
        question.id,
        question.label,
        _hint(question),
        "yes" if question.required else "",
        "Réponse obligatoire" if question.required else "",
        relevant(question.visible_if, questionnaire) if question.visible_if is not None else "",
        constraint,
        message,
        _IMAGE_PARAMETERS if question.type == "photo" else "",
    ]


def build_xlsform(questionnaire: Questionnaire) -> bytes:
    """The questionnaire as an XLSForm ``.xlsx`` workbook, ready for pyxform or ODK Central.

    Sections become groups; a photo question allows one image in XLSForm (its hint says how
    many the Baromètre form accepts), since XLSForm has no multi-photo question type.
    """
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None  # a new workbook always has one sheet
    survey.title = "survey"
    survey.append(list(_SURVEY_COLUMNS))
    titles = {section.id: section.title for section in questionnaire.sections}
    current: str | None = None
    lists: dict[str, tuple[tuple[str, str], ...]] = {}
    for question in questionnaire.questions:
        if question.section != current:
            if current is not None:
                survey.append(["end group", current])
            if question.section is not None:
                survey.append(["begin group", question.section, titles[question.section]])
            current = question.section
        survey.append(_question_row(question, questionnaire))
        listed = _choice_list(question)
        if listed is not None:
            lists.setdefault(listed[0], listed[1])
    if current is not None:
        survey.append(["end group", current])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for list_name, items in lists.items():
        for value, label in items:
            choices.append([list_name, value, label])
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    form_id = questionnaire.code.replace("-", "_")
    settings.append([questionnaire.title, form_id, str(questionnaire.version), "French (fr)"])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
