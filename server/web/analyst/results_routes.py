"""The analyst's results: the barometer's dashboard with its charts, the site ranking, and
each site's printable scorecard. Every figure comes from ``server.services.results`` (the one
pipeline the workbook and the open data read too)."""

from __future__ import annotations

from flask import abort, current_app, render_template, request

from exports.barometer_data import BarometerData, Figure
from server.auth import page_roles
from server.extensions import db
from server.models import CHANNEL_LABELS, Role
from server.services import campaigns, results_cache, scorecard
from server.web.analyst.routes import bp
from server.web.charts import bar_chart, evolution_chart, grade_text
from server.web.pagination import paginate, requested_page

#: What each figure flag means, for people (sampling.estimation's and the pipeline's codes).
FLAG_LABELS = {
    "small_sample": "moins de 5 sites : à lire avec prudence",
    "boundary_proportion": "proportion de 0 ou 100 % : intervalle réduit à un point",
    "no_degrees_of_freedom": "trop peu de sites pour un intervalle",
    "lonely_stratum": "une strate réduite à un seul site répondant (variance ajustée)",
    "no_data": "aucun test validé",
}
RANKING_PAGE_SIZE = 50


def _data(campaign_id: int) -> BarometerData:
    """The campaign's figures, computed again only when their data changed."""
    campaign = campaigns.get_campaign(db.session, campaign_id)
    return results_cache.barometer(db.session, campaign, results_cache.app_cache(current_app))


def _context(data: BarometerData) -> dict[str, object]:
    return {
        "data": data,
        "flag_labels": FLAG_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "grade": grade_text,
    }


@bp.route("/campagnes/<int:campaign_id>/resultats")
@page_roles(Role.ANALYST, Role.COORDINATOR)
def results_page(campaign_id: int) -> str:
    data = _data(campaign_id)
    charts = {
        "engagements": bar_chart("Note par engagement (sur 10)", data.by_engagement),
        "networks": bar_chart("Note par réseau (sur 10)", data.by_network),
        "regions": bar_chart("Note par région (sur 10)", data.by_region),
        "channels": bar_chart("Note par canal (sur 10)", data.by_channel),
        "evolution": evolution_chart("Note nationale au fil des campagnes", data.evolution),
    }
    return render_template("analyst/results.html", charts=charts, **_context(data))


def _ranking_filters() -> dict[str, str]:
    return {
        name: value
        for name in ("network", "region", "q")
        if (value := request.args.get(name, "").strip())
    }


@bp.route("/campagnes/<int:campaign_id>/classement")
@page_roles(Role.ANALYST, Role.COORDINATOR)
def ranking_page(campaign_id: int) -> str:
    data = _data(campaign_id)
    filters = _ranking_filters()
    needle = filters.get("q", "").casefold()
    sites = [
        site
        for site in sorted(data.sites, key=lambda s: (s.rank is None, s.rank or 0, s.name))
        if (not filters.get("network") or site.network == filters["network"])
        and (not filters.get("region") or site.region == filters["region"])
        and (not needle or needle in f"{site.name} {site.city or ''} {site.code}".casefold())
    ]
    page = paginate(sites, requested_page(), RANKING_PAGE_SIZE)
    return render_template(
        "analyst/ranking.html",
        page=page,
        filters=filters,
        networks=sorted({site.network for site in data.sites}),
        regions=sorted({site.region for site in data.sites}),
        **_context(data),
    )


@bp.route("/campagnes/<int:campaign_id>/sites/<int:site_id>")
@page_roles(Role.ANALYST, Role.COORDINATOR)
def scorecard_page(campaign_id: int, site_id: int) -> str:
    data = _data(campaign_id)
    card = scorecard.site_scorecard(data, site_id)
    if card is None:
        abort(404, description=f"Site {site_id} absent de l’échantillon de cette campagne.")
    rows: list[tuple[str, float | None, Figure | None, Figure | None]] = [
        (
            label,
            card.site.engagement_grades.get(code),
            card.network.get(code),
            card.nation.get(code),
        )
        for code, label in data.engagements
    ]
    return render_template("analyst/scorecard.html", card=card, rows=rows, **_context(data))
