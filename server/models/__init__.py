"""Database models, one module per aggregate. Importing this package registers them all."""

from server.models.audit import AuditEvent
from server.models.campaign import Campaign
from server.models.fieldwork import Mission, MissionStatus, Wave, WaveStatus
from server.models.investigator import CHANNEL_LABELS, InvestigatorProfile
from server.models.referentiel import Questionnaire, Referentiel
from server.models.report import Photo, Report, ReportStatus, Review, ReviewDecision
from server.models.sample import Draw, SampledSite
from server.models.site import Site
from server.models.user import ROLE_LABELS, ApiToken, LoginThrottle, Role, User

__all__ = [
    "CHANNEL_LABELS",
    "ROLE_LABELS",
    "ApiToken",
    "AuditEvent",
    "Campaign",
    "Draw",
    "InvestigatorProfile",
    "LoginThrottle",
    "Mission",
    "MissionStatus",
    "Photo",
    "Questionnaire",
    "Referentiel",
    "Report",
    "ReportStatus",
    "Review",
    "ReviewDecision",
    "Role",
    "SampledSite",
    "Site",
    "User",
    "Wave",
    "WaveStatus",
]
