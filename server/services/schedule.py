"""What the scheduler does, as plain services: reminders, overdue missions, missing replies,
closing finished waves.

Each function takes the session and the time it runs at, changes what is due and returns its
counts; it never commits (the job does). Each is idempotent: run twice at the same ``now`` the
second run finds nothing left to do, which is what makes a job safe to repeat after a crash.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from server.models import (
    CHANNEL_LABELS,
    Mission,
    MissionStatus,
    Report,
    ReportStatus,
    SampledSite,
    User,
    Wave,
    WaveStatus,
)
from server.services import mission_lifecycle, outbox

#: A report in one of these states was handed in: its mission is not overdue.
SUBMITTED_REPORTS = (
    ReportStatus.SUBMITTED,
    ReportStatus.APPROVED,
    ReportStatus.RETURNED,
    ReportStatus.REJECTED,
)

DEFAULT_ZONE = "Europe/Paris"
ZONE_LABELS = {
    "Europe/Paris": "heure de Paris",
    "America/Guadeloupe": "heure de la Guadeloupe",
    "America/Martinique": "heure de la Martinique",
    "America/Cayenne": "heure de la Guyane",
    "Indian/Reunion": "heure de La Réunion",
    "Indian/Mayotte": "heure de Mayotte",
}
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def day_over(day: date, zone: str | None, now: datetime) -> bool:
    """Is ``day`` over, in ``zone``, at ``now``?"""
    next_midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=_zone(zone))
    return now >= next_midnight.astimezone(UTC)


# --- reminders ---------------------------------------------------------------------------


def _french_day(moment: datetime) -> str:
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def french_window(start: datetime, end: datetime, zone_name: str | None) -> str:
    """``le lundi 2 mars 2026 de 08:30 à 16:30 (heure de Paris)``, in the site's zone."""
    zone = _zone(zone_name)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    label = ZONE_LABELS.get(zone.key, f"heure locale, {zone.key}")
    if local_start.date() == local_end.date():
        text = f"le {_french_day(local_start)} de {local_start:%H:%M} à {local_end:%H:%M}"
    else:
        text = (
            f"du {_french_day(local_start)} à {local_start:%H:%M} "
            f"au {_french_day(local_end)} à {local_end:%H:%M}"
        )
    return f"{text} ({label})"


def reminder_key(mission: Mission, assignee_id: int) -> str:
    return f"reminder:mission:{mission.id}:user:{assignee_id}"


def reminder_text(mission: Mission, assignee: User) -> tuple[str, str]:
    """Subject and body of the reminder of ``mission`` to ``assignee`` (French)."""
    site = mission.site
    channel = CHANNEL_LABELS.get(mission.channel, mission.channel)
    window = french_window(mission.window_start, mission.window_end, mission.time_zone)
    local_start = mission.window_start.astimezone(_zone(mission.time_zone))
    subject = f"Rappel : {channel.lower()} — {site.name}, {_french_day(local_start)}"
    lines = [
        f"Bonjour {assignee.name},",
        "",
        f"Votre mission n° {mission.id} approche.",
        "",
        f"Site : {site.name}",
    ]
    address = ", ".join(
        part for part in (site.address, " ".join(filter(None, (site.postcode, site.city)))) if part
    )
    if address and mission.channel in ("visit", "letter"):
        lines.append(f"Adresse : {address}")
    if site.phone and mission.channel == "phone":
        lines.append(f"Téléphone : {site.phone}")
    if site.email and mission.channel == "email":
        lines.append(f"Courriel : {site.email}")
    lines += [
        f"Canal : {channel}",
        f"Fenêtre : {window}",
        "",
        "Scénario :",
        mission.scenario.strip() or "(aucun scénario précisé : voyez votre coordination)",
        "",
        "Retrouvez cette mission et son questionnaire dans l’application Baromètre, "
        "rubrique « Mes missions ».",
        "",
        "Message automatique : merci de ne pas y répondre.",
    ]
    return subject, "\n".join(lines)


def send_reminders(
    session: Session, *, now: datetime, lead: timedelta = timedelta(hours=48)
) -> dict[str, int]:
    """Queue one reminder per (mission, assignee) for assigned missions whose window opens
    within ``lead`` (or is open and not over yet: a mission assigned late is reminded too)."""
    # The assignee comes from the join, not from ``mission.assignee``, which may still hold
    # the previous investigator of a mission reassigned in this session.
    rows = session.execute(
        select(Mission, User)
        .join(User, Mission.assignee_id == User.id)
        .where(
            Mission.status == MissionStatus.ASSIGNED,
            Mission.window_start <= now + lead,
            Mission.window_end > now,
            User.active.is_(True),
        )
        .options(joinedload(Mission.sampled_site).joinedload(SampledSite.site))
        .order_by(Mission.id)
    ).all()
    enqueued = 0
    for mission, assignee in rows:
        subject, body = reminder_text(mission, assignee)
        message = outbox.enqueue(
            session,
            key=reminder_key(mission, assignee.id),
            kind="reminder",
            recipient=assignee.email,
            subject=subject,
            body=body,
            mission=mission,
        )
        enqueued += message is not None
    return {"enqueued": enqueued, "already_queued": len(rows) - enqueued}


# --- fieldwork deadlines -----------------------------------------------------------------


def flag_overdue(session: Session, *, now: datetime) -> dict[str, int]:
    """Assigned missions whose window is over without a submitted report become overdue
    (listed for reassignment)."""
    handed_in = (
        select(Report.id)
        .where(Report.mission_id == Mission.id, Report.status.in_(SUBMITTED_REPORTS))
        .exists()
    )
    missions = session.scalars(
        select(Mission)
        .where(Mission.status == MissionStatus.ASSIGNED, Mission.window_end < now, ~handed_in)
        .order_by(Mission.id)
        .with_for_update(skip_locked=True)  # PostgreSQL: leave a mission being submitted alone
    ).all()
    for mission in missions:
        mission_lifecycle.mark_overdue(session, mission, actor=None)
    return {"overdue": len(missions)}


def record_missing_replies(session: Session, *, now: datetime) -> dict[str, int]:
    """Emails and letters whose reply deadline day is over, in the site's zone, without a
    reply: recorded as no reply (the delay criterion scores 0)."""
    # No zone is more than a day ahead of UTC: a deadline over anywhere is at most today's
    # UTC date, and the exact local check follows.
    candidates = session.scalars(
        select(Mission)
        .where(
            Mission.status == MissionStatus.AWAITING_REPLY,
            Mission.reply_due_on.is_not(None),
            Mission.reply_due_on <= now.astimezone(UTC).date(),
        )
        .order_by(Mission.id)
        .with_for_update(skip_locked=True)
    ).all()
    recorded = 0
    for mission in candidates:
        assert mission.reply_due_on is not None
        if day_over(mission.reply_due_on, mission.time_zone, now):
            mission_lifecycle.record_no_reply(session, mission, actor=None, at=now)
            recorded += 1
    return {"no_reply": recorded}


def close_finished_waves(session: Session, *, now: datetime) -> dict[str, int]:
    """Close each open wave whose last day and every reply deadline are over
    (``waves.wave_is_finished``), as a coordinator would with ``waves.close_wave``."""
    from server.services import waves

    candidates = session.scalars(
        select(Wave)
        .where(Wave.status == WaveStatus.OPEN, Wave.end <= now.astimezone(UTC).date())
        .order_by(Wave.id)
    ).all()
    closed = 0
    for wave in candidates:
        if waves.wave_is_finished(session, wave, now):
            waves.close_wave(session, wave, actor=None, now=now)
            closed += 1
    return {"closed": closed}
