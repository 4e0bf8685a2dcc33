"""``GET /healthz``: is this worker up and can it reach the database?

For a reverse proxy or an orchestrator's probe, and the bare endpoint of the load benchmark
(``benchmarks/load.py``): public, no login, no cookie session read or written, one
``SELECT 1`` on a pooled connection and a tiny JSON answer.
"""

from __future__ import annotations

import logging

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server.extensions import db

logger = logging.getLogger("barometre.health")

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """``{"status": "ok"}`` (200) once the database answered; 503 with a French message
    otherwise, so a proxy stops sending traffic to this worker."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        logger.error("healthz : base de données injoignable : %s", error)
        return {
            "status": "indisponible",
            "message": "Base de données injoignable : vérifiez DATABASE_URL et le serveur.",
        }, 503
    return {"status": "ok"}, 200
