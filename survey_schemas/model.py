"""Typed, immutable objects built from the JSON documents once they have been checked.

The JSON files are the source of truth (a coordinator edits them, the server stores them); these
dataclasses are what validation, scoring and the XLSForm export read, so that none of them has to
re-check a document's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, get_args

from survey_schemas.conditions import Condition

Channel: TypeAlias = Literal["visit", "phone", "email", "letter", "website"]
#: Derived from the Literal so the two can never disagree.
CHANNELS: tuple[Channel, ...] = get_args(Channel)

QuestionType: TypeAlias = Literal[
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
    "text",
    "photo",
    "position",
]
QUESTION_TYPES: tuple[QuestionType, ...] = get_args(QuestionType)
#: Types whose answer is a number, compared with numeric literals and scored by thresholds.
NUMERIC_TYPES: frozenset[str] = frozenset({"integer", "decimal", "duration_minutes", "rings"})
#: Types whose answer is one of a closed list of values, scored by points per value.
CHOICE_TYPES: frozenset[str] = frozenset(
    {"yes_no", "yes_no_na", "single_choice", "multiple_choice"}
)
#: Fixed answer values of the yes/no types; "na" (sans objet) is always not applicable.
YES_NO_VALUES: tuple[str, ...] = ("oui", "non")
YES_NO_NA_VALUES: tuple[str, ...] = ("oui", "non", "na")
NOT_APPLICABLE = "na"


@dataclass(frozen=True)
class Engagement:
    """One commitment of a référentiel, e.g. E07 "waiting time at the counter"."""

    code: str
    label: str
    description: str = ""
    weight: float = 1.0


@dataclass(frozen=True)
class Referentiel:
    """A quality standard: the engagements that tests grade, and the grade thresholds."""

    code: str
    name: str
    version: int
    engagements: tuple[Engagement, ...]
    required_level: float
    excellence: float
    fingerprint: str
    document: Mapping[str, Any] = field(compare=False, repr=False)

    @property
    def key(self) -> tuple[str, int]:
        """(code, version): the identity the server stores and refuses to overwrite."""
        return (self.code, self.version)

    @property
    def weights(self) -> dict[str, float]:
        """Engagement weights, ready for :func:`survey_schemas.site_grades`."""
        return {engagement.code: engagement.weight for engagement in self.engagements}

    def engagement(self, code: str) -> Engagement:
        """The engagement with this code; KeyError if there is none."""
        for engagement in self.engagements:
            if engagement.code == code:
                return engagement
        raise KeyError(code)


@dataclass(frozen=True)
class Choice:
    """One answer value of a choice question: a stable ``value`` and its French label."""

    value: str
    label: str
    exclusive: bool = False  #: cannot be ticked with another choice ("Aucun de ces éléments")


@dataclass(frozen=True)
class Constraints:
    """Limits on an answer beyond its type; each is optional."""

    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    max_photos: int | None = None
    #: a date that may not be after the day the report is checked (a visit in the future)
    not_after_today: bool = False
    #: id of an earlier question of the same type that this answer may not precede
    not_before: str | None = None


@dataclass(frozen=True)
class Band:
    """Points given when a number is at most ``max`` (bands are checked in ascending order)."""

    max: float
    points: float


@dataclass(frozen=True)
class PointsRule:
    """Points per answer value; ``None`` marks a value as not applicable (N/A)."""

    points: Mapping[str, float | None]


@dataclass(frozen=True)
class ThresholdRule:
    """Points by bands of a number, e.g. rings ≤ 5 → 2 points, otherwise 0."""

    bands: tuple[Band, ...]
    otherwise: float = 0.0


@dataclass(frozen=True)
class DelayRule:
    """Points by working days between the ``sent`` date question and this reply date question.

    A reply never received scores 0 once the wave is closed (DOMAIN.md §4).
    """

    sent: str
    bands: tuple[Band, ...]
    otherwise: float = 0.0


ScoringRule: TypeAlias = PointsRule | ThresholdRule | DelayRule


@dataclass(frozen=True)
class Question:
    """One question of a questionnaire, with its skip logic and how it is scored."""

    id: str
    type: QuestionType
    label: str
    help: str = ""
    section: str | None = None
    required: bool = False
    choices: tuple[Choice, ...] = ()
    constraints: Constraints = Constraints()
    visible_if: Condition | None = None
    visible_if_source: str | None = None
    engagement: str | None = None
    scoring: ScoringRule | None = None

    @property
    def answer_values(self) -> tuple[str, ...]:
        """The closed list of values of a choice question (empty for other types)."""
        if self.type == "yes_no":
            return YES_NO_VALUES
        if self.type == "yes_no_na":
            return YES_NO_NA_VALUES
        return tuple(choice.value for choice in self.choices)


@dataclass(frozen=True)
class Section:
    """A titled group of consecutive questions (a page of the phone form)."""

    id: str
    title: str
    help: str = ""


@dataclass(frozen=True)
class Questionnaire:
    """The questions an investigator answers for one channel of one référentiel."""

    code: str
    version: int
    referentiel: tuple[str, int]
    channel: Channel
    title: str
    description: str
    sections: tuple[Section, ...]
    questions: tuple[Question, ...]
    fingerprint: str
    document: Mapping[str, Any] = field(compare=False, repr=False)

    @property
    def key(self) -> tuple[str, int]:
        """(code, version): the identity the server stores and refuses to overwrite."""
        return (self.code, self.version)

    @property
    def scored_engagements(self) -> tuple[str, ...]:
        """Engagement codes that at least one scored question grades, in question order."""
        codes: dict[str, None] = {}
        for question in self.questions:
            if question.scoring is not None and question.engagement is not None:
                codes[question.engagement] = None
        return tuple(codes)

    def question(self, question_id: str) -> Question:
        """The question with this id; KeyError if there is none."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)
