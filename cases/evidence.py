"""What evidence files are accepted: images and PDF, recognised by their content."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Signature:
    content_type: str
    extension: str


def sniff(head: bytes) -> Signature | None:
    """The type a file really is, from its first bytes; None if not one we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return Signature("image/jpeg", "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Signature("image/png", "png")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Signature("image/gif", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Signature("image/webp", "webp")
    if head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"mif1", b"msf1", b"hevc"}:
        return Signature("image/heic", "heic")
    if head.startswith(b"%PDF-"):
        return Signature("application/pdf", "pdf")
    return None


def max_file_size() -> int:
    return settings.EVIDENCE_MAX_FILE_BYTES


def max_files() -> int:
    return settings.EVIDENCE_MAX_FILES


def check_evidence_file(upload: UploadedFile) -> Signature:
    """Raise a ValidationError in the active language if the file is not acceptable."""
    if upload.size > max_file_size():
        raise ValidationError(
            _("“%(name)s” is larger than %(limit)s.")
            % {"name": upload.name, "limit": filesizeformat(max_file_size())},
            code="too_large",
        )
    upload.seek(0)
    signature = sniff(upload.read(16))
    upload.seek(0)
    if signature is None:
        raise ValidationError(
            _("“%(name)s” is not an image or a PDF. Only images and PDF files can be sent.")
            % {"name": upload.name},
            code="bad_type",
        )
    return signature


def check_evidence_files(uploads: list[UploadedFile]) -> list[Signature]:
    if len(uploads) > max_files():
        raise ValidationError(
            _("You can send at most %(count)d files.") % {"count": max_files()},
            code="too_many",
        )
    return [check_evidence_file(upload) for upload in uploads]
