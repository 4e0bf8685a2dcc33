"""Reading missions: a wave's table with its filters, and an investigator's own missions.

An investigator sees only missions assigned to them; anyone else's is "not found" (404), so
the answer never tells that a mission exists.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, joinedload

from server.models import (
    Mission,
    MissionStatus,
    Report,
    ReportStatus,
    Role,
    SampledSite,
    Site,
    User,
    Wave,
    WaveStatus,
)
from server.services.errors import Invalid, NotFound

#: Roles that see every mission (DESIGN.md §3.7).
STAFF = (Role.ADMIN, Role.COORDINATOR, Role.ANALYST)
#: What an investigator still has to do or follow, in their list.
INVESTIGATOR_OPEN = (MissionStatus.ASSIGNED, MissionStatus.OVERDUE, MissionStatus.AWAITING_REPLY)


def _with_site(statement: Select[tuple[Mission]]) -> Select[tuple[Mission]]:
    return (
        statement.join(SampledSite, Mission.sampled_site_id == SampledSite.id)
        .join(Site, SampledSite.site_id == Site.id)
        .options(
            joinedload(Mission.sampled_site).joinedload(SampledSite.site),
            joinedload(Mission.assignee),
        )
    )


def missions_query(
    wave: Wave,
    *,
    channel: str | None = None,
    status: str | None = None,
    network: str | None = None,
    region: str | None = None,
    assignee_id: int | None = None,
    rule: str | None = None,
    q: str | None = None,
) -> Select[tuple[Mission]]:
    """A wave's missions by site then channel, with the table's filters."""
    statement = _with_site(select(Mission).where(Mission.wave_id == wave.id))
    if channel:
        statement = statement.where(Mission.channel == channel)
    if status:
        try:
            statement = statement.where(Mission.status == MissionStatus(status))
        except ValueError:
            known = ", ".join(s.value for s in MissionStatus)
            raise Invalid(
                f"Statut inconnu « {status} » (connus : {known}).", {"status": ["Inconnu."]}
            ) from None
    if network:
        statement = statement.where(Site.network == network)
    if region:
        statement = statement.where(Site.region == region)
    if assignee_id is not None:
        statement = statement.where(Mission.assignee_id == assignee_id)
    if rule:
        statement = statement.where(Mission.rule == rule)
    if q:
        pattern = f"%{q.strip()}%"
        statement = statement.where(or_(Site.code.ilike(pattern), Site.name.ilike(pattern)))
    return statement.order_by(Site.code, Mission.channel, Mission.ordinal, Mission.id)


def my_missions_query(user: User) -> Select[tuple[Mission]]:
    """An investigator's open missions, and those whose report a reviewer returned to them
    (to correct while the wave is open), soonest window first."""
    returned = (
        select(Report.mission_id)
        .join(Mission, Report.mission_id == Mission.id)
        .join(Wave, Mission.wave_id == Wave.id)
        .where(
            Report.investigator_id == user.id,
            Report.status == ReportStatus.RETURNED,
            Wave.status == WaveStatus.OPEN,
            Mission.status.not_in((MissionStatus.CANCELLED, MissionStatus.NOT_DONE)),
        )
    )
    return _with_site(
        select(Mission).where(
            Mission.assignee_id == user.id,
            or_(Mission.status.in_(INVESTIGATOR_OPEN), Mission.id.in_(returned)),
        )
    ).order_by(Mission.window_start, Mission.id)


def mission_for(session: Session, mission_id: int, user: User) -> Mission:
    """The mission, if ``user`` may see it: staff see every mission, an investigator only
    theirs (another's is 404, as if it did not exist)."""
    mission = session.get(
        Mission,
        mission_id,
        # The site is shown and the wave checked (open?) by nearly every caller.
        options=[
            joinedload(Mission.sampled_site).joinedload(SampledSite.site),
            joinedload(Mission.wave),
        ],
    )
    if mission is None or (user.role not in STAFF and mission.assignee_id != user.id):
        raise NotFound(f"Mission {mission_id} introuvable.")
    return mission
