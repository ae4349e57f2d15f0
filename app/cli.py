"""Flask commands: `flask --app wsgi seed-demo`, `stalled list` and friends."""

from __future__ import annotations

import csv
import json
import signal
import sys
import threading
from datetime import UTC, datetime

import click
from flask import Flask

from app.extensions import db
from app.models import utcnow
from app.services import demo
from app.services.accounts import find_by_email
from app.services.dashboard import safe_cell
from app.services.digest import run_digest
from app.services.standing import sponsor_batches, stalled_by_sponsor

BATCH_SIZE = 500


class AsOf(click.ParamType):
    """An ISO 8601 date or date-time; without a zone it is taken as UTC."""

    name = "DATETIME"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(
                f"{value!r} is not a date-time like 2026-11-30T09:00 or 2026-11-30T09:00+13:00"
            )
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if there is data.")
    def seed_demo_command(if_empty: bool) -> None:
        """Fill an empty database with a demo team and print the logins."""
        if not demo.database_is_empty(db.session):
            if if_empty:
                click.echo("The database already has data: demo not seeded.")
                return
            raise click.ClickException(
                "The database is not empty: seed-demo only fills an empty one."
            )
        logins = demo.seed_demo(db.session)
        click.echo("Demo data ready. Log in at /login with any of these:")
        for login in logins:
            click.echo(f"  {login.role:<34} {login.email}")
        click.echo(f"  Password for every demo account: {demo.DEMO_PASSWORD}")

    stalled = click.Group("stalled", help="Stalled recruits, as the weekly email lists them.")
    app.cli.add_command(stalled)

    @stalled.command("list")
    @click.option("--sponsor", "sponsor_email", help="Only this sponsor's recruits (email).")
    @click.option("--as-of", "as_of", type=AsOf(), help="Evaluate at this time instead of now.")
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
    )
    def stalled_list(sponsor_email: str | None, as_of: datetime | None, output_format: str) -> None:
        """Print the stalled recruits (what the weekly email sends), without logging in."""
        now = as_of or utcnow()
        rows = list(_stalled_rows(now, sponsor_email))
        _print_rows(rows, output_format)

    digest = click.Group("digest", help="The weekly email of stalled recruits and waiting reviews.")
    app.cli.add_command(digest)

    @digest.command("send")
    @click.option("--as-of", "as_of", type=AsOf(), help="Act as if it were this time.")
    @click.option("--dry-run", is_flag=True, help="Print who would get what; send nothing.")
    def digest_send(as_of: datetime | None, dry_run: bool) -> None:
        """Send this week's digest to each sponsor who is due, at most once a week."""
        from app.mail.transport import Transport

        with Transport() as transport:  # one SMTP connection for the whole run
            summary = run_digest(db.session, as_of or utcnow(), None if dry_run else transport)
        for item in summary.would_send:
            names = ", ".join(s.name for s in item.stalled) or "none"
            click.echo(
                f"would send to {item.sponsor.email}: {len(item.stalled)} stalled "
                f"({names}), {len(item.waiting)} waiting reviews"
            )
        click.echo(f"sent: {len(summary.sent)}")
        for email in summary.sent:
            click.echo(f"  {email}")
        for reason, count in sorted(summary.skipped.items()):
            click.echo(f"skipped ({reason}): {count}")
        click.echo(f"failed: {len(summary.failed)}")
        for email, error in summary.failed:
            click.echo(f"  {email}: {error}")
        if summary.stopped:
            click.echo(f"stopped early: {summary.stopped}; the rest goes on the next run")
        if summary.failed or summary.stopped:
            sys.exit(1)

    mail = click.Group("mail", help="The outbox: every email waits there until a worker sends it.")
    app.cli.add_command(mail)

    @mail.command("work")
    @click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron).")
    def mail_work(once: bool) -> None:
        """Deliver the outbox: run it beside the web server (or `--once` from cron)."""
        from app.mail.worker import work

        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stop.set())

        def report(batch) -> None:  # type: ignore[no-untyped-def]
            line = f"{utcnow():%Y-%m-%d %H:%M:%S} sent {len(batch.sent)}"
            if batch.failed:
                line += f", failed {len(batch.failed)} (last: {batch.failed[-1][1]})"
            if batch.lost:
                line += f", {len(batch.lost)} taken over by another sender"
            if batch.stopped:
                line += f"; stopped: {batch.stopped}"
            click.echo(line)

        if not once:
            click.echo("Mail worker started; Ctrl-C or SIGTERM stops it.")
        totals = work(once=once, stop=stop, on_report=report)
        click.echo(f"sent: {totals.sent}, failed: {totals.failed}")
        if once and (totals.failed or (totals.stopped and not stop.is_set())):
            sys.exit(1)

    partners = click.Group("partners", help="Accountability partners: who is due, reminders.")
    app.cli.add_command(partners)

    @partners.command("due")
    @click.option("--as-of", "as_of", type=AsOf(), help="Evaluate at this time instead of now.")
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
    )
    def partners_due(as_of: datetime | None, output_format: str) -> None:
        """Who owes a check-in today, or missed one in the last 7 days (deadlines in the
        person's own zone)."""
        from app.services.partner_due import due_rows

        rows = [row.as_dict() for row in due_rows(db.session, as_of or utcnow())]
        _print_rows(rows, output_format, DUE_COLUMNS, empty="Nobody is due or missed a day.")

    @partners.command("remind")
    @click.option("--as-of", "as_of", type=AsOf(), help="Act as if it were this time.")
    def partners_remind(as_of: datetime | None) -> None:
        """Record the check-in reminders and renewal requests due now, each once (the
        mail worker sends them): run it every 15 minutes."""
        from app.services.partner_reminders import run_reminders

        click.echo(run_reminders(db.session, as_of or utcnow()).line())

    group_commands = click.Group("groups", help="Mastermind groups: the meeting reminders.")
    app.cli.add_command(group_commands)

    @group_commands.command("remind")
    @click.option("--as-of", "as_of", type=AsOf(), help="Act as if it were this time.")
    def groups_remind(as_of: datetime | None) -> None:
        """Record the reminders for meetings within 24 hours, to members without an
        update, each once (the mail worker sends them): run it every 15 minutes."""
        from app.services.meeting_reminders import run_group_reminders

        click.echo(run_group_reminders(db.session, as_of or utcnow()).line())

    team_commands = click.Group("team", help="The whole team: the roll-up, nudges.")
    app.cli.add_command(team_commands)

    @team_commands.command("rollup")
    @click.option("--sponsor", "sponsor_email", required=True, help="Whose team (email).")
    @click.option("--as-of", "as_of", type=AsOf(), help="Evaluate at this time instead of now.")
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
    )
    def team_rollup(sponsor_email: str, as_of: datetime | None, output_format: str) -> None:
        """Every level of a sponsor's team in counts: a line per first-level recruit who
        sponsors others (their whole team and their reviewing), and the totals."""
        from app.services.accounts import find_by_email
        from app.services.rollup import rollup, rollup_rows

        sponsor = find_by_email(db.session, sponsor_email)
        if sponsor is None:
            raise click.ClickException(f"No account with the email {sponsor_email}.")
        found = rollup(db.session, sponsor, as_of or utcnow(), per_page=10**9)
        rows = rollup_rows(found)
        if output_format == "json":
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            _print_rows(rows, "table", ROLLUP_COLUMNS)

    @team_commands.command("nudge")
    @click.option("--as-of", "as_of", type=AsOf(), help="Act as if it were this time.")
    def team_nudge(as_of: datetime | None) -> None:
        """Record the automatic nudges due now (recruits silent on an open step for their
        sponsor's number of days), at most one per step (the mail worker sends them):
        run it every hour."""
        from app.services.nudges import run_nudges

        click.echo(run_nudges(db.session, as_of or utcnow()).line())

    @mail.command("status")
    def mail_status() -> None:
        """How many messages wait, failed or were sent, by kind."""
        from app.mail.outbox import counts

        rows = counts(db.session)
        if not rows:
            click.echo("The outbox is empty.")
        for kind, status, count, oldest in rows:
            since = f" (oldest {oldest:%Y-%m-%d %H:%M} UTC)" if oldest else ""
            click.echo(f"{kind:<16} {status:<8} {count:>7}{since}")


COLUMNS = ["sponsor", "recruit", "current_assignment", "days_idle", "last_check_in"]
ROLLUP_COLUMNS = [
    "sponsor",
    "people",
    "willing",
    "slow",
    "stalled",
    "finished",
    "waiting_on_sponsor",
    "hand_ins_waiting",
    "oldest_wait_days",
    "median_decision_hours",
]
DUE_COLUMNS = ["partnership", "person", "partner", "day", "state", "deadline"]


def _stalled_rows(now: datetime, sponsor_email: str | None):  # type: ignore[no-untyped-def]
    session = db.session
    if sponsor_email:
        sponsor = find_by_email(session, sponsor_email)
        if sponsor is None:
            raise click.ClickException(f"No account with the email {sponsor_email}.")
        batches = [[sponsor]]
    else:
        batches = sponsor_batches(session, BATCH_SIZE)
    for sponsors in batches:
        by_id = {s.id: s for s in sponsors}
        for sponsor_id, items in stalled_by_sponsor(session, now, sponsors).items():
            for standing in items:
                facts = standing.facts
                yield {
                    "sponsor": by_id[sponsor_id].email,
                    "recruit": facts.name,
                    "current_assignment": facts.current_title or "",
                    "days_idle": int(standing.idle_days or 0),
                    "last_check_in": facts.last_check_in_at.date().isoformat()
                    if facts.last_check_in_at
                    else "",
                }
        session.expunge_all()  # keep memory flat across batches


def _print_rows(
    rows: list[dict],
    output_format: str,
    columns: list[str] = COLUMNS,
    empty: str = "No stalled recruits.",
) -> None:
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif output_format == "csv":
        # As the dashboard's CSV: a name a spreadsheet would run as a formula is neutralised,
        # and rows end in CRLF (RFC 4180), so a CR or LF inside a field gets it quoted.
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({key: safe_cell(value) for key, value in row.items()} for row in rows)
    elif not rows:
        click.echo(empty)
    else:
        widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
        click.echo("  ".join(c.replace("_", " ").ljust(widths[c]) for c in columns).rstrip())
        for row in rows:
            click.echo("  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip())
