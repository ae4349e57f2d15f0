"""The scheduled partner emails: a reminder on each check-in day and the renewal request
7 days before a term ends, recorded in the outbox (the mail worker sends them).

`flask partners remind` runs this every 15 minutes. Each message has a dedupe key, and
the insert skips a key that exists (outbox.enqueue_once), so however often it runs, and
from however many machines at once, each partner gets one reminder per scheduled day
(`partner-reminder:<partnership>:<user>:<local date>`) and one renewal request per term
(`partner-renewal:<partnership>:<user>:<ends_on>`).

A reminder goes once the person's local time has reached their reminder minute, on a
day their schedule falls on (partner_schedule.is_due_on, in their own zone), unless they
already checked in for it. A run costs a fixed number of statements (partner_due's
three, the renewal answers, the keys already recorded, one batched insert), whatever the
number of partnerships.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.mail import messages, outbox
from app.mail.unsubscribe import EmailKind
from app.models import PartnerRenewal, Partnership, PartnershipStatus, User
from app.services.partner_due import Pair, load_pairs
from app.services.partner_notices import page_url, wants
from app.services.partner_schedule import is_due_on
from app.services.partners import is_running, renewal_open, schedule_of
from app.services.people import zone_of


@dataclass
class ReminderReport:
    partnerships: int = 0  # running ones looked at
    reminders: int = 0  # newly recorded
    renewals: int = 0  # newly recorded
    already: int = 0  # due, but recorded by an earlier (or a parallel) run

    def line(self) -> str:
        return (
            f"partnerships: {self.partnerships}, reminders: {self.reminders}, "
            f"renewal requests: {self.renewals}, already recorded: {self.already}"
        )


def reminder_key(partnership_id: int, user_id: int, day: date) -> str:
    return f"partner-reminder:{partnership_id}:{user_id}:{day.isoformat()}"


def renewal_key(partnership_id: int, user_id: int, ends_on: date) -> str:
    return f"partner-renewal:{partnership_id}:{user_id}:{ends_on.isoformat()}"


def running(now: datetime):  # noqa: ANN201 - a SQL expression
    """SQL: active partnerships whose term may still run somewhere on Earth at `now`."""
    return (Partnership.status == PartnershipStatus.ACTIVE) & (
        Partnership.ends_on > now.date() - timedelta(days=1)
    )


def reminder_time_reached(person: User, now: datetime) -> bool:
    """Local time has reached the person's reminder minute (on a spring-forward day a
    minute that does not exist is reached when the clock jumps past it)."""
    local = now.astimezone(zone_of(person))
    return local.hour * 60 + local.minute >= person.partner_reminder_minute


@dataclass(frozen=True)
class _Due:
    key: str
    kind: str  # an EmailKind
    pair: Pair
    person: User
    partner: User
    day: date  # the check-in day, or the term's end


def _wanted(pair: Pair, answered: set[tuple[int, int, date]], now: datetime) -> list[_Due]:
    """What this partnership's two people are owed at `now` (recorded or not)."""
    partnership = pair.partnership
    out = []
    for person, partner in pair.people():
        today = now.astimezone(zone_of(person)).date()
        if not is_running(partnership, today) or not reminder_time_reached(person, now):
            continue
        scheduled = any(
            is_due_on(schedule_of(seg.agreement), seg.term, zone_of(person), now)
            for seg in pair.segments
        )
        checked_in = today in pair.posted.get(person.id, {})
        if scheduled and not checked_in and wants(person, EmailKind.PARTNER_REMINDER):
            key = reminder_key(partnership.id, person.id, today)
            out.append(_Due(key, EmailKind.PARTNER_REMINDER, pair, person, partner, today))
        ends_on = partnership.ends_on
        if (
            renewal_open(partnership, today)
            and (partnership.id, person.id, ends_on) not in answered
            and wants(person, EmailKind.PARTNER_RENEWAL)
        ):
            key = renewal_key(partnership.id, person.id, ends_on)  # type: ignore[arg-type]
            out.append(_Due(key, EmailKind.PARTNER_RENEWAL, pair, person, partner, ends_on))  # type: ignore[arg-type]
    return out


def _message(due: _Due) -> messages.Message:
    context: dict[str, object] = {"partner": due.partner}
    if due.kind == EmailKind.PARTNER_REMINDER:
        template = "partner_reminder"
        context.update(day=due.day, grace_day=due.day + timedelta(days=1))
    else:
        template = "partner_renewal"
        context.update(ends_on=due.day)
    return messages.partner_notice(
        template, due.person, due.kind, page_url=page_url(due.pair.partnership), **context
    )


def run_reminders(session: Session, now: datetime) -> ReminderReport:
    """Record every reminder and renewal request due at `now` that is not recorded yet,
    and commit."""
    today = now.date()
    pairs = load_pairs(session, running(now), today - timedelta(days=1), today + timedelta(days=1))
    answered = _renewal_answers(session, now)
    due = [item for pair in pairs for item in _wanted(pair, answered, now)]
    recorded = outbox.recorded_keys(session, [item.key for item in due])
    fresh = [item for item in due if item.key not in recorded]
    rows = [
        outbox.columns(
            _message(item),
            kind=EmailKind.MESSAGES[item.kind][0],
            recipient_id=item.person.id,
            dedupe_key=item.key,
        )
        for item in fresh
    ]
    inserted = outbox.enqueue_once(session, rows)
    session.commit()
    # A parallel run may have recorded some of the fresh ones in the meantime: "already".
    reminders = sum(1 for key in inserted if key.startswith("partner-reminder:"))
    return ReminderReport(
        partnerships=len(pairs),
        reminders=reminders,
        renewals=len(inserted) - reminders,
        already=len(due) - len(inserted),
    )


def _renewal_answers(session: Session, now: datetime) -> set[tuple[int, int, date]]:
    """(partnership, person, term end) of every "renew?" answered for a running term."""
    rows = session.execute(
        select(PartnerRenewal.partnership_id, PartnerRenewal.user_id, PartnerRenewal.ends_on)
        .join(Partnership, Partnership.id == PartnerRenewal.partnership_id)
        .where(running(now), PartnerRenewal.ends_on == Partnership.ends_on)
    )
    return {(p, u, e) for p, u, e in rows}
