"""Référentiels, questionnaires, answer validation and scoring of the Baromètre (pure Python).

Definitions are versioned JSON documents (``data/``) checked by a JSON Schema and semantic
rules; everything here takes and returns plain data, with no web framework or database, so the
server, the demo and the tests share one set of rules.
"""

from survey_schemas.answers import clean_answers, validate_answers, visible_question_ids
from survey_schemas.coerce import is_empty
from survey_schemas.conditions import (
    Condition,
    condition_tree,
    evaluate,
    parse_condition,
    references,
)
from survey_schemas.errors import ConditionSyntaxError, InvalidAnswers, InvalidDefinition
from survey_schemas.loader import fingerprint, load_questionnaire, load_referentiel
from survey_schemas.model import (
    CHANNELS,
    QUESTION_TYPES,
    Band,
    Channel,
    Choice,
    Constraints,
    DelayRule,
    Engagement,
    PointsRule,
    Question,
    Questionnaire,
    QuestionType,
    Referentiel,
    ScoringRule,
    Section,
    ThresholdRule,
)
from survey_schemas.registry import (
    shipped_questionnaire,
    shipped_questionnaires,
    shipped_referentiel,
    shipped_referentiels,
)
from survey_schemas.scoring import question_points, score_test, site_grades
from survey_schemas.workdays import (
    DEPARTMENT_SUBDIVISIONS,
    add_working_days,
    is_working_day,
    subdivision,
    working_days_between,
)
from survey_schemas.xlsform import build_xlsform

__all__ = [
    "CHANNELS",
    "DEPARTMENT_SUBDIVISIONS",
    "QUESTION_TYPES",
    "Band",
    "Channel",
    "Choice",
    "Condition",
    "ConditionSyntaxError",
    "Constraints",
    "DelayRule",
    "Engagement",
    "InvalidAnswers",
    "InvalidDefinition",
    "PointsRule",
    "Question",
    "QuestionType",
    "Questionnaire",
    "Referentiel",
    "ScoringRule",
    "Section",
    "ThresholdRule",
    "add_working_days",
    "build_xlsform",
    "clean_answers",
    "condition_tree",
    "evaluate",
    "fingerprint",
    "is_empty",
    "is_working_day",
    "load_questionnaire",
    "load_referentiel",
    "parse_condition",
    "question_points",
    "references",
    "score_test",
    "shipped_questionnaire",
    "shipped_questionnaires",
    "shipped_referentiel",
    "shipped_referentiels",
    "site_grades",
    "subdivision",
    "validate_answers",
    "visible_question_ids",
    "working_days_between",
]
