"""Waves: opening one on the campaign's drawn sample, generating its missions, closing it.

Opening a wave locks the draw it tests (its weights are then part of published figures) and
generates every mission: one per sampled site, channel and ordinal of the test plan, each
with its scenario and its time window (``mission_plan``). Generation is idempotent: the unique
(wave, sampled site, channel, ordinal) key means a second run adds only what is missing.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session, joinedload

from server.models import (
    Campaign,
    Mission,
    MissionStatus,
    SampledSite,
    Scenario,
    User,
    Wave,
    WaveStatus,
)
from server.models.types import utcnow
from server.services import audit, mission_lifecycle, referentiels, sample_draws, wave_plans
from server.services.errors import Conflict, Invalid, NotFound
from server.services.mission_plan import PlanningError, SiteToPlan, plan_site

#: Hard rules of the assignment and their defaults (each may be switched off per wave).
DEFAULT_RULES: dict[str, Any] = {
    "capacity": True,
    "visit_capacity": True,
    "channels": True,
    "availability": True,
    "same_site_in_wave": True,
    "lockout": True,
    "home_commune": True,
    "remote_per_site": 2,
}

#: Said to the investigator when the library holds no scenario for a network and channel.
GENERIC_SCENARIOS = {
    "visit": "Vous vous présentez à l’accueil pour savoir quelles pièces fournir pour une "
    "démarche courante et combien de temps elle prend.",
    "phone": "Vous appelez pour connaître les horaires d’ouverture et les pièces à fournir "
    "pour une démarche courante.",
    "email": "Vous écrivez pour demander les pièces à fournir pour une démarche courante et "
    "le délai de traitement.",
    "letter": "Vous écrivez par courrier pour demander les pièces à fournir pour une démarche "
    "courante et le délai de traitement.",
    "website": "Vous cherchez sur le site internet les horaires, l’adresse, l’accès pour les "
    "personnes à mobilité réduite et les résultats de satisfaction publiés.",
}


@dataclass(frozen=True)
class WaveRequest:
    """What the coordinator asks for (DESIGN.md §3.5, ``POST /campaigns/{id}/waves``)."""

    name: str
    start: date
    end: date
    plan: Mapping[str, Any] | None = None
    lockout_waves: int = 1
    reply_days: Mapping[str, int] | None = None
    rules: Mapping[str, Any] | None = field(default=None)


def _check_dates(session: Session, campaign: Campaign, request: WaveRequest) -> None:
    if request.end <= request.start:
        raise Invalid(
            f"La fin de la vague ({request.end:%d/%m/%Y}) doit suivre son début "
            f"({request.start:%d/%m/%Y}).",
            {"end": ["Doit être après le début."]},
        )
    overlapping = session.scalar(
        select(Wave).where(
            Wave.campaign_id == campaign.id,
            Wave.start <= request.end,
            Wave.end >= request.start,
        )
    )
    if overlapping is not None:
        raise Conflict(
            f"Les dates chevauchent la vague « {overlapping.name} » "
            f"({overlapping.start:%d/%m/%Y} – {overlapping.end:%d/%m/%Y}) : les vagues d’une "
            "campagne se suivent sans se chevaucher.",
            {"start": ["Chevauche une autre vague."]},
        )


def _rules(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    rules = dict(DEFAULT_RULES)
    errors: list[str] = []
    for name, value in (raw or {}).items():
        if name not in DEFAULT_RULES:
            errors.append(f"Règle inconnue « {name} » (connues : {', '.join(DEFAULT_RULES)}).")
        elif name == "remote_per_site":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                errors.append("remote_per_site : un entier ≥ 1, ou null pour ne pas limiter.")
            else:
                rules[name] = value
        elif not isinstance(value, bool):
            errors.append(f"{name} : true ou false.")
        else:
            rules[name] = value
    if errors:
        raise Invalid("Règles d’attribution invalides.", {"rules": errors})
    return rules


def _questionnaires(session: Session, campaign: Campaign, channels: set[str]) -> dict[str, int]:
    """The questionnaire of each planned channel, or ``Invalid`` for a channel without one."""
    found: dict[str, int] = {}
    missing: list[str] = []
    for channel in sorted(channels):
        row = referentiels.questionnaire_for(
            session, campaign.referentiel_code, campaign.referentiel_version, channel
        )
        if row is None:
            missing.append(channel)
        else:
            found[channel] = row.id
    if missing:
        raise Invalid(
            f"Le référentiel {campaign.referentiel_code} v{campaign.referentiel_version} n’a pas "
            f"de questionnaire pour : {', '.join(missing)}. Retirez ces canaux du plan ou "
            "publiez leur questionnaire.",
            {"plan": [f"Sans questionnaire : {c}" for c in missing]},
        )
    return found


def open_wave(
    session: Session, campaign: Campaign, request: WaveRequest, *, actor: User | None
) -> Wave:
    """Open a wave on the campaign's current draw, lock that draw and generate the missions.

    Everything is checked before anything is written, so a refused wave leaves nothing.
    """
    name = request.name.strip()
    if not name:
        raise Invalid("Le nom de la vague est obligatoire.", {"name": ["Obligatoire."]})
    if not 0 <= request.lockout_waves <= 10:
        raise Invalid(
            "Le verrou de retour sur un site va de 0 à 10 vagues.", {"lockout_waves": ["0 à 10."]}
        )
    draw = sample_draws.current_draw(session, campaign)
    if draw is None:
        raise Invalid(
            "Cette campagne n’a pas d’échantillon : tirez-le avant d’ouvrir une vague.",
            {"campaign": ["Aucun échantillon tiré."]},
        )
    _check_dates(session, campaign, request)
    plan = wave_plans.normalise_plan(request.plan)
    reply_days = wave_plans.normalise_reply_days(request.reply_days)
    rules = _rules(request.rules)
    wave = Wave(
        campaign=campaign,
        draw_id=draw.id,
        name=name,
        start=request.start,
        end=request.end,
        plan=plan,
        reply_days=reply_days,
        lockout_waves=request.lockout_waves,
        rules=rules,
        status=WaveStatus.OPEN,
        created_by_id=actor.id if actor else None,
    )
    session.add(wave)
    session.flush()
    created = generate_missions(session, wave)
    sample_draws.lock_draw(session, draw, actor=actor)
    audit.record(
        session,
        "wave.open",
        actor=actor,
        entity=wave,
        campaign_id=campaign.id,
        draw_id=draw.id,
        start=str(wave.start),
        end=str(wave.end),
        missions=created,
        plan=plan,
    )
    return wave


def _scenario_picker(session: Session) -> Any:
    library: dict[tuple[str, str], list[Scenario]] = defaultdict(list)
    for scenario in session.scalars(
        select(Scenario).where(Scenario.active.is_(True)).order_by(Scenario.id)
    ):
        library[(scenario.network, scenario.channel)].append(scenario)

    def pick(network: str, channel: str, site_code: str, ordinal: int) -> Scenario | None:
        choices = library.get((network, channel))
        if not choices:
            return None
        digest = hashlib.sha256(f"{site_code}\x1f{channel}".encode()).digest()
        offset = int.from_bytes(digest[:4], "big")
        # Consecutive tests of one site take consecutive scenarios: no repeat before all are used.
        return choices[(offset + ordinal - 1) % len(choices)]

    return pick


def generate_missions(session: Session, wave: Wave) -> int:
    """Create the wave's missions that do not exist yet; returns how many were created."""
    existing = set(
        session.execute(
            select(Mission.sampled_site_id, Mission.channel, Mission.ordinal).where(
                Mission.wave_id == wave.id
            )
        ).tuples()
    )
    sampled = session.scalars(
        select(SampledSite)
        .where(SampledSite.draw_id == wave.draw_id)
        .options(joinedload(SampledSite.site))
        .order_by(SampledSite.id)
    ).all()
    channels = {c for s in sampled for c in wave_plans.counts_for(wave.plan, s.site.network)}
    questionnaires = _questionnaires(session, wave.campaign, channels)
    pick = _scenario_picker(session)
    rows: list[dict[str, Any]] = []
    for sampled_site in sampled:
        site = sampled_site.site
        counts = wave_plans.counts_for(wave.plan, site.network)
        try:
            planned = plan_site(
                SiteToPlan(site.code, site.department, site.opening_hours),
                counts,
                wave.start,
                wave.end,
                reply_days=wave.reply_days,
                seed=wave.id,
            )
        except PlanningError as error:
            raise Invalid(f"Vague impossible à planifier : {error}") from None
        for mission in planned:
            if (sampled_site.id, mission.channel, mission.ordinal) in existing:
                continue
            scenario = pick(site.network, mission.channel, site.code, mission.ordinal)
            rows.append(
                {
                    "wave_id": wave.id,
                    "sampled_site_id": sampled_site.id,
                    "channel": mission.channel,
                    "ordinal": mission.ordinal,
                    "scenario_id": scenario.id if scenario else None,
                    "scenario": scenario.text if scenario else GENERIC_SCENARIOS[mission.channel],
                    "questionnaire_id": questionnaires[mission.channel],
                    "window_start": mission.window_start,
                    "window_end": mission.window_end,
                    "time_zone": mission.time_zone,
                    "default_hours": mission.default_hours,
                    "reply_due_on": mission.reply_due_on,
                    "status": MissionStatus.UNASSIGNED,
                    "reason": "Pas encore attribuée.",
                }
            )
    if rows:
        # Core executemany: the ORM's bulk path costs several seconds on a 15,000-row wave.
        now = utcnow()
        for row in rows:
            row.update(created_at=now, updated_at=now)
        session.execute(insert(Mission.__table__), rows)
    return len(rows)


def replan_window(mission: Mission, *, first_day: date) -> None:
    """Give a mission whose window has passed a new one between ``first_day`` and the wave's
    end (an overdue mission handed to someone else), planned by the rules used at opening."""
    wave, site = mission.wave, mission.sampled_site.site
    if first_day > wave.end:
        raise Conflict(
            f"La vague « {wave.name} » s’est terminée le {wave.end:%d/%m/%Y} : la mission ne "
            "peut plus recevoir de nouvelle fenêtre."
        )
    try:
        (planned,) = plan_site(
            SiteToPlan(site.code, site.department, site.opening_hours),
            {mission.channel: 1},
            max(first_day, wave.start),
            wave.end,
            reply_days=wave.reply_days,
            seed=wave.id * 100_003 + mission.id,
        )
    except PlanningError as error:
        raise Conflict(
            f"Aucune nouvelle fenêtre possible d’ici la fin de la vague : {error}"
        ) from None
    mission.window_start, mission.window_end = planned.window_start, planned.window_end
    mission.reply_due_on = planned.reply_due_on
    mission.default_hours = planned.default_hours


def get_wave(session: Session, wave_id: int) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound(f"Vague {wave_id} introuvable.")
    return wave


def waves_query(campaign_id: int | None = None) -> Select[tuple[Wave]]:
    statement = select(Wave).order_by(Wave.start.desc(), Wave.id)
    if campaign_id is not None:
        statement = statement.where(Wave.campaign_id == campaign_id)
    return statement


def _local_day_over(day: date, zone: str, now: datetime) -> bool:
    """Is ``day`` over in ``zone`` at ``now``?"""
    end_of_day = datetime.combine(day, time.max, tzinfo=ZoneInfo(zone))
    return now > end_of_day.astimezone(UTC)


def close_wave(
    session: Session, wave: Wave, *, actor: User | None, now: datetime | None = None
) -> dict[str, Any]:
    """Close a wave: replies still awaited are recorded as not received (their delay scores
    0, DOMAIN.md §4) and missions still open are closed as not done. Returns the counts."""
    if wave.status == WaveStatus.CLOSED:
        raise Conflict(f"La vague « {wave.name} » est déjà close.")
    now = now or utcnow()
    missions = session.scalars(
        select(Mission).where(
            Mission.wave_id == wave.id,
            Mission.status.in_([*mission_lifecycle.OPEN, MissionStatus.AWAITING_REPLY]),
        )
    ).all()
    not_done: Counter[str] = Counter()
    no_reply: Counter[str] = Counter()
    for mission in missions:
        if mission.status == MissionStatus.AWAITING_REPLY:
            mission_lifecycle.record_no_reply(session, mission, actor=actor, at=now)
            no_reply[mission.channel] += 1
        else:
            mission_lifecycle.close_as_not_done(session, mission, actor=actor)
            not_done[mission.channel] += 1
    done = dict(
        session.execute(
            select(Mission.channel, func.count())
            .where(Mission.wave_id == wave.id, Mission.status == MissionStatus.DONE)
            .group_by(Mission.channel)
        ).all()
    )
    wave.status = WaveStatus.CLOSED
    wave.closed_at = now
    wave.closing = {
        "not_done": dict(not_done),
        "no_reply": dict(no_reply),
        "done": done,
        "not_done_total": sum(not_done.values()),
        "no_reply_total": sum(no_reply.values()),
    }
    audit.record(session, "wave.close", actor=actor, entity=wave, **wave.closing)
    return wave.closing


def wave_is_finished(session: Session, wave: Wave, now: datetime) -> bool:
    """Its last day and every reply deadline are over (the scheduler then closes it).

    Days are judged in the zone furthest west among France's (Guyane, Antilles are behind
    Paris), by taking the latest zone of the wave's missions.
    """
    zones = set(
        session.scalars(select(Mission.time_zone).where(Mission.wave_id == wave.id).distinct())
    ) or {"Europe/Paris"}
    last_due = session.scalar(
        select(func.max(Mission.reply_due_on)).where(Mission.wave_id == wave.id)
    )
    days = [wave.end] + ([last_due] if last_due is not None else [])
    return all(_local_day_over(day, zone, now) for day in days for zone in zones)
