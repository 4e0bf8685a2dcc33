"""HTML pages, one blueprint per audience: sign-in, coordinator, analyst, investigator, admin."""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from server.models import ROLE_LABELS, Role

HOME_ENDPOINTS = {
    Role.ADMIN: "admin.home",
    Role.COORDINATOR: "coordinator.home",
    Role.ANALYST: "analyst.home",
    Role.INVESTIGATOR: "investigator.missions",
}


def home_url_for(role: Role) -> str:
    return url_for(HOME_ENDPOINTS[role])


def register(app: Flask) -> None:
    from server.web.admin import account_routes  # noqa: F401
    from server.web.admin.routes import bp as admin_bp
    from server.web.analyst import results_routes  # noqa: F401
    from server.web.analyst.routes import bp as analyst_bp
    from server.web.auth.routes import bp as auth_bp
    from server.web.coordinator import (  # noqa: F401
        frame_routes,
        investigator_routes,
        mission_routes,
        outbox_routes,
        review_routes,
        sample_routes,
        scenario_routes,
        wave_routes,
    )
    from server.web.coordinator.routes import bp as coordinator_bp
    from server.web.health import bp as health_bp
    from server.web.investigator import offline  # noqa: F401
    from server.web.investigator.routes import bp as investigator_bp

    for blueprint in (auth_bp, coordinator_bp, analyst_bp, investigator_bp, admin_bp, health_bp):
        app.register_blueprint(blueprint)

    @app.route("/")
    def index() -> Response:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return redirect(home_url_for(current_user.role))

    @app.context_processor
    def _labels() -> dict[str, object]:
        return {"ROLE_LABELS": ROLE_LABELS, "Role": Role}

    @app.template_filter("nombre")
    def _nombre(value: float | int | None, decimals: int = 0) -> str:
        """French number format: narrow no-break space for thousands, decimal comma."""
        if value is None:
            return "–"
        text = f"{value:,.{decimals}f}"
        return text.replace(",", "\u202f").replace(".", ",")

    @app.template_filter("pourcentage")
    def _pourcentage(value: float | None, decimals: int = 0) -> str:
        """A share in [0, 1] as a French percentage: « 41,7 % » (narrow no-break space)."""
        if value is None:
            return "–"
        return f"{_nombre(value * 100, decimals)}\u202f%"
