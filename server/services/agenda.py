"""The investigator's agenda on the phone: their missions in the order they will play them.

Groups, in this order: reports a reviewer returned (to correct first), missions overdue, the
ones whose window is open today (in the site's own time zone), those still to come, and
emails or letters awaiting the site's reply. Within a group, visits come nearest first (from
the investigator's home, the place they start from), then remote tests by their window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import InvestigatorProfile, Mission, MissionStatus, Report, ReportStatus, User
from server.models.types import utcnow
from server.services.assignment.distance import geodesic_m
from server.services.missions import my_missions_query

#: (key, French title) of each group, in the order the phone shows them.
GROUPS = (
    ("returned", "À corriger"),
    ("overdue", "En retard"),
    ("today", "Aujourd’hui"),
    ("upcoming", "À venir"),
    ("awaiting_reply", "En attente de réponse"),
)


@dataclass(frozen=True)
class AgendaEntry:
    mission: Mission
    #: The status of the investigator's report of this mission, if they started one.
    report_status: ReportStatus | None
    #: Kilometres from the investigator's home to the site (visits with coordinates only).
    distance_km: float | None


@dataclass
class AgendaGroup:
    key: str
    title: str
    entries: list[AgendaEntry] = field(default_factory=list)


def _group(mission: Mission, report_status: ReportStatus | None, now: datetime) -> str:
    if report_status == ReportStatus.RETURNED:
        return "returned"
    if mission.status == MissionStatus.AWAITING_REPLY:
        return "awaiting_reply"
    if mission.status == MissionStatus.OVERDUE or mission.window_end <= now:
        return "overdue"
    today = now.astimezone(ZoneInfo(mission.time_zone)).date()
    start = mission.window_start.astimezone(ZoneInfo(mission.time_zone)).date()
    return "today" if start <= today else "upcoming"


def _distance_km(mission: Mission, profile: InvestigatorProfile | None) -> float | None:
    site = mission.site
    if (
        mission.channel != "visit"
        or profile is None
        or site is None
        or site.latitude is None
        or site.longitude is None
    ):
        return None
    home = (profile.home_latitude, profile.home_longitude)
    return geodesic_m(*home, site.latitude, site.longitude) / 1000


def _order(entry: AgendaEntry) -> tuple[int, float, datetime, int]:
    mission = entry.mission
    if entry.distance_km is not None:
        return (0, entry.distance_km, mission.window_start, mission.id)
    return (1, 0.0, mission.window_start, mission.id)


def report_statuses(
    session: Session, user: User, mission_ids: list[int]
) -> dict[int, ReportStatus]:
    """The status of the investigator's latest report of each mission that has one."""
    if not mission_ids:
        return {}
    rows = session.execute(
        select(Report.mission_id, Report.status)
        .where(Report.investigator_id == user.id, Report.mission_id.in_(mission_ids))
        .order_by(Report.id)
    )
    return dict(rows.tuples().all())


def agenda(session: Session, user: User, *, now: datetime | None = None) -> list[AgendaGroup]:
    """The investigator's missions grouped and ordered for the phone (empty groups left out)."""
    now = now or utcnow()
    missions = session.scalars(my_missions_query(user)).unique().all()
    statuses = report_statuses(session, user, [mission.id for mission in missions])
    profile = session.scalar(
        select(InvestigatorProfile).where(InvestigatorProfile.user_id == user.id)
    )
    groups = {key: AgendaGroup(key, title) for key, title in GROUPS}
    for mission in missions:
        status = statuses.get(mission.id)
        entry = AgendaEntry(mission, status, _distance_km(mission, profile))
        groups[_group(mission, status, now)].entries.append(entry)
    for group in groups.values():
        group.entries.sort(key=_order)
    return [group for group in groups.values() if group.entries]
