"""The table of write routes: for each, a valid request by an allowed user on the world, and
the audit event it must leave (action, the object's type, the detail keys saying what changed).

A write route with no entry here, nor in ``UNAUDITED`` with why, fails the completeness test.
"""

from __future__ import annotations

from tests.server.audit.api_cases import API_CASES
from tests.server.audit.case_types import Api, Case, Page
from tests.server.audit.page_cases import PAGE_CASES

__all__ = ["ALL_CASES", "UNAUDITED", "Api", "Case", "Page"]

#: Write routes that leave no audit row, and why.
UNAUDITED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/campaigns/<int:campaign_id>/sample/preview"): (
        "computes the allocation a draw would have and stores nothing"
    ),
}


ALL_CASES: dict[tuple[str, str], Case] = {**API_CASES, **PAGE_CASES}
