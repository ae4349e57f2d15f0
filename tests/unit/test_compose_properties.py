"""Messages are written out by hand (app/mail/compose.py) for speed: every one, whatever
the names, subjects and bodies, must read back with the standard library's parser to
the same headers and parts, and no header injection may get through."""

from __future__ import annotations

from email import message_from_bytes, policy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.mail.compose import RenderedEmail, build_message, one_line

# Unicode text without the surrogates UTF-8 can't carry, with the line breaks, tabs and
# header syntax (":", "<", ">", ",", quotes) an injection would try.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
INJECTION = st.sampled_from(
    [
        "\r\nBcc: victim@example.com",
        "\nBcc: victim@example.com",
        "\rX-Injected: yes",
        "\r\n\r\n--=_willing_fake--\r\nContent-Type: text/html",
        "=?utf-8?q?decoded?=",
        '"Quoted, Name" <evil@example.com>',
        "\x00\x0b\x0c\x1b",
    ]
)
TEXT = st.one_of(ANY_TEXT, st.builds(lambda a, b, c: a + b + c, ANY_TEXT, INJECTION, ANY_TEXT))
LONG_LINE = st.builds(
    lambda word, n: (word + " ") * n, st.text(min_size=1, max_size=12), st.integers(50, 400)
)
BODY = st.one_of(TEXT, LONG_LINE, st.lists(TEXT, max_size=20).map("\r\n".join))
ADDRESS = st.from_regex(
    r"[a-z0-9]{1,20}(\.[a-z0-9]{1,10})?@[a-z0-9]{1,20}\.(com|org)", fullmatch=True
)
EXPECTED_HEADERS = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "mime-version",
    "content-type",
}


def lines(text: str) -> str:
    """A body as a mail reader gets it: every line break is one newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def visible(value: str) -> str:
    """A header value as a mail reader shows it: on one line, runs of blanks as one."""
    return " ".join(one_line(value).split())


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=TEXT,
    address=ADDRESS,
    subject=st.one_of(TEXT, LONG_LINE),
    text=BODY,
    html=BODY,
    unsubscribe=st.booleans(),
)
def test_every_message_reads_back_to_what_was_composed(
    app, name, address, subject, text, html, unsubscribe
):
    link = "https://willing.example.com/unsubscribe/" + "t" * 300 if unsubscribe else None
    message = build_message(
        name,
        address,
        RenderedEmail(subject, text, html),
        unsubscribe_link=link,
        message_id="<fixed@willing.example.com>",
    )
    parsed = message_from_bytes(message.data, policy=policy.default)

    expected = EXPECTED_HEADERS | ({"list-unsubscribe", "list-unsubscribe-post"} if link else set())
    assert {key.lower() for key in parsed.keys()} == expected  # nothing injected
    assert len(parsed.keys()) == len(expected)  # and nothing twice
    assert visible(str(parsed["Subject"])) == visible(subject)
    (to,) = parsed["To"].addresses
    assert to.addr_spec == address
    assert visible(to.display_name) == visible(name)
    assert parsed["Message-ID"] == "<fixed@willing.example.com>"
    if link:
        assert parsed["List-Unsubscribe"] == f"<{link}>"
    assert message.recipient == address and "\n" not in message.subject

    assert parsed.get_content_type() == "multipart/alternative"
    plain, rich = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert lines(plain.get_content()) == lines(text)
    assert lines(rich.get_content()) == lines(html)
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_a_header_injection_in_a_name_or_subject_stays_inside_its_header(app):
    """The example the property generalises, spelled out."""
    message = build_message(
        "Eve\r\nBcc: victim@example.com",
        "eve@example.com",
        RenderedEmail("Hi\r\nBcc: victim@example.com", "body", "<p>body</p>"),
    )
    parsed = message_from_bytes(message.data, policy=policy.default)
    assert parsed["Bcc"] is None
    assert str(parsed["Subject"]) == "Hi Bcc: victim@example.com"
    assert parsed["To"].addresses[0].display_name == "Eve Bcc: victim@example.com"
