"""The review queue of a wave: its reports with their automatic flags, filtered and counted.

Flags are computed on demand, never stored: most of them depend on other reports (a photo or
a text found again, two visits too close, an investigator's grades against the others'), so a
stored flag would go stale as soon as another report arrives. What they read of the campaign
is kept in memory by ``review_flags_cache``, checked on each request against a fingerprint of
the reports, sites and photos, so a flag is never stale either; the flags a reviewer saw
when deciding are kept in the audit event of the decision (``server.services.review``).
``Report.flags`` is left as it is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased, joinedload, load_only

from server.models import (
    Mission,
    Photo,
    Report,
    ReportStatus,
    SampledSite,
    Site,
    User,
    Wave,
)
from server.services import review_flags_cache
from server.services.errors import Invalid
from server.services.review_flags import (
    FLAG_LABELS,
    Flag,
    FlagSettings,
    in_order,
    own_flags,
    shared_flags,
)

#: The flag filter's values besides a flag code.
ANY_FLAG, NO_FLAG = "any", "none"


@dataclass(frozen=True)
class QueueFilters:
    """Which reports of the wave: by status (submitted by default), channel, site network and
    region, investigator, and flag (a code, ``any`` or ``none``)."""

    status: str | None = ReportStatus.SUBMITTED.value
    channel: str | None = None
    network: str | None = None
    region: str | None = None
    investigator_id: int | None = None
    flag: str | None = None

    def checked(self) -> QueueFilters:
        """The same filters, or ``Invalid`` naming an unknown status or flag."""
        errors = {}
        if self.status and self.status not in {s.value for s in ReportStatus}:
            errors["status"] = [f"Statut inconnu « {self.status} »."]
        if self.flag and self.flag not in {*FLAG_LABELS, ANY_FLAG, NO_FLAG}:
            errors["flag"] = [f"Contrôle inconnu « {self.flag} »."]
        if errors:
            raise Invalid(next(iter(errors.values()))[0], errors)
        return self


@dataclass(frozen=True)
class QueueRow:
    report: Report
    flags: list[Flag]

    @property
    def mission(self) -> Mission:
        return self.report.mission

    @property
    def site(self) -> Site:
        return self.report.mission.sampled_site.site


@dataclass
class Queue:
    rows: list[QueueRow]
    #: Reports matching every filter but the flag one, flagged or not, and per flag code.
    considered: int = 0
    flagged: int = 0
    by_flag: dict[str, int] = field(default_factory=dict)
    investigators: dict[int, str] = field(default_factory=dict)

    @property
    def unflagged(self) -> int:
        return self.considered - self.flagged


# --- flags ---------------------------------------------------------------------------------


def _stored_photos(session: Session, wave: Wave) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        select(Photo.report_id, Photo.id, Photo.sha256)
        .join(Report, Report.id == Photo.report_id)
        .join(Mission, Mission.id == Report.mission_id)
        .where(Mission.wave_id == wave.id)
    )
    for report_id, photo_id, sha256 in rows:
        found[report_id].update((str(photo_id), sha256))
    return found


def _photo_twins(session: Session, wave: Wave) -> dict[int, dict[str, list[int]]]:
    """Report of the wave → SHA-256 → other non-draft reports (any campaign) with that photo."""
    other_photo, other_report = aliased(Photo), aliased(Report)
    rows = session.execute(
        select(Photo.report_id, Photo.sha256, other_photo.report_id)
        .join(Report, Report.id == Photo.report_id)
        .join(Mission, Mission.id == Report.mission_id)
        .join(
            other_photo,
            (other_photo.sha256 == Photo.sha256) & (other_photo.report_id != Photo.report_id),
        )
        .join(other_report, other_report.id == other_photo.report_id)
        .where(Mission.wave_id == wave.id, other_report.status != ReportStatus.DRAFT)
    )
    twins: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for report_id, sha256, other in rows:
        twins[report_id][sha256].add(other)
    return {r: {sha: sorted(o) for sha, o in by.items()} for r, by in twins.items()}


def wave_flags(
    session: Session,
    wave: Wave,
    report_ids: Iterable[int] | None = None,
    settings: FlagSettings | None = None,
) -> dict[int, list[Flag]]:
    """The flags of the wave's non-draft reports (or of ``report_ids`` among them), read
    against every non-draft report of the wave's campaign (kept by ``review_flags_cache``:
    only the flags not kept yet are computed, the wave's photos read for them alone)."""
    context = review_flags_cache.campaign_context(session, wave.campaign_id, settings)
    settings = settings or FlagSettings()
    asked = set(report_ids) if report_ids is not None else None
    wanted = [
        report_id
        for report_id, wave_id in context.wave_of.items()
        if wave_id == wave.id and (asked is None or report_id in asked)
    ]
    missing = [report_id for report_id in wanted if report_id not in context.own]
    if missing:
        stored = _stored_photos(session, wave)
        twins = _photo_twins(session, wave)
        for report_id in missing:
            facts = replace(
                context.facts[report_id], stored_photos=frozenset(stored.get(report_id, ()))
            )
            context.own[report_id] = own_flags(facts, twins.get(report_id, {}), settings)
    return {
        report_id: in_order(
            context.own[report_id]
            + shared_flags(context.facts[report_id], context.findings, settings)
        )
        for report_id in wanted
    }


def report_flags(
    session: Session, report: Report, settings: FlagSettings | None = None
) -> list[Flag]:
    """The flags of one report (none for a draft)."""
    return wave_flags(session, report.mission.wave, [report.id], settings).get(report.id, [])


# --- the queue ------------------------------------------------------------------------------

#: What the desk's queue table reads of each report, its mission and its site.
_LISTING = (
    load_only(
        Report.id,
        Report.mission_id,
        Report.investigator_id,
        Report.status,
        Report.submitted_at,
    ),
)


def reports_query(wave: Wave, filters: QueueFilters) -> Select[tuple[Report]]:
    """The wave's reports matching the filters (all but the flag one), oldest sent first."""
    statement = (
        select(Report)
        .join(Mission, Mission.id == Report.mission_id)
        .join(SampledSite, SampledSite.id == Mission.sampled_site_id)
        .join(Site, Site.id == SampledSite.site_id)
        .where(Mission.wave_id == wave.id, Report.status != ReportStatus.DRAFT)
    )
    if filters.status:
        statement = statement.where(Report.status == ReportStatus(filters.status))
    if filters.channel:
        statement = statement.where(Mission.channel == filters.channel)
    if filters.network:
        statement = statement.where(Site.network == filters.network)
    if filters.region:
        statement = statement.where(Site.region == filters.region)
    if filters.investigator_id is not None:
        statement = statement.where(Report.investigator_id == filters.investigator_id)
    return statement.order_by(Report.submitted_at, Report.id)


def _keeps(flags: Sequence[Flag], wanted: str | None) -> bool:
    if not wanted:
        return True
    if wanted == ANY_FLAG:
        return bool(flags)
    if wanted == NO_FLAG:
        return not flags
    return any(flag.code == wanted for flag in flags)


def review_queue(
    session: Session,
    wave: Wave,
    filters: QueueFilters | None = None,
    settings: FlagSettings | None = None,
    *,
    listing: bool = False,
) -> Queue:
    """The wave's reports with their flags, filtered; counts over the reports the other
    filters keep, so the flag filter's choices say how many each would show. ``listing``
    loads only what the desk's table shows of each report (not its answers: hundreds of
    reports' JSON would cost more than the whole page; anything else is read on demand)."""
    filters = (filters or QueueFilters()).checked()
    site = joinedload(Report.mission).joinedload(Mission.sampled_site).joinedload(SampledSite.site)
    statement = reports_query(wave, filters).options(*(_LISTING if listing else ()), site)
    reports = session.scalars(statement).unique().all()
    flags = wave_flags(session, wave, [r.id for r in reports], settings) if reports else {}
    by_flag: Counter[str] = Counter()
    for report in reports:
        by_flag.update({flag.code for flag in flags.get(report.id, [])})
    rows = [
        QueueRow(report, flags.get(report.id, []))
        for report in reports
        if _keeps(flags.get(report.id, []), filters.flag)
    ]
    ids = {report.investigator_id for report in reports}
    names = user_names(session, ids)
    return Queue(
        rows=rows,
        considered=len(reports),
        flagged=sum(1 for report in reports if flags.get(report.id)),
        by_flag={code: by_flag[code] for code in FLAG_LABELS if by_flag[code]},
        investigators=names,
    )


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """User id → name, for the ids given (None left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all()
    return dict(rows)  # type: ignore[arg-type]


def wave_investigators(session: Session, wave: Wave) -> list[tuple[int, str]]:
    """Investigators with a non-draft report in the wave, by name (the filter's choices)."""
    rows = session.execute(
        select(User.id, User.name)
        .join(Report, Report.investigator_id == User.id)
        .join(Mission, Mission.id == Report.mission_id)
        .where(Mission.wave_id == wave.id, Report.status != ReportStatus.DRAFT)
        .distinct()
        .order_by(User.name)
    )
    return [(user_id, name) for user_id, name in rows]


def wave_places(session: Session, wave: Wave) -> tuple[list[str], list[str]]:
    """The networks and the regions of the wave's sites, sorted (the filters' choices): one
    query, where the wave's progress counted every mission by status to list them."""
    rows = session.execute(
        select(Site.network, Site.region)
        .join(SampledSite, SampledSite.site_id == Site.id)
        .join(Mission, Mission.sampled_site_id == SampledSite.id)
        .where(Mission.wave_id == wave.id)
        .distinct()
    ).all()
    return sorted({row.network for row in rows}), sorted({row.region for row in rows})


def status_counts(session: Session, campaign_id: int) -> dict[int, dict[str, int]]:
    """Wave id → report status → number of non-draft reports, for a campaign's waves."""
    rows = session.execute(
        select(Mission.wave_id, Report.status, func.count(Report.id))
        .join(Mission, Mission.id == Report.mission_id)
        .join(Wave, Wave.id == Mission.wave_id)
        .where(Wave.campaign_id == campaign_id, Report.status != ReportStatus.DRAFT)
        .group_by(Mission.wave_id, Report.status)
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for wave_id, status, count in rows:
        counts[wave_id][status.value] = count
    return counts


def next_to_review(session: Session, wave: Wave, after: Report) -> int | None:
    """The oldest submitted report of the wave other than ``after`` (the reviewer's next)."""
    return session.scalar(
        select(Report.id)
        .join(Mission, Mission.id == Report.mission_id)
        .where(
            Mission.wave_id == wave.id,
            Report.status == ReportStatus.SUBMITTED,
            Report.id != after.id,
        )
        .order_by(Report.submitted_at, Report.id)
        .limit(1)
    )
