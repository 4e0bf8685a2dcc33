"""The real processes under test: gunicorn (master and workers) and ``barometre scheduler``,
each started in its own process group so one ``SIGKILL`` takes the whole group down at
once, as a power cut or an OOM kill of the container would."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production deployment (README, Production) on this database."""
    env = dict(os.environ)
    env.update(
        BAROMETRE_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        BAROMETRE_INSTANCE_PATH=str(workdir / "instance"),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


class Group:
    """A command run in its own session (process group), its output in a log file."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.command = command
        self.env = dict(env)
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL to the whole group: no handler runs, nothing is flushed or released."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        """A clean stop (SIGTERM, then SIGKILL after 20 s) at the end of the run."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def gunicorn(database_url: str, workdir: Path, *, port: int, workers: int) -> Group:
    """gunicorn as the README starts it, on 127.0.0.1 only."""
    command = [
        str(VENV_BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "256",
        "server.app:create_app()",
    ]
    env = production_env(database_url, workdir)
    return Group("gunicorn", command, env, workdir / "gunicorn.log")


def wait_healthy(port: int, *, timeout: float = 60) -> float:
    """Seconds until ``GET /healthz`` answers 200; SystemExit after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise SystemExit(f"gunicorn ne répond pas sur le port {port} après {timeout:.0f} s.")


def scheduler(database_url: str, workdir: Path, *, smtp_port: int, lease_seconds: int) -> Group:
    """``barometre scheduler`` delivering to the local sink: every job each second, a short
    lease so a restarted process takes over soon after the killed one's lease expired."""
    env = production_env(
        database_url,
        workdir,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_STARTTLS="false",
        SMTP_TIMEOUT_SECONDS="5",
        SCHEDULER_INTERVAL_SECONDS="1",
        SCHEDULER_LEASE_SECONDS=str(lease_seconds),
        SCHEDULER_POLL_SECONDS="1",
        OUTBOX_RETRY_SECONDS="1",
        OUTBOX_RETRY_MAX_SECONDS="2",
        OUTBOX_MAX_ATTEMPTS="20",
        OUTBOX_BATCH="100",
    )
    command = [str(VENV_BIN / "barometre"), "scheduler"]
    return Group("scheduler", command, env, workdir / "scheduler.log")
