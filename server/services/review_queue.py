"""The review queue of a wave: its reports with their automatic flags, filtered and counted.

Flags are computed on demand, never stored: most of them depend on other reports (a photo or
a text found again, two visits too close, an investigator's grades against the others'), so a
stored flag would go stale as soon as another report arrives. Computing them costs a few
queries per wave (the campaign's non-draft reports, their photos); the flags a reviewer saw
when deciding are kept in the audit event of the decision (``server.services.review``).
``Report.flags`` is left as it is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from server.models import (
    Mission,
    Photo,
    Questionnaire,
    Report,
    ReportStatus,
    SampledSite,
    Site,
    User,
    Wave,
)
from server.services.definitions import questionnaire_model
from server.services.errors import Invalid
from server.services.review_flags import (
    FLAG_LABELS,
    Flag,
    FlagSettings,
    PhotoAnswer,
    ReportFacts,
    evaluate,
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


# --- facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Questions:
    photos: tuple[tuple[str, str], ...]  # (question id, label)
    free_texts: tuple[str, ...]


def _questions(session: Session, ids: Iterable[int], settings: FlagSettings) -> dict:
    found: dict[int, _Questions] = {}
    for questionnaire_id in ids:
        row = session.get(Questionnaire, questionnaire_id)
        if row is None:
            continue
        model = questionnaire_model(row)
        found[questionnaire_id] = _Questions(
            photos=tuple((q.id, q.label) for q in model.questions if q.type == "photo"),
            free_texts=tuple(
                q.id
                for q in model.questions
                if q.type == "text"
                and q.constraints.pattern is None
                and (q.constraints.max_length or settings.free_text_room) >= settings.free_text_room
            ),
        )
    return found


def _grade(scores: Mapping[str, Any] | None) -> float | None:
    values = [float(v) for v in (scores or {}).values() if isinstance(v, int | float)]
    return sum(values) / len(values) if values else None


def _context_rows(session: Session, campaign_id: int) -> Sequence[Any]:
    return session.execute(
        select(
            Report.id,
            Report.investigator_id,
            Report.status,
            Report.started_at,
            Report.ended_at,
            Report.latitude,
            Report.longitude,
            Report.position_accuracy_m,
            Report.location_declined,
            Report.questionnaire_id,
            Report.answers,
            Report.scores,
            Mission.channel,
            Mission.time_zone,
            Site.id.label("site_id"),
            Site.name.label("site_name"),
            Site.latitude.label("site_latitude"),
            Site.longitude.label("site_longitude"),
            Site.opening_hours,
        )
        .join(Mission, Mission.id == Report.mission_id)
        .join(Wave, Wave.id == Mission.wave_id)
        .join(SampledSite, SampledSite.id == Mission.sampled_site_id)
        .join(Site, Site.id == SampledSite.site_id)
        .where(Wave.campaign_id == campaign_id, Report.status != ReportStatus.DRAFT)
    ).all()


def _facts(row: Any, questions: _Questions | None) -> ReportFacts:
    answers = row.answers or {}
    photos = ()
    texts: tuple[str, ...] = ()
    if questions is not None:
        photos = tuple(
            PhotoAnswer(label, tuple(str(ref) for ref in answers[qid]))
            for qid, label in questions.photos
            if isinstance(answers.get(qid), list) and answers[qid]
        )
        texts = tuple(answers[q] for q in questions.free_texts if isinstance(answers.get(q), str))
    return ReportFacts(
        report_id=row.id,
        investigator_id=row.investigator_id,
        channel=row.channel,
        status=row.status.value,
        site_id=row.site_id,
        site_name=row.site_name,
        time_zone=row.time_zone,
        started_at=row.started_at,
        ended_at=row.ended_at,
        latitude=row.latitude,
        longitude=row.longitude,
        accuracy_m=row.position_accuracy_m,
        location_declined=row.location_declined,
        site_latitude=row.site_latitude,
        site_longitude=row.site_longitude,
        opening_hours=row.opening_hours,
        photos=photos,
        free_texts=texts,
        grade=_grade(row.scores),
    )


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
    against every non-draft report of the wave's campaign."""
    settings = settings or FlagSettings()
    rows = _context_rows(session, wave.campaign_id)
    used = {row.questionnaire_id for row in rows if row.questionnaire_id is not None}
    questions = _questions(session, used, settings)
    context = [_facts(row, questions.get(row.questionnaire_id)) for row in rows]
    wanted = set(report_ids) if report_ids is not None else None
    in_wave = set(
        session.scalars(
            select(Report.id)
            .join(Mission, Mission.id == Report.mission_id)
            .where(Mission.wave_id == wave.id)
        )
    )
    stored = _stored_photos(session, wave)
    targets = [
        replace(facts, stored_photos=frozenset(stored.get(facts.report_id, ())))
        for facts in context
        if facts.report_id in in_wave and (wanted is None or facts.report_id in wanted)
    ]
    return evaluate(targets, context, _photo_twins(session, wave), settings)


def report_flags(
    session: Session, report: Report, settings: FlagSettings | None = None
) -> list[Flag]:
    """The flags of one report (none for a draft)."""
    return wave_flags(session, report.mission.wave, [report.id], settings).get(report.id, [])


# --- the queue ------------------------------------------------------------------------------


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
) -> Queue:
    """The wave's reports with their flags, filtered; counts over the reports the other
    filters keep, so the flag filter's choices say how many each would show."""
    filters = (filters or QueueFilters()).checked()
    statement = reports_query(wave, filters).options(
        joinedload(Report.mission).joinedload(Mission.sampled_site).joinedload(SampledSite.site)
    )
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
