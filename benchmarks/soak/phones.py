"""Phones replaying their writes as ``server/static/js/sync.js`` does: a draft ``PUT``, then
the submit ``POST``, each re-sent with the same ``client_id`` after a connection error, a
timeout or a 5xx, with a growing back-off; ``client_time`` is the phone's clock at each send."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.soak.seed import PlannedReport

#: sync.js waits 5, 15, 30, 60 s; the soak keeps the shape, ten times faster, with jitter.
BACKOFF_SECONDS = (0.5, 1.5, 3.0, 6.0)


@dataclass
class Tally:
    """What the phones saw, shared by all their threads (under ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: set[str] = field(default_factory=set)
    requests: int = 0
    retries: int = 0
    #: Why a request was re-sent: connection error, timeout, HTTP 5xx…
    retry_causes: Counter[str] = field(default_factory=Counter)
    #: Answers a phone could not settle by retrying (4xx other than expected): bugs.
    refused: list[str] = field(default_factory=list)
    #: Latencies of the requests that got an answer, by kind (seconds).
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"save": [], "submit": []})
    gave_up: list[str] = field(default_factory=list)


class Phone(threading.Thread):
    """One investigator's phone sending its reports one after the other."""

    def __init__(
        self,
        plans: list[PlannedReport],
        *,
        port: int,
        answers: dict[str, Any],
        tally: Tally,
        seed: int,
        deadline: float,
        timeout: float = 20,
    ) -> None:
        super().__init__(daemon=True)
        self.plans = plans
        self.port = port
        self.answers = answers
        self.tally = tally
        self.rng = random.Random(seed)
        self.deadline = deadline
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def run(self) -> None:
        for plan in self.plans:
            self._report(plan)

    def _report(self, plan: PlannedReport) -> None:
        ended = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
        body: dict[str, Any] = {
            "client_id": plan.client_id,
            "started_at": (ended - timedelta(minutes=25)).isoformat(),
            "ended_at": ended.isoformat(),
            "position": {"latitude": 48.11, "longitude": -1.68, "accuracy_m": 12.0},
        }
        keys = list(self.answers)
        draft = {key: self.answers[key] for key in keys[: len(keys) // 2]}
        path = f"/api/v1/missions/{plan.mission_id}/report"
        saved = self._send("save", "PUT", path, {**body, "answers": draft}, plan)
        if saved is None:
            return
        final = {**body, "answers": self.answers, "base_version": saved["version"]}
        if self._send("submit", "POST", path + "/submit", final, plan) is not None:
            with self.tally.lock:
                self.tally.acknowledged.add(plan.client_id)

    def _send(
        self, kind: str, method: str, path: str, body: dict[str, Any], plan: PlannedReport
    ) -> dict[str, Any] | None:
        """The answer's JSON once the server answered 200; None when refused or past the
        deadline (both recorded)."""
        attempt = 0
        while True:
            if attempt:
                with self.tally.lock:
                    self.tally.retries += 1
                pause = BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)]
                time.sleep(pause * self.rng.uniform(0.5, 1.5))
            if time.monotonic() > self.deadline:
                with self.tally.lock:
                    self.tally.gave_up.append(f"{plan.client_id} ({kind})")
                return None
            attempt += 1
            payload = {**body, "client_time": datetime.now(UTC).isoformat()}
            started = time.perf_counter()
            try:
                status, answer = self._request(method, path, payload, plan.token)
            except TimeoutError:
                self._retry("délai dépassé")
                continue
            except (OSError, http.client.HTTPException) as error:
                self._retry(f"connexion ({type(error).__name__})")
                continue
            elapsed = time.perf_counter() - started
            if status >= 500:
                self._retry(f"HTTP {status}")
                continue
            with self.tally.lock:
                self.tally.requests += 1
                self.tally.latencies[kind].append(elapsed)
            if status == 200:
                return answer
            with self.tally.lock:
                self.tally.refused.append(
                    f"{method} {path} ({plan.client_id}) : HTTP {status} {answer.get('message')}"
                )
            return None

    def _retry(self, cause: str) -> None:
        self._close()
        with self.tally.lock:
            self.tally.requests += 1
            self.tally.retry_causes[cause] += 1

    def _request(
        self, method: str, path: str, payload: dict[str, Any], token: str
    ) -> tuple[int, dict[str, Any]]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=self.timeout
            )
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection.request(method, path, json.dumps(payload), headers)
        response = self.connection.getresponse()
        raw = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self._close()
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {"message": raw[:200].decode("utf-8", "replace")}
        return response.status, answer

    def _close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
