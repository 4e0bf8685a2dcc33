"""Load of the phones' writes: report saves and submits at 50 concurrent clients on gunicorn
and PostgreSQL, against a bare endpoint of the same app measured in the same run.

Run: .venv/bin/python benchmarks/load.py [--database-url URL] [--clients 50] [--seconds 20]
     [--workers 4] [--think SECONDS] [--pages]
The database is ``--database-url``, else ``SOAK_DATABASE_URL``, else ``TEST_DATABASE_URL``
(PostgreSQL; **emptied first**). gunicorn is started as the README's Production section does,
on 127.0.0.1. Three phases, each with ``--clients`` threads sending as fast as answers come
back (one connection per request, as gunicorn's sync workers close it):
  bare    ``GET /healthz`` (a ``SELECT 1``): what the stack costs with no work of ours;
  save    ``PUT /missions/{id}/report``, each a real write (new answers over the current
          version, so the version goes up), for ``--seconds``;
  submit  ``POST /missions/{id}/report/submit`` of every mission once (validation, scoring,
          fingerprint, mission done).
Printed: requests, throughput (requests/s) and its ratio to the bare endpoint (target ≥ 50 %),
p50 / p99 latency (target p99 < 100 ms for a save), errors. With no pause (the default, the
throughput measure) every client waits in gunicorn's queue, so a latency is about clients /
throughput (Little's law) whatever the server's own time; ``--think`` makes each client pause
between requests, as a phone does, for the latency a user would notice. Figures only,
nothing asserted: on a shared machine they move with the neighbours' load. ``--pages`` then
runs ``benchmarks/pages.py`` (the coordinator's heaviest pages), if it exists, in its own
process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Standalone run: make the repository importable (ruff allows imports after sys.path edits).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.soak import processes
from benchmarks.soak.seed import PlannedReport, reset_database, seed_reports, valid_answers

ROOT = Path(__file__).resolve().parents[1]
#: A request: (method, path, body or None, bearer token or None).
Request = tuple[str, str, dict[str, Any] | None, str | None]


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, elapsed: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies.append(elapsed)
            else:
                self.errors[error] = self.errors.get(error, 0) + 1

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _send(port: int, request: Request) -> tuple[int, dict[str, Any]]:
    method, path, body, token = request
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    return response.status, (json.loads(raw) if raw else {})


#: What a client thread does: the next request (None: done), and what to do with a 200's body.
Work = tuple[Callable[[], Request | None], Callable[[dict[str, Any]], None] | None]


def _run(phase: Phase, port: int, work: list[Work], until: float, think: float = 0) -> None:
    """One thread per item of ``work``, each sending its next request as soon as the previous
    one was answered (after ``think`` seconds ± 50 % when given), until it has none or
    ``until`` (monotonic) has passed."""

    def client(next_request: Callable[[], Request | None], answered: Any) -> None:
        pause = random.Random(id(next_request))
        while time.monotonic() < until:
            if think:
                time.sleep(think * pause.uniform(0.5, 1.5))
            request = next_request()
            if request is None:
                return
            started = time.perf_counter()
            try:
                status, answer = _send(port, request)
            except (OSError, http.client.HTTPException) as error:
                phase.record(0, type(error).__name__)
                continue
            phase.record(time.perf_counter() - started, None if status == 200 else f"HTTP {status}")
            if answered is not None and status == 200:
                answered(answer)

    threads = [threading.Thread(target=client, args=w, daemon=True) for w in work]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.monotonic() - started


class Investigator:
    """One phone's missions: drafts rewritten in turn (save), then each submitted once."""

    def __init__(self, plans: list[PlannedReport], answers: dict[str, Any]) -> None:
        self.plans = plans
        self.answers = answers
        self.keys = list(answers)
        self.versions: dict[int, int | None] = {p.mission_id: None for p in plans}
        self.turn = 0
        self.submitted = 0
        ended = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
        self.times = {
            "started_at": (ended - timedelta(minutes=25)).isoformat(),
            "ended_at": ended.isoformat(),
        }

    def save(self) -> Request:
        plan = self.plans[self.turn % len(self.plans)]
        self.turn += 1
        # Between a third and all of the answers: other content than the server's each time.
        size = len(self.keys) // 3 + self.turn % (len(self.keys) - len(self.keys) // 3)
        answers = {key: self.answers[key] for key in self.keys[:size]}
        self._last = plan.mission_id
        body = {
            "client_id": plan.client_id,
            "answers": answers,
            "base_version": self.versions[plan.mission_id],
            **self.times,
        }
        return "PUT", f"/api/v1/missions/{plan.mission_id}/report", body, plan.token

    def saved(self, answer: dict[str, Any]) -> None:
        self.versions[self._last] = answer["version"]

    def submit(self) -> Request | None:
        if self.submitted == len(self.plans):
            return None
        plan = self.plans[self.submitted]
        self.submitted += 1
        body = {
            "client_id": plan.client_id,
            "answers": self.answers,
            "base_version": self.versions[plan.mission_id],
            **self.times,
        }
        return "POST", f"/api/v1/missions/{plan.mission_id}/report/submit", body, plan.token


def _print(
    phase: Phase, bare: Phase | None, *, target_p99: float | None = None, paced: bool = False
) -> None:
    """One row; the throughput target is judged only when clients do not pause (``paced``:
    then the clients, not the server, set the rate)."""
    ratio = f"{phase.throughput / bare.throughput:6.0%}" if bare and bare.throughput else "     –"
    p99 = phase.quantile(0.99) * 1000
    verdict = ""
    if target_p99 is not None:
        verdict = "  p99 PASS" if p99 < target_p99 else "  p99 FAIL"
    if bare is not None and not paced:
        verdict += (
            "  débit PASS"
            if bare.throughput and phase.throughput >= 0.5 * bare.throughput
            else "  débit FAIL"
        )
    errors = ", ".join(f"{k} {v}" for k, v in phase.errors.items()) or "0"
    print(
        f"{phase.name:<7} {len(phase.latencies):>7} {phase.throughput:>9.1f} {ratio:>7} "
        f"{phase.quantile(0.5) * 1000:>8.1f} {p99:>8.1f}   {errors}{verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SOAK_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"),
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--seconds", type=float, default=20, help="length of the bare and save phases"
    )
    parser.add_argument("--missions", type=int, default=4, help="missions per client")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--think",
        type=float,
        default=0,
        help="seconds a client waits between its requests (0: as fast as answers come, the "
        "throughput measure; a phone saves every few seconds at most)",
    )
    parser.add_argument("--pages", action="store_true", help="then run benchmarks/pages.py")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or SOAK_DATABASE_URL (PostgreSQL, emptied first)")
    reset_database(args.database_url)
    plans = seed_reports(
        args.database_url,
        reports=args.clients * args.missions,
        clients=args.clients,
        seed=args.seed,
    )
    answers = valid_answers()
    workdir = Path(tempfile.mkdtemp(prefix="barometre-load-"))
    port = processes.free_port()
    server = processes.gunicorn(args.database_url, workdir, port=port, workers=args.workers)
    server.start()
    try:
        processes.wait_healthy(port)
        people = [Investigator(plan, answers) for plan in plans]
        bare = Phase("bare")
        health: Request = ("GET", "/healthz", None, None)
        _run(
            bare,
            port,
            [(lambda: health, None) for _ in people],
            time.monotonic() + args.seconds,
            args.think,
        )
        save = Phase("save")
        _run(
            save,
            port,
            [(p.save, p.saved) for p in people],
            time.monotonic() + args.seconds,
            args.think,
        )
        submit = Phase("submit")
        _run(submit, port, [(p.submit, None) for p in people], time.monotonic() + 600, args.think)
    finally:
        server.stop()
    print(
        f"{args.clients} clients (pause {args.think:g} s), gunicorn {args.workers} workers "
        "(sync), PostgreSQL; "
        f"journal : {workdir / 'gunicorn.log'}"
    )
    header = ("phase", "requêtes", "req/s", "/bare", "p50 ms", "p99 ms")
    print("{:<7} {:>7} {:>9} {:>7} {:>8} {:>8}   erreurs".format(*header))
    _print(bare, None)
    _print(save, bare, target_p99=100, paced=bool(args.think))
    _print(submit, bare, paced=bool(args.think))
    if args.pages:
        pages = ROOT / "benchmarks" / "pages.py"
        if not pages.exists():
            print("benchmarks/pages.py absent : --pages ignoré")
        else:
            print("==> benchmarks/pages.py")
            return subprocess.call([sys.executable, str(pages)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
