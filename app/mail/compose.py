"""Messages as bytes for the wire: templates rendered, multipart/alternative built.

The one shape we send (plain text and HTML, UTF-8, quoted-printable, CRLF) is written
out directly: the email package's general machinery (header objects, folding, a
generator) cost 3x the rest of composing a digest, which a run of thousands felt.
tests/unit/test_compose_properties.py reads generated messages back with the standard
library's parser and checks every header and part survives, injection attempts too.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Message:
    """A message ready for the outbox and the wire: its recipient, subject and bytes."""

    recipient: str
    subject: str
    data: bytes


def render_email(template: str, **context: object) -> RenderedEmail:
    """Subject, plain text and HTML from templates/email/<template>.{subject.txt,txt,html}."""
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    return RenderedEmail(subject, text, html)


def absolute_url(endpoint: str, **values: object) -> str:
    """A full link built from BASE_URL, with or without a request around."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def mail_domain() -> str:
    """The domain of our Message-IDs: BASE_URL's host."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def envelope_sender() -> str:
    """The address of MAIL_DEFAULT_SENDER, for the SMTP envelope (MAIL FROM)."""
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]


def one_line(value: str) -> str:
    """No line breaks in a header: a name typed with one must not start a new header."""
    return " ".join(value.splitlines())


def _header(value: str) -> str:
    """A header value, folded with CRLF where long, as RFC 2047 encoded words where it is
    not plain ASCII (or holds "=?", which a mail program would decode as one)."""
    value = one_line(value)
    if value.isascii() and "=?" not in value:
        return value if len(value) <= 76 else Header(value, "us-ascii").encode(linesep="\r\n")
    return encoded_words(value)


def encoded_words(value: str) -> str:
    """RFC 2047 "B" words of at most 72 characters (45 bytes of UTF-8 each, never cutting
    a character), folded with CRLF and a space: the email package's Header weighs both
    encodings character by character, a fifth of composing a notification."""
    chunks, chunk = [], b""
    for character in value:
        encoded = character.encode("utf-8")
        if len(chunk) + len(encoded) > 45:
            chunks.append(chunk)
            chunk = b""
        chunk += encoded
    chunks.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(c).decode('ascii')}?=" for c in chunks)


def wire_address(address: str) -> str:
    """The address as SMTP carries it: a non-ASCII domain in its IDNA (punycode) form. A
    non-ASCII local part stays as it is: only a server speaking SMTPUTF8 takes it."""
    local, _, domain = address.rpartition("@")
    if domain and not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return address  # not a domain IDNA can spell: the server will say no
    return f"{local}@{domain}"


def _address(name: str, address: str) -> str:
    """ "Name <address>", quoted or encoded as needed (a comma in a name stays a name, and
    a name holding "=?" is encoded, or a mail program would decode it)."""
    name = one_line(name)
    if "=?" in name or not address.isascii():
        # One word: a parser reading an address list puts a space between two.
        encoded = f"=?utf-8?b?{base64.b64encode(name.encode()).decode('ascii')}?=" if name else ""
        return f"{encoded} <{address}>".lstrip()
    return formataddr((name, address), charset="utf-8")


def _quoted_printable(body: str) -> str:
    """Quoted-printable with CRLF line ends (binascii's C encoder: 3x the email package's)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(lines, istext=True).decode("ascii").replace("\n", "\r\n")


def build_message(
    to_name: str,
    to_address: str,
    rendered: RenderedEmail,
    *,
    unsubscribe_link: str | None = None,
    message_id: str | None = None,
    on_behalf_of: tuple[str, str] | None = None,
) -> Message:
    """multipart/alternative: plain text and HTML, UTF-8, quoted-printable, CRLF.

    `on_behalf_of` (name, address): a message written in a person's name comes from
    "Name via Willing" (our own address, so it passes SPF and DMARC) with a Reply-To to
    them.

    Headers are not folded, so the unsubscribe link stays one URL (RFC 5322 allows
    998 characters a line).
    """
    sender_name, sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    to_address = wire_address(to_address)
    if on_behalf_of is not None:
        sender_name = f"{on_behalf_of[0]} via {sender_name or 'Willing'}"
    headers = [
        ("Subject", _header(rendered.subject)),
        ("From", _address(sender_name, sender)),
        ("To", _address(to_name, to_address)),
        ("Date", formatdate(localtime=False)),
        ("Message-ID", message_id or make_msgid(domain=mail_domain())),
    ]
    if on_behalf_of is not None:
        headers.append(("Reply-To", _address(on_behalf_of[0], wire_address(on_behalf_of[1]))))
    if unsubscribe_link is not None:
        headers += [
            ("List-Unsubscribe", f"<{unsubscribe_link}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
    boundary = f"=_willing_{secrets.token_hex(12)}"
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"']
    lines.append("")
    for subtype, body in (("plain", rendered.text), ("html", rendered.html)):
        # The line break before a boundary belongs to the boundary: each part's content
        # is exactly its body.
        lines += [
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            "",
            _quoted_printable(body),
        ]
    lines += [f"--{boundary}--", ""]
    # ASCII, except a non-ASCII local part in To (RFC 6532: sent only with SMTPUTF8).
    return Message(to_address, one_line(rendered.subject), "\r\n".join(lines).encode("utf-8"))
