"""The weekly digest: who gets one this week, what it says, and sending it once.

Each sponsor's week is one outbox message with the unique key "digest:<sponsor>:<week>".
A run composes the digests of a batch of sponsors and inserts them already claimed by
itself (mail.lease.claim_new): a key that exists is skipped, so of any number of runs on
any number of machines exactly one holds each week's digest. It sends them over one
connection (mail.worker.deliver) and records each outcome. A week's digest that failed,
or whose run died, is due again after a pause (or the lease): this run, a later one or
the mail worker takes it over and sends the message that was composed.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from app.mail import lease, messages, outbox
from app.mail.compose import RenderedEmail, absolute_url
from app.mail.lease import Claim
from app.mail.transport import Transport
from app.mail.worker import Report, deliver, writer
from app.models import DeliveryStatus, MessageKind, OutboxMessage, Partnership, Submission, User
from app.services.durations import duration_since
from app.services.partner_due import current, load_pairs, missed_lately, recent_days, window
from app.services.people import zone_of
from app.services.review import in_backlog, waiting_by_sponsor
from app.services.standing import Standing, by_sponsor, stalled_only
from app.services.team import needs_coaching

BATCH_SIZE = 200
# Lines per list in the email: a team of thousands made digests of half a megabyte,
# which Gmail clips after 102 kB. The rest is one link away (the dashboard, the queue).
LIST_LIMIT = 50


class Skip(enum.StrEnum):
    NOT_DUE = "digest day not reached yet this week"
    NOTHING_TO_REPORT = "nothing to report"
    UNSUBSCRIBED = "unsubscribed"
    ALREADY_SENT = "already sent this week"
    IN_PROGRESS = "being sent by another run"
    QUEUED = "in the outbox: the mail worker or a later run sends it"
    RETRY_LATER = "failed before: tried again after a pause"
    GAVE_UP = "refused by the mail server, or failing for days: not tried again"
    TAKEN_OVER = "taken over by another run"
    NOT_TRIED = "not tried: the run stopped"
    LATER_WEEK = "this week's went out already, counted in their time zone before a change"


@dataclass(frozen=True)
class PartnerMisses:
    """One partnership's missed check-ins of the last week: the reader's and the
    partner's (days whose grace window closed in the 7 days before the digest)."""

    partnership_id: int
    partner_name: str
    mine: list[date]
    theirs: list[date]


@dataclass
class Digest:
    """What one sponsor's digest says (a "sponsor" here is anyone who gets one: someone
    with recruits, or with an accountability partner)."""

    sponsor: User
    week_start: date
    stalled: list[Standing]
    waiting: list[Submission]
    now: datetime
    partners: list[PartnerMisses] = field(default_factory=list)
    # The sponsor's recruits who keep hand-ins waiting over a week (coach the coach).
    coaching: list[Standing] = field(default_factory=list)

    @property
    def backlog(self) -> list[Submission]:
        return [s for s in self.waiting if in_backlog(s, self.now)]

    @property
    def has_news(self) -> bool:
        """A stalled recruit, a review backlog or a missed partner check-in makes a digest
        worth sending; fresh waiting reviews alone do not (the hand-in emails told of them)."""
        return bool(self.stalled or self.backlog or self.partners or self.coaching)


@dataclass
class RunSummary:
    sent: list[str] = field(default_factory=list)  # the sponsors' emails
    failed: list[tuple[str, str]] = field(default_factory=list)  # (email, error)
    skipped: Counter[Skip] = field(default_factory=Counter)  # how many, per reason
    would_send: list[Digest] = field(default_factory=list)
    stopped: str | None = None  # why the run gave up early (a dead or hung mail server)

    def skip(self, reason: Skip, count: int = 1) -> None:
        if count:
            self.skipped[reason] += count


def sponsor_zone(sponsor: User) -> ZoneInfo:
    return zone_of(sponsor)


def local_week(sponsor: User, now: datetime) -> tuple[date, bool]:
    """(Monday of the sponsor's current week, whether their digest day has come)."""
    local = now.astimezone(sponsor_zone(sponsor))
    week_start = local.date() - timedelta(days=local.weekday())
    return week_start, local.weekday() >= sponsor.digest_weekday


def digest_key(sponsor_id: int, week_start: date) -> str:
    return f"digest:{sponsor_id}:{week_start.isoformat()}"


def digest_for(session: Session, sponsor: User, now: datetime) -> Digest:
    """This week's digest of one sponsor (for the preview page)."""
    week_start, _due = local_week(sponsor, now)
    recruits = by_sponsor(session, now, [sponsor], team=True)[sponsor.id]
    waiting = waiting_by_sponsor(session, [sponsor.id])[sponsor.id]
    misses = partner_misses(session, [sponsor.id], now)[sponsor.id]
    return _digest(sponsor, week_start, recruits, waiting, now, misses)


def _digest(
    sponsor: User,
    week_start: date,
    recruits: list[Standing],
    waiting: list[Submission],
    now: datetime,
    misses: list[PartnerMisses],
) -> Digest:
    return Digest(
        sponsor,
        week_start,
        stalled_only(recruits),
        waiting,
        now,
        misses,
        needs_coaching([r for r in recruits if r.facts.archived_at is None], now),
    )


_Recruit = aliased(User, name="digest_recruit")


def recipients(session: Session, now: datetime, after_id: int, limit: int) -> list[User]:
    """Who may get a digest, in id order, a batch at a time: anyone with a recruit, or
    with a partnership that can have missed days in the week before `now` (never someone
    who left the business: archived people get no email)."""
    has_recruits = exists().where(_Recruit.sponsor_id == User.id)
    has_partner = exists().where(
        or_(Partnership.asker_id == User.id, Partnership.asked_id == User.id), current(now)
    )
    return list(
        session.scalars(
            select(User)
            .where(User.id > after_id, User.archived_at.is_(None), or_(has_recruits, has_partner))
            .order_by(User.id)
            .limit(limit)
        )
    )


def recipient_batches(session: Session, now: datetime, size: int):  # noqa: ANN201 - a generator
    after_id = 0
    while batch := recipients(session, now, after_id, size):
        yield batch
        after_id = batch[-1].id


def partner_misses(
    session: Session, user_ids: list[int], now: datetime
) -> dict[int, list[PartnerMisses]]:
    """Each person's partnerships with a check-in missed in the last week, theirs or
    their partner's (partner_due's three statements for the whole batch)."""
    result: dict[int, list[PartnerMisses]] = {user_id: [] for user_id in user_ids}
    if not user_ids:
        return result
    first, last = window(now)
    mine = or_(Partnership.asker_id.in_(user_ids), Partnership.asked_id.in_(user_ids))
    for pair in load_pairs(session, mine & current(now), first, last):
        missed = {
            person.id: [d.day for d in missed_lately(recent_days(pair, person, now), person, now)]
            for person, _partner in pair.people()
        }
        for person, partner in pair.people():
            if person.id in result and (missed[person.id] or missed[partner.id]):
                result[person.id].append(
                    PartnerMisses(
                        pair.partnership.id, partner.name, missed[person.id], missed[partner.id]
                    )
                )
    return result


def _local_day(sponsor: User, value: datetime | None) -> str:
    return value.astimezone(sponsor_zone(sponsor)).strftime("%a %d %b %Y") if value else ""


def digest_email(digest: Digest) -> RenderedEmail:
    """The digest's subject and both parts, as sent and as the preview shows them."""
    sponsor = digest.sponsor
    stalled = [
        messages.DigestLine(
            s.name,
            s.facts.current_title or "",
            f"idle {int(s.idle_days or 0)} days · last check-in: "
            + (_local_day(sponsor, s.facts.last_check_in_at) or "never"),
            absolute_url("dashboard.recruit", recruit_id=s.recruit_id) + "#check-in",
        )
        for s in digest.stalled[:LIST_LIMIT]
    ]
    waiting = [
        messages.DigestLine(
            s.recruit.name,
            s.assignment.title,
            f"waiting {duration_since(s.submitted_at, digest.now)}",
            absolute_url("review.review", submission_id=s.id),
        )
        for s in digest.waiting[:LIST_LIMIT]
    ]
    partner_lines = [
        messages.PartnerDigestLine(
            m.partner_name,
            [f"{day:%a %d %b}" for day in m.mine],
            [f"{day:%a %d %b}" for day in m.theirs],
            absolute_url("partners.show", partnership_id=m.partnership_id),
        )
        for m in digest.partners
    ]
    coaching = [
        messages.DigestLine(
            s.name,
            "",
            f"{s.facts.team_waiting} hand-in{'s' if s.facts.team_waiting != 1 else ''} waiting,"
            f" the oldest {duration_since(s.facts.team_oldest_wait, digest.now)}",
            absolute_url("dashboard.recruit", recruit_id=s.recruit_id),
        )
        for s in digest.coaching[:LIST_LIMIT]
    ]
    return messages.digest_email(
        sponsor,
        digest.week_start,
        stalled,
        waiting,
        stalled_total=len(digest.stalled),
        waiting_total=len(digest.waiting),
        partners=partner_lines,
        coaching=coaching,
        coaching_total=len(digest.coaching),
    )


def run_digest(session: Session, now: datetime, transport: Transport | None) -> RunSummary:
    """Send this week's digest to every sponsor who is due and has news, each once
    (with no transport: a dry run, which says what it would send and records nothing).

    `now` (`--as-of`) chooses the week and the facts; the claims' leases run on the real
    clock. Per batch of sponsors: a fixed number of reads (who is due, which weeks are in
    the outbox, the stalled recruits, the waiting reviews), one insert that claims every
    new digest, one update that takes over due old ones, then per digest its send and
    its recorded outcome. Claims and outcomes go through an autocommit session, so the
    one holding the batch never commits mid-batch and never reloads what it read.
    """
    summary = RunSummary()
    with writer() as connection:
        for sponsors in recipient_batches(session, now, BATCH_SIZE):
            _run_batch(session, connection, sponsors, now, transport, summary)
            session.expunge_all()  # memory stays flat across batches
            session.rollback()  # nothing was written here: just end the read
            if summary.stopped:
                break
    return summary


def _run_batch(
    session: Session,
    connection: Connection,
    sponsors: list[User],
    now: datetime,
    transport: Transport | None,
    summary: RunSummary,
) -> None:
    due: dict[str, tuple[User, date]] = {}
    for sponsor in sponsors:
        week_start, is_due = local_week(sponsor, now)
        if not sponsor.email_digest:
            summary.skip(Skip.UNSUBSCRIBED)
        elif not is_due:
            summary.skip(Skip.NOT_DUE)
        else:
            due[digest_key(sponsor.id, week_start)] = (sponsor, week_start)
    # A sponsor who moved to a time zone further west can find themselves back in a week
    # whose digest they never got, hours after this week's: once a week means no week
    # earlier than one already recorded.
    latest = _latest_weeks(session, [sponsor.id for sponsor, _week in due.values()])
    for key, (sponsor, week_start) in list(due.items()):
        if latest.get(sponsor.id, week_start) > week_start:
            summary.skip(Skip.LATER_WEEK)
            del due[key]
    emails = {key: sponsor.email for key, (sponsor, _week) in due.items()}
    recorded = _recorded(session, list(due))
    take_over: list[int] = []
    for key, (message_id, status) in recorded.items():
        del due[key]
        if status == DeliveryStatus.SENT:
            summary.skip(Skip.ALREADY_SENT)
        elif status == DeliveryStatus.GAVE_UP:
            summary.skip(Skip.GAVE_UP)
        elif status == DeliveryStatus.CANCELLED:
            summary.skip(Skip.UNSUBSCRIBED)
        else:  # pending, failed or claimed: this run may take it over if it is due
            take_over.append(message_id)
    fresh = [sponsor for sponsor, _week in due.values()]
    recruits = by_sponsor(session, now, fresh, team=True)
    waiting = waiting_by_sponsor(session, [s.id for s in fresh])
    misses = partner_misses(session, [s.id for s in fresh], now)
    new_rows = []
    for key, (sponsor, week_start) in due.items():
        digest = _digest(
            sponsor, week_start, recruits[sponsor.id], waiting[sponsor.id], now, misses[sponsor.id]
        )
        if not digest.has_news:
            summary.skip(Skip.NOTHING_TO_REPORT)
        elif transport is None:
            summary.would_send.append(digest)
        else:
            message = messages.digest(sponsor, week_start, digest_email(digest))
            new_rows.append(
                outbox.columns(
                    message, kind=MessageKind.DIGEST, recipient_id=sponsor.id, dedupe_key=key
                )
            )
    if transport is None:
        _report_unclaimed([], recorded, [], summary)  # what a real run would find
        return
    claims = [lease.take_over(connection, take_over), lease.claim_new(connection, new_rows)]
    _report_unclaimed(claims, recorded, new_rows, summary)
    for claim in claims:
        if summary.stopped:  # the server failed during an earlier claim: hand this one back
            lease.release(connection, claim, claim.items, f"not tried: {summary.stopped}")
            summary.skip(Skip.NOT_TRIED, len(claim.items))
        else:
            _summarize(deliver(connection, claim, transport), emails, summary)


def _latest_weeks(session: Session, sponsor_ids: list[int]) -> dict[int, date]:
    """Each sponsor's latest week with a digest in the outbox (sent or not)."""
    if not sponsor_ids:
        return {}
    rows = session.execute(
        select(OutboxMessage.recipient_id, func.max(OutboxMessage.dedupe_key))
        .where(
            OutboxMessage.kind == MessageKind.DIGEST,
            OutboxMessage.recipient_id.in_(sponsor_ids),
        )
        .group_by(OutboxMessage.recipient_id)
    ).all()
    # Keys are "digest:<sponsor>:<YYYY-MM-DD>": for one sponsor the largest is the latest.
    return {sponsor_id: date.fromisoformat(key.rsplit(":", 1)[1]) for sponsor_id, key in rows}


def _recorded(session: Session, keys: list[str]) -> dict[str, tuple[int, str]]:
    """The outbox rows of these weeks' digests: key → (id, status)."""
    if not keys:
        return {}
    rows = session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.id, OutboxMessage.status).where(
            OutboxMessage.dedupe_key.in_(keys)
        )
    ).all()
    return {key: (message_id, status) for key, message_id, status in rows}


def _report_unclaimed(
    claims: list[Claim],
    recorded: dict[str, tuple[int, str]],
    new_rows: list[dict],
    summary: RunSummary,
) -> None:
    """Say why each digest this run wanted but did not get is somebody else's."""
    claimed = {item.dedupe_key for claim in claims for item in claim.items}
    for key, (_id, status) in recorded.items():
        if status in (DeliveryStatus.SENT, DeliveryStatus.GAVE_UP, DeliveryStatus.CANCELLED):
            continue
        if key in claimed:
            continue
        reason = {
            DeliveryStatus.FAILED: Skip.RETRY_LATER,
            DeliveryStatus.PENDING: Skip.QUEUED,
        }.get(status, Skip.IN_PROGRESS)
        summary.skip(reason)
    for row in new_rows:
        if row["dedupe_key"] not in claimed:  # another run inserted it in between
            summary.skip(Skip.IN_PROGRESS)


def _summarize(report: Report, by_key: dict[str, str], summary: RunSummary) -> None:
    summary.sent += [by_key[item.dedupe_key] for item in report.sent]
    summary.failed += [(by_key[item.dedupe_key], error) for item, error in report.failed]
    summary.skip(Skip.TAKEN_OVER, len(report.lost))
    summary.skip(Skip.NOT_TRIED, len(report.released))
    summary.stopped = summary.stopped or report.stopped
