"""Goal A, reports: phones submitting through gunicorn while it is SIGKILLed, then every
report checked in the database."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.soak import processes
from benchmarks.soak.phones import Phone, Tally
from benchmarks.soak.seed import PlannedReport, app_context, seed_reports, valid_answers
from server.extensions import db
from server.models import AuditEvent, Mission, MissionStatus, Report, ReportStatus


@dataclass(frozen=True)
class ReportFigures:
    planned: int
    acknowledged: int
    stored: int
    duplicated: int
    lost: int
    half_written: int
    unacknowledged: int
    retries: int
    kills: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def run(
    database_url: str,
    workdir: Path,
    *,
    reports: int,
    clients: int,
    kills: int,
    workers: int,
    seed: int,
    deadline_seconds: float,
) -> ReportFigures:
    started = time.monotonic()
    plans = seed_reports(database_url, reports=reports, clients=clients, seed=seed)
    answers = valid_answers()
    print(
        f"  données : {reports} missions, {clients} enquêteurs ({time.monotonic() - started:.1f} s)"
    )
    port = processes.free_port()
    server = processes.gunicorn(database_url, workdir, port=port, workers=workers)
    server.start()
    processes.wait_healthy(port)
    tally = Tally()
    deadline = time.monotonic() + deadline_seconds
    phones = [
        Phone(
            plan, port=port, answers=answers, tally=tally, seed=seed * 1000 + n, deadline=deadline
        )
        for n, plan in enumerate(plans)
    ]
    running = time.monotonic()
    for phone in phones:
        phone.start()
    try:
        restarts = _kill_during(server, tally, total=reports, kills=kills, port=port, phones=phones)
        for phone in phones:
            phone.join(max(0.0, deadline - time.monotonic()) + 30)
    finally:
        server.stop()
    elapsed = time.monotonic() - running
    figures = _check(database_url, [p for plan in plans for p in plan], tally, server.kills)
    _print(figures, tally, elapsed, restarts)
    return figures


def _kill_during(
    server: processes.Group, tally: Tally, *, total: int, kills: int, port: int, phones: list[Phone]
) -> list[float]:
    """SIGKILL the gunicorn group when ``k / (kills + 1)`` of the reports are acknowledged,
    for k = 1…kills, and restart it at once; the seconds each restart took to answer."""
    restarts: list[float] = []
    for k in range(1, kills + 1):
        threshold = total * k // (kills + 1)
        while len(tally.acknowledged) < threshold and any(p.is_alive() for p in phones):
            time.sleep(0.01)
        if not any(p.is_alive() for p in phones):
            break
        server.kill()
        print(
            f"  SIGKILL n° {k} du groupe gunicorn après {len(tally.acknowledged)} envois acquittés"
        )
        server.start()
        restarts.append(processes.wait_healthy(port))
    return restarts


def _check(
    database_url: str, planned: list[PlannedReport], tally: Tally, kills: int
) -> ReportFigures:
    problems: list[str] = []
    by_client = {p.client_id: p for p in planned}
    with app_context(database_url):
        session = db.session
        rows = session.scalars(select(Report)).all()
        per_mission = Counter(r.mission_id for r in rows)
        submit_events: dict[str | None, int] = dict(
            session.execute(  # type: ignore[arg-type]
                select(AuditEvent.entity_id, func.count())
                .where(AuditEvent.action == "report.submit", AuditEvent.entity_type == "Report")
                .group_by(AuditEvent.entity_id)
            ).all()
        )
        missions = {m.id: m for m in session.scalars(select(Mission)).all()}
        stored = 0
        half = 0
        for report in rows:
            plan = by_client.get(report.client_id)
            if plan is None or plan.mission_id != report.mission_id:
                problems.append(f"rapport n° {report.id} inattendu ({report.client_id})")
                continue
            if report.status != ReportStatus.SUBMITTED:
                continue
            stored += 1
            missing = [
                name
                for name in ("answers", "started_at", "ended_at", "submitted_at", "scores")
                if not getattr(report, name)
            ]
            if report.submitted_fingerprint is None:
                missing.append("submitted_fingerprint")
            if missions[report.mission_id].status != MissionStatus.DONE:
                missing.append(
                    "mission encore « " + missions[report.mission_id].status.value + " »"
                )
            if submit_events.get(str(report.id), 0) != 1:
                missing.append(f"{submit_events.get(str(report.id), 0)} événements d’envoi")
            if missing:
                half += 1
                problems.append(f"rapport n° {report.id} incomplet : {', '.join(missing)}")
        duplicated = sum(count - 1 for count in per_mission.values() if count > 1)
        submitted = {r.client_id for r in rows if r.status == ReportStatus.SUBMITTED}
        lost = len(tally.acknowledged - submitted)
        unacknowledged = len(set(by_client) - tally.acknowledged)
    if duplicated:
        problems.append(f"{duplicated} rapports en double")
    if lost:
        problems.append(f"{lost} envois acquittés mais absents de la base")
    if unacknowledged:
        problems.append(f"{unacknowledged} rapports jamais acquittés : {tally.gave_up[:5]}")
    server_errors = sum(n for cause, n in tally.retry_causes.items() if cause.startswith("HTTP 5"))
    if server_errors:
        problems.append(
            f"{server_errors} réponses 5xx (voir gunicorn.log dans le dossier des journaux)"
        )
    problems.extend(tally.refused[:20])
    return ReportFigures(
        planned=len(planned),
        acknowledged=len(tally.acknowledged),
        stored=stored,
        duplicated=duplicated,
        lost=lost,
        half_written=half,
        unacknowledged=unacknowledged,
        retries=tally.retries,
        kills=kills,
        problems=problems,
    )


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f} ms"


def _print(figures: ReportFigures, tally: Tally, elapsed: float, restarts: list[float]) -> None:
    print(
        f"  rapports : prévus {figures.planned}, acquittés {figures.acknowledged}, "
        f"en base {figures.stored}, en double {figures.duplicated}, perdus {figures.lost}, "
        f"à moitié écrits {figures.half_written}, jamais acquittés {figures.unacknowledged}"
    )
    causes = ", ".join(f"{cause} {n}" for cause, n in tally.retry_causes.most_common()) or "aucune"
    print(f"  requêtes {tally.requests}, nouvelles tentatives {figures.retries} ({causes})")
    restart = ", ".join(f"{s:.1f} s" for s in restarts) or "–"
    print(f"  SIGKILL de gunicorn : {figures.kills} (redémarrage jusqu’à /healthz : {restart})")
    for kind, values in tally.latencies.items():
        mean = statistics.fmean(values) * 1000 if values else 0
        print(
            f"  {kind} : {len(values)} réponses, p50 {_ms(values, 0.5)}, p99 {_ms(values, 0.99)}, "
            f"moyenne {mean:.0f} ms"
        )
    print(f"  durée des envois : {elapsed:.1f} s ({figures.acknowledged / elapsed:.1f} rapports/s)")
