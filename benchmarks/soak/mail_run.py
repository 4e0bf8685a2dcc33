"""Goal A, mail: ``barometre scheduler`` delivering a full outbox to a real SMTP server on
127.0.0.1 (aiosmtpd) while it is SIGKILLed mid-delivery and restarted; then every message
counted at the sink by its ``Message-ID``."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from benchmarks.soak import processes
from benchmarks.soak.seed import app_context, seed_outbox
from server.extensions import db
from server.models import OutboxMessage, OutboxStatus


class Sink:
    """aiosmtpd handler that counts every accepted message by its Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()
        #: Message-IDs in the order they arrived.
        self.order: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message_id = message_from_bytes(envelope.content)["Message-ID"] or "?"
        with self.lock:
            self.received[message_id] += 1
            self.order.append(message_id)
        return "250 Message accepted for delivery"

    def total(self) -> int:
        with self.lock:
            return len(self.order)

    def last(self) -> str | None:
        with self.lock:
            return self.order[-1] if self.order else None


@dataclass(frozen=True)
class MailFigures:
    queued: int
    received: int
    distinct: int
    duplicated: int
    #: Left ``in_doubt`` by a kill after the final dot, each received exactly once.
    in_doubt: int
    missing: int
    kills: int
    seconds: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def run(
    database_url: str,
    workdir: Path,
    *,
    messages: int,
    kills: int,
    lease_seconds: int,
    timeout: float,
    seed: int = 12,
) -> MailFigures:
    """Queue ``messages``, start the scheduler, SIGKILL it ``kills`` times and restart it.

    Odd kills fall right after the sink accepted a message (within a few ms: the worst
    moment, while the scheduler commits the sent mark); even ones a random 0–50 ms later,
    anywhere in the next deliveries (claim, SMTP dialogue, final dot, sent mark).
    """
    keys = seed_outbox(database_url, messages=messages)
    sink = Sink()
    smtp_port = processes.free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    scheduler = processes.scheduler(
        database_url, workdir, smtp_port=smtp_port, lease_seconds=lease_seconds
    )
    rng = random.Random(seed)
    started = time.monotonic()
    last_before_kill: list[str | None] = []
    scheduler.start()
    try:
        for k in range(1, kills + 1):
            threshold = messages * k // (kills + 1)
            while sink.total() < threshold and time.monotonic() - started < timeout:
                time.sleep(0.002)
            if k % 2 == 0:
                time.sleep(rng.uniform(0, 0.05))  # anywhere in the next messages' delivery
            scheduler.kill()
            last_before_kill.append(sink.last())
            print(f"  SIGKILL n° {k} du planificateur après {sink.total()} messages reçus")
            scheduler.start()
        with app_context(database_url):
            while time.monotonic() - started < timeout and _pending():
                time.sleep(0.5)
        seconds = time.monotonic() - started
    finally:
        scheduler.stop()
        controller.stop()
    return _check(database_url, keys, sink, last_before_kill, seconds)


#: Still to be delivered or recovered by the scheduler (``in_doubt`` waits for a person).
UNFINISHED = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FINALISING)


def _pending() -> int:
    """Messages the scheduler has still to settle (a statement of its own: it sees every
    commit so far)."""
    count = db.session.scalar(select(func.count()).where(OutboxMessage.status.in_(UNFINISHED)))
    db.session.rollback()
    return int(count or 0)


def _check(
    database_url: str,
    keys: list[str],
    sink: Sink,
    last_before_kill: list[str | None],
    seconds: float,
) -> MailFigures:
    """Every queued message received exactly once, and marked sent or in doubt.

    Any duplicate fails the run: the outbox sends nothing twice (``server.services.outbox``).
    A message ``in_doubt`` (the scheduler was killed after the final dot of its DATA, before
    the sent mark) is fine when the sink received it once; in doubt and never received is a
    lost message, and fails too (the outbox would leave it to a coordinator, but the final
    dot is written right after its commit: a kill in between should be all but impossible).
    """
    problems: list[str] = []
    kills = len(last_before_kill)
    with app_context(database_url):
        rows = db.session.scalars(select(OutboxMessage)).all()
        statuses = Counter(row.status for row in rows)
        ids = {f"<outbox-{row.id}@localhost>": row for row in rows}
        attempts = Counter(row.attempts for row in rows)
    missing = [mid for mid in ids if sink.received[mid] == 0]
    duplicated = {mid: n for mid, n in sink.received.items() if n > 1}
    strangers = [mid for mid in sink.received if mid not in ids]
    doubtful = [mid for mid, row in ids.items() if row.status == OutboxStatus.IN_DOUBT]
    if missing:
        problems.append(f"{len(missing)} messages jamais reçus, dont {missing[:5]}")
    for mid, count in sorted(duplicated.items()):
        row = ids.get(mid)
        problems.append(
            f"{mid} reçu {count} fois (tentatives {row.attempts if row else '?'}, "
            f"état {row.status.value if row else '?'})"
        )
    for mid in doubtful:
        row = ids[mid]
        print(
            f"  envoi incertain (SIGKILL après le point final) : {mid}, reçu "
            f"{sink.received[mid]} fois, tentatives {row.attempts}"
            + (", dernier reçu avant un SIGKILL" if mid in last_before_kill else "")
        )
    if strangers:
        problems.append(f"{len(strangers)} messages reçus inconnus de la boîte d’envoi")
    settled = statuses.get(OutboxStatus.SENT, 0) + len(doubtful)
    if settled != len(rows):
        problems.append(f"états en base : { {s.value: n for s, n in statuses.items()} }")
    figures = MailFigures(
        queued=len(keys),
        received=sink.total(),
        distinct=len(sink.received),
        duplicated=sum(n - 1 for n in duplicated.values()),
        in_doubt=len(doubtful),
        missing=len(missing),
        kills=kills,
        seconds=seconds,
        problems=problems,
    )
    print(
        f"  courriels : en file {figures.queued} (boîte d’envoi : {len(rows)}), reçus "
        f"{figures.received}, distincts {figures.distinct}, en double {figures.duplicated}, "
        f"incertains {figures.in_doubt} (reçus une fois chacun sinon échec), "
        f"manquants {figures.missing}; tentatives par message {dict(sorted(attempts.items()))}"
    )
    print(f"  SIGKILL du planificateur : {kills}, tout réglé en {seconds:.1f} s")
    return figures
