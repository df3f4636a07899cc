"""SEC-06: uploads are screened by content, size and name before anyone opens them."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from research_governance.demo.samples import minimal_pdf
from research_governance.protocols.uploads import screen_upload


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
DOCM = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", "word/vbaProject.bin": b"\0"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
EXE = b"MZ\x90\x00" + b"\0" * 200


def screen(content: bytes, name: str):
    return screen_upload(io.BytesIO(content), name=name, size=len(content))


@pytest.mark.parametrize(
    ("content", "name", "type_name"),
    [
        (minimal_pdf("x"), "protocol.pdf", "PDF"),
        (DOCX, "consent.docx", "DOCX"),
        (XLSX, "budget.xlsx", "XLSX"),
        (ODT, "notice.odt", "ODT"),
        (PNG, "figure.png", "PNG"),
        (JPEG, "photo.JPG", "JPEG"),
        (JPEG, "photo.jpeg", "JPEG"),
        (minimal_pdf("x"), "同意説明文書.pdf", "PDF"),
    ],
)
def test_allowed_types_are_accepted_by_their_content(content, name, type_name):
    screened = screen(content, name)
    assert screened.file_type.name == type_name
    assert screened.name == name
    assert len(screened.sha256) == 64


def test_an_executable_renamed_pdf_is_refused_and_named_for_what_it_is():
    with pytest.raises(ValidationError) as error:
        screen(EXE, "protocol.pdf")
    assert "Windows executable" in error.value.messages[0]


def test_a_file_over_the_size_cap_is_refused_with_both_sizes(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        screen(minimal_pdf("x") + b"\0" * 2048, "big.pdf")
    assert "limit is 1.0\xa0KB" in error.value.messages[0]


def test_office_files_with_macros_are_refused():
    with pytest.raises(ValidationError) as error:
        screen(DOCM, "consent.docx")
    assert "macros" in error.value.messages[0]


def test_a_name_whose_extension_does_not_match_the_content_is_refused():
    with pytest.raises(ValidationError) as error:
        screen(PNG, "figure.pdf")
    assert "content is PNG" in error.value.messages[0]


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "a/b.pdf", "bad\x00name.pdf", "", "x" * 200 + ".pdf"])
def test_unsafe_or_overlong_names_are_refused(name):
    with pytest.raises(ValidationError):
        screen(minimal_pdf("x"), name)


def test_plain_text_and_unknown_content_are_refused():
    with pytest.raises(ValidationError) as error:
        screen(b"just some text", "notes.pdf")
    assert "not one of the allowed types" in error.value.messages[0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError):
        screen(b"", "empty.pdf")
