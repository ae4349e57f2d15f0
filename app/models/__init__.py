"""All models, imported here so Alembic and the app see one complete metadata."""

from app.models.audit import AuditAction, AuditEvent
from app.models.base import Base, UTCDateTime, utcnow
from app.models.checkin import CheckIn, CheckInChannel, CheckInOutcome
from app.models.feedback import MAX_SNIPPET_CHARS, MAX_SNIPPETS, FeedbackSnippet
from app.models.login import LoginFailure, UserSession
from app.models.mastermind import (
    MAX_MEMBERS,
    MIN_MEMBERS,
    AttendanceStatus,
    GroupCadence,
    GroupMeeting,
    GroupMember,
    MastermindGroup,
    MeetingAttendance,
    MeetingUpdate,
    UpdateComment,
)
from app.models.outbox import DeliveryStatus, MessageKind, OutboxMessage
from app.models.partnership import (
    CHANNEL_LABELS,
    MAX_ACTIVE_PARTNERSHIPS,
    AgreementStatus,
    Channel,
    Did,
    EmailOptOut,
    PartnerAgreement,
    PartnerCheckIn,
    PartnerRenewal,
    PartnerReply,
    Partnership,
    PartnershipStatus,
)
from app.models.submission import WAITING, Submission, SubmissionStatus
from app.models.track import Assignment, Track
from app.models.user import User, normalize_email

__all__ = [
    "AttendanceStatus",
    "GroupCadence",
    "GroupMeeting",
    "GroupMember",
    "MAX_MEMBERS",
    "MIN_MEMBERS",
    "MastermindGroup",
    "MeetingAttendance",
    "MeetingUpdate",
    "UpdateComment",
    "AgreementStatus",
    "CHANNEL_LABELS",
    "Channel",
    "Did",
    "EmailOptOut",
    "MAX_ACTIVE_PARTNERSHIPS",
    "PartnerAgreement",
    "PartnerCheckIn",
    "PartnerRenewal",
    "PartnerReply",
    "Partnership",
    "PartnershipStatus",
    "Assignment",
    "AuditAction",
    "AuditEvent",
    "Base",
    "CheckIn",
    "CheckInChannel",
    "CheckInOutcome",
    "DeliveryStatus",
    "FeedbackSnippet",
    "LoginFailure",
    "MAX_SNIPPETS",
    "MAX_SNIPPET_CHARS",
    "MessageKind",
    "OutboxMessage",
    "Submission",
    "SubmissionStatus",
    "Track",
    "UTCDateTime",
    "User",
    "UserSession",
    "WAITING",
    "normalize_email",
    "utcnow",
]
