"""The pages' write routes (form POSTs): the form each is sent from, and the audit event
it must leave."""

from __future__ import annotations

import io
import json

from server.models import Role
from tests.conftest import PASSWORD
from tests.server.audit.case_types import (
    CO,
    FRAME,
    INVESTIGATORS,
    SCENARIOS,
    Case,
    Page,
    _csv,
    _document,
    _file,
    _local,
)

A, C = Role.ADMIN, Role.COORDINATOR

PAGE_CASES: dict[tuple[str, str], Case] = {
    ("POST", "/login"): Case(
        C,
        lambda w: Page(
            "/login",
            "/login",
            {"email": w.coordinator.email, "password": PASSWORD},
            anonymous=True,
        ),
        "user.login",
        "User",
        frozenset({"at"}),
    ),
    ("POST", "/admin/comptes/nouveau"): Case(
        A,
        lambda w: Page(
            "/admin/comptes/nouveau",
            "/admin/comptes/nouveau",
            {"name": "Léa", "email": "lea@example.fr", "role": "analyst", "password": PASSWORD},
        ),
        "user.create",
        "User",
        frozenset({"role"}),
    ),
    ("POST", "/admin/comptes/<int:user_id>/activation"): Case(
        A,
        lambda w: Page(
            f"/admin/comptes/{w.analyst.id}/activation", f"/admin/comptes/{w.analyst.id}/activation"
        ),
        "user.deactivate",
        "User",
        frozenset({"revoked_tokens"}),
    ),
    ("POST", "/admin/comptes/<int:user_id>/mot-de-passe"): Case(
        A,
        lambda w: Page(
            f"/admin/comptes/{w.analyst.id}",
            f"/admin/comptes/{w.analyst.id}/mot-de-passe",
            {"password": "un-nouveau-mot-de-passe", "confirm": "un-nouveau-mot-de-passe"},
        ),
        "user.password_reset",
        "User",
        frozenset({"revoked_tokens"}),
    ),
    ("POST", "/admin/comptes/<int:user_id>/role"): Case(
        A,
        lambda w: Page(
            f"/admin/comptes/{w.analyst.id}",
            f"/admin/comptes/{w.analyst.id}/role",
            {"role": "coordinator"},
        ),
        "user.role_change",
        "User",
        frozenset({"before", "after"}),
    ),
    ("POST", "/admin/referentiels/publier"): Case(
        A,
        lambda w: Page(
            "/admin/referentiels/publier",
            "/admin/referentiels/publier",
            {
                "document": (
                    io.BytesIO(json.dumps(_document("referentiel")).encode()),
                    "marianne.v2.json",
                )
            },
        ),
        "referentiel.load",
        "Referentiel",
        frozenset({"version"}),
    ),
    ("POST", "/logout"): Case(C, lambda w: Page(f"{CO}/", "/logout"), "user.logout", "User"),
    ("POST", f"{CO}/campagnes/<int:campaign_id>/base"): Case(
        C,
        lambda w: Page(
            f"{CO}/campagnes/{w.other_campaign_id}/base",
            f"{CO}/campagnes/{w.other_campaign_id}/base",
            {"file": _file(_csv(FRAME))},
        ),
        "frame.import",
        "Campaign",
        frozenset({"imported", "filename"}),
    ),
    ("POST", f"{CO}/campagnes/<int:campaign_id>/echantillon"): Case(
        C,
        lambda w: Page(
            f"{CO}/campagnes/{w.other_campaign_id}/echantillon",
            f"{CO}/campagnes/{w.other_campaign_id}/echantillon",
            {"size": "2", "minimum": "0", "strata": None, "confirm": "y"},
            button="submit_draw",
        ),
        "sample.draw",
        "Draw",
        frozenset({"size"}),
    ),
    ("POST", f"{CO}/campagnes/<int:campaign_id>/vagues/nouvelle"): Case(
        C,
        lambda w: Page(
            f"{CO}/campagnes/{w.other_campaign_id}/vagues/nouvelle",
            f"{CO}/campagnes/{w.other_campaign_id}/vagues/nouvelle",
            {"name": "Printemps", "start": "2027-03-01", "end": "2027-04-23"},
            button="submit",
        ),
        "wave.open",
        "Wave",
        frozenset({"missions"}),
    ),
    ("POST", f"{CO}/campagnes/nouvelle"): Case(
        C,
        lambda w: Page(
            f"{CO}/campagnes/nouvelle",
            f"{CO}/campagnes/nouvelle",
            {"name": "B 2030", "year": "2030", "referentiel": "marianne:1"},
        ),
        "campaign.create",
        "Campaign",
        frozenset({"year"}),
    ),
    ("POST", f"{CO}/enqueteurs/<int:user_id>"): Case(
        C,
        lambda w: Page(
            f"{CO}/enqueteurs/{w.spare.id}", f"{CO}/enqueteurs/{w.spare.id}", {"capacity": "30"}
        ),
        "investigator.update",
        "InvestigatorProfile",
        frozenset({"before", "after"}),
    ),
    ("POST", f"{CO}/enqueteurs/<int:user_id>/activation"): Case(
        C,
        lambda w: Page(
            f"{CO}/enqueteurs/{w.spare.id}/activation", f"{CO}/enqueteurs/{w.spare.id}/activation"
        ),
        "investigator.deactivate",
        "InvestigatorProfile",
        frozenset({"released_missions"}),
    ),
    ("POST", f"{CO}/enqueteurs/import"): Case(
        C,
        lambda w: Page(
            f"{CO}/enqueteurs/import",
            f"{CO}/enqueteurs/import",
            {"file": _file(_csv(INVESTIGATORS))},
        ),
        "investigator.create",
        "InvestigatorProfile",
        frozenset({"email"}),
    ),
    ("POST", f"{CO}/enqueteurs/nouveau"): Case(
        C,
        lambda w: Page(
            f"{CO}/enqueteurs/nouveau",
            f"{CO}/enqueteurs/nouveau",
            {
                "email": "ines@example.fr",
                "password": PASSWORD,
                "name": "Inès Moreau",
                "home_commune": "Rennes",
                "home_latitude": "48,11",
                "home_longitude": "-1,68",
                "capacity": "10",
            },
        ),
        "investigator.create",
        "InvestigatorProfile",
        frozenset({"email"}),
    ),
    ("POST", f"{CO}/missions/<int:mission_id>"): Case(
        C,
        lambda w: Page(
            f"{CO}/missions/{w.missions['free']}",
            f"{CO}/missions/{w.missions['free']}",
            {"investigator": str(w.spare.id)},
            button="assign",
        ),
        "mission.assign",
        "Mission",
        frozenset({"before", "after"}),
    ),
    ("POST", f"{CO}/missions/<int:mission_id>/envoi"): Case(
        C,
        lambda w: Page(
            f"{CO}/missions/{w.missions['send']}",
            f"{CO}/missions/{w.missions['send']}/envoi",
            {"sent_at": _local(-1)},
            button="record_sent",
        ),
        "mission.request_sent",
        "Mission",
        frozenset({"before", "after"}),
    ),
    ("POST", f"{CO}/missions/<int:mission_id>/reponse"): Case(
        C,
        lambda w: Page(
            f"{CO}/missions/{w.missions['reply']}",
            f"{CO}/missions/{w.missions['reply']}/reponse",
            {"received_at": _local(-0.5), "text": "Merci."},
            button="record",
        ),
        "mission.reply",
        "Mission",
        frozenset({"after"}),
    ),
    ("POST", f"{CO}/rapports/<int:report_id>/decision"): Case(
        C,
        lambda w: Page(
            f"{CO}/rapports/{w.report_id}",
            f"{CO}/rapports/{w.report_id}/decision",
            {"decision": "return", "comment": "Photo floue."},
        ),
        "report.return",
        "Report",
        frozenset({"before", "after"}),
    ),
    ("POST", f"{CO}/revue/commentaires"): Case(
        C,
        lambda w: Page(
            f"{CO}/revue/commentaires", f"{CO}/revue/commentaires", {"text": "Heure manquante."}
        ),
        "review_comment.create",
        "ReviewComment",
        frozenset({"text"}),
    ),
    ("POST", f"{CO}/revue/commentaires/<int:comment_id>/activation"): Case(
        C,
        lambda w: Page(
            f"{CO}/revue/commentaires", f"{CO}/revue/commentaires/{w.comment_id}/activation"
        ),
        "review_comment.update",
        "ReviewComment",
        frozenset({"active"}),
    ),
    ("POST", f"{CO}/courriels/<int:message_id>/renvoi"): Case(
        C,
        lambda w: Page(f"{CO}/courriels", f"{CO}/courriels/{w.message_ids[0]}/renvoi"),
        "outbox.resend",
        "OutboxMessage",
        frozenset({"key", "before", "after"}),
    ),
    ("POST", f"{CO}/courriels/<int:message_id>/envoye"): Case(
        C,
        lambda w: Page(f"{CO}/courriels", f"{CO}/courriels/{w.message_ids[1]}/envoye"),
        "outbox.mark_sent",
        "OutboxMessage",
        frozenset({"key", "before", "after"}),
    ),
    ("POST", f"{CO}/scenarios"): Case(
        C,
        lambda w: Page(
            f"{CO}/scenarios",
            f"{CO}/scenarios",
            {"network": "SIP", "channel": "phone", "title": "Taux", "text": "Appeler."},
        ),
        "scenario.create",
        "Scenario",
        frozenset({"title"}),
    ),
    ("POST", f"{CO}/scenarios/<int:scenario_id>"): Case(
        C,
        lambda w: Page(
            f"{CO}/scenarios/{w.scenario_id}",
            f"{CO}/scenarios/{w.scenario_id}",
            {"title": "Nouveau titre"},
        ),
        "scenario.update",
        "Scenario",
        frozenset({"before", "after"}),
    ),
    ("POST", f"{CO}/scenarios/<int:scenario_id>/activation"): Case(
        C,
        lambda w: Page(f"{CO}/scenarios", f"{CO}/scenarios/{w.scenario_id}/activation"),
        "scenario.update",
        "Scenario",
        frozenset({"before", "after"}),
    ),
    ("POST", f"{CO}/scenarios/import"): Case(
        C,
        lambda w: Page(
            f"{CO}/scenarios", f"{CO}/scenarios/import", {"file": _file(_csv(SCENARIOS))}
        ),
        "scenario.create",
        "Scenario",
        frozenset({"title"}),
    ),
    ("POST", f"{CO}/vagues/<int:wave_id>/attribuer"): Case(
        C,
        lambda w: Page(f"{CO}/vagues/{w.wave_id}", f"{CO}/vagues/{w.wave_id}/attribuer"),
        "wave.assign",
        "Wave",
        frozenset({"assigned"}),
    ),
    ("POST", f"{CO}/vagues/<int:wave_id>/clore"): Case(
        C,
        lambda w: Page(
            f"{CO}/vagues/{w.wave_id}", f"{CO}/vagues/{w.wave_id}/clore", {"confirm": "y"}
        ),
        "wave.close",
        "Wave",
        frozenset({"not_done_total"}),
    ),
    ("POST", f"{CO}/vagues/<int:wave_id>/revue/validation"): Case(
        C,
        lambda w: Page(
            f"{CO}/vagues/{w.wave_id}/revue",
            f"{CO}/vagues/{w.wave_id}/revue/validation",
            {"confirm": "y"},
        ),
        "report.approve",
        "Report",
        frozenset({"before", "after"}),
    ),
}
