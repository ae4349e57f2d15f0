"""Where bytes leave the app: an SMTP server, or (without MAIL_SERVER) .eml files.

With MAIL_SERVER set, messages go over SMTP (plain, STARTTLS or SSL, with or without
login), on one connection for as long as it serves. Every socket operation, connecting
included, gives up after MAIL_TIMEOUT seconds, so a server that accepts connections and
never answers costs seconds, not a hung worker. Without MAIL_SERVER (the `make run`
default) each message is written to instance/mail/ as an .eml file and its path logged.
"""

from __future__ import annotations

import os
import secrets
import smtplib
from collections.abc import Mapping
from typing import Any

from flask import current_app

from app.models import utcnow


class SendFailed(Exception):
    """This message was not sent.

    `server_fault`: the server (or the way to it) failed, not this one message: a run
    stops after a few in a row. `permanent`: the server refused this message for good
    (a 5xx reply to its recipient or its data, or an address it can't take): nobody
    tries it again. Anything else (timeouts, 4xx replies) is tried again later."""

    def __init__(self, message: str, *, server_fault: bool, permanent: bool = False) -> None:
        super().__init__(message)
        self.server_fault = server_fault
        self.permanent = permanent


def _reply_code(exc: smtplib.SMTPException) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return max(codes) if codes else None
    return getattr(exc, "smtp_code", None)


def _failure(exc: BaseException) -> SendFailed:
    """What a failure means for the message and for the run."""
    described = _describe(exc)
    if isinstance(exc, smtplib.SMTPNotSupportedError | UnicodeError):
        return SendFailed(described, server_fault=False, permanent=True)  # needs SMTPUTF8
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
        code = _reply_code(exc) or 0
        if code == 421:  # "service not available, closing": the server, not the message
            return SendFailed(described, server_fault=True)
        return SendFailed(described, server_fault=False, permanent=500 <= code < 600)
    return SendFailed(described, server_fault=True)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _ConnectionLost(smtplib.SMTPServerDisconnected):
    """The server had hung up before this message began: none of it was sent."""


class _GuardedMail:
    """MAIL FROM opens a message: failing there on a reused connection means the server
    closed it meanwhile (idle timeout, messages-per-connection limit), and the message
    can go again on a fresh connection without any risk of a duplicate."""

    def mail(self, sender: str, options: tuple = ()) -> tuple[int, bytes]:
        try:
            return super().mail(sender, options)  # type: ignore[misc]
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            raise _ConnectionLost(str(exc)) from exc


class _SMTP(_GuardedMail, smtplib.SMTP):
    pass


class _SMTPSSL(_GuardedMail, smtplib.SMTP_SSL):
    pass


class Transport:
    """Sends any number of messages over one SMTP connection, opened on first use.

    After any failure the connection is dropped, so the next message starts clean; a
    connection the server closed between messages is replaced and the message sent on
    the new one. Close it (or use it as a context manager) when the work is done.
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = config if config is not None else current_app.config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def writes_files(self) -> bool:
        return not self.config.get("MAIL_SERVER")

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Deliver one message, or raise SendFailed."""
        try:
            if self.writes_files:
                _write_file(self.config, recipient, data)
            else:
                self._send_smtp(sender, recipient, data)
        except (smtplib.SMTPException, OSError, UnicodeError) as exc:
            raise _failure(exc) from exc

    def _send_smtp(self, sender: str, recipient: str, data: bytes) -> None:
        # An address with a non-ASCII local part goes only to a server that speaks
        # SMTPUTF8 (smtplib refuses it otherwise: a permanent failure).
        options = [] if recipient.isascii() else ["SMTPUTF8"]
        if self._smtp is not None:
            try:
                self._smtp.sendmail(sender, [recipient], data, mail_options=options)
                return
            except _ConnectionLost:
                self._drop()
            except BaseException:
                self._drop()
                raise
        self._smtp = self._connect()
        try:
            self._smtp.sendmail(sender, [recipient], data, mail_options=options)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        """After a failure: close the socket without a QUIT the server may never answer."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def close(self) -> None:
        """Done sending: say QUIT (a dead server costs one timeout at most)."""
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
        smtp = smtp_class(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        )
        try:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            smtp.close()
            raise
        return smtp


def mail_folder(config: Mapping[str, Any]) -> str:
    return config.get("MAIL_FILE_DIR") or os.path.join(current_app.instance_path, "mail")


def _write_file(config: Mapping[str, Any], recipient: str, data: bytes) -> None:
    folder = mail_folder(config)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{utcnow():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.eml")
    with open(path, "wb") as handle:
        handle.write(data)
    current_app.logger.info("MAIL_SERVER is not set: wrote the email to %s to %s", recipient, path)
