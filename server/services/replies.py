"""Email and letter tests: the request leaving, and the site's reply arriving.

A reply is recorded once, by the investigator who sent the request or by a coordinator; a
second recording is a conflict unless it is a confirmed correction, and both are audited with
the values before and after. The delay is counted in the site's department's working days
(DESIGN.md §3.6), from the local date the request left to the local date the reply came.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from server.models import Mission, MissionStatus, ReplyOutcome, User
from server.models.types import utcnow
from server.services import audit, mission_lifecycle
from server.services.errors import Conflict, Invalid
from server.services.mission_plan import REPLY_CHANNELS
from survey_schemas import working_days_between


def _local(moment: datetime, mission: Mission) -> datetime:
    return moment.astimezone(ZoneInfo(mission.time_zone))


#: What each date is, in the messages people read.
MOMENT_LABELS = {"sent_at": "La date d’envoi", "received_at": "La date de réception"}


def _check_moment(moment: datetime, name: str) -> None:
    label = MOMENT_LABELS[name]
    if moment.tzinfo is None:
        raise Invalid(
            f"{label} doit indiquer son fuseau horaire (par exemple 2026-03-04T10:15:00+01:00).",
            {name: ["Fuseau horaire manquant."]},
        )
    if moment > utcnow():
        raise Invalid(f"{label} est dans le futur.", {name: ["Date future."]})


def record_request_sent(
    session: Session, mission: Mission, sent_at: datetime, *, actor: User
) -> Mission:
    """The investigator sent the email or posted the letter; its reply is now awaited."""
    if mission.channel not in REPLY_CHANNELS:
        raise Invalid("Seuls les courriels et les courriers attendent une réponse.")
    _check_moment(sent_at, "sent_at")
    if mission.sent_at is not None:
        if mission.sent_at == sent_at:
            return mission  # the same request replayed after a lost connection
        raise Conflict(
            f"L’envoi de cette mission est déjà enregistré "
            f"({_local(mission.sent_at, mission):%d/%m/%Y %H:%M})."
        )
    mission_lifecycle.mark_request_sent(session, mission, sent_at, actor=actor)
    return mission


def record_reply(
    session: Session,
    mission: Mission,
    *,
    received_at: datetime,
    text: str | None,
    actor: User,
    correction: bool = False,
    scan_path: str | None = None,
) -> Mission:
    """Record the site's reply; a second recording needs ``correction`` and is audited."""
    if mission.channel not in REPLY_CHANNELS:
        raise Invalid("Seuls les courriels et les courriers reçoivent une réponse.")
    _check_moment(received_at, "received_at")
    if mission.sent_at is None:
        raise Conflict(
            "La demande n’a pas encore été envoyée : enregistrez d’abord son envoi.",
            {"sent_at": ["Envoi non enregistré."]},
        )
    if received_at < mission.sent_at:
        raise Invalid(
            f"La réponse ({_local(received_at, mission):%d/%m/%Y %H:%M}) précède l’envoi de la "
            f"demande ({_local(mission.sent_at, mission):%d/%m/%Y %H:%M}).",
            {"received_at": ["Avant l’envoi."]},
        )
    already = mission.reply_outcome is not None
    if already and not correction:
        state = (
            f"reçue le {_local(mission.reply_received_at, mission):%d/%m/%Y %H:%M}"
            if mission.reply_received_at
            else "déclarée sans réponse à l’échéance"
        )
        raise Conflict(
            f"La réponse à cette mission est déjà enregistrée ({state}). Pour la corriger, "
            "confirmez qu’il s’agit d’une correction (« correction » dans l’API).",
            {"correction": ["Confirmation nécessaire pour corriger."]},
        )
    before = {
        "outcome": mission.reply_outcome.value if mission.reply_outcome else None,
        "received_at": mission.reply_received_at.isoformat() if mission.reply_received_at else None,
        "text": mission.reply_text,
    }
    department = mission.sampled_site.site.department
    mission.reply_outcome = ReplyOutcome.RECEIVED
    mission.reply_received_at = received_at
    mission.reply_text = (text or "").strip() or None
    if scan_path is not None:
        mission.reply_scan_path = scan_path
    mission.reply_recorded_by_id = actor.id
    mission.reply_working_days = working_days_between(
        _local(mission.sent_at, mission).date(),
        _local(received_at, mission).date(),
        department=department,
    )
    if mission.status == MissionStatus.AWAITING_REPLY:
        mission_lifecycle.mark_done(session, mission, actor=actor, at=received_at)
    audit.record(
        session,
        "mission.reply_correct" if already else "mission.reply",
        actor=actor,
        entity=mission,
        before=before,
        after={
            "outcome": "received",
            "received_at": received_at.isoformat(),
            "text": mission.reply_text,
            "working_days": mission.reply_working_days,
        },
    )
    return mission
