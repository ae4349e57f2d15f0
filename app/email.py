"""The one place mail leaves the app: build multipart messages, send or write them.

With MAIL_SERVER set, messages go over SMTP (plain, STARTTLS or SSL, with or without
login). Without it (the `make run` default) each message is written as an .eml file
in the instance folder's outbox/, and its path is logged, so a new user sees what
would be sent.
"""

from __future__ import annotations

import os
import secrets
import smtplib
from dataclasses import dataclass
from email import quoprimime
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer

from app.models import User, utcnow

SMTP_TIMEOUT_SECONDS = 30


class EmailKind:
    """The kinds of email a user can turn off, each with its own unsubscribe link."""

    DIGEST = "digest"
    HAND_IN = "hand_in"
    DECISION = "decision"
    PREFERENCE = {
        DIGEST: "email_digest",
        HAND_IN: "email_on_hand_in",
        DECISION: "email_on_decision",
    }
    LABEL = {
        DIGEST: "the weekly digest",
        HAND_IN: "emails when a recruit hands in",
        DECISION: "emails when your sponsor reviews your homework",
    }


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def absolute_url(endpoint: str, **values: object) -> str:
    """A full link built from BASE_URL, with or without a request around."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(user: User, kind: str) -> str:
    """A signed token that turns off one kind of email for one user; it never expires."""
    return _unsubscribe_serializer().dumps({"u": user.id, "k": kind})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in EmailKind.PREFERENCE:
        return None
    user_id = data.get("u")
    return (user_id, data["k"]) if isinstance(user_id, int) else None


def render_email(template: str, **context: object) -> RenderedEmail:
    """Subject, plain text and HTML from templates/email/<template>.{txt,html}."""
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    return RenderedEmail(subject, text, html)


@dataclass(frozen=True)
class OutgoingEmail:
    """A message ready for the wire: its envelope and its bytes."""

    sender: str
    recipient: str
    subject: str
    data: bytes


def _one_line(value: str) -> str:
    """No line breaks in a header: a name typed with one must not start a new header."""
    return " ".join(value.splitlines())


def _header(value: str) -> str:
    """A header value as is, or as an RFC 2047 encoded word if it is not ASCII."""
    value = _one_line(value)
    return value if value.isascii() else Header(value, "utf-8").encode()


def _address(name: str, address: str) -> str:
    """ "Name <address>", quoted or encoded as needed (a comma in a name stays a name)."""
    return formataddr((_one_line(name), address), charset="utf-8")


def _quoted_printable(body: str) -> str:
    return quoprimime.body_encode(body.encode("utf-8").decode("latin-1"), eol="\r\n")


def build_message(
    to: User,
    rendered: RenderedEmail,
    *,
    unsubscribe_kind: str | None = None,
    message_id: str | None = None,
) -> OutgoingEmail:
    """multipart/alternative: plain text and HTML, UTF-8, quoted-printable, CRLF.

    Written out directly: this one shape of message needs no more, and the email
    package's general machinery (header objects, parsing, folding, a generator) cost
    3x the rest of composing a digest, which a run of thousands of messages felt.
    Headers are not folded, so the unsubscribe link stays one URL (RFC 5322 allows
    998 characters a line); the tests read every message back with the stdlib parser.
    """
    sender_name, sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    headers = [
        ("Subject", _header(rendered.subject)),
        ("From", _address(sender_name, sender)),
        ("To", _address(to.name, to.email)),
        ("Date", formatdate(localtime=False)),
        ("Message-ID", message_id or make_msgid(domain=_mail_domain())),
    ]
    if unsubscribe_kind is not None:
        link = absolute_url("email.unsubscribe", token=unsubscribe_token(to, unsubscribe_kind))
        headers += [
            ("List-Unsubscribe", f"<{link}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
    boundary = f"=_willing_{secrets.token_hex(12)}"
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"']
    for subtype, body in (("plain", rendered.text), ("html", rendered.html)):
        lines += [
            "",
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            "",
            _quoted_printable(body),
        ]
    lines += ["", f"--{boundary}--", ""]
    return OutgoingEmail(sender, to.email, rendered.subject, "\r\n".join(lines).encode("ascii"))


def _mail_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


class _ConnectionLost(smtplib.SMTPServerDisconnected):
    """The server had hung up before this message began: none of it was sent."""


class _GuardedMail:
    """MAIL FROM opens a message: failing there on a reused connection means the
    server closed it meanwhile (idle timeout, messages-per-connection limit), and the
    message can go again on a fresh connection without any risk of a duplicate."""

    def mail(self, sender: str, options: tuple = ()) -> tuple[int, bytes]:
        try:
            return super().mail(sender, options)  # type: ignore[misc]
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            raise _ConnectionLost(str(exc)) from exc


class _SMTP(_GuardedMail, smtplib.SMTP):
    pass


class _SMTPSSL(_GuardedMail, smtplib.SMTP_SSL):
    pass


class Mailer:
    """Sends any number of messages over one SMTP connection, opened on first use.

    A digest run sends thousands: a new connection (and TLS handshake, and login) for
    each cost more than composing the message. After any failure the connection is
    dropped, so the next message starts clean; a connection the server closed between
    messages is replaced and the message sent on the new one.
    """

    def __init__(self) -> None:
        self.config = current_app.config
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, message: OutgoingEmail) -> None:
        """Deliver one message, or raise (smtplib.SMTPException / OSError)."""
        if not self.config.get("MAIL_SERVER"):
            _write_to_outbox(message)
            return
        if self._smtp is not None:
            try:
                self._smtp.sendmail(message.sender, [message.recipient], message.data)
                return
            except _ConnectionLost:
                self.close()
            except BaseException:
                self.close()
                raise
        self._smtp = self._connect()
        try:
            self._smtp.sendmail(message.sender, [message.recipient], message.data)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp_class = _SMTPSSL if config["MAIL_USE_SSL"] else _SMTP
        smtp = smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            smtp.close()
            raise
        self.connections += 1
        return smtp


def send(message: OutgoingEmail) -> None:
    """Deliver one message on its own connection, or raise (smtplib.SMTPException / OSError)."""
    with Mailer() as mailer:
        mailer.send(message)


def _write_to_outbox(message: OutgoingEmail) -> str:
    folder = current_app.config.get("MAIL_OUTBOX_DIR") or os.path.join(
        current_app.instance_path, "outbox"
    )
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{utcnow():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.eml")
    with open(path, "wb") as handle:
        handle.write(message.data)
    current_app.logger.info(
        "MAIL_SERVER is not set: wrote %r for %s to %s", message.subject, message.recipient, path
    )
    return path
