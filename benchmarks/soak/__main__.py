"""``python -m benchmarks.soak``: the crash-safety soak; exit 1 when a check fails.

The database given is emptied first (like the test suite's): never point it at real data.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.soak import mail_run, reports_run
from benchmarks.soak.seed import reset_database

#: (reports, clients, gunicorn kills, messages, scheduler kills)
LONG = (1000, 50, 2, 1000, 2)
SHORT = (50, 50, 2, 100, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("SOAK_DATABASE_URL"))
    parser.add_argument("--short", action="store_true", help="la version bornée (scripts/test)")
    parser.add_argument("--reports", type=int)
    parser.add_argument("--clients", type=int)
    parser.add_argument("--kills", type=int, help="SIGKILL de gunicorn")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--scheduler-kills", type=int)
    parser.add_argument("--workers", type=int, default=4, help="workers gunicorn")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--only", choices=("reports", "mail"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("donnez --database-url ou SOAK_DATABASE_URL (PostgreSQL, vidée au départ)")
    reports, clients, kills, messages, scheduler_kills = SHORT if args.short else LONG
    workdir = Path(tempfile.mkdtemp(prefix="barometre-soak-"))
    started = time.monotonic()
    print(f"==> Soak {'court' if args.short else 'long'} (journaux gardés si échec : {workdir})")
    reset_database(args.database_url)
    ok = True
    if args.only in (None, "reports"):
        print("==> Rapports : téléphones contre gunicorn tué par SIGKILL")
        figures = reports_run.run(
            args.database_url,
            workdir,
            reports=args.reports or reports,
            clients=args.clients or clients,
            kills=kills if args.kills is None else args.kills,
            workers=args.workers,
            seed=args.seed,
            deadline_seconds=1800 if not args.short else 150,
        )
        ok &= _verdict(figures.problems)
    if args.only in (None, "mail"):
        print("==> Courriels : planificateur tué par SIGKILL pendant l’envoi")
        mail = mail_run.run(
            args.database_url,
            workdir,
            messages=args.messages or messages,
            kills=scheduler_kills if args.scheduler_kills is None else args.scheduler_kills,
            lease_seconds=2,
            timeout=600 if not args.short else 120,
        )
        ok &= _verdict(mail.problems)
    print(f"==> Soak terminé en {time.monotonic() - started:.0f} s : {'OK' if ok else 'ÉCHEC'}")
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)  # the logs are kept only when a check failed
    return 0 if ok else 1


def _verdict(problems: list[str]) -> bool:
    for problem in problems:
        print(f"  ÉCHEC : {problem}", file=sys.stderr)
    return not problems


if __name__ == "__main__":
    sys.exit(main())
