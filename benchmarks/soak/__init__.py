"""Crash-safety soak (issue 12): real gunicorn, PostgreSQL, SMTP and scheduler processes,
killed with SIGKILL while they work, then checked against the database.

Run through ``scripts/soak`` (``--short`` for the bounded run ``scripts/test`` makes);
``python -m benchmarks.soak --help`` for the knobs. Not collected by pytest: it drives
separate processes for minutes and prints figures rather than asserting timings.
"""
