"""Screening of uploaded documents before anyone opens them (SEC-06).

A file is accepted only when its content is one of the allowed types, its name's
extension matches that content, it is within the size cap, and (for office
files) it carries no macros. The content decides, never the name or the
browser's stated type.

Our own code rather than python-magic: libmagic is a system library a fresh
machine may lack, and it reports every OOXML file as a zip; opening the archive
tells DOCX from XLSX and finds macros, which libmagic does not.
"""

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FileType:
    name: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", (".pdf",))
DOCX = FileType("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileType("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
ODT = FileType("ODT", "application/vnd.oasis.opendocument.text", (".odt",))
PNG = FileType("PNG", "image/png", (".png",))
JPEG = FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"))
ALLOWED_TYPES = (PDF, DOCX, XLSX, ODT, PNG, JPEG)

MAX_NAME_LENGTH = 150
# A zip that inflates beyond this is refused (a zip bomb), whatever its stated type.
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


@dataclass(frozen=True)
class ScreenedFile:
    file_type: FileType
    name: str
    size: int
    sha256: str


def _sniff_foreign(head: bytes) -> str | None:
    """Names well-known dangerous or wrong contents, so the message can say what the file really is."""
    if head.startswith(b"MZ"):
        return _("a Windows executable program")
    if head.startswith(b"\x7fELF"):
        return _("a Linux executable program")
    if head.startswith(b"#!"):
        return _("a script")
    if head[:4] in (b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf"):
        return _("a macOS executable program")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _("an old Microsoft Office file (DOC/XLS), which can carry macros")
    if head.lstrip()[:5].lower() in (b"<html", b"<!doc", b"<scri", b"<svg "):
        return _("a web page or script")
    return None


def _office_type(upload: IO[bytes]) -> FileType | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED_BYTES:
                raise ValidationError(
                    _("The file expands to an unreasonable size when unpacked and was refused."), code="bomb"
                )
            names = {info.filename for info in infos}
            if any(name.lower().endswith("vbaproject.bin") for name in names) or any(
                name.startswith("Basic/") for name in names
            ):
                raise ValidationError(
                    _("The file contains macros. Save it without macros (as .docx, .xlsx or .odt) and upload again."),
                    code="macros",
                )
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
            if "mimetype" in names and archive.read("mimetype").strip() == ODT.content_type.encode():
                return ODT
    except zipfile.BadZipFile:
        return None
    return None


def detect_type(upload: IO[bytes]) -> FileType | None:
    upload.seek(0)
    head = upload.read(2048)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _office_type(upload)
    return None


def clean_file_name(raw_name: str) -> str:
    name = unicodedata.normalize("NFC", raw_name or "").strip()
    if not name or name in {".", ".."} or _UNSAFE_NAME.search(name):
        raise ValidationError(
            _('The file name is empty or contains characters that are not allowed (such as / \\ : * ? " < > |).'),
            code="name",
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("The file name is too long (%(length)d characters; at most %(max)d).")
            % {"length": len(name), "max": MAX_NAME_LENGTH},
            code="name",
        )
    return name


def screen_upload(upload: IO[bytes], *, name: str, size: int) -> ScreenedFile:
    """Check an uploaded file; raise ValidationError with a message a person can act on."""
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s. Reduce its size or split it, then upload again.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="size",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    clean_name = clean_file_name(name)
    allowed = ", ".join(t.name for t in ALLOWED_TYPES)
    file_type = detect_type(upload)
    if file_type is None:
        upload.seek(0)
        what = _sniff_foreign(upload.read(2048))
        if what:
            message = _("The file's content is %(what)s, not a document. Allowed types: %(allowed)s.") % {
                "what": what,
                "allowed": allowed,
            }
        else:
            message = _("The file's content is not one of the allowed types: %(allowed)s.") % {"allowed": allowed}
        raise ValidationError(message, code="type")
    extension = "." + clean_name.rsplit(".", 1)[-1].lower() if "." in clean_name else ""
    if extension not in file_type.extensions:
        raise ValidationError(
            _("The file's content is %(type)s but its name ends in “%(ext)s”. Rename it to end in %(expected)s.")
            % {"type": file_type.name, "ext": extension or _("(no extension)"), "expected": file_type.extensions[0]},
            code="extension",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return ScreenedFile(file_type=file_type, name=clean_name, size=size, sha256=digest.hexdigest())
