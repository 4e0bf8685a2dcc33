"""An investigator's report from the phone: saving drafts and submitting, safely replayed.

The phone works offline (DESIGN.md §3.11): it makes the report's ``client_id`` (a UUID) and
queues its writes, so every save and submit may arrive twice, late, or after another one.

Saving a draft (``save_draft``)
    The first save creates the report of this mission and investigator under that client id,
    with the mission's questionnaire version. A save whose *content* (answers, times,
    position, declined position) equals the server's changes nothing and succeeds, whatever its
    ``base_version`` and the report's status. Other content is saved only over the server's
    current version (``base_version`` equal to it; the version then goes up by one), and only
    while the report is a draft or returned for correction; a stale ``base_version`` is a
    ``StaleVersion`` conflict carrying the server's copy, never a silent overwrite. Drafts may
    be partial: only unknown question ids and answers that cannot be read as their question's
    type (``survey_schemas`` coercion) are refused, per question id.

Submitting (``submit``)
    The same rules, then the full validation of ``survey_schemas.clean_answers`` against the
    report's questionnaire version, the grades of ``score_test`` (the site's department), the
    fingerprint (SHA-256 of the canonical JSON of client id, answers, times, position and
    declined position) and the move to ``submitted``; the mission moves on (a visit, call or
    website check is done; an email or letter now awaits its reply, from the send date its
    questionnaire records). The same submit again, after it succeeded, returns the report as it
    is; different content under the same client id is a conflict. Two submits racing end with
    one submission: the report row is locked (PostgreSQL) and the move is a conditional UPDATE
    on the version and status it was read with, so the loser finds it submitted and is treated
    as a replay.

Evidence and the phone's clock
    ``client_time`` is the phone's clock when it sent the request. ``clock_offset_seconds`` =
    ``client_time`` − server time (whole seconds), measured when the content is written. The
    phone's ``started_at`` and ``ended_at`` are read on the phone's clock, so they are stored
    *corrected*: phone time − offset (without ``client_time``, as sent). The phone's own
    values stay recoverable (stored + offset) and are what replays are compared with and what
    the fingerprint covers, so a replay sent later (other offset) is still the same content.
    Refused (422): ``started_at`` after ``ended_at``; a corrected time more than
    ``FUTURE_TOLERANCE`` after the server's clock; a position with ``location_declined``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

import survey_schemas
from server.models import (
    Mission,
    MissionStatus,
    Questionnaire,
    Report,
    ReportStatus,
    Review,
    Role,
    User,
    WaveStatus,
)
from server.models.types import utcnow
from server.services import audit, mission_lifecycle, report_lifecycle
from server.services.definitions import questionnaire_model
from server.services.errors import Conflict, Invalid, NotFound
from server.services.mission_plan import REPLY_CHANNELS
from survey_schemas.coerce import BadAnswer, coerce

#: How far after the server's clock a (corrected) report time may lie: the phone and the
#: server never agree to the second, but a visit cannot end in the future.
FUTURE_TOLERANCE = timedelta(minutes=10)
#: Reports the investigator may still change.
EDITABLE = frozenset({ReportStatus.DRAFT, ReportStatus.RETURNED})
#: Missions that take no report any more.
CLOSED_MISSIONS = frozenset({MissionStatus.CANCELLED, MissionStatus.NOT_DONE})
#: Channels whose submission records the request leaving (its reply is then awaited).


class StaleVersion(Conflict):
    """The phone wrote over an older version than the server's, with other content; the
    server's ``report`` goes back to it (``errors.server``)."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message, {"base_version": [message]})
        self.report = report


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    accuracy_m: float | None = None


@dataclass(frozen=True)
class ReportPayload:
    """What the phone sends with ``PUT /missions/{id}/report`` and ``…/submit``."""

    client_id: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    base_version: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    position: Position | None = None
    location_declined: bool = False
    client_time: datetime | None = None


# --- reading ------------------------------------------------------------------------------


def current_report(session: Session, mission: Mission, user: User) -> Report:
    """The report of ``mission`` that ``user`` reads: an investigator's own (the latest), for
    staff the assignee's, else the latest of anyone's; ``NotFound`` while there is none."""
    statement = select(Report).where(Report.mission_id == mission.id).order_by(Report.id.desc())
    if user.role == Role.INVESTIGATOR:
        statement = statement.where(Report.investigator_id == user.id)
    reports = session.scalars(statement).all()
    preferred = [r for r in reports if r.investigator_id == mission.assignee_id] or list(reports)
    if not preferred:
        raise NotFound(f"Aucun rapport pour la mission n° {mission.id}.")
    return preferred[0]


def latest_review(report: Report) -> Review | None:
    return report.reviews[-1] if report.reviews else None


# --- content, canonical forms -------------------------------------------------------------


def draft_answers(questionnaire: survey_schemas.Questionnaire, answers: Any) -> dict[str, Any]:
    """The answers of a draft in canonical form (unanswered ones left out), or ``Invalid``
    with ``errors.answers`` per question id: only unknown ids and values that cannot be read
    as their question's type are refused here (required answers, constraints and visibility
    are the submission's: ``survey_schemas.clean_answers``)."""
    if not isinstance(answers, Mapping):
        raise Invalid(
            "Les réponses doivent former un objet {question: réponse}.",
            {"answers": {"__all__": ["Objet attendu."]}},
        )
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for question_id, value in answers.items():
        try:
            question = questionnaire.question(question_id)
        except KeyError:
            errors[str(question_id)] = ["question inconnue dans ce questionnaire"]
            continue
        if survey_schemas.is_empty(value):
            continue
        try:
            clean[question_id] = coerce(question, value)
        except BadAnswer as error:
            errors[question_id] = [str(error)]
    if errors:
        raise _invalid_answers(errors)
    return clean


def _invalid_answers(errors: Mapping[str, list[str]]) -> Invalid:
    count = len(errors)
    first = next(iter(errors))
    message = (
        f"Réponse refusée à la question « {first} » : {errors[first][0]}."
        if count == 1
        else f"{count} réponses refusées : voir le détail par question."
    )
    return Invalid(message, {"answers": {key: list(value) for key, value in errors.items()}})


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _content(
    answers: Mapping[str, Any],
    started_at: datetime | None,
    ended_at: datetime | None,
    position: Position | None,
    location_declined: bool,
) -> dict[str, Any]:
    """What a save or submit carries, in one canonical form (times as the phone read them)."""
    return {
        "answers": dict(answers),
        "started_at": _iso(started_at),
        "ended_at": _iso(ended_at),
        "position": None
        if position is None
        else {
            "latitude": float(position.latitude),
            "longitude": float(position.longitude),
            "accuracy_m": None if position.accuracy_m is None else float(position.accuracy_m),
        },
        "location_declined": bool(location_declined),
    }


def _payload_content(payload: ReportPayload, answers: Mapping[str, Any]) -> dict[str, Any]:
    return _content(
        answers, payload.started_at, payload.ended_at, payload.position, payload.location_declined
    )


def _phone_time(report: Report, moment: datetime | None) -> datetime | None:
    """A stored (corrected) time back on the phone's clock."""
    if moment is None or not report.clock_offset_seconds:
        return moment
    return moment + timedelta(seconds=report.clock_offset_seconds)


def _report_content(report: Report) -> dict[str, Any]:
    position = (
        Position(report.latitude, report.longitude, report.position_accuracy_m)
        if report.latitude is not None and report.longitude is not None
        else None
    )
    return _content(
        report.answers or {},
        _phone_time(report, report.started_at),
        _phone_time(report, report.ended_at),
        position,
        report.location_declined,
    )


def fingerprint(client_id: str, content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the client id and the content."""
    document = {"client_id": client_id, **content}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- evidence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Evidence:
    started_at: datetime | None
    ended_at: datetime | None
    clock_offset_seconds: float | None


def check_evidence(payload: ReportPayload, *, now: datetime | None = None) -> _Evidence:
    """The times corrected by the phone's clock offset, or ``Invalid`` (see the module)."""
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    offset: float | None = None
    if payload.client_time is not None:
        offset = float(round((payload.client_time - now).total_seconds()))
    shift = timedelta(seconds=offset or 0)
    started = payload.started_at - shift if payload.started_at is not None else None
    ended = payload.ended_at - shift if payload.ended_at is not None else None
    if started is not None and ended is not None and started > ended:
        errors["ended_at"] = ["La fin ne peut pas précéder le début."]
    for name, moment in (("started_at", started), ("ended_at", ended)):
        if moment is not None and moment > now + FUTURE_TOLERANCE:
            errors.setdefault(name, []).append(
                "Heure dans le futur (même corrigée de l’écart d’horloge du téléphone)."
            )
    if payload.location_declined and payload.position is not None:
        errors["position"] = ["Position refusée par l’enquêteur : aucune position attendue."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise Invalid(f"Preuves du test refusées : {first}", errors)
    return _Evidence(started, ended, offset)


# --- writing ------------------------------------------------------------------------------


def check_writable_mission(mission: Mission, user: User) -> None:
    """Only the mission's investigator writes its report, while the mission takes one."""
    if mission.assignee_id != user.id:
        raise NotFound(f"Mission {mission.id} introuvable.")
    if mission.status in CLOSED_MISSIONS:
        label = mission_lifecycle.STATUS_LABELS[mission.status]
        raise Conflict(
            f"Mission n° {mission.id} « {label} » : elle ne reçoit plus de rapport.",
            {"mission": [mission.status.value]},
        )
    if mission.wave.status == WaveStatus.CLOSED:
        raise Conflict(
            f"La vague « {mission.wave.name} » est close : elle ne reçoit plus de rapport.",
            {"wave": ["closed"]},
        )


def _find(session: Session, client_id: str, mission: Mission, user: User) -> Report | None:
    """The report under ``client_id`` (row locked on PostgreSQL), if it is this mission's
    and this investigator's; another's is a conflict that tells nothing about it."""
    report = session.scalars(
        select(Report)
        .where(Report.client_id == client_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if report is not None and (
        report.mission_id != mission.id or report.investigator_id != user.id
    ):
        raise Conflict(
            "Cet identifiant de rapport (client_id) est déjà pris : le téléphone doit en "
            "créer un autre.",
            {"client_id": ["Déjà utilisé."]},
        )
    if report is None:
        other = session.scalars(
            select(Report)
            .where(Report.mission_id == mission.id, Report.investigator_id == user.id)
            .order_by(Report.id.desc())
        ).first()
        if other is not None:
            raise StaleVersion(
                "Un rapport existe déjà pour cette mission sous un autre identifiant : "
                "reprenez la copie du serveur.",
                other,
            )
    return report


def _questionnaire(session: Session, questionnaire_id: int | None) -> survey_schemas.Questionnaire:
    with_referentiel = [joinedload(Questionnaire.referentiel)]
    row = (
        session.get(Questionnaire, questionnaire_id, options=with_referentiel)
        if questionnaire_id is not None
        else None
    )
    if row is None:
        raise Conflict("Cette mission n’a pas de questionnaire : le rapport ne peut être reçu.")
    return questionnaire_model(row)


def _values(answers: Mapping[str, Any], payload: ReportPayload, evidence: _Evidence) -> dict:
    position = payload.position
    return {
        "answers": dict(answers),
        "started_at": evidence.started_at,
        "ended_at": evidence.ended_at,
        "latitude": position.latitude if position else None,
        "longitude": position.longitude if position else None,
        "position_accuracy_m": position.accuracy_m if position else None,
        "location_declined": payload.location_declined,
        "clock_offset_seconds": evidence.clock_offset_seconds,
    }


def _changed_fields(report: Report, values: Mapping[str, Any]) -> list[str]:
    return sorted(name for name, value in values.items() if getattr(report, name) != value)


def _write(
    session: Session,
    report: Report,
    payload: ReportPayload,
    values: Mapping[str, Any],
    *,
    statuses: frozenset[ReportStatus] = EDITABLE,
) -> None:
    """Write ``values`` over the version the phone based them on, or a conflict.

    A conditional UPDATE (version and status as read): of two writes racing on one version,
    the second matches no row and is refused instead of overwriting the first.
    """
    if report.status not in statuses:
        label = report_lifecycle.STATUS_LABELS[report.status]
        raise Conflict(
            f"Rapport n° {report.id} « {label} » : il ne peut plus être modifié.",
            {"status": [report.status.value]},
        )
    if payload.base_version != report.version:
        raise StaleVersion(
            f"Le rapport a changé sur le serveur (version {report.version}, votre copie : "
            f"{payload.base_version if payload.base_version is not None else 'aucune'}) : "
            "reprenez la copie du serveur.",
            report,
        )
    done = session.execute(
        update(Report)
        .where(
            Report.id == report.id,
            Report.version == report.version,
            Report.status.in_(statuses),
        )
        .values(version=Report.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        session.refresh(report)
        raise StaleVersion(
            "Le rapport vient d’être modifié par un autre envoi : reprenez la copie du serveur.",
            report,
        )
    session.refresh(report)


def _create(
    session: Session,
    mission: Mission,
    payload: ReportPayload,
    values: Mapping[str, Any],
    actor: User,
) -> tuple[Report, bool]:
    """The first write of a report under its client id (and True), or the report a racing
    first write created (and False): the unique client id refuses the second insert, and the
    caller compares the contents."""
    report = Report(
        mission_id=mission.id,
        investigator_id=actor.id,
        client_id=payload.client_id,
        questionnaire_id=mission.questionnaire_id,
        version=1,
        status=ReportStatus.DRAFT,
        **values,
    )
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:
        found = session.scalars(select(Report).where(Report.client_id == payload.client_id)).first()
        if found is None or found.mission_id != mission.id or found.investigator_id != actor.id:
            raise Conflict(
                "Cet identifiant de rapport (client_id) est déjà pris.",
                {"client_id": ["Déjà utilisé."]},
            ) from None
        return found, False
    audit.record(session, "report.save", actor=actor, entity=report, created=True, version=1)
    return report, True


def save_draft(
    session: Session, mission: Mission, payload: ReportPayload, *, actor: User
) -> Report:
    """Save the phone's draft of ``mission`` (see the module for the rules)."""
    if mission.assignee_id != actor.id:
        raise NotFound(f"Mission {mission.id} introuvable.")
    report = _find(session, payload.client_id, mission, actor)
    questionnaire = _questionnaire(
        session, report.questionnaire_id if report else mission.questionnaire_id
    )
    answers = draft_answers(questionnaire, payload.answers)
    if report is not None and _report_content(report) == _payload_content(payload, answers):
        return report  # the same save replayed: nothing changes
    check_writable_mission(mission, actor)
    evidence = check_evidence(payload)
    values = _values(answers, payload, evidence)
    if report is None:
        report, created = _create(session, mission, payload, values, actor)
        if created or _report_content(report) == _payload_content(payload, answers):
            return report
    changed = _changed_fields(report, values)
    _write(session, report, payload, values)
    audit.record(
        session, "report.save", actor=actor, entity=report, changed=changed, version=report.version
    )
    return report


def submit(session: Session, mission: Mission, payload: ReportPayload, *, actor: User) -> Report:
    """Submit the report of ``mission`` (see the module); a replay returns it unchanged."""
    if mission.assignee_id != actor.id:
        raise NotFound(f"Mission {mission.id} introuvable.")
    report = _find(session, payload.client_id, mission, actor)
    questionnaire = _questionnaire(
        session, report.questionnaire_id if report else mission.questionnaire_id
    )
    if report is not None and (
        report.status not in EDITABLE
        or (
            report.status == ReportStatus.RETURNED
            and _same_submission(report, payload, questionnaire)
        )
    ):
        # Already submitted (or the submission that was since returned, arriving late).
        return _replayed(report, payload, questionnaire)
    check_writable_mission(mission, actor)
    try:
        # "Today" is the site's: after midnight in Paris (or La Réunion) a send date of the
        # new day is not in the future, even while the server's UTC date is still yesterday.
        site_today = utcnow().astimezone(ZoneInfo(mission.time_zone)).date()
        answers = survey_schemas.clean_answers(questionnaire, payload.answers, today=site_today)
    except survey_schemas.InvalidAnswers as error:
        raise _invalid_answers(error.errors) from None
    evidence = check_evidence(payload)
    content = _payload_content(payload, answers)
    scores = survey_schemas.score_test(questionnaire, answers, department=mission.site.department)
    digest = fingerprint(payload.client_id, content)
    values = {**_values(answers, payload, evidence), "scores": scores}
    values["submitted_fingerprint"] = digest
    created = False
    if report is None:
        report, created = _create(session, mission, payload, values, actor)
        if report.status not in EDITABLE:  # a racing first submit got there first
            return _replayed(report, payload, questionnaire)
    if not created:
        # Content equal to the server's draft needs no base version: it is what the server has.
        if _report_content(report) == content:
            payload = replace(payload, base_version=report.version)
        try:
            _write(session, report, payload, values)
        except StaleVersion:
            if report.status not in EDITABLE:  # a racing submit got there first
                return _replayed(report, payload, questionnaire)
            raise
    report_lifecycle.submit(session, report, actor=actor, fingerprint=digest)
    _move_mission(session, mission, report, questionnaire, actor)
    return report


def _same_submission(
    report: Report, payload: ReportPayload, questionnaire: survey_schemas.Questionnaire
) -> bool:
    """Whether ``payload`` is the submission the report recorded (its fingerprint)."""
    if report.submitted_fingerprint is None:
        return False
    try:
        answers = draft_answers(questionnaire, payload.answers)
    except Invalid:
        return False  # unreadable answers were never submitted
    content = _payload_content(payload, answers)
    return report.submitted_fingerprint == fingerprint(payload.client_id, content)


def _replayed(
    report: Report, payload: ReportPayload, questionnaire: survey_schemas.Questionnaire
) -> Report:
    """A submit arriving when the report is no longer editable: the same one is a success."""
    if _same_submission(report, payload, questionnaire):
        return report
    label = report_lifecycle.STATUS_LABELS[report.status]
    raise Conflict(
        f"Rapport n° {report.id} déjà « {label} » avec un autre contenu : il ne peut plus "
        "être modifié.",
        {"status": [report.status.value]},
    )


def send_time(
    mission: Mission, report: Report, questionnaire: survey_schemas.Questionnaire
) -> datetime | None:
    """When an email or letter left, from its questionnaire's send question (the ``sent``
    question of its delay rule). A date alone is taken at the report's end time when that is
    the same local day, else at noon local time; never after now."""
    for question in questionnaire.questions:
        rule = question.scoring
        if isinstance(rule, survey_schemas.DelayRule):
            value = (report.answers or {}).get(rule.sent)
            break
    else:
        return None
    if not isinstance(value, str):
        return None
    zone = ZoneInfo(mission.time_zone)
    if "T" in value:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    else:
        day = datetime.fromisoformat(value).date()
        end = report.ended_at
        if end is not None and end.astimezone(zone).date() == day:
            moment = end
        else:
            moment = datetime.combine(day, time(12, 0), tzinfo=zone)
    return min(moment.astimezone(UTC), utcnow())


def _move_mission(
    session: Session,
    mission: Mission,
    report: Report,
    questionnaire: survey_schemas.Questionnaire,
    actor: User,
) -> None:
    """A first submission plays the mission; a resubmitted (returned) one leaves it be."""
    if mission.status not in (MissionStatus.ASSIGNED, MissionStatus.OVERDUE):
        return
    if mission.channel in REPLY_CHANNELS:
        if mission.sent_at is not None:
            return  # the request was already recorded (``POST /missions/{id}/sent``)
        sent_at = send_time(mission, report, questionnaire) or report.submitted_at or utcnow()
        mission_lifecycle.mark_request_sent(session, mission, sent_at, actor=actor)
    else:
        mission_lifecycle.mark_done(session, mission, actor=actor, at=report.submitted_at)
