"""Assigning a wave's missions: the database side of the optimiser (``services.assignment``).

``assign_wave`` maps missions to :class:`Task` and investigators to :class:`Person`, solves,
writes the result back and records the run. Missions already started (a reply awaited, done,
or with a report) stay with their investigator; overdue ones wait for the coordinator, who
reassigns them by hand (``reassign_mission``), which re-checks every rule and names the one a
forced move breaks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload, selectinload

from server.models import (
    AssignmentRun,
    InvestigatorProfile,
    Mission,
    MissionStatus,
    Report,
    SampledSite,
    Site,
    User,
    Wave,
    WaveStatus,
)
from server.models.types import utcnow
from server.services import audit, mission_lifecycle, waves
from server.services.assignment import Ledger, Person, Rules, Task, reason, solve
from server.services.assignment.rules import RULE_LABELS
from server.services.errors import Conflict, Invalid

#: Frame columns (kept as extras) that may hold a site's INSEE commune code.
INSEE_COLUMNS = ("code_insee", "insee", "code_commune_insee", "cog")


def _insee(site: Site) -> str | None:
    for column in INSEE_COLUMNS:
        value = (site.extra or {}).get(column)
        if value:
            return str(value).strip()
    return None


def _local_day(mission: Mission) -> date:
    return mission.window_start.astimezone(ZoneInfo(mission.time_zone)).date()


def task_of(mission: Mission, *, locked: bool = False) -> Task:
    site = mission.sampled_site.site
    return Task(
        id=mission.id,
        site=site.code,
        channel=mission.channel,
        day=_local_day(mission),
        latitude=site.latitude,
        longitude=site.longitude,
        commune=site.city,
        insee=_insee(site),
        locked_to=mission.assignee_id if locked else None,
    )


def rules_of(wave: Wave) -> Rules:
    known = {name: wave.rules[name] for name in Rules.__dataclass_fields__ if name in wave.rules}
    return Rules(**known)


def _previous_waves(session: Session, wave: Wave) -> list[int]:
    """The ``lockout_waves`` waves before this one, the previous campaign's included."""
    if wave.lockout_waves <= 0:
        return []
    return list(
        session.scalars(
            select(Wave.id)
            .where(Wave.start < wave.start, Wave.id != wave.id)
            .order_by(Wave.start.desc(), Wave.id.desc())
            .limit(wave.lockout_waves)
        )
    )


def _recent_sites(
    session: Session, wave: Wave, investigator_id: int | None = None
) -> dict[int, set[str]]:
    """Investigator id → codes of the sites they visited in the lockout waves (of one
    investigator only when ``investigator_id`` is given)."""
    previous = _previous_waves(session, wave)
    recent: dict[int, set[str]] = {}
    if not previous:
        return recent
    statement = (
        select(Mission.assignee_id, Site.code)
        .join(SampledSite, Mission.sampled_site_id == SampledSite.id)
        .join(Site, SampledSite.site_id == Site.id)
        .where(
            Mission.wave_id.in_(previous),
            Mission.channel == "visit",
            Mission.status == MissionStatus.DONE,
            Mission.assignee_id.is_not(None),
        )
    )
    if investigator_id is not None:
        statement = statement.where(Mission.assignee_id == investigator_id)
    rows = session.execute(statement)
    for assignee, code in rows:
        recent.setdefault(int(assignee), set()).add(code)
    return recent


def person_of(user: User, profile: InvestigatorProfile, recent: Iterable[str]) -> Person:
    return Person(
        id=user.id,
        latitude=profile.home_latitude,
        longitude=profile.home_longitude,
        commune=profile.home_commune,
        insee=profile.home_insee,
        channels=frozenset(profile.channels),
        capacity=profile.capacity,
        visit_capacity=profile.visit_capacity,
        unavailable=frozenset(date.fromisoformat(d) for d in profile.unavailable_dates),
        recent_sites=frozenset(recent),
    )


def _persons(session: Session, wave: Wave) -> list[Person]:
    recent = _recent_sites(session, wave)
    rows = session.execute(
        select(User, InvestigatorProfile)
        .join(InvestigatorProfile, InvestigatorProfile.user_id == User.id)
        .where(InvestigatorProfile.active.is_(True), User.active.is_(True))
        .order_by(User.id)
    ).tuples()
    return [person_of(user, profile, recent.get(user.id, ())) for user, profile in rows]


def _missions(session: Session, wave: Wave) -> Sequence[Mission]:
    return session.scalars(
        select(Mission)
        .where(
            Mission.wave_id == wave.id,
            Mission.status.not_in([MissionStatus.CANCELLED, MissionStatus.NOT_DONE]),
        )
        # selectin: each site (its JSON hours and extras) is read once, not once per mission.
        .options(selectinload(Mission.sampled_site).selectinload(SampledSite.site))
        .order_by(Mission.id)
    ).all()


def _started_ids(session: Session, wave: Wave) -> set[int]:
    """Missions whose investigator has begun: a reply awaited, done, or a report written."""
    has_report = exists().where(Report.mission_id == Mission.id)
    return set(
        session.scalars(
            select(Mission.id).where(
                Mission.wave_id == wave.id,
                (Mission.status.in_(list(mission_lifecycle.STARTED))) | has_report,
                Mission.assignee_id.is_not(None),
            )
        )
    )


def assign_wave(session: Session, wave: Wave, *, actor: User | None) -> AssignmentRun:
    """Run the optimiser on a wave and record the run (flushed; the caller commits)."""
    if wave.status != WaveStatus.OPEN:
        raise Conflict(f"La vague « {wave.name} » est close : plus d’attribution possible.")
    missions = _missions(session, wave)
    started = _started_ids(session, wave)
    persons = _persons(session, wave)
    if not persons:
        raise Invalid(
            "Aucun enquêteur actif : créez ou importez des enquêteurs avant d’attribuer.",
            {"investigators": ["Aucun enquêteur actif."]},
        )
    # Overdue missions need a decision (a new window, someone else): left to the coordinator.
    tasks = [
        task_of(m, locked=m.id in started)
        for m in missions
        if m.id in started or m.status in (MissionStatus.UNASSIGNED, MissionStatus.ASSIGNED)
    ]
    rules = rules_of(wave)
    outcome = solve(tasks, persons, rules)
    by_id = {m.id: m for m in missions}
    movable = {t.id for t in tasks if t.locked_to is None}
    mission_lifecycle.assign_in_bulk(
        session,
        [(by_id[i], p) for i, p in outcome.assignments.items() if i in movable],
        [(by_id[i], outcome.reasons[i], code) for i, code in outcome.unassignable.items()],
        actor=actor,
    )
    blocked: dict[str, int] = {}
    for code in outcome.unassignable.values():
        blocked[code] = blocked.get(code, 0) + 1
    capacities = {p.id: p for p in persons}
    run = AssignmentRun(
        wave=wave,
        actor_id=actor.id if actor else None,
        assigned=sum(1 for i in outcome.assignments if i in movable),
        kept=len(tasks) - len(movable),
        unassignable=len(outcome.unassignable),
        total_km=round(outcome.total_km, 3),
        mean_km=round(outcome.mean_km, 3) if outcome.mean_km else None,
        solve_seconds=round(outcome.solve_seconds, 4),
        fairness=None if math.isinf(outcome.fairness) else round(outcome.fairness, 4),
        loads={
            str(pid): {
                "load": outcome.load.get(pid, 0),
                "visits": outcome.visit_load.get(pid, 0),
                "capacity": capacities[pid].capacity,
                "visit_capacity": capacities[pid].visit_capacity,
            }
            for pid in capacities
        },
        blocked_by_rule=blocked,
        rules=dict(wave.rules),
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        "wave.assign",
        actor=actor,
        entity=wave,
        run_id=run.id,
        assigned=run.assigned,
        kept=run.kept,
        unassignable=run.unassignable,
        total_km=run.total_km,
    )
    return run


class RuleBroken(Conflict):
    code = "rule_broken"


def _ledger_for(session: Session, mission: Mission, user: User) -> tuple[Ledger, Task]:
    profile = user.investigator_profile
    assert profile is not None
    wave = mission.wave
    recent = _recent_sites(session, wave, user.id).get(user.id, set())
    ledger = Ledger([person_of(user, profile, recent)], rules_of(wave))
    theirs = session.scalars(
        select(Mission)
        .where(
            Mission.wave_id == wave.id,
            Mission.assignee_id == user.id,
            Mission.id != mission.id,
            Mission.status.not_in([MissionStatus.CANCELLED, MissionStatus.NOT_DONE]),
        )
        .options(joinedload(Mission.sampled_site).joinedload(SampledSite.site))
    ).all()
    for other in theirs:
        ledger.add(task_of(other), 0)
    return ledger, task_of(mission)


def reassign_mission(
    session: Session,
    mission: Mission,
    investigator: User,
    *,
    actor: User,
    force: bool = False,
    now: datetime | None = None,
) -> list[str]:
    """Give a mission to an investigator by hand; returns the rules the move breaks.

    Every rule is checked again; a broken one refuses the move (409 naming it) unless
    ``force`` is given, and a forced move is audited with the rules it broke. An inactive
    investigator is always refused. A mission whose window has passed (overdue) first gets
    a new one, still to come, planned by the wave's rules.
    """
    profile = investigator.investigator_profile
    if profile is None:
        raise Invalid(
            f"{investigator.name} n’est pas enquêteur.",
            {"investigator_id": ["Pas un enquêteur."]},
        )
    if not (profile.active and investigator.active):
        raise Invalid(
            f"{investigator.name} est désactivé(e) : choisissez un enquêteur actif.",
            {"investigator_id": ["Enquêteur désactivé."]},
        )
    if mission.wave.status != WaveStatus.OPEN:
        raise Conflict("La vague de cette mission est close.")
    if mission.assignee_id == investigator.id and mission.status == MissionStatus.ASSIGNED:
        return []
    now = now or utcnow()
    if mission.status == MissionStatus.OVERDUE and mission.window_end <= now:
        # It needs a window still to come (from tomorrow), or it is overdue again at once.
        tomorrow = now.astimezone(ZoneInfo(mission.time_zone)).date() + timedelta(days=1)
        waves.replan_window(mission, first_day=tomorrow)
    ledger, task = _ledger_for(session, mission, investigator)
    broken = ledger.failures(task, 0)
    if broken and not force:
        first = broken[0]
        raise RuleBroken(
            f"Attribution refusée : {RULE_LABELS[first].lower()} — {reason(task, first)} "
            "Confirmez pour passer outre.",
            {"rule": broken},
        )
    mission_lifecycle.assign(
        session,
        mission,
        investigator,
        actor=actor,
        forced_rule=",".join(broken) if broken else None,
    )
    return broken


def latest_run(session: Session, wave: Wave) -> AssignmentRun | None:
    return session.scalar(
        select(AssignmentRun)
        .where(AssignmentRun.wave_id == wave.id)
        .order_by(AssignmentRun.id.desc())
        .limit(1)
    )


def load_summary(run: AssignmentRun) -> dict[str, Any]:
    ratios = [v["load"] / v["capacity"] for v in run.loads.values() if v.get("capacity")]
    return {
        "max_ratio": max(ratios) if ratios else None,
        "min_ratio": min(ratios) if ratios else None,
    }
