"""Progress of a wave: missions by status, per channel, network and region, and the lists a
coordinator acts on (unassignable missions, investigator loads)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    CHANNEL_LABELS,
    InvestigatorProfile,
    Mission,
    MissionStatus,
    SampledSite,
    Site,
    User,
    Wave,
)

#: Statuses counted as settled fieldwork (played, or closed one way or another).
SETTLED = (MissionStatus.DONE, MissionStatus.NOT_DONE, MissionStatus.CANCELLED)


@dataclass
class ProgressRow:
    key: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts.get(MissionStatus.DONE.value, 0)

    @property
    def done_share(self) -> float:
        """Share of the missions to play that were played (cancelled ones left out)."""
        playable = self.total - self.counts.get(MissionStatus.CANCELLED.value, 0)
        return self.done / playable if playable else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "total": self.total,
            "done": self.done,
            "done_share": round(self.done_share, 4),
            "by_status": dict(self.counts),
        }


def _grouped(session: Session, wave: Wave, column: Any) -> dict[str, dict[str, int]]:
    rows = session.execute(
        select(column, Mission.status, func.count())
        .select_from(Mission)
        .join(SampledSite, Mission.sampled_site_id == SampledSite.id)
        .join(Site, SampledSite.site_id == Site.id)
        .where(Mission.wave_id == wave.id)
        .group_by(column, Mission.status)
    )
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for key, status, count in rows:
        grouped[str(key)][MissionStatus(status).value] = int(count)
    return grouped


def wave_progress(session: Session, wave: Wave) -> dict[str, list[ProgressRow]]:
    """Counts of missions by status, per channel, network and region (one query each)."""
    by_channel = _grouped(session, wave, Mission.channel)
    by_network = _grouped(session, wave, Site.network)
    by_region = _grouped(session, wave, Site.region)
    return {
        "by_channel": [
            ProgressRow(c, CHANNEL_LABELS.get(c, c), by_channel[c]) for c in sorted(by_channel)
        ],
        "by_network": [ProgressRow(k, k, by_network[k]) for k in sorted(by_network)],
        "by_region": [ProgressRow(k, k, by_region[k]) for k in sorted(by_region)],
    }


def overall(session: Session, wave: Wave) -> ProgressRow:
    counts = dict(
        session.execute(
            select(Mission.status, func.count())
            .where(Mission.wave_id == wave.id)
            .group_by(Mission.status)
        ).all()
    )
    return ProgressRow(
        "total", "Ensemble", {MissionStatus(k).value: int(v) for k, v in counts.items()}
    )


def investigator_loads(session: Session, wave: Wave) -> list[dict[str, Any]]:
    """Each active or loaded investigator's missions in the wave against their capacities."""
    loads: dict[int, dict[str, int]] = defaultdict(lambda: {"total": 0, "visit": 0, "open": 0})
    rows = session.execute(
        select(Mission.assignee_id, Mission.channel, Mission.status, func.count())
        .where(Mission.wave_id == wave.id, Mission.assignee_id.is_not(None))
        .group_by(Mission.assignee_id, Mission.channel, Mission.status)
    )
    for assignee, channel, status, count in rows:
        entry = loads[int(assignee)]
        entry["total"] += count
        if channel == "visit":
            entry["visit"] += count
        if MissionStatus(status) in (MissionStatus.ASSIGNED, MissionStatus.OVERDUE):
            entry["open"] += count
    people = session.execute(
        select(User, InvestigatorProfile)
        .join(InvestigatorProfile, InvestigatorProfile.user_id == User.id)
        .order_by(User.name, User.id)
    ).tuples()
    result = []
    for user, profile in people:
        if not profile.active and user.id not in loads:
            continue
        load = loads.get(user.id, {"total": 0, "visit": 0, "open": 0})
        result.append(
            {
                "investigator_id": user.id,
                "name": user.name,
                "active": profile.active,
                "load": load["total"],
                "visits": load["visit"],
                "open": load["open"],
                "capacity": profile.capacity,
                "visit_capacity": profile.visit_capacity,
                "ratio": load["total"] / profile.capacity if profile.capacity else None,
            }
        )
    return result
