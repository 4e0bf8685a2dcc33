"""A complete barometer for the demo: a 2025 wave played and closed, most of 2026's approved.

Why: a newcomer should see what the application is for — a national grade with its interval,
its evolution on last year, the sites ranked, the workbook — not only a wave in progress. So
the demo opens a small 2025 wave on last year's draw (every site tested once or twice on each
channel), plays and approves (almost) all of it and closes it; then it plays most of the 2026
spring wave too, leaving a realistic remainder: reports submitted and not reviewed yet (a
review queue), a few rejected, and about 5 % of the sampled sites with no approved test at all
(the methodology's non-response rule). The investigators ``server.demo.reports`` gives work in
progress are left alone: their missions, drafts and returned report stay as that step made them.

Grades look like a real barometer: each site has a quality (the chance that a scored question
gets its best answer) drawn from the seed, the site's code and its network, so sites spread
from about 3 to 9 around a national 7; a site kept from 2025 in the 2026 panel keeps its quality
give or take a little, so the change on 2025 is estimated on correlated sites.

Bulk path, on purpose. ``reports.submit`` then ``review.review`` per report costs several
queries, flushes and audit rows each; for ~19,000 reports that is minutes, not seconds. This
module builds the same rows those services write — canonical answers
(``survey_schemas.clean_answers``), stored ``scores`` (``survey_schemas.score_test``), the
submission fingerprint, times inside the mission's window, a position near the site for a
visit, the mission moved to done (email and letter: sent, reply received or not, working days)
and, for a decided report, the ``Review`` the review service writes — and inserts them with
SQLAlchemy Core, batch by batch. The audit trail gets one row per batch (``demo.reports_bulk``,
with the counts) rather than one per report and transition: it says honestly that the demo
generated these reports, and keeps the trail readable. Photos answering photo questions are
small files made from a few demo pictures, each given its own JPEG comment (the report and the
question) so that its content, and hence its SHA-256, is its own: the review flags a picture
found in two reports, and so would flag (and join) every demo photo if they shared a file.

Idempotent: a mission that already has a report is skipped, what happens to a mission (played
or not, approved, submitted or rejected) depends on the seed and its id only, the 2025 wave is
found by its name and a closed one is left as it is.
"""

from __future__ import annotations

import hashlib
import io
import math
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from PIL import Image
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, joinedload

import survey_schemas
from server.demo import reports as demo_reports
from server.demo.frame import DemoRandom
from server.models import (
    Campaign,
    Mission,
    MissionStatus,
    Photo,
    Questionnaire,
    ReplyOutcome,
    Report,
    ReportStatus,
    Review,
    ReviewDecision,
    SampledSite,
    User,
    Wave,
    WaveStatus,
)
from server.services import assignments, audit, results, waves
from server.services.assignment.distance import geodesic_m
from server.services.definitions import questionnaire_model
from server.services.reports import fingerprint
from survey_schemas import working_days_between

#: Last year's wave: a smaller plan, but every site tested on every channel.
LAST_YEAR_WAVE = "Vague annuelle"
LAST_YEAR_PLAN = {"visit": 1, "phone": 2, "email": 2, "letter": 1, "website": 1}
#: Of the missions left to play in 2026 (outside the work-in-progress investigators and the
#: sites that do not respond): approved, submitted (the queue), rejected; the rest untouched.
SHARES_2026 = (0.92, 0.05, 0.01)
SHARES_2025 = (0.99, 0.0, 0.0)
#: Share of 2026's sampled sites that give no test at all (non-response).
NON_RESPONSE = 0.05
REJECT_COMMENT = "Test réalisé hors du créneau prévu par le scénario : rapport rejeté."
_BATCH = 2000
_NAMESPACE = uuid.UUID("0f6b7f2e-3d8a-4c51-9e0b-6a2d4c7b1e53")
#: Quality of each network (chance of the best answer), before the site's own effect.
_NETWORK_EFFECT = (-0.06, 0.05)
_PHOTO_POOL = 6
_PHOTO_SIZE = (240, 180)
_STRATUM_FLOOR = 3
#: Below the review's 50 km/h, so a demo visit never looks too close to the previous one.
_SPEED_KMH = 40.0


@dataclass
class BarometerSummary:
    """What the step printed last: the national grades and the change."""

    line: str = ""


def last_year_dates(year: int) -> tuple[date, date]:
    return date(year, 3, 3), date(year, 4, 25)


def ensure_barometer(
    session: Session,
    current: Campaign,
    previous: Campaign,
    wave: Wave,
    coordinator: User,
    *,
    seed: int,
    progress: Callable[[str], None] = print,
) -> BarometerSummary:
    """Play last year's wave and most of this year's (see the module); flushed, not committed."""
    summary = BarometerSummary()
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    maker = _BulkMaker(session, seed, coordinator, _photo_pool(seed), folder)

    progress(f"Baromètre {previous.year} : vague, rapports validés, clôture…")
    last = _ensure_last_year_wave(session, previous, coordinator)
    if last.status == WaveStatus.OPEN:
        made = maker.play_wave(last, previous.year, SHARES_2025, excluded=set(), silent=set())
        progress(f"  {made} rapports validés")
        waves.close_wave(session, last, actor=coordinator)
    progress(f"Baromètre {current.year} : rapports validés, à relire et rejetés…")
    people = {user.id for user in demo_reports._investigators(session, wave)}
    silent = _non_responding(session, wave, seed)
    made = maker.play_wave(wave, current.year, SHARES_2026, excluded=people, silent=silent)
    counts = maker.counts
    progress(
        f"  {made} rapports ajoutés : {counts['approved']} validés, {counts['submitted']} à "
        f"relire, {counts['rejected']} rejetés ; {len(silent)} sites sans aucun test (non-réponse)"
    )
    session.flush()
    summary.line = _summary_line(session, current, previous)
    progress(summary.line)
    return summary


def _ensure_last_year_wave(session: Session, campaign: Campaign, coordinator: User) -> Wave:
    wave = session.scalar(
        select(Wave).where(Wave.campaign_id == campaign.id, Wave.name == LAST_YEAR_WAVE)
    )
    if wave is None:
        start, end = last_year_dates(campaign.year)
        wave = waves.open_wave(
            session,
            campaign,
            waves.WaveRequest(name=LAST_YEAR_WAVE, start=start, end=end, plan=LAST_YEAR_PLAN),
            actor=coordinator,
        )
        session.flush()
        assignments.assign_wave(session, wave, actor=coordinator)
        session.flush()
    return wave


def _non_responding(session: Session, wave: Wave, seed: int) -> set[int]:
    """``NON_RESPONSE`` of the wave's sampled sites (rounded), chosen from the seed and the
    site alone (the same sites on every run), never leaving a stratum fewer than
    ``_STRATUM_FLOOR`` responding sites: its variance stays estimable, as in a real wave
    where the coordinator chases the last sites of a small stratum."""
    rows = session.execute(
        select(SampledSite.id, SampledSite.site_id, SampledSite.stratum)
        .join(Mission, Mission.sampled_site_id == SampledSite.id)
        .where(Mission.wave_id == wave.id)
        .distinct()
    ).all()
    left = Counter(stratum for _id, _site, stratum in rows)
    wanted = round(NON_RESPONSE * len(rows))
    silent: set[int] = set()
    for sampled_id, _site_id, stratum in sorted(
        rows, key=lambda row: _unit(f"{seed}:silent:{row[1]}")
    ):
        if len(silent) == wanted:
            break
        if left[stratum] > _STRATUM_FLOOR:
            silent.add(sampled_id)
            left[stratum] -= 1
    return silent


def _drive(one: Mission, other: Mission) -> timedelta:
    """Time to drive from one site to the other at ``_SPEED_KMH``, and to park."""
    a, b = one.site, other.site
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return timedelta(hours=1)
    metres = geodesic_m(a.latitude, a.longitude, b.latitude, b.longitude)
    return timedelta(seconds=metres / (_SPEED_KMH / 3.6)) + timedelta(minutes=10)


def _unit(text: str) -> float:
    """A number in [0, 1) from ``text`` alone."""
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _gauss(text: str) -> float:
    """A standard normal number from ``text`` alone (Box–Muller on two hashes)."""
    u1 = max(_unit(text + ":a"), 1e-12)
    u2 = _unit(text + ":b")
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def site_quality(seed: int, code: str, network: str, year: int) -> float:
    """The chance a scored question of the site gets its best answer in ``year``: the network's
    effect, the site's own (kept from year to year) and a little drift of the year."""
    low, high = _NETWORK_EFFECT
    network_effect = low + (high - low) * _unit(f"{seed}:network:{network}")
    base = 0.72 + network_effect + 0.095 * _gauss(f"{seed}:site:{code}")
    drift = 0.015 * (year - 2025) + 0.035 * _gauss(f"{seed}:site:{code}:{year}")
    return min(0.93, max(0.36, base + drift))


def _photo_pool(seed: int) -> list[bytes]:
    """A few small demo pictures; each photo is one of them with its own JPEG comment."""
    rng = DemoRandom(seed * 7 + 1)
    pool = []
    for number in range(_PHOTO_POOL):
        data = demo_reports._picture(rng, "Photo de démonstration", "Baromètre", number + 1)
        image = Image.open(io.BytesIO(data)).resize(_PHOTO_SIZE)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=60)
        pool.append(buffer.getvalue())
    return pool


def _unique_jpeg(picture: bytes, comment: str) -> bytes:
    """``picture`` with a COM segment right after its start marker: still the same image."""
    text = comment.encode()
    return picture[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + picture[2:]


@dataclass
class _Built:
    mission: Mission
    status: ReportStatus
    report: dict[str, Any]
    photos: list[tuple[str, int, datetime]]  # question, pool index, taken at
    answers: dict[str, Any]
    content: dict[str, Any]


class _BulkMaker:
    def __init__(
        self, session: Session, seed: int, coordinator: User, pool: list[bytes], folder: Path
    ) -> None:
        self.folder = folder
        #: What the last ``play_wave`` added, by report status.
        self.counts: Counter[str] = Counter()
        self.session = session
        self.seed = seed
        self.coordinator = coordinator
        self.pool = pool
        self._questionnaires: dict[int, survey_schemas.Questionnaire] = {}

    def questionnaire(self, key: int) -> survey_schemas.Questionnaire:
        if key not in self._questionnaires:
            row = self.session.get(Questionnaire, key)
            assert row is not None
            self._questionnaires[key] = questionnaire_model(row)
        return self._questionnaires[key]

    def play_wave(
        self,
        wave: Wave,
        year: int,
        shares: tuple[float, float, float],
        *,
        excluded: set[int],
        silent: set[int],
    ) -> int:
        """Reports for the wave's assigned missions without one; returns how many."""
        has_report = select(Report.id).where(Report.mission_id == Mission.id).exists()
        missions = self.session.scalars(
            select(Mission)
            .where(Mission.wave_id == wave.id, Mission.assignee_id.is_not(None))
            .where(Mission.status.in_((MissionStatus.ASSIGNED, MissionStatus.OVERDUE)))
            .where(~has_report)
            .options(joinedload(Mission.sampled_site).joinedload(SampledSite.site))
            .order_by(Mission.id)
        ).all()
        slots = self._visit_slots(wave, shares, excluded=excluded, silent=silent)
        chosen: list[tuple[Mission, ReportStatus]] = []
        for mission in missions:
            if mission.assignee_id in excluded or mission.sampled_site_id in silent:
                continue
            status = self._fate(mission, shares)
            if status is not None and slots.get(mission.id, True) is not None:
                chosen.append((mission, status))
        self.counts = Counter(status.value for _mission, status in chosen)
        for start in range(0, len(chosen), _BATCH):
            batch = chosen[start : start + _BATCH]
            self._insert([self.build(m, s, year, slots.get(m.id)) for m, s in batch], wave)
        return len(chosen)

    def _fate(self, mission: Mission, shares: tuple[float, float, float]) -> ReportStatus | None:
        """Approved, submitted, rejected or not played: from the seed and the mission alone."""
        approved, submitted, rejected = shares
        roll = _unit(f"{self.seed}:fate:{mission.id}")
        if roll < approved:
            return ReportStatus.APPROVED
        if roll < approved + submitted:
            return ReportStatus.SUBMITTED
        if roll < approved + submitted + rejected:
            return ReportStatus.REJECTED
        return None

    def _visit_slots(
        self,
        wave: Wave,
        shares: tuple[float, float, float],
        *,
        excluded: set[int],
        silent: set[int],
    ) -> dict[int, tuple[datetime, datetime] | None]:
        """When each investigator played their visits: one after the other, with time to
        drive from one site to the next (the review flags visits too close in time); a visit
        that no longer fits its window is not played (None). Computed over all the wave's
        played visits, reported or not, so a second run finds the same slots."""
        visits = self.session.scalars(
            select(Mission)
            .where(Mission.wave_id == wave.id, Mission.channel == "visit")
            .where(Mission.assignee_id.is_not(None))
            .options(joinedload(Mission.sampled_site).joinedload(SampledSite.site))
            .order_by(Mission.window_start, Mission.id)
        ).all()
        by_person: dict[int, list[Mission]] = {}
        for mission in visits:
            if mission.assignee_id in excluded or mission.sampled_site_id in silent:
                continue
            if self._fate(mission, shares) is not None:
                by_person.setdefault(mission.assignee_id or 0, []).append(mission)
        slots: dict[int, tuple[datetime, datetime] | None] = {}
        for missions in by_person.values():
            free_at: datetime | None = None
            where: Mission | None = None
            for mission in missions:
                digest = hashlib.sha256(f"{self.seed}:slot:{mission.id}".encode()).digest()
                started, ended = demo_reports._times(
                    DemoRandom(int.from_bytes(digest[:8], "big")), mission
                )
                if free_at is not None and where is not None:
                    earliest = free_at + _drive(where, mission)
                    if started < earliest:
                        length = ended - started
                        started = (earliest + timedelta(minutes=1)).replace(second=0, microsecond=0)
                        ended = started + length
                if ended > mission.window_end:
                    slots[mission.id] = None
                    continue
                slots[mission.id] = (started, ended)
                free_at, where = ended, mission
        return slots

    # --- one report -------------------------------------------------------------------------

    def build(
        self,
        mission: Mission,
        status: ReportStatus,
        year: int,
        slot: tuple[datetime, datetime] | None = None,
    ) -> _Built:
        assert mission.questionnaire_id is not None
        questionnaire = self.questionnaire(mission.questionnaire_id)
        digest = hashlib.sha256(f"{self.seed}:barometer:{mission.id}".encode()).digest()
        rng = DemoRandom(int.from_bytes(digest[:8], "big"))
        started, ended = slot or demo_reports._times(rng, mission)
        position = demo_reports._near_site(rng, mission) if mission.channel == "visit" else None
        context = demo_reports._Context(mission, started, ended, position)
        site = mission.site
        quality = site_quality(self.seed, site.code, site.network, year)
        answers, photos = self._answers(rng, questionnaire, context, quality)
        photo_ids = {q: f"@{q}" for q, _i, _t in photos}  # replaced once the photos exist
        answers.update({q: [photo_ids[q]] for q in photo_ids})
        today = datetime.now(ZoneInfo(mission.time_zone)).date()
        clean = survey_schemas.clean_answers(questionnaire, answers, today=today)
        scores = survey_schemas.score_test(questionnaire, clean, department=site.department)
        client = str(uuid.uuid5(_NAMESPACE, f"demo-barometer:{mission.id}"))
        submitted_at = ended + timedelta(minutes=rng.randint(2, 90))
        report: dict[str, Any] = {
            "mission_id": mission.id,
            "investigator_id": mission.assignee_id,
            "client_id": client,
            "questionnaire_id": mission.questionnaire_id,
            "answers": clean,
            "version": 2,
            "status": status,
            "scores": scores,
            "started_at": started,
            "ended_at": ended,
            "latitude": position.latitude if position else None,
            "longitude": position.longitude if position else None,
            "position_accuracy_m": position.accuracy_m if position else None,
            "location_declined": False,
            "clock_offset_seconds": 0.0,
            "flags": [],
            "created_at": started,
            "updated_at": submitted_at,
            "submitted_at": submitted_at,
        }
        content = demo_reports.reports._content(clean, started, ended, position, False)
        return _Built(mission, status, report, photos, clean, content)

    def _answers(
        self,
        rng: DemoRandom,
        questionnaire: survey_schemas.Questionnaire,
        context: demo_reports._Context,
        quality: float,
    ) -> tuple[dict[str, Any], list[tuple[str, int, datetime]]]:
        answers: dict[str, Any] = {}
        photos: list[tuple[str, int, datetime]] = []
        for question in questionnaire.questions:
            if question.visible_if is not None and not survey_schemas.evaluate(
                question.visible_if, answers
            ):
                continue
            if not question.required and not rng.chance(0.9 if question.scoring else 0.4):
                continue
            if question.type == "photo":
                moment = context.started + (context.ended - context.started) * rng.uniform(0.2, 0.9)
                photos.append((question.id, len(photos) % _PHOTO_POOL, moment))
                continue
            if question.type == "text" and question.id not in _SITE_TEXTS:
                answers[question.id] = _observation(rng, question, context)
                continue
            value = _good_or_bad(rng, question, context, quality, answers)
            if value is None:
                value = demo_reports._answer(rng, question, context)
            if value is not None:
                answers[question.id] = value
        return answers, photos

    # --- rows -------------------------------------------------------------------------------

    def _insert(self, built: Sequence[_Built], wave: Wave) -> None:
        if not built:
            return
        ids = self.session.execute(
            insert(Report).returning(Report.id, Report.mission_id, sort_by_parameter_order=True),
            [b.report for b in built],
        ).all()
        report_ids = {mission_id: report_id for report_id, mission_id in ids}
        photo_rows = []
        for b in built:
            report_id = report_ids[b.mission.id]
            zone = ZoneInfo(b.mission.time_zone)
            for question_id, index, taken in b.photos:
                data = _unique_jpeg(
                    self.pool[index], f"Baromètre démo, rapport {report_id}, {question_id}"
                )
                digest = hashlib.sha256(data).hexdigest()
                # One folder for all of them (not one per report as uploads): the demo's
                # ~9,000 pictures then take ~35 MB rather than ~100 MB of folders and blocks.
                relative = Path("photos") / "demo-barometre" / f"{digest}.jpg"
                path = self.folder / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                photo_rows.append(
                    {
                        "report_id": report_id,
                        "question_id": question_id,
                        "filename": f"IMG_{taken.astimezone(zone):%Y%m%d_%H%M%S}.jpg",
                        "content_type": "image/jpeg",
                        "size_bytes": len(data),
                        "sha256": digest,
                        "storage_path": relative.as_posix(),
                        "taken_at": taken.replace(microsecond=0),
                        "width": _PHOTO_SIZE[0],
                        "height": _PHOTO_SIZE[1],
                        "uploaded_at": b.report["submitted_at"],
                    }
                )
        photo_ids: dict[tuple[int, str], int] = {}
        if photo_rows:
            stored = self.session.execute(
                insert(Photo).returning(
                    Photo.id, Photo.report_id, Photo.question_id, sort_by_parameter_order=True
                ),
                photo_rows,
            ).all()
            photo_ids = {(r, q): p for p, r, q in stored}
        report_updates = []
        for b in built:
            report_id = report_ids[b.mission.id]
            answers = dict(b.answers)
            for question_id, _index, _taken in b.photos:
                answers[question_id] = [str(photo_ids[(report_id, question_id)])]
            content = {**b.content, "answers": answers}
            report_updates.append(
                {
                    "id": report_id,
                    "answers": answers,
                    "submitted_fingerprint": fingerprint(b.report["client_id"], content),
                }
            )
        self.session.execute(update(Report), report_updates)
        self.session.execute(update(Mission), [self._mission_row(b) for b in built])
        reviews = [
            {
                "report_id": report_ids[b.mission.id],
                "reviewer_id": self.coordinator.id,
                "decision": ReviewDecision.APPROVE
                if b.status == ReportStatus.APPROVED
                else ReviewDecision.REJECT,
                "comment": "" if b.status == ReportStatus.APPROVED else REJECT_COMMENT,
                "created_at": b.report["submitted_at"] + timedelta(days=2),
            }
            for b in built
            if b.status in (ReportStatus.APPROVED, ReportStatus.REJECTED)
        ]
        if reviews:
            self.session.execute(insert(Review), reviews)
        statuses = [b.status.value for b in built]
        audit.record(
            self.session,
            "demo.reports_bulk",
            actor=self.coordinator,
            entity=wave,
            reports=len(built),
            approved=statuses.count("approved"),
            submitted=statuses.count("submitted"),
            rejected=statuses.count("rejected"),
            first_report=min(report_ids.values()),
            last_report=max(report_ids.values()),
        )
        self.session.flush()

    def _mission_row(self, b: _Built) -> dict[str, Any]:
        mission = b.mission
        row: dict[str, Any] = {"id": mission.id, "status": MissionStatus.DONE}
        if mission.channel not in ("email", "letter"):
            row["done_at"] = b.report["submitted_at"]
            return row
        prefix = "m" if mission.channel == "email" else "l"
        zone = ZoneInfo(mission.time_zone)
        sent_day = date.fromisoformat(b.answers[f"{prefix}_date_envoi"])
        ended = b.report["ended_at"]
        sent_at = (
            ended
            if ended.astimezone(zone).date() == sent_day
            else datetime.combine(sent_day, time(12, 0), tzinfo=zone).astimezone(UTC)
        )
        row["sent_at"] = sent_at
        reply = b.answers.get(f"{prefix}_date_reponse")
        if reply is None:
            row["reply_outcome"] = ReplyOutcome.NO_REPLY
            due = mission.reply_due_on or (sent_day + timedelta(days=21))
            row["done_at"] = datetime.combine(due, time(23, 0), tzinfo=zone).astimezone(UTC)
            return row
        reply_day = date.fromisoformat(reply)
        received = datetime.combine(reply_day, time(10, 30), tzinfo=zone).astimezone(UTC)
        received = max(received, sent_at)
        row["reply_outcome"] = ReplyOutcome.RECEIVED
        row["reply_received_at"] = received
        row["reply_recorded_by_id"] = self.coordinator.id
        row["reply_working_days"] = working_days_between(
            sent_day, reply_day, department=mission.site.department
        )
        row["done_at"] = received
        return row


#: Text questions the plain generator fills from the site's own details (number, addresses).
_SITE_TEXTS = frozenset({"t_numero", "m_adresse", "w_adresse_page", "l_adresse"})
_SEEN = (
    "Accueil courtois",
    "Agent disponible malgré l’affluence",
    "Signalétique intérieure peu visible",
    "Échange rapide et précis",
    "Salle d’attente bondée",
    "Borne à tickets en panne",
    "Documentation remise sans la demander",
)


def _observation(
    rng: DemoRandom, question: survey_schemas.Question, context: demo_reports._Context
) -> str:
    """A free remark of its own (the review flags a free text found in two reports)."""
    local = context.local(context.started)
    waiting = rng.randint(0, 14)
    text = (
        f"{rng.choice(_SEEN)} ({context.mission.site.name}, {local:%d/%m à %H:%M}) ; "
        f"{waiting} personne{'s' if waiting > 1 else ''} avant moi."
    )
    limit = question.constraints.max_length
    return text[:limit].strip() if limit is not None else text


# --- answers by quality ---------------------------------------------------------------------

#: Chance a gate question (which opens the rest of the form) gets "oui", by quality q.
_GATES = {
    "v_site_ouvert": lambda q: 0.93 + 0.06 * q,
    "t_decroche": lambda q: 0.45 + 0.5 * q,
    "p_decroche": lambda q: 0.45 + 0.5 * q,
    "m_reponse_recue": lambda q: 0.35 + 0.6 * q,
    "l_reponse_recue": lambda q: 0.35 + 0.6 * q,
}


def _good_or_bad(
    rng: DemoRandom,
    question: survey_schemas.Question,
    context: demo_reports._Context,
    quality: float,
    answers: dict[str, Any],
) -> Any:
    """The answer of a scored (or gate) question: its best value with chance ``quality``,
    a worse one otherwise; None lets the plain generator answer an unscored question."""
    rule = question.scoring
    if question.id in _GATES:
        return "oui" if rng.chance(_GATES[question.id](quality)) else "non"
    good = rng.chance(quality)
    if isinstance(rule, survey_schemas.DelayRule):
        sent = date.fromisoformat(answers[rule.sent])
        limit = int(max(band.max for band in rule.bands))
        days = rng.randint(0, limit) if good else rng.randint(3 * limit + 6, 3 * limit + 25)
        return min(sent + timedelta(days=days), date.today()).isoformat()
    if isinstance(rule, survey_schemas.ThresholdRule):
        limits = question.constraints
        low = int(limits.min) if limits.min is not None else 0
        first = int(rule.bands[0].max)
        last = int(rule.bands[-1].max)
        top = int(limits.max) if limits.max is not None else last + 10
        if question.id == "v_attente_minutes":
            top = min(top, context.minutes - 5)  # a wait shorter than the visit itself
        if good or top <= last:
            value = rng.randint(low, max(low, min(first, top)))
        else:
            value = rng.randint(last + 1, max(last + 1, min(top, last + 3 * (last - low + 2))))
        return value
    if isinstance(rule, survey_schemas.PointsRule):
        if question.type == "multiple_choice":
            plain = [c.value for c in question.choices if not c.exclusive]
            positive = [v for v in plain if (rule.points.get(v) or 0) > 0]
            picked = [v for v in positive if rng.chance(quality)]
            if picked:
                return picked
            exclusive = [c.value for c in question.choices if c.exclusive]
            return [exclusive[0]] if exclusive else [rng.choice(plain)]
        values = question.answer_values
        if question.type == "yes_no_na" and rng.chance(0.08):
            return "na"
        scored = {v: rule.points.get(v) for v in values if rule.points.get(v) is not None}
        if not scored:
            return None
        best = max(scored.values())  # type: ignore[type-var]
        tops = [v for v, p in scored.items() if p == best]
        others = [v for v, p in scored.items() if p != best]
        if not good and others:
            return rng.choice(others)
        return rng.choice(tops)
    return None


def _summary_line(session: Session, current: Campaign, previous: Campaign) -> str:
    """One line: this year's national grade with its interval, last year's, the change."""
    data = results.barometer_data(session, current)
    years = [f"{year.year} : {_grade(year.national)}" for year in data.evolution]
    text = " ; ".join(years) if years else f"{current.year} : pas encore de note nationale"
    change = data.change
    if change is not None and change.estimate is not None:
        interval = ""
        if change.ci_low is not None and change.ci_high is not None:
            interval = f" [{_number(change.ci_low, True)} ; {_number(change.ci_high, True)}]"
        text += (
            f" ; évolution sur {previous.year} : {_number(change.estimate, True)}{interval}"
            f" ({change.shared_sites} sites communs)"
        )
    return (
        f"  Note nationale {text} ; {data.responding_sites} sites répondants sur "
        f"{data.sampled_sites}"
    )


def _number(value: float, signed: bool = False) -> str:
    return f"{value:+.2f}".replace(".", ",") if signed else f"{value:.2f}".replace(".", ",")


def _grade(figure: Any) -> str:
    if figure.estimate is None:
        return "—"
    if figure.ci_low is None or figure.ci_high is None:
        return f"{_number(figure.estimate)}/10"
    return f"{_number(figure.estimate)}/10 [{_number(figure.ci_low)} ; {_number(figure.ci_high)}]"
