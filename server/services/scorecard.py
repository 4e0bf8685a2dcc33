"""One site's scorecard, for its manager: its grades by engagement beside its network's and
the nation's, with intervals, and its approved tests. Built from the barometer's own data
(``server.services.results``), so a scorecard never disagrees with the published figures."""

from __future__ import annotations

from dataclasses import dataclass

from exports.barometer_data import BarometerData, Figure, SiteResult, TestRow
from server.services.results import figure_over_sites


@dataclass(frozen=True)
class Scorecard:
    site: SiteResult
    #: Engagement code → the site's network's figure, and the nation's.
    network: dict[str, Figure]
    nation: dict[str, Figure]
    tests: list[TestRow]
    #: Sites with a rank: "rank 12 of 540".
    ranked: int


def site_scorecard(data: BarometerData, site_id: int) -> Scorecard | None:
    """The scorecard of a sampled site of the barometer; None if it is not in the sample."""
    site = next((s for s in data.sites if s.site_id == site_id), None)
    if site is None:
        return None
    network = {
        code: figure_over_sites(
            data,
            code,
            label,
            lambda other, code=code: (
                other.engagement_grades.get(code) if other.network == site.network else None
            ),
        )
        for code, label in data.engagements
    }
    return Scorecard(
        site=site,
        network=network,
        nation={figure.key: figure for figure in data.by_engagement},
        tests=[test for test in data.tests if test.site_id == site_id],
        ranked=sum(1 for s in data.sites if s.rank is not None),
    )
