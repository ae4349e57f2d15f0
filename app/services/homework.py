"""Handing in homework: only the current step, only when nothing is waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.mail import messages, outbox
from app.models import MessageKind, Submission, SubmissionStatus, User, utcnow
from app.services.errors import InvalidTransition, NotFound
from app.services.progress import CurrentState, Progress, load_progress
from app.services.uploads import StoredFile, UploadRejected, remove_stored, store_upload


@dataclass(frozen=True)
class Upload:
    stream: IO[bytes]
    filename: str | None


def hand_in(
    session: Session,
    recruit: User,
    assignment_id: int,
    *,
    answer: str,
    link: str | None,
    upload: Upload | None,
    upload_folder: str,
    max_attachment_bytes: int,
    quota_bytes: int | None = None,
    now: datetime | None = None,
) -> Submission:
    """Record a new attempt on the recruit's current assignment, in one transaction.

    Raises InvalidTransition (with a message for the recruit) for a locked, done,
    finished or already-waiting assignment, and UploadRejected for a bad file.
    """
    progress = load_progress(session, recruit)
    step = next((s for s in progress.steps if s.assignment.id == assignment_id), None)
    if step is None:
        raise NotFound("No such assignment on your track.")
    if not progress.can_hand_in(assignment_id):
        raise InvalidTransition(_refusal(progress.current_state, step.state))

    stored: StoredFile | None = None
    if upload is not None:
        if quota_bytes is not None:
            _check_quota(session, recruit, upload, quota_bytes)
        stored = store_upload(upload.stream, upload.filename, upload_folder, max_attachment_bytes)
    # The gate loaded every attempt on this step: the next one is one more.
    attempt = max((s.attempt for s in step.attempts), default=0) + 1
    submission = Submission(
        recruit_id=recruit.id,
        sponsor_id=recruit.sponsor_id,
        assignment_id=assignment_id,
        attempt=attempt,
        answer=answer,
        link=link or None,
        status=SubmissionStatus.SUBMITTED,
        submitted_at=now or utcnow(),
        attachment_path=stored.stored_name if stored else None,
        attachment_name=stored.original_name if stored else None,
        attachment_type=stored.content_type if stored else None,
        attachment_size=stored.size if stored else None,
    )
    session.add(submission)
    try:
        session.flush()  # the id, for the sponsor's link
        sponsor = recruit.sponsor
        if sponsor is not None and sponsor.email_on_hand_in:
            outbox.enqueue(
                session,
                messages.hand_in_notice(sponsor, recruit, submission, step.assignment.title),
                kind=MessageKind.HANDED_IN,
                recipient=sponsor,
            )
        session.commit()
    except BaseException as exc:
        # Nothing half-written: no row, and no file without its row.
        session.rollback()
        if stored is not None:
            remove_stored(upload_folder, stored.stored_name)
        if isinstance(exc, IntegrityError):  # a second tab handed in at the same moment
            raise InvalidTransition(
                "This assignment is already waiting for your sponsor's review."
            ) from exc
        raise
    return submission


def _check_quota(session: Session, recruit: User, upload: Upload, quota_bytes: int) -> None:
    """Refuse a file that would take the recruit past their storage quota."""
    used = session.scalar(
        select(func.coalesce(func.sum(Submission.attachment_size), 0)).where(
            Submission.recruit_id == recruit.id
        )
    )
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if used + size > quota_bytes:
        left = max(0, quota_bytes - used) / (1024 * 1024)
        raise UploadRejected(
            f"Your attachments would pass your {quota_bytes / (1024 * 1024):g} MB of storage "
            f"({left:.1f} MB left). Share a link instead, or ask your sponsor."
        )


def _refusal(current_state: CurrentState | None, step_state: str) -> str:
    if current_state is None:
        return "You have finished your track: there is nothing left to hand in."
    if current_state == CurrentState.WAITING and step_state == "current":
        return "This assignment is already waiting for your sponsor's review."
    if step_state == "done":
        return "This assignment is already approved."
    return "This assignment is still locked: finish the current one first."


def get_viewable_submission(session: Session, viewer: User, submission_id: int) -> Submission:
    """A submission its recruit or the recruit's own sponsor may see; others get NotFound."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("No such submission.")
    recruit = submission.recruit
    if viewer.id not in (recruit.id, recruit.sponsor_id):
        raise NotFound("No such submission.")
    return submission


def answer_to_revise(progress: Progress) -> Submission | None:
    """The attempt a sent-back step starts again from (the recruit adds to it instead
    of retyping it), or None when the current step is not sent back."""
    if progress.current is None or progress.current_state != CurrentState.CHANGES_REQUESTED:
        return None
    return progress.current.latest
