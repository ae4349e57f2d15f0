"""Tracks and their assignments: the sponsor's side of the homework.

Positions are 1-based and gap-free among a track's active assignments, unique in
the database. Every structural edit first bumps the track's version with an UPDATE,
which takes the row lock on PostgreSQL and the write lock on SQLite, so concurrent
edits of one track run one after another and each sees the other's result.

Whole tracks are archived (never while somebody active is on them), restored, copied,
previewed, and deleted only when nobody was ever on them: putting somebody on a track
takes the same lock and sets `ever_enrolled`, so a deletion can't race an enrolment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Assignment, AuditAction, Submission, Track, User, utcnow
from app.services import audit
from app.services.errors import InvalidTransition, NotFound
from app.services.progress import Progress, compute_progress


def tracks_of(session: Session, owner: User) -> list[Track]:
    return list(
        session.scalars(
            select(Track).where(Track.owner_id == owner.id).order_by(Track.created_at, Track.id)
        )
    )


@dataclass(frozen=True)
class TrackSummary:
    """One line of the tracks list."""

    track: Track
    steps: int  # active assignments
    recruits: int  # people on the track now, archived ones left out


def track_summaries(session: Session, owner: User) -> list[TrackSummary]:
    """The owner's tracks with their counts, in one statement whatever their number."""
    steps = (
        select(Assignment.track_id, func.count().label("steps"))
        .join(Track, Track.id == Assignment.track_id)
        .where(Track.owner_id == owner.id, Assignment.position.is_not(None))
        .group_by(Assignment.track_id)
        .subquery()
    )
    recruits = (
        select(User.track_id, func.count().label("recruits"))
        .join(Track, Track.id == User.track_id)
        .where(Track.owner_id == owner.id, User.archived_at.is_(None))
        .group_by(User.track_id)
        .subquery()
    )
    rows = session.execute(
        select(Track, func.coalesce(steps.c.steps, 0), func.coalesce(recruits.c.recruits, 0))
        .outerjoin(steps, steps.c.track_id == Track.id)
        .outerjoin(recruits, recruits.c.track_id == Track.id)
        .where(Track.owner_id == owner.id)
        .order_by(Track.created_at, Track.id)
    )
    return [TrackSummary(track, steps, recruits) for track, steps, recruits in rows]


def get_own_track(session: Session, owner: User, track_id: int) -> Track:
    """The track if this user owns it; anybody else's track looks absent."""
    track = session.get(Track, track_id)
    if track is None or track.owner_id != owner.id:
        raise NotFound("No such track.")
    return track


def get_own_assignment(session: Session, owner: User, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.track.owner_id != owner.id:
        raise NotFound("No such assignment.")
    return assignment


def _lock_track(session: Session, track_id: int) -> None:
    """Serialize structural edits of one track (see the module docstring)."""
    session.execute(update(Track).where(Track.id == track_id).values(version=Track.version + 1))


def create_track(session: Session, owner: User, *, name: str, description: str = "") -> Track:
    """A new track; the sponsor's first one becomes their default."""
    has_default = session.scalar(
        select(func.count()).where(Track.owner_id == owner.id, Track.is_default.is_(True))
    )
    track = Track(owner=owner, name=name.strip(), description=(description or "").strip())
    session.add(track)
    session.flush()
    if not has_default:
        _make_default(session, owner, track)
    session.commit()
    return track


def update_track(session: Session, track: Track, *, name: str, description: str) -> None:
    track.name = name.strip()
    track.description = (description or "").strip()
    session.commit()


def _make_default(session: Session, owner: User, track: Track, now: datetime | None = None) -> None:
    session.execute(
        update(Track)
        .where(Track.owner_id == owner.id, Track.id != track.id)
        .values(is_default=False)
    )
    track.is_default = True
    session.flush()
    # Recruits who joined before the sponsor had any track start on this one now.
    backfilled = session.execute(
        update(User)
        .where(User.sponsor_id == owner.id, User.track_id.is_(None))
        .values(track_id=track.id, enrolled_at=now or utcnow())
    )
    if backfilled.rowcount:
        track.ever_enrolled = True


def make_default(session: Session, owner: User, track: Track) -> None:
    """New recruits joining through the invite link start on this track."""
    _lock_track(session, track.id)
    session.refresh(track)
    if track.archived_at is not None:
        message = f"“{track.name}” is archived: restore it before making it the default."
        session.rollback()  # release the track lock taken above
        raise InvalidTransition(message)
    _make_default(session, owner, track)
    session.commit()


def has_steps(session: Session, track_id: int | None) -> bool:
    """Whether the track has an active step (a recruit put on it has homework)."""
    if track_id is None:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(Assignment.track_id == track_id, Assignment.position.is_not(None))
            )
        )
    )


def enrol_newcomer(session: Session, sponsor: User) -> int | None:
    """The id of the sponsor's default track, where a newcomer starts, marked as having
    had somebody on it (so it is never deleted), in the caller's transaction; None when
    the sponsor has no default. One UPDATE: it waits for an archive of the track."""
    return session.execute(
        update(Track)
        .where(Track.owner_id == sponsor.id, Track.is_default.is_(True))
        .values(ever_enrolled=True)
        .returning(Track.id)
    ).scalar_one_or_none()


def _recruits_on(session: Session, track_id: int) -> int:
    """People on the track now; archived recruits don't count."""
    on_it = select(func.count()).where(User.track_id == track_id, User.archived_at.is_(None))
    return session.scalar(on_it) or 0


def _people(count: int) -> str:
    return "1 recruit is" if count == 1 else f"{count} recruits are"


def archive_track(session: Session, track: Track, now: datetime | None = None) -> bool:
    """Put the whole track away, refused while anybody active is on it (archived recruits
    may stay: their history is on it). Returns whether it was the default, which it
    stops being: new recruits then start on no track until another is made the default."""
    _lock_track(session, track.id)
    session.refresh(track)
    refusal = None
    if track.archived_at is not None:
        refusal = f"“{track.name}” is already archived."
    elif on_it := _recruits_on(session, track.id):
        refusal = (
            f"“{track.name}” can't be archived: {_people(on_it)} on it. Move them to "
            "another track first (from each recruit's page), then archive it."
        )
    if refusal:
        session.rollback()  # release the track lock taken above
        raise InvalidTransition(refusal)
    was_default = track.is_default
    track.is_default = False
    track.archived_at = now or utcnow()
    session.commit()
    return was_default


def restore_track(session: Session, track: Track) -> None:
    """Bring an archived track back to the list (not as the default)."""
    _lock_track(session, track.id)
    session.refresh(track)
    if track.archived_at is None:
        message = f"“{track.name}” is not archived."
        session.rollback()
        raise InvalidTransition(message)
    track.archived_at = None
    session.commit()


def deletion_refusal(session: Session, track: Track) -> str | None:
    """Why the track must be kept (somebody was on it, or handed in to it), or None."""
    on_it, handed_in = session.execute(
        select(
            exists().where(User.track_id == track.id),
            exists().where(
                Assignment.track_id == track.id, Submission.assignment_id == Assignment.id
            ),
        )
    ).one()
    if not (track.ever_enrolled or on_it or handed_in):
        return None
    what = "has hand-ins" if handed_in else "has had recruits on it"
    return (
        f"“{track.name}” {what}, so it can't be deleted: their history needs it. "
        "Archive it instead: it leaves your list, and you can restore it."
    )


def delete_track(session: Session, track: Track) -> bool:
    """Delete a track nobody was ever on, with its assignments, in one transaction;
    checked under the track's lock, with the foreign keys behind the check. Returns
    whether it was the default (the owner then has none)."""
    _lock_track(session, track.id)
    session.refresh(track)
    refusal = deletion_refusal(session, track)
    if refusal is None:
        was_default = track.is_default
        try:
            session.execute(delete(Assignment).where(Assignment.track_id == track.id))
            session.execute(delete(Track).where(Track.id == track.id))
            session.commit()
            return was_default
        except IntegrityError:  # somebody started on it or handed in all the same
            refusal = "Somebody started on this track just now, so it can't be deleted."
    session.rollback()
    raise InvalidTransition(refusal)


def copy_track(session: Session, owner: User, track: Track) -> Track:
    """A new track of the owner's with the track's active steps, never the default."""
    return duplicate_track(
        session, owner, track, name=f"Copy of {track.name}", default_if_none=False
    )


def preview(session: Session, track: Track, now: datetime | None = None) -> Progress:
    """What a recruit put on the track now sees: the first step open, the rest locked."""
    active = session.scalars(
        select(Assignment)
        .where(Assignment.track_id == track.id, Assignment.position.is_not(None))
        .order_by(Assignment.position)
    ).all()
    return compute_progress(active, (), now or utcnow())


def duplicate_track(
    session: Session,
    owner: User,
    source: Track,
    *,
    name: str | None = None,
    default_if_none: bool = True,
) -> Track:
    """A copy of the source's active assignments, owned by `owner`, free to change; it
    becomes the default when the owner has none, unless `default_if_none` is False."""
    copy = Track(
        owner=owner,
        name=(name or f"{source.name} (copy)")[:120],
        description=source.description,
    )
    session.add(copy)
    session.flush()
    active = [a for a in source.assignments if a.position is not None]
    for position, original in enumerate(active, start=1):
        session.add(
            Assignment(
                track_id=copy.id,
                position=position,
                title=original.title,
                instructions=original.instructions,
                deliverable=original.deliverable,
                stall_threshold_days=original.stall_threshold_days,
            )
        )
    if default_if_none and not session.scalar(
        select(func.count()).where(
            Track.owner_id == owner.id, Track.is_default.is_(True), Track.id != copy.id
        )
    ):
        _make_default(session, owner, copy)
    session.commit()
    return copy


def sponsor_default_track(session: Session, user: User) -> Track | None:
    """The default track of the user's own sponsor, the one they can duplicate."""
    if user.sponsor_id is None:
        return None
    return session.scalar(
        select(Track).where(Track.owner_id == user.sponsor_id, Track.is_default.is_(True))
    )


def add_assignment(
    session: Session,
    track: Track,
    *,
    title: str,
    instructions: str,
    deliverable: str,
    stall_threshold_days: int | None = None,
    now: datetime | None = None,
) -> Assignment:
    """Append an assignment at the end of the track (its clock starts `now`)."""
    _lock_track(session, track.id)
    last = session.scalar(
        select(func.max(Assignment.position)).where(Assignment.track_id == track.id)
    )
    assignment = Assignment(
        track_id=track.id,
        position=(last or 0) + 1,
        title=title.strip(),
        instructions=instructions,
        deliverable=deliverable,
        stall_threshold_days=stall_threshold_days,
        activated_at=now or utcnow(),
    )
    session.add(assignment)
    session.commit()
    return assignment


def edit_assignment(
    session: Session,
    assignment: Assignment,
    *,
    title: str,
    instructions: str,
    deliverable: str,
    stall_threshold_days: int | None,
) -> None:
    """Change the text of a step; its submissions are untouched."""
    assignment.title = title.strip()
    assignment.instructions = instructions
    assignment.deliverable = deliverable
    assignment.stall_threshold_days = stall_threshold_days
    session.commit()


def _shift(session: Session, track_id: int, from_position: int, delta: int) -> None:
    """Move every active assignment at or after `from_position` by `delta`.

    Two statements through negative numbers, so the unique (track, position)
    constraint never sees two rows on one position mid-update.
    """
    where = (Assignment.track_id == track_id, Assignment.position >= from_position)
    session.execute(update(Assignment).where(*where).values(position=-Assignment.position))
    session.execute(
        update(Assignment)
        .where(Assignment.track_id == track_id, Assignment.position <= -from_position)
        .values(position=-Assignment.position + delta)
    )


def move_assignment(session: Session, assignment: Assignment, direction: str) -> None:
    """Swap the assignment with its neighbour above ("up") or below ("down")."""
    _lock_track(session, assignment.track_id)
    session.refresh(assignment)
    if assignment.position is None:
        session.rollback()  # release the track lock taken above
        raise InvalidTransition("An archived assignment has no place in the order.")
    target = assignment.position + (-1 if direction == "up" else 1)
    neighbour = session.scalar(
        select(Assignment).where(
            Assignment.track_id == assignment.track_id, Assignment.position == target
        )
    )
    if neighbour is None:
        session.rollback()
        return  # already first or last: nothing to move
    old = assignment.position
    # Three steps through a negative parking spot keep (track, position) unique.
    session.execute(
        update(Assignment).where(Assignment.id == neighbour.id).values(position=-target)
    )
    session.execute(
        update(Assignment).where(Assignment.id == assignment.id).values(position=target)
    )
    session.execute(update(Assignment).where(Assignment.id == neighbour.id).values(position=old))
    session.commit()


def archive_assignment(
    session: Session, assignment: Assignment, now: datetime | None = None
) -> None:
    """Take the step out of the track; its submissions stay, later steps close the gap."""
    _lock_track(session, assignment.track_id)
    session.refresh(assignment)
    if assignment.position is None:
        session.rollback()  # release the track lock taken above
        raise InvalidTransition("This assignment is already archived.")
    old = assignment.position
    session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id)
        .values(position=None, archived_at=now or utcnow())
    )
    _shift(session, assignment.track_id, old + 1, -1)
    session.commit()


def restore_assignment(
    session: Session, assignment: Assignment, now: datetime | None = None
) -> None:
    """Put an archived step back, at the end of the track."""
    _lock_track(session, assignment.track_id)
    session.refresh(assignment)
    if assignment.position is not None:
        session.rollback()  # release the track lock taken above
        raise InvalidTransition("This assignment is not archived.")
    last = session.scalar(
        select(func.max(Assignment.position)).where(Assignment.track_id == assignment.track_id)
    )
    session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id)
        .values(position=(last or 0) + 1, archived_at=None, activated_at=now or utcnow())
    )
    session.commit()


def assign_track(
    session: Session, sponsor: User, recruit: User, track: Track, now: datetime | None = None
) -> None:
    """Put one of the sponsor's recruits on another of the sponsor's tracks."""
    if recruit.sponsor_id != sponsor.id or track.owner_id != sponsor.id:
        raise NotFound("No such recruit or track.")
    if recruit.track_id == track.id:
        return
    _lock_track(session, track.id)  # an archive of the track waits, then sees the recruit
    session.refresh(track)
    if track.archived_at is not None:
        message = f"“{track.name}” is archived: restore it before putting anyone on it."
        session.rollback()
        raise InvalidTransition(message)
    track.ever_enrolled = True
    recruit.track_id = track.id
    recruit.enrolled_at = now or utcnow()
    audit.record(session, sponsor, AuditAction.TRACK_CHANGED, recruit, f"to “{track.name}”")
    session.commit()
