"""Attachments: type checked by content, stored under a random name, never by the user's."""

from __future__ import annotations

import os
import secrets
import zipfile
from dataclasses import dataclass
from typing import IO

ALLOWED_TYPES_TEXT = "PDF, PNG, JPEG, WebP, DOCX or plain text"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# What a browser shows by itself, safely: images inline on the page, PDFs in its viewer.
# Everything else (DOCX, plain text that could pass for a page) is only downloaded.
PREVIEW_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
INLINE_TYPES = PREVIEW_IMAGE_TYPES | {"application/pdf"}
# An attachment shown inline is a document of its own: no script, no plugins, no
# requests, no forms, nothing of the app's origin (sandbox), and no framing.
ATTACHMENT_POLICY = "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'none'"


class UploadRejected(ValueError):
    """The file is not one we accept; the message says why."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size: int


def sniff_content_type(head: bytes, stream: IO[bytes]) -> str | None:
    """The file's real type from its first bytes (and, for DOCX, its zip directory)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names and "[Content_Types].xml" in names:
            return DOCX_TYPE
        return None
    return "text/plain" if _is_plain_text(stream) else None


def _is_plain_text(stream: IO[bytes]) -> bool:
    stream.seek(0)
    data = stream.read()
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _display_name(filename: str | None) -> str:
    """A harmless name to show: no path, no control characters, bounded length."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    return (name or "attachment")[:255]


def store_upload(
    stream: IO[bytes], filename: str | None, folder: str, max_bytes: int
) -> StoredFile:
    """Check the file and write it to `folder` under a random name."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    if size == 0:
        raise UploadRejected("The file is empty.")
    if size > max_bytes:
        raise UploadRejected(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    stream.seek(0)
    head = stream.read(16)
    content_type = sniff_content_type(head, stream)
    if content_type is None:
        raise UploadRejected(f"Attach a {ALLOWED_TYPES_TEXT} file.")
    os.makedirs(folder, exist_ok=True)
    stored_name = secrets.token_hex(16)
    stream.seek(0)
    with open(os.path.join(folder, stored_name), "wb") as target:
        while chunk := stream.read(1024 * 1024):
            target.write(chunk)
    return StoredFile(stored_name, _display_name(filename), content_type, size)


def remove_stored(folder: str, stored_name: str) -> None:
    """Delete a stored file whose database row was never written."""
    try:
        os.remove(os.path.join(folder, stored_name))
    except FileNotFoundError:
        pass
