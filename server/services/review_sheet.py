"""A report as its reviewer reads it: answers by section with their labels, the evidence in
the site's time zone with the distance to the site, the test's grades and the past reviews."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import survey_schemas
from server.models import Photo, Questionnaire, Report, Review
from server.services.assignment.distance import geodesic_m
from server.services.definitions import YES_NO_LABELS, questionnaire_model, referentiel_model
from server.services.review_flags import duration_text, number
from server.services.review_queue import user_names

_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


@dataclass
class AnswerLine:
    label: str
    text: str
    answered: bool = True
    photos: list[Photo] = field(default_factory=list)
    #: Photo references of the answer with no stored photo.
    missing: list[str] = field(default_factory=list)


@dataclass
class SectionLines:
    title: str
    lines: list[AnswerLine]


@dataclass
class Evidence:
    started: str
    ended: str
    duration: str
    position: str
    distance: str
    clock_offset: str
    submitted: str


@dataclass
class Sheet:
    sections: list[SectionLines]
    evidence: Evidence
    #: (engagement code, label, grade /10 or None)
    grades: list[tuple[str, str, float | None]]
    photos: list[Photo]
    reviews: list[tuple[Review, str]]


def local_text(moment: datetime | None, zone: str) -> str:
    """« mar. 03/03/2026 à 09:05 » in ``zone``; empty for no moment."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{_WEEKDAYS[local.weekday()]} {local:%d/%m/%Y} à {local:%H:%M}"


def _choice_label(question: survey_schemas.Question, value: Any) -> str:
    for choice in question.choices:
        if choice.value == value:
            return choice.label
    return YES_NO_LABELS.get(str(value), str(value))


def _french_date(value: str) -> str:
    try:
        return f"{date.fromisoformat(value):%d/%m/%Y}"
    except ValueError:
        return value


def answer_text(question: survey_schemas.Question, value: Any) -> str:
    """An answer as people read it: choices by their label, numbers the French way."""
    kind = question.type
    if kind in ("yes_no", "yes_no_na", "single_choice"):
        return _choice_label(question, value)
    if kind == "multiple_choice" and isinstance(value, list):
        return ", ".join(_choice_label(question, v) for v in value)
    if kind == "duration_minutes" and isinstance(value, int | float):
        return f"{number(value)} min"
    if kind in ("integer", "decimal", "rings") and isinstance(value, int | float):
        return number(value, 0 if float(value).is_integer() else 2)
    if kind == "date" and isinstance(value, str):
        return _french_date(value)
    if kind == "position" and isinstance(value, Mapping):
        return f"{value.get('latitude')}, {value.get('longitude')}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _sections(
    model: survey_schemas.Questionnaire, answers: Mapping[str, Any], photos: list[Photo]
) -> list[SectionLines]:
    by_ref = {p.sha256: p for p in photos} | {str(p.id): p for p in photos}
    titles = {section.id: section.title for section in model.sections}
    sections: list[SectionLines] = []
    current: object = object()
    for question in model.questions:
        if question.section != current:
            current = question.section
            sections.append(SectionLines(titles.get(question.section or "", "Questions"), []))
        value = answers.get(question.id)
        if survey_schemas.is_empty(value):
            line = AnswerLine(question.label, "sans réponse", answered=False)
        elif question.type == "photo":
            refs = [str(ref) for ref in (value if isinstance(value, list) else [value])]
            found = [by_ref[ref] for ref in refs if ref in by_ref]
            missing = [ref for ref in refs if ref not in by_ref]
            line = AnswerLine(
                question.label, f"{len(refs)} photo(s)", photos=found, missing=missing
            )
        else:
            line = AnswerLine(question.label, answer_text(question, value))
        sections[-1].lines.append(line)
    return sections


def _evidence(report: Report) -> Evidence:
    mission = report.mission
    site = mission.site
    zone = mission.time_zone
    duration = ""
    if report.started_at is not None and report.ended_at is not None:
        duration = duration_text(report.ended_at - report.started_at)
    position = distance = ""
    if report.latitude is not None and report.longitude is not None:
        accuracy = report.position_accuracy_m
        position = f"{report.latitude:.5f}, {report.longitude:.5f}" + (
            f" (précision ± {number(accuracy)} m)" if accuracy is not None else ""
        )
        if site.latitude is not None and site.longitude is not None:
            metres = geodesic_m(report.latitude, report.longitude, site.latitude, site.longitude)
            distance = f"{number(metres)} m du site"
        else:
            distance = "coordonnées du site inconnues"
    elif report.location_declined:
        position = "refusée par l’enquêteur"
    offset = report.clock_offset_seconds
    return Evidence(
        started=local_text(report.started_at, zone),
        ended=local_text(report.ended_at, zone),
        duration=duration,
        position=position,
        distance=distance,
        clock_offset="" if offset is None else f"{number(offset)} s",
        submitted=local_text(report.submitted_at, zone),
    )


def _grades(report: Report) -> list[tuple[str, str, float | None]]:
    scores = report.scores or {}
    if not scores:
        return []
    model = referentiel_model(report.mission.wave.campaign.referentiel)
    labels = {e.code: e.label for e in model.engagements}
    return [(code, labels.get(code, code), scores[code]) for code in sorted(scores)]


def report_sheet(session: Session, report: Report) -> Sheet:
    photos = list(
        session.scalars(select(Photo).where(Photo.report_id == report.id).order_by(Photo.id))
    )
    row = session.get(Questionnaire, report.questionnaire_id) if report.questionnaire_id else None
    sections = _sections(questionnaire_model(row), report.answers or {}, photos) if row else []
    names = user_names(session, (r.reviewer_id for r in report.reviews))
    return Sheet(
        sections=sections,
        evidence=_evidence(report),
        grades=_grades(report),
        photos=photos,
        reviews=[(r, names.get(r.reviewer_id or 0, "compte supprimé")) for r in report.reviews],
    )
