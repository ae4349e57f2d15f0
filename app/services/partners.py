"""Accountability partners: asking, agreeing, checking in, replying, renewing and ending
(PRODUCT.md, "Accountability partners"). Views call these; each change is one
transaction, committed here, with the emails it causes recorded in it (partner_notices).

Only the two partners may see or change a partnership: anyone else gets NotFound, as if
it did not exist. How each scheduled day stands is derived by partner_schedule from the
agreement, the check-ins and `now`, never stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import (
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
    User,
    normalize_email,
    utcnow,
)
from app.services import partner_notices
from app.services.errors import InvalidTransition, NotFound
from app.services.partner_schedule import (
    MAX_TERM_MONTHS,
    Cadence,
    DayState,
    Schedule,
    ScheduledDay,
    Term,
    add_months,
    day_states,
    deadline,
)
from app.services.people import zone_of

RENEWAL_NOTICE_DAYS = 7  # the renewal request opens this many days before the term ends
LATE_CHECK_IN_DAYS = 7  # a missed day can still be checked in (late) this long after
OPEN = (PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE)


@dataclass(frozen=True)
class Terms:
    """What one partner proposes; handles are the proposer's own and the other's."""

    rules: str
    cadence: str
    weekdays: frozenset[int]
    channel: str
    my_handle: str
    their_handle: str
    term_months: int
    note: str = ""

    def schedule(self) -> Schedule:
        """The schedule, or InvalidTransition beside the field that is wrong."""
        try:
            cadence = Cadence(self.cadence)
        except ValueError:
            raise InvalidTransition("Choose how often you check in.", "cadence") from None
        weekdays = self.weekdays if cadence in (Cadence.WEEKLY, Cadence.WEEKDAYS) else frozenset()
        if cadence == Cadence.WEEKLY and len(weekdays) != 1:
            raise InvalidTransition("A weekly check-in needs exactly one weekday.", "weekdays")
        if cadence == Cadence.WEEKDAYS and not weekdays:
            raise InvalidTransition("Choose at least one weekday.", "weekdays")
        try:
            return Schedule(cadence, weekdays)
        except ValueError as error:
            raise InvalidTransition(str(error), "weekdays") from None

    def check(self) -> Schedule:
        schedule = self.schedule()
        if self.channel not in set(Channel):
            raise InvalidTransition("Choose how you will keep in touch.", "channel")
        if not 1 <= self.term_months <= MAX_TERM_MONTHS:
            raise InvalidTransition(
                f"A term runs 1 to {MAX_TERM_MONTHS} months (3 to 6 suggested).", "term_months"
            )
        return schedule


def today_of(user: User, now: datetime) -> date:
    return now.astimezone(zone_of(user)).date()


# --- reading ---------------------------------------------------------------------------


def get_partnership(session: Session, user: User, partnership_id: int) -> Partnership:
    """A partnership of the user's; anyone else's looks absent."""
    partnership = session.get(Partnership, partnership_id)
    if partnership is None or not partnership.involves(user.id):
        raise NotFound("No such partnership.")
    return partnership


def get_check_in(session: Session, user: User, check_in_id: int) -> PartnerCheckIn:
    """A check-in of one of the user's partnerships; anyone else's looks absent."""
    entry = session.get(PartnerCheckIn, check_in_id)
    if entry is None:
        raise NotFound("No such check-in.")
    get_partnership(session, user, entry.partnership_id)
    return entry


def asked_person(session: Session, user_id: int | None) -> User | None:
    """The suggested person an ask form names (anyone on Willing may be asked)."""
    person = session.get(User, user_id) if user_id else None
    return person if person is not None and person.archived_at is None else None


def involving(user_id: int):  # noqa: ANN201 - a SQL expression
    return or_(Partnership.asker_id == user_id, Partnership.asked_id == user_id)


def pending_agreement(session: Session, partnership: Partnership) -> PartnerAgreement | None:
    return session.scalar(
        select(PartnerAgreement).where(
            PartnerAgreement.partnership_id == partnership.id,
            PartnerAgreement.status == AgreementStatus.PROPOSED,
        )
    )


def accepted_agreements(session: Session, partnership_id: int) -> list[PartnerAgreement]:
    return list(
        session.scalars(
            select(PartnerAgreement)
            .where(
                PartnerAgreement.partnership_id == partnership_id,
                PartnerAgreement.status == AgreementStatus.ACCEPTED,
            )
            .order_by(PartnerAgreement.version)
        )
    )


def is_running(partnership: Partnership, today: date) -> bool:
    """Active and inside its term (a term that ran out without renewal has ended)."""
    return (
        partnership.status == PartnershipStatus.ACTIVE
        and partnership.ends_on is not None
        and today < partnership.ends_on
    )


def has_ended(partnership: Partnership, today: date) -> bool:
    return partnership.status == PartnershipStatus.ENDED or (
        partnership.status == PartnershipStatus.ACTIVE
        and partnership.ends_on is not None
        and today >= partnership.ends_on
    )


def renewal_open(partnership: Partnership, today: date) -> bool:
    """The last RENEWAL_NOTICE_DAYS of a running term: both are asked to renew."""
    return is_running(partnership, today) and (
        partnership.ends_on - timedelta(days=RENEWAL_NOTICE_DAYS) <= today  # type: ignore[operator]
    )


def schedule_of(agreement: PartnerAgreement) -> Schedule:
    return Schedule(Cadence(agreement.cadence), agreement.weekday_set)


@dataclass(frozen=True)
class Segment:
    """The stretch of days one accepted version of the agreement governs."""

    agreement: PartnerAgreement
    term: Term


def segments(partnership: Partnership, agreements: list[PartnerAgreement]) -> list[Segment]:
    """Each accepted version from its first day to the next one's (the last to the end
    of the current term). A later version accepted for the same day replaces it."""
    if partnership.ends_on is None:
        return []
    dated = [a for a in agreements if a.effective_on is not None]
    dated.sort(key=lambda a: (a.effective_on, a.version))
    out: list[Segment] = []
    for index, agreement in enumerate(dated):
        start = agreement.effective_on
        end = dated[index + 1].effective_on if index + 1 < len(dated) else partnership.ends_on
        if partnership.status == PartnershipStatus.ENDED and partnership.ended_at is not None:
            end = min(end, _ended_on(partnership))  # type: ignore[type-var]
        if start < end:  # type: ignore[operator]
            out.append(Segment(agreement, Term(start, end)))  # type: ignore[arg-type]
    return out


def _ended_on(partnership: Partnership) -> date:
    """The day after the last scheduled day of a partnership ended early: the day it was
    ended (in UTC; a day already under way still counts)."""
    return partnership.ended_at.date() + timedelta(days=1)  # type: ignore[union-attr]


def partner_days(
    segs: list[Segment], user: User, posted: dict[date, datetime], now: datetime
) -> list[ScheduledDay]:
    """How each scheduled day stands for one partner, across the versions."""
    zone = zone_of(user)
    out: list[ScheduledDay] = []
    for seg in segs:
        out += day_states(schedule_of(seg.agreement), seg.term, zone, posted, now)
    return out


def open_days(days: list[ScheduledDay]) -> list[date]:
    """Days a check-in can be posted for now: due ones, and missed ones of the last week
    (posted late), newest first."""
    return [d.day for d in reversed(days) if d.state == DayState.DUE] + [
        d.day for d in reversed(days) if d.state == DayState.MISSED
    ]


# --- asking ----------------------------------------------------------------------------


def active_count(session: Session, user_id: int, today: date) -> int:
    """Running partnerships: agreed, and their term not over (one that ran out without
    renewal has ended, whatever its stored status)."""
    return session.scalar(
        select(func.count())
        .select_from(Partnership)
        .where(
            involving(user_id),
            Partnership.status == PartnershipStatus.ACTIVE,
            Partnership.ends_on > today,
        )
    )


def _open_between(session: Session, one: int, other: int, today: date) -> Partnership | None:
    """A waiting request or a running partnership between the two, either way round."""
    return session.scalar(
        select(Partnership)
        .where(
            or_(
                Partnership.status == PartnershipStatus.PROPOSED,
                (Partnership.status == PartnershipStatus.ACTIVE) & (Partnership.ends_on > today),
            ),
            or_(
                (Partnership.asker_id == one) & (Partnership.asked_id == other),
                (Partnership.asker_id == other) & (Partnership.asked_id == one),
            ),
        )
        .limit(1)
    )


def _refuse_if_full(session: Session, user: User, now: datetime, field: str | None = None) -> None:
    if active_count(session, user.id, today_of(user, now)) >= MAX_ACTIVE_PARTNERSHIPS:
        raise InvalidTransition(
            f"You already have {MAX_ACTIVE_PARTNERSHIPS} accountability partners, the most"
            " anyone can keep up with. End one first, or hold each other to your word in a"
            " mastermind group.",
            field,
        )


def _new_agreement(
    partnership: Partnership, proposer: User, terms: Terms, version: int, now: datetime
) -> PartnerAgreement:
    by_asker = proposer.id == partnership.asker_id
    schedule = terms.check()
    return PartnerAgreement(
        partnership_id=partnership.id,
        version=version,
        proposed_by_id=proposer.id,
        status=AgreementStatus.PROPOSED,
        rules=terms.rules.strip(),
        cadence=schedule.cadence.value,
        weekdays=",".join(str(d) for d in sorted(schedule.weekdays)),
        channel=terms.channel,
        asker_handle=(terms.my_handle if by_asker else terms.their_handle).strip(),
        asked_handle=(terms.their_handle if by_asker else terms.my_handle).strip(),
        term_months=terms.term_months,
        note=terms.note.strip(),
        proposed_at=now,
    )


def ask(
    session: Session,
    asker: User,
    terms: Terms,
    *,
    partner_id: int | None = None,
    email: str = "",
    now: datetime | None = None,
) -> Partnership:
    """Ask someone on Willing (by id) or anyone by email to be partners on these terms."""
    now = now or utcnow()
    terms.check()
    asked: User | None = None
    address = normalize_email(email) if email else None
    if partner_id is not None:
        asked = session.get(User, partner_id)
        if asked is None or asked.archived_at is not None:
            raise InvalidTransition("That person is not on Willing any more.", "partner")
    elif address:
        asked = session.scalar(select(User).where(User.email == address))
        if asked is not None and asked.archived_at is not None:
            raise InvalidTransition("That person is not on Willing any more.", "email")
    else:
        raise InvalidTransition("Choose someone to ask, or type their email address.", "email")
    field = "email" if partner_id is None else "partner"
    if asked is not None and asked.id == asker.id:
        raise InvalidTransition("You can't be your own accountability partner.", field)
    _refuse_if_full(session, asker, now, field)
    if asked is not None:
        existing = _open_between(session, asker.id, asked.id, today_of(asker, now))
        if existing is not None:
            if existing.status == PartnershipStatus.ACTIVE:
                raise InvalidTransition(f"{asked.name} is already your partner.", field)
            raise InvalidTransition(
                f"You and {asked.name} already have a request open: see Partners.", field
            )
        partnership = Partnership(asker_id=asker.id, asked_id=asked.id, created_at=now)
    else:
        if _opted_out(session, address):
            raise InvalidTransition(
                "That address asked not to get invitations from Willing.", "email"
            )
        pending = session.scalar(
            select(func.count())
            .select_from(Partnership)
            .where(
                Partnership.asker_id == asker.id,
                Partnership.invite_email == address,
                Partnership.status == PartnershipStatus.PROPOSED,
            )
        )
        if pending:
            raise InvalidTransition(f"You already invited {address}.", "email")
        partnership = Partnership(
            asker_id=asker.id,
            invite_email=address,
            invite_token=secrets.token_urlsafe(24),
            created_at=now,
        )
    session.add(partnership)
    session.flush()
    agreement = _new_agreement(partnership, asker, terms, 1, now)
    session.add(agreement)
    session.flush()
    partner_notices.requested(session, partnership, agreement)
    session.commit()
    return partnership


def invitation(session: Session, token: str) -> Partnership:
    """The request behind an emailed link (still waiting for an answer)."""
    partnership = session.scalar(select(Partnership).where(Partnership.invite_token == token))
    if partnership is None or partnership.status != PartnershipStatus.PROPOSED:
        raise NotFound("This invitation was withdrawn or already answered.")
    return partnership


def claim_invitation(
    session: Session, user: User, token: str, now: datetime | None = None
) -> Partnership:
    """The invited person, signed in, takes the request as theirs (then answers it)."""
    now = now or utcnow()
    partnership = invitation(session, token)
    if partnership.asked_id == user.id:
        return partnership
    if partnership.asked_id is not None:
        raise NotFound("This invitation was already taken.")
    if partnership.asker_id == user.id:
        raise InvalidTransition("This is your own invitation: it waits for the person you asked.")
    existing = _open_between(session, partnership.asker_id, user.id, today_of(user, now))
    if existing is not None:
        already = "are partners" if existing.status == "active" else "have a request open"
        raise InvalidTransition(f"You and {partnership.asker.name} already {already}.")
    claimed = session.execute(
        update(Partnership)
        .where(Partnership.id == partnership.id, Partnership.asked_id.is_(None))
        .values(asked_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise NotFound("This invitation was already taken.")
    session.commit()
    session.refresh(partnership)
    return partnership


def _opted_out(session: Session, address: str | None) -> bool:
    return session.scalar(select(EmailOptOut.id).where(EmailOptOut.email == address)) is not None


def opt_out_of_invitations(session: Session, email: str, now: datetime | None = None) -> None:
    address = normalize_email(email)
    if not _opted_out(session, address):
        session.add(EmailOptOut(email=address, created_at=now or utcnow()))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # the same link clicked twice at once


# --- answering -------------------------------------------------------------------------


def _waiting_for(session: Session, user: User, partnership: Partnership) -> PartnerAgreement:
    """The version waiting for this user's answer (proposed by the other partner)."""
    pending = pending_agreement(session, partnership)
    if pending is None or partnership.status not in OPEN:
        raise InvalidTransition("There is nothing waiting for your answer here.")
    if pending.proposed_by_id == user.id:
        raise InvalidTransition("This is your own proposal: it waits for your partner.")
    return pending


def accept(
    session: Session,
    user: User,
    partnership_id: int,
    *,
    my_handle: str = "",
    now: datetime | None = None,
) -> Partnership:
    """Accept the waiting version: a request starts the partnership (and its term) today,
    a change governs from tomorrow. At most MAX_ACTIVE_PARTNERSHIPS each, even when two
    requests are accepted at once."""
    now = now or utcnow()
    partnership = get_partnership(session, user, partnership_id)
    pending = _waiting_for(session, user, partnership)
    today = today_of(user, now)
    if my_handle.strip():
        if user.id == partnership.asker_id:
            pending.asker_handle = my_handle.strip()
        else:
            pending.asked_handle = my_handle.strip()
    taken = session.execute(
        update(PartnerAgreement)
        .where(
            PartnerAgreement.id == pending.id,
            PartnerAgreement.status == AgreementStatus.PROPOSED,
        )
        .values(status=AgreementStatus.ACCEPTED, answered_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        session.rollback()
        raise InvalidTransition("This was answered a moment ago: here is where it stands.")
    if partnership.status == PartnershipStatus.PROPOSED:
        _lock_people(session, partnership)
        started = session.execute(
            update(Partnership)
            .where(Partnership.id == partnership.id, Partnership.status == "proposed")
            .values(
                status=PartnershipStatus.ACTIVE,
                answered_at=now,
                term_started_on=today,
                ends_on=add_months(today, pending.term_months),
                invite_token=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if started != 1:
            session.rollback()
            raise InvalidTransition("This request was answered a moment ago.")
        for person_id in (partnership.asker_id, partnership.asked_id):
            if active_count(session, person_id, today) > MAX_ACTIVE_PARTNERSHIPS:  # type: ignore[arg-type]
                session.rollback()
                who = "You already have" if person_id == user.id else "Your partner already has"
                raise InvalidTransition(
                    f"{who} {MAX_ACTIVE_PARTNERSHIPS} accountability partners: end one first."
                )
        session.execute(
            update(PartnerAgreement)
            .where(PartnerAgreement.id == pending.id)
            .values(effective_on=today)
            .execution_options(synchronize_session=False)
        )
    else:
        tomorrow = today + timedelta(days=1)
        ends_on = add_months(partnership.term_started_on, pending.term_months)  # type: ignore[arg-type]
        if ends_on <= tomorrow:
            session.rollback()
            raise InvalidTransition(
                "That term would already be over: propose a longer one, or end the partnership."
            )
        session.execute(
            update(PartnerAgreement)
            .where(PartnerAgreement.id == pending.id)
            .values(effective_on=tomorrow)
            .execution_options(synchronize_session=False)
        )
        partnership.ends_on = ends_on
    session.flush()
    session.refresh(partnership)
    session.refresh(pending)
    partner_notices.answered(session, partnership, pending, accepted=True)
    session.commit()
    return partnership


def _lock_people(session: Session, partnership: Partnership) -> None:
    """Take both partners' rows (in id order) so two accepts for one person run one after
    the other; SQLite serialises writers anyway."""
    if session.get_bind().dialect.name == "postgresql":
        ids = sorted(i for i in (partnership.asker_id, partnership.asked_id) if i is not None)
        session.execute(select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update())


def decline(session: Session, user: User, partnership_id: int, now: datetime | None = None):  # noqa: ANN201
    """Say no to the waiting version: a request is declined; a change leaves the terms as
    they were."""
    now = now or utcnow()
    partnership = get_partnership(session, user, partnership_id)
    pending = _waiting_for(session, user, partnership)
    if not _close(session, pending, AgreementStatus.DECLINED, now):
        session.rollback()
        raise InvalidTransition("This was answered a moment ago: here is where it stands.")
    if partnership.status == PartnershipStatus.PROPOSED:
        partnership.status = PartnershipStatus.DECLINED
        partnership.answered_at = now
        partnership.invite_token = None
    partner_notices.answered(session, partnership, pending, accepted=False)
    session.commit()
    return partnership


def withdraw(session: Session, user: User, partnership_id: int, now: datetime | None = None):  # noqa: ANN201
    """Take back one's own waiting proposal: a request (by the asker) is withdrawn; a
    change or counter-proposal is dropped (a request countered goes back to the asked's
    answer being needed, so the asker's version is not revived: the request ends)."""
    now = now or utcnow()
    partnership = get_partnership(session, user, partnership_id)
    pending = pending_agreement(session, partnership)
    if pending is None or pending.proposed_by_id != user.id or partnership.status not in OPEN:
        raise InvalidTransition("You have no proposal waiting here.")
    if not _close(session, pending, AgreementStatus.REPLACED, now):
        session.rollback()
        raise InvalidTransition("This was answered a moment ago: here is where it stands.")
    if partnership.status == PartnershipStatus.PROPOSED:
        partnership.status = PartnershipStatus.WITHDRAWN
        partnership.answered_at = now
        partnership.invite_token = None
    session.commit()
    return partnership


def _close(session: Session, agreement: PartnerAgreement, status: str, now: datetime) -> bool:
    closed = session.execute(
        update(PartnerAgreement)
        .where(
            PartnerAgreement.id == agreement.id,
            PartnerAgreement.status == AgreementStatus.PROPOSED,
        )
        .values(status=status, answered_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        return False  # the caller rolls back
    session.expire(agreement)
    return True


def propose(
    session: Session,
    user: User,
    partnership_id: int,
    terms: Terms,
    now: datetime | None = None,
) -> PartnerAgreement:
    """A counter-proposal to a request, or a change to running terms: it replaces the
    version still waiting (whoever proposed it) and waits for the other's answer."""
    now = now or utcnow()
    partnership = get_partnership(session, user, partnership_id)
    today = today_of(user, now)
    if partnership.status == PartnershipStatus.PROPOSED and partnership.asked_id is None:
        raise InvalidTransition("Nobody has taken this invitation yet.")
    if not (partnership.status == PartnershipStatus.PROPOSED or is_running(partnership, today)):
        raise InvalidTransition("This partnership has ended: its terms can't change.")
    terms.check()
    if partnership.term_started_on is not None:
        ends_on = add_months(partnership.term_started_on, terms.term_months)
        if ends_on <= today + timedelta(days=1):
            raise InvalidTransition(
                "That term would already be over: choose more months.", "term_months"
            )
    pending = pending_agreement(session, partnership)
    if pending is not None and not _close(session, pending, AgreementStatus.REPLACED, now):
        session.rollback()
        raise InvalidTransition("Your partner answered a moment ago: here is where it stands.")
    version = (
        session.scalar(
            select(func.max(PartnerAgreement.version)).where(
                PartnerAgreement.partnership_id == partnership.id
            )
        )
        or 0
    ) + 1
    agreement = _new_agreement(partnership, user, terms, version, now)
    session.add(agreement)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise InvalidTransition(
            "Your partner proposed something a moment ago: read it first."
        ) from None
    partner_notices.proposed(session, partnership, agreement)
    session.commit()
    return agreement


# --- checking in -----------------------------------------------------------------------


def check_in(
    session: Session,
    user: User,
    partnership_id: int,
    *,
    day: date | None,
    said: str,
    did: str,
    next_step: str,
    note: str = "",
    now: datetime | None = None,
) -> PartnerCheckIn:
    """One check-in for one scheduled day, on time or late (up to LATE_CHECK_IN_DAYS
    after the day), never for a day to come, never twice."""
    now = now or utcnow()
    partnership = get_partnership(session, user, partnership_id)
    today = today_of(user, now)
    if partnership.status == PartnershipStatus.ENDED:
        raise InvalidTransition("This partnership has ended: no more check-ins.", "day")
    if partnership.status != PartnershipStatus.ACTIVE or partnership.term_started_on is None:
        raise InvalidTransition("Check-ins start once your partner has agreed.", "day")
    if day is None:
        raise InvalidTransition("Choose the day this check-in is for.", "day")
    if day > today:
        raise InvalidTransition("That day hasn't come yet: check in on the day.", "day")
    if has_ended(partnership, today) and day >= _last_day(partnership):
        raise InvalidTransition("This partnership has ended: no more check-ins.", "day")
    if did not in set(Did):
        raise InvalidTransition("Say whether you did it: yes, partly or no.", "did")
    if not next_step.strip():
        raise InvalidTransition("Say what you will do next.", "next_step")
    segs = segments(partnership, accepted_agreements(session, partnership.id))
    seg = next((s for s in segs if s.term.first_day <= day < s.term.end), None)
    if seg is None or not schedule_of(seg.agreement).falls_on(day, seg.term.first_day):
        raise InvalidTransition(f"{day:%A %d %B} isn't one of your scheduled days.", "day")
    if day < today - timedelta(days=LATE_CHECK_IN_DAYS) and now >= deadline(day, zone_of(user)):
        raise InvalidTransition(
            f"{day:%d %B} is more than {LATE_CHECK_IN_DAYS} days ago: it stays missed.", "day"
        )
    entry = PartnerCheckIn(
        partnership_id=partnership.id,
        author_id=user.id,
        day=day,
        said=said.strip(),
        did=did,
        next=next_step.strip(),
        note=note.strip(),
        created_at=now,
    )
    session.add(entry)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise InvalidTransition(f"You already checked in for {day:%A %d %B}.", "day") from None
    partner_notices.checked_in(session, partnership, entry)
    session.commit()
    return entry


def _last_day(partnership: Partnership) -> date:
    if partnership.status == PartnershipStatus.ENDED and partnership.ended_at is not None:
        return min(_ended_on(partnership), partnership.ends_on or _ended_on(partnership))
    return partnership.ends_on  # type: ignore[return-value]


def last_next(session: Session, partnership_id: int, user_id: int) -> str:
    """What the partner said they would do next last time: the new check-in's "said"."""
    return (
        session.scalar(
            select(PartnerCheckIn.next)
            .where(
                PartnerCheckIn.partnership_id == partnership_id,
                PartnerCheckIn.author_id == user_id,
            )
            .order_by(PartnerCheckIn.day.desc(), PartnerCheckIn.id.desc())
            .limit(1)
        )
        or ""
    )


def reply(
    session: Session, user: User, check_in_id: int, body: str, now: datetime | None = None
) -> PartnerReply:
    """A reply under a check-in of the partnership (either partner may answer)."""
    now = now or utcnow()
    entry = get_check_in(session, user, check_in_id)
    partnership = get_partnership(session, user, entry.partnership_id)
    if not body.strip():
        raise InvalidTransition("Write your reply first.", "body")
    answer = PartnerReply(
        check_in_id=entry.id, author_id=user.id, body=body.strip(), created_at=now
    )
    session.add(answer)
    session.flush()
    partner_notices.replied(session, partnership, entry, answer)
    session.commit()
    return answer


# --- renewing and ending ---------------------------------------------------------------


def answer_renewal(
    session: Session,
    user: User,
    partnership_id: int,
    *,
    renew: bool,
    how_it_went: str,
    now: datetime | None = None,
) -> Partnership:
    """Renew or not, in a line on how it went. When both renew, a new term of the same
    length starts where this one ends; a "no" lets it end at the term's end."""
    now = now or utcnow()
    partnership = get_partnership(session, user, partnership_id)
    today = today_of(user, now)
    if not renewal_open(partnership, today):
        raise InvalidTransition(
            f"Renewal opens {RENEWAL_NOTICE_DAYS} days before the term ends.", "renew"
        )
    if not how_it_went.strip():
        raise InvalidTransition("Say in a line how it went.", "how_it_went")
    if session.get_bind().dialect.name == "postgresql":
        # The two answers one after the other, so the second sees the first and renews.
        session.execute(
            select(Partnership.id).where(Partnership.id == partnership.id).with_for_update()
        )
    ends_on = partnership.ends_on
    session.add(
        PartnerRenewal(
            partnership_id=partnership.id,
            user_id=user.id,
            ends_on=ends_on,
            renew=renew,
            how_it_went=how_it_went.strip(),
            created_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise InvalidTransition("You already answered for this term.", "renew") from None
    answers = session.scalars(
        select(PartnerRenewal.renew).where(
            PartnerRenewal.partnership_id == partnership.id, PartnerRenewal.ends_on == ends_on
        )
    ).all()
    renewed = len(answers) == 2 and all(answers)
    if renewed:
        months = accepted_agreements(session, partnership.id)[-1].term_months
        moved = session.execute(
            update(Partnership)
            .where(Partnership.id == partnership.id, Partnership.ends_on == ends_on)
            .values(term_started_on=ends_on, ends_on=add_months(ends_on, months))  # type: ignore[arg-type]
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            session.rollback()
            raise InvalidTransition("Your partner answered a moment ago: try again.", "renew")
    partner_notices.renewal_answered(session, partnership, user, renew=renew, renewed=renewed)
    session.commit()
    session.refresh(partnership)
    return partnership


def renewal_answers(session: Session, partnership: Partnership) -> dict[int, PartnerRenewal]:
    """Who has answered "renew?" for the current term, by user id."""
    if partnership.ends_on is None:
        return {}
    rows = session.scalars(
        select(PartnerRenewal).where(
            PartnerRenewal.partnership_id == partnership.id,
            PartnerRenewal.ends_on == partnership.ends_on,
        )
    )
    return {row.user_id: row for row in rows}


def end(
    session: Session, user: User, partnership_id: int, note: str, now: datetime | None = None
) -> Partnership:
    """End a running partnership now, with a note the partner reads; it stays readable."""
    now = now or utcnow()
    partnership = get_partnership(session, user, partnership_id)
    if not is_running(partnership, today_of(user, now)):
        raise InvalidTransition("This partnership isn't running.", "note")
    if not note.strip():
        raise InvalidTransition("Leave your partner a note: why you are ending it.", "note")
    ended = session.execute(
        update(Partnership)
        .where(Partnership.id == partnership.id, Partnership.status == "active")
        .values(
            status=PartnershipStatus.ENDED,
            ended_at=now,
            ended_by_id=user.id,
            end_note=note.strip(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended != 1:
        session.rollback()
        raise InvalidTransition("Your partner ended it a moment ago.", "note")
    pending = pending_agreement(session, partnership)
    if pending is not None:
        _close(session, pending, AgreementStatus.REPLACED, now)
    session.flush()
    session.refresh(partnership)
    partner_notices.ended(session, partnership, user)
    session.commit()
    return partnership
