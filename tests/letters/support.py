import io

from pypdf import PdfReader


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, read back with pypdf."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeeze(text: str) -> str:
    """Text without whitespace: a PDF's line breaks fall wherever the layout put them."""
    return "".join(text.split())
