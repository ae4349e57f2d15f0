"""All models, imported here so Alembic and the app see one complete metadata."""

from app.models.base import Base, UTCDateTime, utcnow
from app.models.checkin import CheckIn, CheckInChannel, CheckInOutcome
from app.models.submission import Submission, SubmissionStatus
from app.models.track import Assignment, Track
from app.models.user import User

__all__ = [
    "Assignment",
    "Base",
    "CheckIn",
    "CheckInChannel",
    "CheckInOutcome",
    "Submission",
    "SubmissionStatus",
    "Track",
    "UTCDateTime",
    "User",
    "utcnow",
]
