"""The weekly digest: who gets one this week, what it says, and sending it once.

Once per sponsor per week, however often and from however many machines the
command runs: before sending, a run claims (sponsor, week) by inserting a
DigestDelivery row, and the unique constraint lets exactly one insert win. The
winner sends and then records "sent" or "failed". Later runs skip a sent week,
take over a failed one, and take over one left "sending" longer than the lease
(the run died mid-send); taking over is a conditional UPDATE, so again only one
run wins.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.extensions import db
from app.models import WAITING, DeliveryStatus, DigestDelivery, Submission, User
from app.services.dashboard import REVIEW_BACKLOG_AFTER
from app.services.standing import Standing, sponsor_batches, stalled_by_sponsor

CLAIM_LEASE = timedelta(minutes=30)
BATCH_SIZE = 200


class Skip(enum.StrEnum):
    NOT_DUE = "digest day not reached yet this week"
    NOTHING_TO_REPORT = "nothing to report"
    UNSUBSCRIBED = "unsubscribed"
    ALREADY_SENT = "already sent this week"
    IN_PROGRESS = "being sent by another run"


@dataclass
class Digest:
    """What one sponsor's digest says."""

    sponsor: User
    week_start: date
    stalled: list[Standing]
    waiting: list[Submission]
    now: datetime

    @property
    def backlog(self) -> list[Submission]:
        return [s for s in self.waiting if s.submitted_at < self.now - REVIEW_BACKLOG_AFTER]

    @property
    def has_news(self) -> bool:
        return bool(self.stalled or self.backlog)


@dataclass
class RunSummary:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    would_send: list[Digest] = field(default_factory=list)

    def skip(self, sponsor: User, reason: Skip) -> None:
        self.skipped.setdefault(reason.value, []).append(sponsor.email)


def sponsor_zone(sponsor: User) -> ZoneInfo:
    try:
        return ZoneInfo(sponsor.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_week(sponsor: User, now: datetime) -> tuple[date, bool]:
    """(Monday of the sponsor's current week, whether their digest day has come)."""
    local = now.astimezone(sponsor_zone(sponsor))
    week_start = local.date() - timedelta(days=local.weekday())
    return week_start, local.weekday() >= sponsor.digest_weekday


def waiting_reviews(session: Session, sponsor_ids: list[int]) -> dict[int, list[Submission]]:
    """Each sponsor's submissions waiting for review, oldest first (archived recruits left out)."""
    rows = session.scalars(
        select(Submission)
        .join(User, User.id == Submission.recruit_id)
        .where(
            Submission.sponsor_id.in_(sponsor_ids),
            WAITING,  # the queue's partial index
            User.archived_at.is_(None),
        )
        .options(joinedload(Submission.recruit), joinedload(Submission.assignment))
        .order_by(Submission.submitted_at)
    ).all()
    result: dict[int, list[Submission]] = {sponsor_id: [] for sponsor_id in sponsor_ids}
    for submission in rows:
        result[submission.sponsor_id].append(submission)
    return result


def digest_for(session: Session, sponsor: User, now: datetime) -> Digest:
    """This week's digest of one sponsor (for the preview page)."""
    week_start, _due = local_week(sponsor, now)
    stalled = stalled_by_sponsor(session, now, [sponsor])[sponsor.id]
    waiting = waiting_reviews(session, [sponsor.id])[sponsor.id]
    return Digest(sponsor, week_start, stalled, waiting, now)


def run_digest(
    now: datetime, send: Callable[[Digest], None], *, dry_run: bool = False
) -> RunSummary:
    """Send this week's digest to every sponsor who is due and has news, each once.

    Per batch of sponsors: a fixed number of reads (who is due, who was sent, the
    stalled recruits, the waiting reviews), then one insert that claims every digest
    to send, then per digest the send and its recorded outcome. Claims and outcomes
    are written through a second session, so the one holding the batch never commits
    mid-batch and never reloads what it read (one SELECT per object otherwise).

    Every write of that session is a single statement (a claim, a takeover, an
    outcome), so it runs in autocommit: on PostgreSQL one round trip each instead of
    BEGIN, the statement and COMMIT, thousands of times a run.
    """
    session = db.session
    summary = RunSummary()
    with Session(db.engine.execution_options(isolation_level="AUTOCOMMIT")) as writer:
        for sponsors in sponsor_batches(session, BATCH_SIZE):
            due: list[tuple[User, date]] = []
            for sponsor in sponsors:
                week_start, is_due = local_week(sponsor, now)
                if not sponsor.email_digest:
                    summary.skip(sponsor, Skip.UNSUBSCRIBED)
                elif not is_due:
                    summary.skip(sponsor, Skip.NOT_DUE)
                else:
                    due.append((sponsor, week_start))
            ids = [sponsor.id for sponsor, _ in due]
            sent_weeks = _finished_claims(session, due)
            stalled = stalled_by_sponsor(session, now, [s for s, _ in due])
            waiting = waiting_reviews(session, ids)
            to_send: list[Digest] = []
            for sponsor, week_start in due:
                if (sponsor.id, week_start) in sent_weeks:
                    summary.skip(sponsor, Skip.ALREADY_SENT)
                    continue
                digest = Digest(sponsor, week_start, stalled[sponsor.id], waiting[sponsor.id], now)
                if not digest.has_news:
                    summary.skip(sponsor, Skip.NOTHING_TO_REPORT)
                elif dry_run:
                    summary.would_send.append(digest)
                else:
                    to_send.append(digest)
            tokens = _claim_all(writer, to_send)
            for digest in to_send:
                token = tokens[digest.sponsor.id]
                if token is None:
                    summary.skip(digest.sponsor, Skip.IN_PROGRESS)
                else:
                    _send_claimed(writer, digest, token, send, summary)
            session.expunge_all()  # memory stays flat across batches
            session.rollback()  # nothing was written here: just end the read
    return summary


def _claim_all(session: Session, digests: list[Digest]) -> dict[int, str | None]:
    """Claim these digests: one insert for the weeks nobody claimed yet, and the
    one-by-one `claim` (insert or take over) for the rest, or for all of them if
    another run claimed one in between. Each sponsor's token, or None if taken."""
    if not digests:
        return {}
    now = digests[0].now
    claimed: set[tuple[int, date]] = set(
        session.execute(
            select(DigestDelivery.sponsor_id, DigestDelivery.week_start).where(
                DigestDelivery.sponsor_id.in_([d.sponsor.id for d in digests]),
                DigestDelivery.week_start.in_({d.week_start for d in digests}),
            )
        ).all()
    )
    fresh = {
        d.sponsor.id: secrets.token_hex(16)
        for d in digests
        if (d.sponsor.id, d.week_start) not in claimed
    }
    tokens: dict[int, str | None] = {}
    if fresh:
        try:
            session.execute(
                insert(DigestDelivery),
                [
                    {
                        "sponsor_id": d.sponsor.id,
                        "week_start": d.week_start,
                        "status": DeliveryStatus.SENDING,
                        "claim_token": fresh[d.sponsor.id],
                        "claimed_at": now,
                        "attempts": 1,
                    }
                    for d in digests
                    if d.sponsor.id in fresh
                ],
            )
            session.commit()
            tokens.update(fresh)
        except IntegrityError:  # another run claimed some of them meanwhile
            session.rollback()
    for d in digests:
        if d.sponsor.id not in tokens:
            tokens[d.sponsor.id] = claim(session, d.sponsor.id, d.week_start, now)
    return tokens


def _finished_claims(session: Session, due: list[tuple[User, date]]) -> set[tuple[int, date]]:
    """The (sponsor, week) pairs of this batch already sent."""
    if not due:
        return set()
    rows = session.execute(
        select(DigestDelivery.sponsor_id, DigestDelivery.week_start).where(
            DigestDelivery.sponsor_id.in_([s.id for s, _ in due]),
            DigestDelivery.week_start.in_({w for _, w in due}),
            DigestDelivery.status == DeliveryStatus.SENT,
        )
    ).all()
    return {(sponsor_id, week_start) for sponsor_id, week_start in rows}


def claim(session: Session, sponsor_id: int, week_start: date, now: datetime) -> str | None:
    """Take the right to send this week's digest; the claim token, or None if taken."""
    token = secrets.token_hex(16)
    delivery = DigestDelivery(
        sponsor_id=sponsor_id,
        week_start=week_start,
        status=DeliveryStatus.SENDING,
        claim_token=token,
        claimed_at=now,
        attempts=1,
    )
    session.add(delivery)
    try:
        session.commit()
        return token
    except IntegrityError:
        session.rollback()
    # The week is claimed already: take it over only if it failed or its run died.
    taken = session.execute(
        update(DigestDelivery)
        .where(
            DigestDelivery.sponsor_id == sponsor_id,
            DigestDelivery.week_start == week_start,
            or_(
                DigestDelivery.status == DeliveryStatus.FAILED,
                and_(
                    DigestDelivery.status == DeliveryStatus.SENDING,
                    DigestDelivery.claimed_at < now - CLAIM_LEASE,
                ),
            ),
        )
        .values(
            status=DeliveryStatus.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=DigestDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return token if taken.rowcount == 1 else None


# Found by the unique (sponsor, week), then checked for the token: by the token alone
# it was a scan of every digest ever sent, for each one sent. Built once: a run
# records thousands of outcomes, and building the statement cost more than running it.
_deliveries = DigestDelivery.__table__
_RECORD_OUTCOME = (
    update(_deliveries)
    .where(
        _deliveries.c.sponsor_id == bindparam("b_sponsor_id"),
        _deliveries.c.week_start == bindparam("b_week_start"),
        _deliveries.c.claim_token == bindparam("b_token"),
    )
    .values(
        status=bindparam("b_status"),
        sent_at=bindparam("b_sent_at"),
        last_error=bindparam("b_last_error"),
    )
)


def record_outcome(
    session: Session, digest: Digest, token: str, now: datetime, error: str | None
) -> None:
    """Only the run holding the claim records what happened."""
    session.connection().execute(
        _RECORD_OUTCOME,
        {
            "b_sponsor_id": digest.sponsor.id,
            "b_week_start": digest.week_start,
            "b_token": token,
            "b_status": DeliveryStatus.FAILED if error else DeliveryStatus.SENT,
            "b_sent_at": None if error else now,
            "b_last_error": (error or "")[:2000],
        },
    )
    session.commit()


def _send_claimed(
    session: Session,
    digest: Digest,
    token: str,
    send: Callable[[Digest], None],
    summary: RunSummary,
) -> None:
    """Send a claimed digest and record at once what happened (a crash in between
    leaves the claim to be taken over after the lease)."""
    sponsor = digest.sponsor
    try:
        send(digest)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried next run
        record_outcome(session, digest, token, digest.now, f"{type(exc).__name__}: {exc}")
        summary.failed.append((sponsor.email, f"{type(exc).__name__}: {exc}"))
        return
    record_outcome(session, digest, token, digest.now, None)
    summary.sent.append(sponsor.email)
