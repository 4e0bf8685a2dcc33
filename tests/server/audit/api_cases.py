"""The API's write routes: a valid request each, and the audit event it must leave."""

from __future__ import annotations

from server.models import Role
from tests.conftest import PASSWORD
from tests.server.access.world import unique_png
from tests.server.audit.case_types import (
    FRAME,
    INVESTIGATORS,
    NEW_INVESTIGATOR,
    SCENARIOS,
    Api,
    Case,
    M,
    _csv,
    _document,
    _iso,
    _letter,
)

A, C, INV = Role.ADMIN, Role.COORDINATOR, Role.INVESTIGATOR

API_CASES: dict[tuple[str, str], Case] = {
    # --- API ----------------------------------------------------------------------------------
    ("DELETE", "/api/v1/auth/token"): Case(
        C, lambda w: Api("/api/v1/auth/token"), "token.revoke", "ApiToken"
    ),
    ("POST", "/api/v1/auth/token"): Case(
        C,
        lambda w: Api("/api/v1/auth/token", {"email": w.coordinator.email, "password": PASSWORD}),
        "token.issue",
        "ApiToken",
        frozenset({"expires_at"}),
    ),
    ("POST", "/api/v1/campaigns"): Case(
        C,
        lambda w: Api(
            "/api/v1/campaigns", {"name": "B 2030", "year": 2030, "referentiel": "marianne"}
        ),
        "campaign.create",
        "Campaign",
        frozenset({"year"}),
    ),
    ("POST", "/api/v1/campaigns/<int:campaign_id>/sample"): Case(
        C,
        lambda w: Api(
            f"/api/v1/campaigns/{w.other_campaign_id}/sample",
            {"size": 2, "strata": [], "minimum": 0, "seed": 7, "confirm": True},
        ),
        "sample.draw",
        "Draw",
        frozenset({"size"}),
    ),
    ("POST", "/api/v1/campaigns/<int:campaign_id>/sites/import"): Case(
        C,
        lambda w: Api(f"/api/v1/campaigns/{w.other_campaign_id}/sites/import", upload=_csv(FRAME)),
        "frame.import",
        "Campaign",
        frozenset({"imported", "filename"}),
    ),
    ("POST", "/api/v1/campaigns/<int:campaign_id>/waves"): Case(
        C,
        lambda w: Api(
            f"/api/v1/campaigns/{w.other_campaign_id}/waves",
            {"name": "Printemps", "start": "2027-03-01", "end": "2027-04-23"},
        ),
        "wave.open",
        "Wave",
        frozenset({"missions"}),
    ),
    ("POST", "/api/v1/investigators"): Case(
        C,
        lambda w: Api("/api/v1/investigators", NEW_INVESTIGATOR),
        "investigator.create",
        "InvestigatorProfile",
        frozenset({"email"}),
    ),
    ("PATCH", "/api/v1/investigators/<int:user_id>"): Case(
        C,
        lambda w: Api(f"/api/v1/investigators/{w.spare.id}", {"capacity": 30}),
        "investigator.update",
        "InvestigatorProfile",
        frozenset({"before", "after"}),
    ),
    ("POST", "/api/v1/investigators/import"): Case(
        C,
        lambda w: Api("/api/v1/investigators/import", upload=_csv(INVESTIGATORS)),
        "investigator.create",
        "InvestigatorProfile",
        frozenset({"email"}),
    ),
    ("POST", f"{M}/assign"): Case(
        C,
        lambda w: Api(
            f"/api/v1/missions/{w.missions['free']}/assign",
            {"investigator_id": w.spare.id, "force": True},
        ),
        "mission.assign",
        "Mission",
        frozenset({"before", "after"}),
    ),
    ("POST", f"{M}/reply"): Case(
        INV,
        lambda w: Api(
            f"/api/v1/missions/{w.missions['reply']}/reply",
            {"received_at": _iso(-0.5), "text": "Merci."},
        ),
        "mission.reply",
        "Mission",
        frozenset({"after"}),
    ),
    ("POST", f"{M}/reply/scan"): Case(
        INV,
        lambda w: Api(
            f"/api/v1/missions/{w.missions['scan']}/reply/scan", upload=(unique_png(3), "scan.png")
        ),
        "mission.reply_scan",
        "Mission",
        frozenset({"after", "sha256"}),
    ),
    ("PUT", f"{M}/report"): Case(
        INV,
        lambda w: Api(f"/api/v1/missions/{w.missions['draft']}/report", _letter()),
        "report.save",
        "Report",
        frozenset({"version"}),
    ),
    ("POST", f"{M}/report/photos"): Case(
        INV,
        lambda w: Api(
            f"/api/v1/missions/{w.missions['photo']}/report/photos",
            upload=(unique_png(4), "photo.png"),
        ),
        "photo.upload",
        "Photo",
        frozenset({"sha256"}),
    ),
    ("POST", f"{M}/report/submit"): Case(
        INV,
        lambda w: Api(f"/api/v1/missions/{w.missions['draft']}/report/submit", _letter()),
        "report.submit",
        "Report",
        frozenset({"before", "after"}),
    ),
    ("POST", f"{M}/sent"): Case(
        INV,
        lambda w: Api(f"/api/v1/missions/{w.missions['send']}/sent", {"sent_at": _iso(-1)}),
        "mission.request_sent",
        "Mission",
        frozenset({"before", "after"}),
    ),
    ("POST", "/api/v1/questionnaires"): Case(
        A,
        lambda w: Api("/api/v1/questionnaires", _document("questionnaire")),
        "questionnaire.load",
        "Questionnaire",
        frozenset({"version"}),
    ),
    ("POST", "/api/v1/referentiels"): Case(
        A,
        lambda w: Api("/api/v1/referentiels", _document("referentiel")),
        "referentiel.load",
        "Referentiel",
        frozenset({"version"}),
    ),
    ("POST", "/api/v1/reports/<int:report_id>/review"): Case(
        C,
        lambda w: Api(
            f"/api/v1/reports/{w.report_id}/review",
            {"decision": "return", "comment": "Photo floue."},
        ),
        "report.return",
        "Report",
        frozenset({"before", "after"}),
    ),
    ("POST", "/api/v1/review-comments"): Case(
        C,
        lambda w: Api("/api/v1/review-comments", {"text": "Heure manquante."}),
        "review_comment.create",
        "ReviewComment",
        frozenset({"text"}),
    ),
    ("PATCH", "/api/v1/review-comments/<int:comment_id>"): Case(
        C,
        lambda w: Api(f"/api/v1/review-comments/{w.comment_id}", {"active": False}),
        "review_comment.update",
        "ReviewComment",
        frozenset({"active"}),
    ),
    ("POST", "/api/v1/scenarios"): Case(
        C,
        lambda w: Api(
            "/api/v1/scenarios",
            {"network": "SIP", "channel": "phone", "title": "Taux", "text": "Appeler."},
        ),
        "scenario.create",
        "Scenario",
        frozenset({"title"}),
    ),
    ("PATCH", "/api/v1/scenarios/<int:scenario_id>"): Case(
        C,
        lambda w: Api(f"/api/v1/scenarios/{w.scenario_id}", {"title": "Nouveau titre"}),
        "scenario.update",
        "Scenario",
        frozenset({"before", "after"}),
    ),
    ("POST", "/api/v1/scenarios/import"): Case(
        C,
        lambda w: Api("/api/v1/scenarios/import", upload=_csv(SCENARIOS)),
        "scenario.create",
        "Scenario",
        frozenset({"title"}),
    ),
    ("POST", "/api/v1/users"): Case(
        A,
        lambda w: Api(
            "/api/v1/users",
            {"email": "lea@example.fr", "name": "Léa", "password": PASSWORD, "role": "analyst"},
        ),
        "user.create",
        "User",
        frozenset({"role"}),
    ),
    ("PATCH", "/api/v1/users/<int:user_id>"): Case(
        A,
        lambda w: Api(f"/api/v1/users/{w.analyst.id}", {"role": "coordinator"}),
        "user.role_change",
        "User",
        frozenset({"before", "after"}),
    ),
    ("POST", "/api/v1/users/<int:user_id>/password"): Case(
        A,
        lambda w: Api(
            f"/api/v1/users/{w.analyst.id}/password", {"password": "un-nouveau-mot-de-passe"}
        ),
        "user.password_reset",
        "User",
        frozenset({"revoked_tokens"}),
    ),
    ("POST", "/api/v1/waves/<int:wave_id>/assign"): Case(
        C,
        lambda w: Api(f"/api/v1/waves/{w.wave_id}/assign"),
        "wave.assign",
        "Wave",
        frozenset({"assigned"}),
    ),
    ("POST", "/api/v1/waves/<int:wave_id>/close"): Case(
        C,
        lambda w: Api(f"/api/v1/waves/{w.wave_id}/close"),
        "wave.close",
        "Wave",
        frozenset({"not_done_total"}),
    ),
    ("POST", "/api/v1/waves/<int:wave_id>/review/approve-unflagged"): Case(
        C,
        lambda w: Api(f"/api/v1/waves/{w.wave_id}/review/approve-unflagged", {}),
        "report.approve",
        "Report",
        frozenset({"before", "after"}),
    ),
}
