"""What the review flags read of a campaign's reports, kept between requests.

Every flag of a report is read against all the non-draft reports of its campaign (~11,000 in
the demo): loading them (answers, positions, sites' hours) and running the rules that read
several reports at once took seconds on each view of the review queue and of each report.
:func:`campaign_context` keeps them per campaign with a fingerprint read in one aggregate
query: the campaign's non-draft reports (count, latest id, latest update, counts by status),
its sites and missions, the photos and the questionnaires. When only the reports moved (a
review decision, a new submission), the reports updated since the last reading are read again
(with a few minutes' margin for transactions committed out of their clock's order) and the
rest is kept (a new photo only drops the kept flags of each report by itself); when anything
else moved, or a report went away, it is all read again. The
flags a report carries by itself are kept too, until it changes; those read against the
others are worded again on each request from the kept findings (cheap).

Process-local (one per worker, like ``results_cache``), bounded, keyed by database and
campaign; only the default :class:`~server.services.review_flags.FlagSettings` are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, case, func, select, true
from sqlalchemy.orm import Session

from server.models import (
    Mission,
    Photo,
    Questionnaire,
    Report,
    ReportStatus,
    SampledSite,
    Site,
    Wave,
)
from server.services.definitions import questionnaire_model
from server.services.fingerprint_cache import Fingerprint, FingerprintCache
from server.services.review_flags import (
    ContextFindings,
    Flag,
    FlagSettings,
    PhotoAnswer,
    ReportFacts,
    context_findings,
)

#: Campaigns a worker keeps (each demo campaign: some MB).
SIZE = 4
#: Reports updated this long before the latest update seen are read again on a refresh.
MARGIN = timedelta(minutes=10)

_cache: FingerprintCache[CampaignContext] = FingerprintCache(SIZE)


@dataclass(frozen=True)
class Questions:
    photos: tuple[tuple[str, str], ...]  # (question id, label)
    free_texts: tuple[str, ...]


@dataclass
class CampaignContext:
    """The campaign's non-draft reports as the rules read them, and what they found."""

    #: Report id → its facts (``stored_photos`` left empty: the wave's queue adds them).
    facts: dict[int, ReportFacts]
    wave_of: dict[int, int]
    questions: dict[int, Questions]
    findings: ContextFindings
    #: Latest update time of the reports read.
    mark: datetime | None
    #: Report id → the flags it carries by itself (``review_flags.own_flags``), once computed.
    own: dict[int, list[Flag]] = field(default_factory=dict)


def cache() -> FingerprintCache[CampaignContext]:
    return _cache


def _questions(
    session: Session, ids: Iterable[int], settings: FlagSettings, known: Mapping[int, Questions]
) -> dict[int, Questions]:
    found = dict(known)
    for questionnaire_id in set(ids) - set(known):
        row = session.get(Questionnaire, questionnaire_id)
        if row is None:
            continue
        model = questionnaire_model(row)
        found[questionnaire_id] = Questions(
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


def _context_rows(
    session: Session, campaign_id: int, since: datetime | None = None
) -> Sequence[Any]:
    """The campaign's non-draft reports; with ``since``, those of any status updated since."""
    statement = (
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
            Mission.wave_id,
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
        .where(Wave.campaign_id == campaign_id)
    )
    if since is None:
        statement = statement.where(Report.status != ReportStatus.DRAFT)
    else:
        statement = statement.where(Report.updated_at >= since)
    return session.execute(statement).all()


def facts_of(row: Any, questions: Questions | None) -> ReportFacts:
    answers = row.answers or {}
    photos: tuple[PhotoAnswer, ...] = ()
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


def _findings(facts: Mapping[int, ReportFacts], settings: FlagSettings) -> ContextFindings:
    return context_findings((facts[key] for key in sorted(facts)), settings)


def _read(
    session: Session,
    campaign_id: int,
    settings: FlagSettings,
    mark: datetime | None,
    since: CampaignContext | None = None,
) -> CampaignContext:
    """The context read whole, or ``since`` with the reports updated since its mark."""
    rows = _context_rows(
        session, campaign_id, None if since is None or since.mark is None else since.mark - MARGIN
    )
    used = {row.questionnaire_id for row in rows if row.questionnaire_id is not None}
    questions = _questions(session, used, settings, since.questions if since else {})
    facts = dict(since.facts) if since else {}
    wave_of = dict(since.wave_of) if since else {}
    own = dict(since.own) if since else {}
    for row in rows:
        own.pop(row.id, None)
        if row.status == ReportStatus.DRAFT:
            facts.pop(row.id, None)
            wave_of.pop(row.id, None)
            continue
        facts[row.id] = facts_of(row, questions.get(row.questionnaire_id))
        wave_of[row.id] = row.wave_id
    return CampaignContext(facts, wave_of, questions, _findings(facts, settings), mark, own)


def _aggregates(campaign_id: int) -> Select[Any]:
    """The fingerprint in one statement (one-row derived tables joined on true): first the
    campaign's non-draft reports, then its sites and missions, the photos, the
    questionnaires."""
    waves = select(Wave.id).where(Wave.campaign_id == campaign_id)
    missions = select(Mission.id).where(Mission.wave_id.in_(waves))
    parts: list[Select[Any]] = [
        select(
            func.count(Report.id),
            func.max(Report.id),
            func.max(Report.updated_at),
            *(func.count(case((Report.status == status, 1))) for status in ReportStatus),
        ).where(Report.mission_id.in_(missions), Report.status != ReportStatus.DRAFT),
        select(func.count(Site.id), func.max(Site.id), func.max(Site.updated_at)).where(
            Site.campaign_id == campaign_id
        ),
        select(func.count(Mission.id), func.max(Mission.id)).where(Mission.wave_id.in_(waves)),
        select(func.count(Questionnaire.id), func.max(Questionnaire.id)),
        select(func.count(Photo.id), func.max(Photo.id)),
    ]
    tables = [part.subquery(f"part_{n}") for n, part in enumerate(parts)]
    joined = tables[0]
    for table in tables[1:]:
        joined = joined.join(table, true())  # type: ignore[assignment]
    return select(*(column for table in tables for column in table.c)).select_from(joined)


def _fingerprint(
    session: Session, campaign_id: int
) -> tuple[Fingerprint, Fingerprint, Fingerprint]:
    """(what is read whole again when it moves, the reports' part, the photos' part)."""
    row = tuple(session.execute(_aggregates(campaign_id)).one())
    reports = 3 + len(ReportStatus)
    return row[reports:-2], row[:reports], row[-2:]


def campaign_context(
    session: Session, campaign_id: int, settings: FlagSettings | None = None
) -> CampaignContext:
    """The campaign's context for the flags, up to date (see the module)."""
    if settings is not None:  # other rules than the default: read for this call only
        return _read(session, campaign_id, settings, None)
    settings = FlagSettings()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = (str(engine.url), campaign_id)
    base, reports, photos = _fingerprint(session, campaign_id)
    fingerprint = (base, reports, photos)
    entry = _cache.peek(key)
    if entry is not None and entry.fingerprint == fingerprint:
        return entry.value
    context: CampaignContext | None = None
    if entry is not None and entry.fingerprint[0] == base and entry.value.mark is not None:
        kept = entry.value
        if entry.fingerprint[2] != photos:  # the reports' own flags read their photos
            kept = replace(kept, own={})
        context = _read(session, campaign_id, settings, reports[2], since=kept)
        if len(context.facts) != reports[0]:  # a report went away: read it all again
            context = None
    if context is None:
        context = _read(session, campaign_id, settings, reports[2])
    _cache.put(key, fingerprint, context)
    return context
