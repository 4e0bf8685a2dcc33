"""A campaign's published figures, read-only (DESIGN.md §3.5, §3.12): the same
``server.services.results.barometer_data`` the pages, the workbook and the open data read."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Page
from marshmallow import Schema, fields

from exports.barometer_data import BarometerData, SiteResult
from server.api.blueprint import Blueprint
from server.auth import api_roles
from server.extensions import db
from server.models import Role
from server.services import campaigns, results_cache

blp = Blueprint("results_api", __name__, url_prefix="/api/v1/campaigns", description="Résultats")

READERS = (Role.ANALYST, Role.COORDINATOR)


def _grade(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description})


class ResultFigureSchema(Schema):
    """One design-based estimate; ``estimate`` is None with the flag "no_data"."""

    key = fields.String(metadata={"description": "Engagement code, network, region or channel."})
    label = fields.String()
    kind = fields.String(metadata={"description": "mean (a grade /10) or share (in [0, 1])."})
    estimate = _grade("The estimate.")
    se = _grade("Its standard error.")
    ci_low = _grade("Lower bound of the interval (None without degrees of freedom).")
    ci_high = _grade("Upper bound of the interval.")
    n = fields.Integer(metadata={"description": "Responding sites the figure rests on."})
    df = fields.Integer(metadata={"description": "Degrees of freedom of the t interval."})
    flags = fields.List(
        fields.String(),
        metadata={
            "description": "small_sample, boundary_proportion, no_degrees_of_freedom, "
            "lonely_stratum, no_data."
        },
    )


class ResultChangeSchema(Schema):
    previous_campaign_id = fields.Integer()
    previous_year = fields.Integer()
    previous_estimate = _grade("The previous campaign's national grade.")
    estimate = _grade("This year's national grade minus the previous one.")
    se = _grade("sqrt(se₁² + se₂² − 2·cov).")
    ci_low = _grade("Lower bound.")
    ci_high = _grade("Upper bound.")
    df = fields.Integer()
    shared_sites = fields.Integer(metadata={"description": "Sites responding in both years."})
    covariance_used = fields.Boolean(
        metadata={"description": "Whether the covariance of the shared sites was estimated."}
    )
    flags = fields.List(fields.String())


class ResultYearSchema(Schema):
    campaign_id = fields.Integer()
    year = fields.Integer()
    national = fields.Nested(ResultFigureSchema)
    share_at_least_7 = fields.Nested(ResultFigureSchema)


class ResultsSchema(Schema):
    campaign_id = fields.Integer()
    year = fields.Integer()
    referentiel = fields.String()
    level = fields.Float(attribute="methodology.level")
    minimum_sites = fields.Integer(attribute="methodology.minimum_sites")
    generated_at = fields.DateTime()
    national = fields.Nested(ResultFigureSchema)
    share_at_least_7 = fields.Nested(ResultFigureSchema)
    by_engagement = fields.List(fields.Nested(ResultFigureSchema))
    by_network = fields.List(fields.Nested(ResultFigureSchema))
    by_region = fields.List(fields.Nested(ResultFigureSchema))
    by_channel = fields.List(fields.Nested(ResultFigureSchema))
    change = fields.Nested(ResultChangeSchema, allow_none=True)
    engagements_at_least_7 = fields.Integer()
    engagements_excellent = fields.Integer()
    evolution = fields.List(fields.Nested(ResultYearSchema))
    approved_tests = fields.Integer()
    sampled_sites = fields.Integer()
    responding_sites = fields.Integer()


class SiteResultSchema(Schema):
    site_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    network = fields.String()
    region = fields.String()
    department = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    stratum = fields.String()
    inclusion_probability = fields.Float()
    weight = fields.Float()
    tests = fields.Integer(metadata={"description": "Approved tests (0: a non-response)."})
    grade = _grade("The site's grade /10.")
    rank = fields.Integer(allow_none=True, metadata={"description": "1 = best; ties share it."})
    engagement_grades = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    channel_grades = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


@blp.route("/<int:campaign_id>/results")
class CampaignResults(MethodView):
    @api_roles(*READERS)
    @blp.response(200, ResultsSchema)
    def get(self, campaign_id: int) -> BarometerData:
        """The campaign's figures: national grade, share of sites at or above 7, by
        engagement, network, region and channel, the change on the previous campaign and the
        evolution, each with its standard error, interval, sites and flags."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        return results_cache.barometer(db.session, campaign, results_cache.app_cache(current_app))


@blp.route("/<int:campaign_id>/sites/results")
class CampaignSiteResults(MethodView):
    @api_roles(*READERS)
    @blp.response(200, SiteResultSchema(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    def get(self, campaign_id: int) -> list[SiteResult]:
        """Every sampled site, best grade first, with its rank, tests and grades (sites
        without an approved test last, without a grade)."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        cache = results_cache.app_cache(current_app)
        return results_cache.barometer(db.session, campaign, cache).sites
