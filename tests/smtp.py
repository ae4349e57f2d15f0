"""Real SMTP servers on 127.0.0.1 for the tests, each bound to a port of its own (port 0:
the kernel picks a free one, nothing is picked and released first).

- MailServer (aiosmtpd) keeps what it receives; it can refuse the next few messages,
  wait before each message (a slow server), or hang up on its clients.
- HungServer accepts connections and never says a word.
- DroppingServer talks SMTP until the message data begins, then drops the connection.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Controller(Controller):
    """aiosmtpd's Controller, on port 0: it learns its port once the socket is bound
    (the stock one tries to connect to port 0 to check that it started)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailServer:
    """An SMTP server that collects messages (use it as a context manager)."""

    def __init__(self, *, delay: float = 0.0, port: int = 0, smtputf8: bool = False) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_next = 0
        self.refusal = "451 4.3.0 Try again later (refused by the test)"  # or a 5xx: for good
        self.delay = delay  # seconds to wait before accepting each recipient
        self.waiting = threading.Event()  # set while a message waits out the delay
        self.connections: list[tuple[str, int]] = []  # the client end of each message's link
        self._open: list = []  # (loop, transport) of the links seen
        self._lock = threading.Lock()
        self._controller = _Controller(
            self, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8
        )
        self.port = port

    def __enter__(self) -> MailServer:
        self._controller.start()
        self.port = self._controller.port
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()

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

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.delay:
            self.waiting.set()
            await asyncio.sleep(self.delay)
            self.waiting.clear()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.connections.append(session.peer)
            self._open.append((server.loop, server.transport))
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return self.refusal
            content = envelope.original_content or envelope.content
            if content.isascii():
                message = message_from_bytes(content, policy=policy.default)
            else:  # RFC 6532 (SMTPUTF8): UTF-8 headers
                message = message_from_string(content.decode("utf-8"), policy=policy.default)
            # aiosmtpd reads commands as ASCII (non-ASCII bytes as surrogates): undo it.
            recipients = [r.encode("utf-8", "surrogateescape").decode() for r in envelope.rcpt_tos]
            message["X-Envelope-To"] = ", ".join(recipients)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.messages)} of {count} messages arrived")
            time.sleep(0.02)


class _RawServer:
    """A listening socket on 127.0.0.1 with a thread that serves each connection."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self._clients: list[socket.socket] = []
        self._stopped = threading.Event()

    def __enter__(self):  # type: ignore[no-untyped-def]
        self._listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopped.set()
        for sock in (self._listener, *self._clients):
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() or recv()
            except OSError:
                pass
            sock.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._clients.append(client)
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client: socket.socket) -> None:
        raise NotImplementedError


class HungServer(_RawServer):
    """Accepts every connection and never answers: no greeting, nothing."""

    def serve(self, client: socket.socket) -> None:
        self._stopped.wait()


class DroppingServer(_RawServer):
    """Says yes to everything up to DATA, reads a little of the message, and hangs up."""

    def serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        try:
            client.sendall(b"220 dropping.example ESMTP\r\n")
            for line in reader:
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO")):
                    client.sendall(b"250 dropping.example\r\n")
                elif command.startswith((b"MAIL", b"RCPT", b"RSET", b"NOOP")):
                    client.sendall(b"250 OK\r\n")
                elif command == b"DATA":
                    client.sendall(b"354 go on\r\n")
                    reader.readline()  # the first line of the message, then gone
                    break
                elif command == b"QUIT":
                    client.sendall(b"221 bye\r\n")
                    break
        except OSError:
            pass
        finally:
            reader.close()
            client.close()


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html
