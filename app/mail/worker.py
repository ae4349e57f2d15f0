"""Delivering the outbox: `flask mail work` (long-running) and `--once` (for cron).

`deliver` sends the messages of one claim over one connection and records each
outcome; the worker loop and `digest send` both use it. A run that meets a dead or hung
server stops after MAIL_MAX_SERVER_FAULTS failures in a row (each at most a few
MAIL_TIMEOUTs long), records them as failed and hands the rest of its claim back, so it
gives up in seconds and nothing waits for a lease to run out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from app.mail import lease
from app.mail.compose import envelope_sender
from app.mail.lease import Claim, Item
from app.mail.transport import SendFailed, Transport
from app.models import utcnow


@dataclass
class Report:
    """What a run did with the messages it claimed."""

    sent: list[Item] = field(default_factory=list)
    failed: list[tuple[Item, str]] = field(default_factory=list)
    lost: list[Item] = field(default_factory=list)  # another sender took them over first
    released: list[Item] = field(default_factory=list)  # handed back untried
    stopped: str | None = None  # why the run stopped early, if it did


@dataclass
class Totals:
    """Counts over a worker's run (a long-running worker keeps no messages in memory)."""

    sent: int = 0
    failed: int = 0
    lost: int = 0
    released: int = 0
    stopped: str | None = None  # why the last batch stopped early, if it did

    def add(self, report: Report) -> None:
        self.sent += len(report.sent)
        self.failed += len(report.failed)
        self.lost += len(report.lost)
        self.released += len(report.released)
        self.stopped = report.stopped


def deliver(
    connection: Connection,
    claim: Claim,
    transport: Transport,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> Report:
    """Send each claimed message that is still ours, and record what happened."""
    report = Report()
    sender = envelope_sender()
    max_faults = current_app.config["MAIL_MAX_SERVER_FAULTS"]
    faults = 0
    for index, item in enumerate(claim.items):
        if should_stop():
            report.stopped = "asked to stop"
        elif not claim.keeps(connection, item):
            report.lost.append(item)
            continue
        if report.stopped:
            _hand_back(connection, claim, claim.items[index:], report)
            break
        try:
            transport.send(sender, item.recipient, item.data)
        except SendFailed as exc:
            lease.record_failed(connection, claim, item, str(exc), permanent=exc.permanent)
            report.failed.append((item, str(exc)))
            current_app.logger.warning("message %s not sent: %s", item.id, exc)
            faults = faults + 1 if exc.server_fault else 0
            if faults >= max_faults:
                report.stopped = f"the mail server failed {faults} times in a row ({exc})"
                _hand_back(connection, claim, claim.items[index + 1 :], report)
                break
            continue
        faults = 0
        if not lease.record_sent(connection, claim, item):
            current_app.logger.warning(
                "message %s was sent after its claim ran out: it may arrive twice", item.id
            )
        report.sent.append(item)
    return report


def _hand_back(connection: Connection, claim: Claim, items: list[Item], report: Report) -> None:
    held = [item for item in items if item.id in claim.owned]
    lease.release(connection, claim, held, f"not tried: {report.stopped}")
    report.released += held


@contextmanager
def writer() -> Iterator[Connection]:
    """A connection whose every statement commits at once: each claim, renewal and
    outcome is one statement, and must be visible to other senders the moment it is
    written (and cost no BEGIN and COMMIT round trips)."""
    from app.extensions import db

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def work(
    *,
    once: bool,
    stop: threading.Event | None = None,
    on_report: Callable[[Report], None] = lambda _report: None,
) -> Totals:
    """Deliver due messages until stopped (or, with `once`, until none is due).

    Long-running, it polls every MAIL_POLL_SECONDS when idle, keeps no SMTP connection
    open while there is nothing to send, and after a stop for server faults waits
    MAIL_RETRY_SECONDS before trying again. With `once` it returns after a stop.
    """
    config = current_app.config
    stop = stop or threading.Event()
    total = Totals()
    started = utcnow()
    if lease.lease_too_short():
        current_app.logger.warning(
            "MAIL_LEASE_SECONDS (%s) is under twice the longest send (%.0f s with "
            "MAIL_TIMEOUT %s): a slow send could outlive its lease and go twice",
            config["MAIL_LEASE_SECONDS"],
            lease.longest_send() + 30,
            config["MAIL_TIMEOUT"],
        )
    with writer() as connection, Transport() as transport:
        while not stop.is_set():
            try:
                claim = lease.claim_due(
                    connection, config["MAIL_BATCH_SIZE"], due_by=started if once else None
                )
                report = deliver(connection, claim, transport, should_stop=stop.is_set)
            except DBAPIError as exc:
                # The database restarted or is away: what this round held comes back
                # after its lease. Once: report it; long-running: wait and go on.
                if once or connection.closed:
                    raise
                current_app.logger.warning("mail worker: database unavailable: %s", exc)
                connection.rollback()
                stop.wait(max(config["MAIL_POLL_SECONDS"], 5.0))
                continue
            if not claim.items:
                transport.close()
                if once:
                    break
                stop.wait(config["MAIL_POLL_SECONDS"])
                continue
            on_report(report)
            total.add(report)
            if report.stopped:
                transport.close()
                if once:
                    break
                stop.wait(max(1.0, config["MAIL_RETRY_SECONDS"]))
            elif report.failed and not report.sent and not once:
                stop.wait(config["MAIL_POLL_SECONDS"])  # nothing goes: don't spin on it
    return total
