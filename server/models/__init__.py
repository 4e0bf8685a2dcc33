"""Database models, one module per aggregate. Importing this package registers them all."""

from server.models.audit import AuditEvent
from server.models.campaign import Campaign
from server.models.fieldwork import (
    AssignmentRun,
    Mission,
    MissionStatus,
    ReplyOutcome,
    Wave,
    WaveStatus,
)
from server.models.investigator import CHANNEL_LABELS, InvestigatorProfile
from server.models.outbox import OutboxMessage, OutboxStatus
from server.models.referentiel import Questionnaire, Referentiel
from server.models.report import Photo, Report, ReportStatus, Review, ReviewDecision
from server.models.review_comment import ReviewComment
from server.models.sample import Draw, SampledSite
from server.models.scenario import Scenario
from server.models.scheduler import SchedulerLease, apscheduler_jobs
from server.models.site import Site
from server.models.user import ROLE_LABELS, ApiToken, LoginThrottle, Role, User

__all__ = [
    "CHANNEL_LABELS",
    "ROLE_LABELS",
    "ApiToken",
    "AssignmentRun",
    "AuditEvent",
    "Campaign",
    "Draw",
    "InvestigatorProfile",
    "LoginThrottle",
    "Mission",
    "MissionStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Photo",
    "Questionnaire",
    "Referentiel",
    "ReplyOutcome",
    "Report",
    "ReportStatus",
    "Review",
    "ReviewComment",
    "ReviewDecision",
    "Role",
    "SampledSite",
    "Scenario",
    "SchedulerLease",
    "Site",
    "User",
    "Wave",
    "WaveStatus",
    "apscheduler_jobs",
]
