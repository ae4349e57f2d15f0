"""The one claim/lease mechanism for every outgoing message (notifications, digests and
whatever comes next): who may send a message of the outbox, and for how long.

A sender claims messages by writing its own random token on them, the time it took
them (`claimed_at`) and the end of its lease (`due_at` = now + MAIL_LEASE_SECONDS).
Claiming is one conditional statement (an UPDATE of due rows, `FOR UPDATE SKIP LOCKED`
on PostgreSQL, or an INSERT that skips existing keys), so of any number of senders, on
any number of machines, one gets each message. Right before each send the sender checks
how much of its lease is left on its own monotonic clock; when less than the longest a
send can take is left, it renews every claim it still holds and learns which those are,
and it skips what it no longer owns. Only the holder of the token records the outcome.
A sender that dies leaves its claims to whoever comes after the lease ends.

Leases are measured on the real clock, never on `--as-of` (which only chooses the week
and the facts of a digest). Machines sharing a database need their clocks in step
(NTP): a clock running ahead by more than the safety margin could take a live claim.

The one case that can repeat a message: a sender that dies (or loses its database)
after the mail server accepted a message and before it recorded "sent"; after the lease
the message goes again. Digests carry a fixed Message-ID per sponsor and week, so mail
systems can drop the copy.

Every statement runs on an autocommit connection: each claim, renewal and outcome is
one statement, visible to every other sender the moment it is written.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from flask import current_app
from sqlalchemy import and_, any_, bindparam, case, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from app.models import DeliveryStatus, MessageKind, OutboxMessage, utcnow
from app.models.outbox import OPEN_STATUSES

_outbox = OutboxMessage.__table__
_c = _outbox.c
MAX_RETRY_DELAY = timedelta(hours=6)
# A reset link works for an hour: after that its email is no use to anyone.
GIVE_UP_AFTER = {MessageKind.PASSWORD_RESET: timedelta(hours=1)}


@dataclass(frozen=True)
class Item:
    """One claimed message: what the sender needs to send it."""

    id: int
    recipient: str
    data: bytes
    attempts: int  # tries before this one
    dedupe_key: str | None
    kind: str
    created_at: datetime


@dataclass
class Claim:
    """The messages one sender holds, and until when."""

    token: str
    lease: timedelta
    items: list[Item] = field(default_factory=list)
    # time.monotonic() just before the statement that took (or last renewed) the claims.
    renewed_at: float = 0.0
    owned: set[int] = field(default_factory=set)

    def seconds_left(self) -> float:
        return self.lease.total_seconds() - (time.monotonic() - self.renewed_at)

    def keeps(self, connection: Connection, item: Item) -> bool:
        """Right before sending `item`: is it still ours, for longer than a send can take?

        Renews every claim still held when less than the safety margin is left."""
        if self.seconds_left() < safety_margin(self.lease):
            renew(connection, self)
        return item.id in self.owned


def lease_length() -> timedelta:
    return timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


def longest_send() -> float:
    """Seconds one send can take at most: a timeout for each step of a full SMTP
    dialogue on a fresh connection (connect, greeting, EHLO, STARTTLS, EHLO, AUTH, MAIL,
    RCPT, DATA, the body, the reply), after a reused connection turned out dead."""
    return 14 * float(current_app.config["MAIL_TIMEOUT"])


def safety_margin(lease: timedelta) -> float:
    """Seconds of lease a sender must have left to start a send: the longest a send can
    take and 30 s of clock skew, but never more than half the lease."""
    return min(lease.total_seconds() / 2, longest_send() + 30)


def lease_too_short() -> bool:
    """True when a slow send could outlive its lease (MAIL_LEASE_SECONDS too small for
    MAIL_TIMEOUT): then one message could go twice. The worker warns at start."""
    return lease_length().total_seconds() < 2 * (longest_send() + 30)


def retry_delay(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failure: doubling, at most 6 h."""
    base = timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"])
    return min(base * 2 ** max(0, attempts - 1), MAX_RETRY_DELAY)


def give_up_after(kind: str) -> timedelta:
    """How long a message may keep failing before nobody tries again."""
    return GIVE_UP_AFTER.get(kind, timedelta(hours=current_app.config["MAIL_GIVE_UP_HOURS"]))


def new_token() -> str:
    return secrets.token_hex(16)


T = TypeVar("T")


def _once_more_on_deadlock(run: Callable[[], T]) -> T:
    """PostgreSQL may pick one of two statements locking the same rows in another order
    (a renewal and a takeover) and cancel it; run it again, once."""
    try:
        return run()
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "40P01":
            raise
        return run()


def _is_due(now: datetime):  # type: ignore[no-untyped-def]
    """Open and its time has come (for a claimed one: its sender's lease has ended)."""
    return and_(_c.status.in_(OPEN_STATUSES), _c.due_at <= now)


def _claim_values(token: str, now: datetime, lease: timedelta) -> dict:
    return {
        "status": DeliveryStatus.SENDING,
        "claim_token": token,
        "claimed_at": now,
        "due_at": now + lease,
    }


_RETURNED = (_c.id, _c.to_address, _c.data, _c.attempts, _c.dedupe_key, _c.kind, _c.created_at)


def _claim_from(token: str, lease: timedelta, started: float, rows: Iterable) -> Claim:
    items = sorted((Item(*row) for row in rows), key=lambda item: item.id)
    return Claim(token, lease, items, started, {item.id for item in items})


def claim_due(
    connection: Connection,
    limit: int,
    *,
    due_by: datetime | None = None,
) -> Claim:
    """Take up to `limit` messages due by `due_by` (default now), oldest first: the
    worker's claim. `--once` passes its start, so a message that fails during the run
    (due again later) waits for the next run instead of being retried at once."""
    token, lease, now = new_token(), lease_length(), utcnow()
    moment = min(now, due_by) if due_by else now
    first = _outbox.alias("first_due")
    # An alias, so the subquery is not correlated to the UPDATE's rows (its LIMIT counts).
    oldest = (
        select(first.c.id)
        .where(first.c.status.in_(OPEN_STATUSES), first.c.due_at <= moment)
        .order_by(first.c.due_at, first.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serializes writers anyway
    )
    if connection.dialect.name == "postgresql":
        # ARRAY(...) runs the subquery once; as `IN (...)` PostgreSQL may run it again for
        # each row, and with SKIP LOCKED each run can pick other rows: past the LIMIT.
        chosen = _c.id == any_(func.array(oldest.scalar_subquery()))
    else:
        chosen = _c.id.in_(oldest)
    # Checked again where the row is written: a row is claimed only if it is still due.
    statement = (
        update(_outbox)
        .where(chosen, _is_due(moment))
        .values(_claim_values(token, now, lease))
        .returning(*_RETURNED)
    )
    started = time.monotonic()
    rows = _once_more_on_deadlock(lambda: connection.execute(statement).all())
    return _claim_from(token, lease, started, rows)


def take_over(connection: Connection, ids: Sequence[int]) -> Claim:
    """Take these messages if they are due (failed, or left by a sender that died)."""
    token, lease, now = new_token(), lease_length(), utcnow()
    started = time.monotonic()
    rows: list = []
    if ids:
        statement = (
            update(_outbox)
            .where(_c.id.in_(sorted(ids)), _is_due(now))
            .values(_claim_values(token, now, lease))
            .returning(*_RETURNED)
        )
        rows = _once_more_on_deadlock(lambda: connection.execute(statement).all())
    return _claim_from(token, lease, started, rows)


def claim_new(connection: Connection, messages: Sequence[dict]) -> Claim:
    """Insert new messages already claimed by us, skipping any whose dedupe_key exists.

    Each dict holds the OutboxMessage columns (kind, recipient_id, to_address, subject,
    data, dedupe_key). The ones that come back are ours; a key that existed (another
    sender inserted it first) is left out."""
    token, lease, now = new_token(), lease_length(), utcnow()
    started = time.monotonic()
    if not messages:
        return Claim(token, lease, [], started, set())
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # attempts (0) and last_error ("") are the columns' defaults.
    values = [{**m, **_claim_values(token, now, lease), "created_at": now} for m in messages]
    # Only the ids come back: the bytes are in hand already (a digest run writes MBs).
    # One statement, executed for many rows: SQLAlchemy sends them as multi-row VALUES
    # batches ("insertmanyvalues") from a statement it compiles once.
    inserted = connection.execute(
        insert(_outbox)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_c.id, _c.dedupe_key),
        values,
    ).all()
    by_key = {m["dedupe_key"]: m for m in messages}
    rows = [
        (
            message_id,
            by_key[key]["to_address"],
            by_key[key]["data"],
            0,
            key,
            by_key[key]["kind"],
            now,
        )
        for message_id, key in inserted
    ]
    return _claim_from(token, lease, started, rows)


# Built once: a run records thousands of outcomes, and building a statement cost more
# than running it.
_RENEW = (
    update(_outbox)
    .where(_c.claim_token == bindparam("b_token"), _c.status == DeliveryStatus.SENDING)
    .values(due_at=bindparam("b_due_at"))
    .returning(_c.id)
)
_HELD = and_(_c.id == bindparam("b_id"), _c.claim_token == bindparam("b_token"))
_SENT = (
    update(_outbox)
    .where(_HELD)
    .values(
        status=DeliveryStatus.SENT,
        claim_token=None,
        sent_at=bindparam("b_now"),
        data=None,
        attempts=_c.attempts + 1,
        last_error="",
    )
)


def _failure(status: DeliveryStatus, **also: object):  # type: ignore[no-untyped-def]
    return (
        update(_outbox)
        .where(_HELD)
        .values(
            status=status,
            claim_token=None,
            due_at=bindparam("b_due_at"),
            attempts=bindparam("b_attempts"),
            last_error=bindparam("b_error"),
            **also,
        )
    )


_FAILED = _failure(DeliveryStatus.FAILED)
# A message nobody will send keeps no bytes (a reset link least of all).
_GAVE_UP = _failure(DeliveryStatus.GAVE_UP, data=None)


def renew(connection: Connection, claim: Claim) -> None:
    """Extend the lease of every message this claim still holds; forget the others."""
    started = time.monotonic()
    parameters = {"b_token": claim.token, "b_due_at": utcnow() + claim.lease}
    rows = _once_more_on_deadlock(lambda: connection.execute(_RENEW, parameters).all())
    claim.owned = {row.id for row in rows}
    claim.renewed_at = started


def record_sent(connection: Connection, claim: Claim, item: Item) -> bool:
    """The server took it: keep the record, drop the bytes. False if the claim was lost
    meanwhile (the lease ran out during the send: the message may go twice)."""
    result = connection.execute(_SENT, {"b_id": item.id, "b_token": claim.token, "b_now": utcnow()})
    claim.owned.discard(item.id)
    return result.rowcount == 1


def record_failed(
    connection: Connection, claim: Claim, item: Item, error: str, *, permanent: bool = False
) -> str:
    """Not sent: try again after a pause that doubles with each failure, or give up (a
    permanent refusal, or failing for longer than the message's kind is worth).
    Returns the status recorded."""
    now = utcnow()
    attempts = item.attempts + 1
    gave_up = permanent or now - item.created_at >= give_up_after(item.kind)
    status = DeliveryStatus.GAVE_UP if gave_up else DeliveryStatus.FAILED
    connection.execute(
        _GAVE_UP if gave_up else _FAILED,
        {
            "b_id": item.id,
            "b_token": claim.token,
            "b_due_at": now + retry_delay(attempts),
            "b_attempts": attempts,
            "b_error": error[:2000],
        },
    )
    claim.owned.discard(item.id)
    return status


def release(connection: Connection, claim: Claim, items: Sequence[Item], reason: str) -> None:
    """Hand back messages this sender will not try now: due again after a pause."""
    ids = [item.id for item in items if item.id in claim.owned]
    if not ids:
        return
    connection.execute(
        update(_outbox)
        .where(_c.id.in_(ids), _c.claim_token == claim.token)
        .values(
            status=case((_c.attempts > 0, DeliveryStatus.FAILED), else_=DeliveryStatus.PENDING),
            claim_token=None,
            due_at=utcnow() + retry_delay(1),
            last_error=reason[:2000],
        )
    )
    claim.owned.difference_update(ids)
