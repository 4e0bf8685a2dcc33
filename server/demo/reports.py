"""Work in progress for the demo investigators: drafts, submitted reports, one returned.

Why: a newcomer who logs in as an investigator should find what a real phone shows in the
middle of a wave (missions still to fill, a few drafts, reports sent, and one report the
coordinator returned for correction with a comment), and a coordinator should have reports
to read. Everything goes through the services the phone and the coordinator use
(``reports.save_draft`` and ``reports.submit``, ``photos.store_photo``,
``report_lifecycle.return_for_correction``), so the demo checks them end to end.

Answers are generated per question type from the demo seed, for the questionnaire version of
each mission, in questionnaire order so that skip logic holds (a hidden question is never
answered); they are checked with ``survey_schemas`` before being sent. Times lie inside the
mission's window (the wave is March–April 2026, long before "today"), visits are reported from
a position a few metres from the site. Client ids are UUID 5 of the mission id, and an
investigator who already has a report in the wave is left as they are: running the demo again
adds nothing.
"""

from __future__ import annotations

import hashlib
import io
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

import survey_schemas
from server.demo.frame import DemoRandom
from server.models import (
    InvestigatorProfile,
    Mission,
    MissionStatus,
    Questionnaire,
    Report,
    ReportStatus,
    Review,
    ReviewDecision,
    Role,
    SampledSite,
    User,
    Wave,
)
from server.services import photos, report_lifecycle, reports
from server.services.definitions import questionnaire_model

#: The coordinator's comment on the demo's one returned report (its waiting time is longer
#: than the visit itself, on purpose).
RETURN_COMMENT = (
    "La durée d’attente semble incohérente avec l’heure d’arrivée : merci de vérifier et de "
    "corriger."
)
#: How many investigators after the singled-out one also have work in progress.
OTHERS = 5
#: What the singled-out investigator has done: (state, channel), earliest windows first.
FEATURED_PLAN: tuple[tuple[str, str], ...] = (
    ("returned", "visit"),
    ("submitted", "visit"),
    ("submitted", "phone"),
    ("submitted", "website"),
    ("submitted", "visit"),
    ("draft", "visit"),
    ("draft", "phone"),
    ("draft", "email"),
)
#: Channels in the order another investigator's reports prefer them.
SUBMITTED_CHANNELS = ("visit", "phone", "website")
DRAFT_CHANNELS = ("phone", "visit", "email", "website")
#: Time between two tests of one investigator (travel, notes), and how far down a channel's
#: missions a free slot is looked for.
_BETWEEN = timedelta(minutes=30)
_CANDIDATES = 40
_NAMESPACE = uuid.UUID("5b1d0c3e-7f43-4d4b-9a55-2f0d6c1e8a90")
#: Minutes a test takes, by channel: (shortest, longest).
_DURATIONS = {"visit": (20, 45), "phone": (4, 12), "website": (8, 20), "email": (5, 10)}
_OBSERVATIONS = (
    "Accueil courtois, attente dans le calme.",
    "Agent disponible malgré l’affluence ; la borne à tickets était en panne.",
    "Signalétique intérieure peu visible depuis l’entrée.",
    "Échange rapide et précis, documentation remise sans la demander.",
    "Salle d’attente bondée en fin de matinée.",
)


@dataclass
class DemoWork:
    """What the demo investigators' reports are, after this step (counts over the wave)."""

    investigator: str | None = None
    drafts: int = 0
    submitted: int = 0
    returned: int = 0

    def summary(self) -> str:
        who = f" ; à essayer avec {self.investigator}" if self.investigator else ""
        return (
            f"  {self.drafts} brouillons, {self.submitted} rapports envoyés, "
            f"{self.returned} renvoyé pour correction{who}"
        )


def client_id(mission: Mission) -> str:
    """The demo report's client id: the same mission always gets the same one."""
    return str(uuid.uuid5(_NAMESPACE, f"demo-report:{mission.id}"))


def ensure_work_in_progress(
    session: Session, wave: Wave, coordinator: User, *, seed: int
) -> DemoWork:
    """Give the singled-out investigator and ``OTHERS`` more their reports (see the module)."""
    people = _investigators(session, wave)
    work = DemoWork(investigator=people[0].email if people else None)
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    maker = _Maker(session, seed, folder)
    for index, person in enumerate(people):
        if _has_reports(session, wave, person):
            continue  # built already (or the person has been using the demo): left as it is
        missions = session.scalars(
            select(Mission)
            .where(Mission.wave_id == wave.id, Mission.assignee_id == person.id)
            .where(Mission.status.in_((MissionStatus.ASSIGNED, MissionStatus.OVERDUE)))
            .options(joinedload(Mission.sampled_site).joinedload(SampledSite.site))
            .order_by(Mission.window_start, Mission.id)
        ).all()
        plan = FEATURED_PLAN if index == 0 else _other_plan(DemoRandom(seed * 1000 + index))
        for state, played in _pick(plan, missions, maker):
            maker.make(played, person, state, coordinator)
    counts = dict(
        session.execute(
            select(Report.status, func.count(Report.id))
            .join(Mission, Mission.id == Report.mission_id)
            .where(Mission.wave_id == wave.id, Report.investigator_id.in_([p.id for p in people]))
            .group_by(Report.status)
        ).all()
    )
    work.drafts = counts.get(ReportStatus.DRAFT, 0)
    work.submitted = counts.get(ReportStatus.SUBMITTED, 0)
    work.returned = counts.get(ReportStatus.RETURNED, 0)
    return work


def _investigators(session: Session, wave: Wave) -> list[User]:
    """The singled-out investigator (the first active one, by email, with visits in the wave)
    followed by the next ``OTHERS`` active ones with missions."""
    channels: dict[int, set[str]] = {}
    for assignee_id, channel in session.execute(
        select(Mission.assignee_id, Mission.channel)
        .where(Mission.wave_id == wave.id, Mission.assignee_id.is_not(None))
        .distinct()
    ):
        channels.setdefault(assignee_id, set()).add(channel)
    active = session.scalars(
        select(User)
        .join(InvestigatorProfile, InvestigatorProfile.user_id == User.id)
        .where(User.role == Role.INVESTIGATOR, User.active.is_(True))
        .where(InvestigatorProfile.active.is_(True))
        .order_by(User.email)
    ).all()
    working = [user for user in active if user.id in channels]
    featured = next((user for user in working if "visit" in channels[user.id]), None)
    if featured is None:
        return []
    start = working.index(featured)
    return [featured, *working[start + 1 : start + 1 + OTHERS]]


def _has_reports(session: Session, wave: Wave, person: User) -> bool:
    return (
        session.scalar(
            select(Report.id)
            .join(Mission, Mission.id == Report.mission_id)
            .where(Mission.wave_id == wave.id, Report.investigator_id == person.id)
            .limit(1)
        )
        is not None
    )


def _other_plan(rng: DemoRandom) -> list[tuple[str, str]]:
    submitted = [("submitted", c) for c in rng.sample(SUBMITTED_CHANNELS, rng.randint(1, 3))]
    drafts = [("draft", c) for c in rng.sample(DRAFT_CHANNELS, rng.randint(1, 2))]
    return submitted + drafts


@dataclass(frozen=True)
class _Played:
    """A mission, when it was played, and the random stream its answers continue."""

    mission: Mission
    rng: DemoRandom
    started: datetime
    ended: datetime


def _pick(
    plan: Sequence[tuple[str, str]], missions: Sequence[Mission], maker: _Maker
) -> list[tuple[str, _Played]]:
    """Each step of the plan on the earliest mission of its channel not taken yet that the
    investigator could play (not while playing another, with time to travel in between); a
    channel the investigator has no such mission of is skipped."""
    queues: dict[str, list[Mission]] = {}
    for mission in missions:
        queues.setdefault(mission.channel, []).append(mission)
    picked: list[tuple[str, _Played]] = []
    for state, channel in plan:
        queue = queues.get(channel, [])
        for position, mission in enumerate(queue[:_CANDIDATES]):
            played = maker.play(mission)
            if not any(
                played.started < other.ended + _BETWEEN and other.started < played.ended + _BETWEEN
                for _, other in picked
            ):
                picked.append((state, played))
                del queue[position]
                break
    return picked


class _Maker:
    """Builds one report of one mission through the phone's services."""

    def __init__(self, session: Session, seed: int, folder: Path) -> None:
        self.session = session
        self.seed = seed
        self.folder = folder
        self._questionnaires: dict[int, survey_schemas.Questionnaire] = {}

    def questionnaire(self, mission: Mission) -> survey_schemas.Questionnaire:
        key = mission.questionnaire_id
        assert key is not None, f"mission {mission.id} has no questionnaire"
        if key not in self._questionnaires:
            row = self.session.get(Questionnaire, key)
            assert row is not None
            self._questionnaires[key] = questionnaire_model(row)
        return self._questionnaires[key]

    def play(self, mission: Mission) -> _Played:
        """When the mission was played, from the demo seed and the mission alone."""
        digest = hashlib.sha256(f"{self.seed}:{mission.id}".encode()).digest()
        rng = DemoRandom(int.from_bytes(digest[:8], "big"))
        started, ended = _times(rng, mission)
        return _Played(mission, rng, started, ended)

    def make(self, played: _Played, person: User, state: str, coordinator: User) -> None:
        mission, rng, started, ended = played.mission, played.rng, played.started, played.ended
        questionnaire = self.questionnaire(mission)
        position = _near_site(rng, mission) if mission.channel == "visit" else None
        context = _Context(mission, started, ended, position, returned=state == "returned")
        answers = _answers(rng, questionnaire, context)
        site_today = datetime.now(ZoneInfo(mission.time_zone)).date()
        if state == "draft":
            answers = _partial(rng, questionnaire, answers)
            _check_draft(questionnaire, answers, site_today, mission)
            payload = reports.ReportPayload(
                client_id=client_id(mission),
                answers=answers,
                started_at=started,
                position=position,
            )
            reports.save_draft(self.session, mission, payload, actor=person)
            return
        photo_questions = {q.id for q in questionnaire.questions if q.type == "photo"}
        draft = reports.ReportPayload(
            client_id=client_id(mission),
            answers={k: v for k, v in answers.items() if k not in photo_questions},
            started_at=started,
            ended_at=ended,
            position=position,
        )
        report = reports.save_draft(self.session, mission, draft, actor=person)
        for question_id in [q for q in answers if q in photo_questions]:
            question = questionnaire.question(question_id)
            answers[question_id] = self._photos(rng, played, person, question)
        errors = survey_schemas.validate_answers(questionnaire, answers, today=site_today)
        if errors:
            raise RuntimeError(f"demo report of mission {mission.id} is invalid: {errors}")
        payload = reports.ReportPayload(
            client_id=client_id(mission),
            answers=answers,
            base_version=report.version,
            started_at=started,
            ended_at=ended,
            position=position,
        )
        report = reports.submit(self.session, mission, payload, actor=person)
        if state == "returned":
            self._return(report, coordinator)

    def _photos(
        self,
        rng: DemoRandom,
        played: _Played,
        person: User,
        question: survey_schemas.Question,
    ) -> list[str]:
        """One or two pictures, taken during the test, stored through the upload service; the
        answer is their ids."""
        mission = played.mission
        count = min(question.constraints.max_photos or 1, rng.randint(1, 2))
        zone = ZoneInfo(mission.time_zone)
        ids = []
        for number in range(count):
            moment = played.started + (played.ended - played.started) * rng.uniform(0.2, 0.9)
            moment = moment.replace(microsecond=0)
            data = _picture(rng, question.label, mission.site.name, number + 1)
            photo, _created = photos.store_photo(
                self.session,
                mission,
                data,
                folder=self.folder,
                actor=person,
                filename=f"IMG_{moment.astimezone(zone):%Y%m%d_%H%M%S}.jpg",
                question_id=question.id,
                taken_at=moment,
            )
            ids.append(str(photo.id))
        return ids

    def _return(self, report: Report, coordinator: User) -> None:
        report_lifecycle.return_for_correction(
            self.session, report, actor=coordinator, comment=RETURN_COMMENT
        )
        self.session.flush()
        self.session.expire(report, ["reviews"])
        # ``return_for_correction`` records its comment in the audit trail only: the review the
        # phone shows (``reports.latest_review``) is written here, unless the service did.
        if not any(r.decision == ReviewDecision.RETURN for r in report.reviews):
            self.session.add(
                Review(
                    report=report,
                    reviewer_id=coordinator.id,
                    decision=ReviewDecision.RETURN,
                    comment=RETURN_COMMENT,
                )
            )
            self.session.flush()


# --- times and places ---------------------------------------------------------------------


def _times(rng: DemoRandom, mission: Mission) -> tuple[datetime, datetime]:
    """A start and end inside the mission's window; a whole-day window (website, email) is
    played in office hours, local time."""
    low, high = _DURATIONS.get(mission.channel, (10, 20))
    minutes = rng.randint(low, high)
    first, last = mission.window_start, mission.window_end
    if last - first >= timedelta(hours=12):
        zone = ZoneInfo(mission.time_zone)
        day = first.astimezone(zone).date()
        first = max(first, datetime.combine(day, time(9, 0), tzinfo=zone))
        last = min(last, datetime.combine(day, time(18, 0), tzinfo=zone))
    elif mission.channel == "visit":
        first += timedelta(minutes=15)  # nobody walks in at the very start of the slot
    span = int((last - first).total_seconds() // 60) - minutes
    start = first + timedelta(minutes=rng.randint(0, max(span, 0)))
    start = start.replace(second=0, microsecond=0)
    end = min(start + timedelta(minutes=minutes), mission.window_end)
    return start.astimezone(UTC), end.astimezone(UTC)


def _near_site(rng: DemoRandom, mission: Mission) -> reports.Position | None:
    """A phone's fix a few tens of metres from the site."""
    site = mission.site
    if site.latitude is None or site.longitude is None:
        return None
    distance = rng.uniform(5, 45)
    bearing = rng.uniform(0, 2 * math.pi)
    latitude = site.latitude + distance * math.cos(bearing) / 111_320
    longitude = site.longitude + distance * math.sin(bearing) / (
        111_320 * math.cos(math.radians(site.latitude))
    )
    return reports.Position(round(latitude, 6), round(longitude, 6), float(rng.randint(6, 30)))


def _picture(rng: DemoRandom, title: str, site: str, number: int) -> bytes:
    """A small JPEG standing for the investigator's photo (a sign with the question on it)."""
    image = Image.new("RGB", (480, 360), _colour(rng, 90, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, 440, 300), fill=_colour(rng, 215, 250), outline=(60, 60, 60), width=3)
    font = ImageFont.load_default(size=18)
    lines = [*_wrap(title, 36), "", *_wrap(site, 36), f"photo {number}"]
    for row, line in enumerate(lines[:9]):
        draw.text((56, 76 + 24 * row), line, fill=(30, 30, 30), font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _colour(rng: DemoRandom, low: int, high: int) -> tuple[int, int, int]:
    return (rng.randint(low, high), rng.randint(low, high), rng.randint(low, high))


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


# --- answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    mission: Mission
    started: datetime
    ended: datetime
    position: reports.Position | None
    #: The report the coordinator returns: its waiting time exceeds the visit's length.
    returned: bool = False

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.mission.time_zone))

    @property
    def minutes(self) -> int:
        return max(1, int((self.ended - self.started).total_seconds() // 60))


#: Probability of "oui" for the questions that open (or close) a whole branch.
_YES = {"v_site_ouvert": 0.97, "t_decroche": 0.85, "p_decroche": 0.85, "m_reponse_recue": 0.6}


def _answers(
    rng: DemoRandom, questionnaire: survey_schemas.Questionnaire, context: _Context
) -> dict[str, Any]:
    """A complete answer set, question after question, skipping hidden questions; photo
    questions get a placeholder, replaced by the stored photos' ids before submission."""
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if question.visible_if is not None and not survey_schemas.evaluate(
            question.visible_if, answers
        ):
            continue
        if not question.required and not rng.chance(0.9 if question.scoring else 0.4):
            continue
        value = _answer(rng, question, context)
        if value is not None:
            answers[question.id] = value
    return answers


def _answer(rng: DemoRandom, question: survey_schemas.Question, context: _Context) -> Any:
    kind, limits, qid = question.type, question.constraints, question.id
    if kind == "yes_no":
        if context.returned and qid == "v_site_ouvert":
            return "oui"
        return "oui" if rng.chance(_YES.get(qid, 0.8)) else "non"
    if kind == "yes_no_na":
        roll = rng.random()
        return "oui" if roll < 0.7 else "non" if roll < 0.9 else "na"
    if kind == "single_choice":
        values = question.answer_values
        weights = [0.55, 0.25, 0.12, 0.08, 0.05, 0.03][: len(values)] or [1.0]
        weights += [0.02] * (len(values) - len(weights))
        return values[_weighted(rng, weights)]
    if kind == "multiple_choice":
        plain = [c.value for c in question.choices if not c.exclusive]
        exclusive = [c.value for c in question.choices if c.exclusive]
        if exclusive and (not plain or rng.chance(0.15)):
            return [exclusive[0]]
        return rng.sample(plain, rng.randint(1, min(3, len(plain))))
    if kind in ("integer", "rings", "duration_minutes", "decimal"):
        return _number(rng, question, context)
    if kind in ("date", "time", "datetime"):
        moment = context.ended if limits.not_before else context.started
        local = context.local(moment)
        if kind == "date":
            return local.date().isoformat()
        if kind == "time":
            return local.strftime("%H:%M")
        return local.isoformat(timespec="seconds")
    if kind == "photo":
        return ["à-joindre"]
    if kind == "position":
        position = context.position
        if position is None:
            return None
        return {
            "latitude": position.latitude,
            "longitude": position.longitude,
            "accuracy": position.accuracy_m,
        }
    return _text(rng, question, context)


def _weighted(rng: DemoRandom, weights: Sequence[float]) -> int:
    target = rng.random() * sum(weights)
    for index, weight in enumerate(weights):
        target -= weight
        if target < 0:
            return index
    return len(weights) - 1


def _number(rng: DemoRandom, question: survey_schemas.Question, context: _Context) -> int:
    """Plausible counts and minutes (a waiting time shorter than the visit itself, but for
    the report the coordinator returns), inside the question's limits."""
    limits, qid = question.constraints, question.id
    if qid == "v_attente_minutes":
        value = (
            context.minutes + rng.randint(35, 60)
            if context.returned
            else rng.randint(0, max(0, context.minutes - 10))
        )
    elif qid == "t_duree_appel":
        value = context.minutes
    elif question.type == "rings":
        value = rng.randint(1, 8)
    elif question.type == "duration_minutes":
        value = rng.randint(0, 6)
    else:
        low = int(limits.min) if limits.min is not None else 0
        value = low + rng.randint(0, 2)
    if limits.min is not None:
        value = max(value, math.ceil(limits.min))
    if limits.max is not None:
        value = min(value, math.floor(limits.max))
    return value


def _text(rng: DemoRandom, question: survey_schemas.Question, context: _Context) -> str:
    site = context.mission.site
    email = site.email or "accueil@interieur.gouv.fr"
    candidates = {
        "t_numero": site.phone or "01 40 07 60 60",
        "m_adresse": email,
        "w_adresse_page": f"https://www.{email.split('@')[-1]}/",
        "l_adresse": ", ".join(
            part
            for part in (site.name, site.address, f"{site.postcode or ''} {site.city or ''}")
            if part and part.strip()
        ),
    }
    text = candidates.get(question.id) or rng.choice(_OBSERVATIONS)
    limit = question.constraints.max_length
    return text[:limit].strip() if limit is not None else text


def _partial(
    rng: DemoRandom, questionnaire: survey_schemas.Questionnaire, answers: dict[str, Any]
) -> dict[str, Any]:
    """A draft: the first questions of the form answered (photos not attached yet). An email
    or letter is saved when it goes out: its draft stops before the reply questions."""
    questions = list(questionnaire.questions)
    for index, question in enumerate(questions):
        if isinstance(question.scoring, survey_schemas.DelayRule):
            condition = question.visible_if
            opened_by = set(survey_schemas.references(condition)) if condition else set()
            cut = min([index, *(i for i, q in enumerate(questions) if q.id in opened_by)])
            return {
                q.id: answers[q.id]
                for q in questions[:cut]
                if q.id in answers and q.type != "photo"
            }
    order = [q.id for q in questions if q.id in answers and q.type != "photo"]
    keep = max(1, round(len(order) * rng.uniform(0.3, 0.7)))
    return {qid: answers[qid] for qid in order[:keep]}


def _check_draft(
    questionnaire: survey_schemas.Questionnaire,
    answers: dict[str, Any],
    today: date,
    mission: Mission,
) -> None:
    """A draft may miss answers, nothing else: every answer is to a question shown, and the
    only errors full validation finds are the missing required answers."""
    shown = set(survey_schemas.visible_question_ids(questionnaire, answers))
    hidden = [qid for qid in answers if qid not in shown]
    errors = survey_schemas.validate_answers(questionnaire, answers, today=today)
    wrong = {qid: e for qid, e in errors.items() if qid in answers}
    if hidden or wrong:
        raise RuntimeError(f"demo draft of mission {mission.id}: hidden {hidden}, errors {wrong}")
