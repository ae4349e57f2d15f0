"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Mailbox:
    """The aiosmtpd handler: collects messages, and can refuse the next few."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_next = 0
        self.connections: list[tuple[str, int]] = []  # the client end of each message's link
        self._open: list = []  # (loop, transport) of the links seen
        self._lock = threading.Lock()

    def hang_up(self) -> None:
        """Close every open connection from the server's side, as an idle timeout would."""
        with self._lock:
            links, self._open = self._open, []
        for loop, transport in links:
            done = threading.Event()

            def close(transport=transport, done=done) -> None:
                transport.close()
                done.set()

            loop.call_soon_threadsafe(close)
            done.wait(5)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.connections.append(session.peer)
            self._open.append((server.loop, server.transport))
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "554 Transaction failed: refused by the test"
            message = message_from_bytes(envelope.content, policy=policy.default)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


def free_port() -> int:
    # Controller(port=0) does not work: pick a free port first (RECIPES.md).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server() -> tuple[Controller, Mailbox, int]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, mailbox, port


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html
