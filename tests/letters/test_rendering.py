"""Rendering: the letter's text reads back from the PDF (Japanese included), and the URL fetcher
serves only data: URIs and our own static files."""

import http.server
import io
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader

from research_governance.letters.content import qr_data_uri, sample_content, static_url
from research_governance.letters.rendering import LetterURLFetcher, RefusedURL, html_to_pdf
from research_governance.letters.services import render_content

from .support import pdf_text, squeeze

PASSWD_LINE = Path("/etc/passwd").read_text().splitlines()[0]


@pytest.fixture
def http_server():
    """A web server on the loopback interface that counts the requests it gets."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b"body { color: red } /* fetched */"
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_letter_reads_back_with_its_reference_and_verification_code(language):
    content = sample_content(language)
    pdf = render_content(content)
    assert pdf.startswith(b"%PDF-")
    text = squeeze(pdf_text(pdf))
    assert content.reference in text
    assert content.verification_code in text
    if language == "ja":
        assert "倫理審査結果通知書" in text
        assert "大腸がん患者の血中バイオマーカー" in text
        assert "研究責任者" in text
        assert "条件付き承認" in text  # the outcome, in Japanese
    else:
        assert "NoticeoftheEthicsCommittee'sDecision" in text
        assert "Approvewithconditions" in text


def test_japanese_letters_embed_the_truetype_ipaex_fonts():
    pdf = render_content(sample_content("ja"))
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("IPAexMincho" in name for name in fonts), fonts
    assert any("IPAexGothic" in name for name in fonts), fonts


@pytest.mark.parametrize("kind", ["decision", "permission", "refusal"])
def test_every_template_loads_only_what_the_fetcher_serves(kind):
    fetcher = LetterURLFetcher()
    content = sample_content("ja", kind)
    with translation.override("ja"):
        html = render_to_string(content.template_name(), {"letter": content, "qr": qr_data_uri(content.verify_url)})
    html_to_pdf(html, fetcher=fetcher)
    assert fetcher.refused == []
    assert 'href="static:letters/letter.css"' in html


def test_the_fetcher_refuses_local_files_and_the_network(http_server):
    base, requests = http_server
    fetcher = LetterURLFetcher()
    html = f"""<html><head>
      <link rel="stylesheet" href="file:///etc/passwd">
      <link rel="stylesheet" href="{base}/style.css">
      <style>@import url("{base}/imported.css"); @import url("file:///etc/passwd");
        body {{ background: url("{base}/background.png") }}
        @font-face {{ font-family: Stolen; src: url("file:///etc/passwd") }}</style>
      <base href="file:///etc/">
      </head><body><p>Safe text</p>
      <img src="file:///etc/passwd"><img src="passwd"><img src="{base}/image.png">
      <img src="https://letters.invalid/x.png"><img src="ftp://127.0.0.1/x">
      <img src="static:../../../../etc/passwd"><img src="static:/etc/passwd">
      <object data="file:///etc/passwd"></object><embed src="file:///etc/passwd">
      <iframe src="file:///etc/passwd"></iframe><a href="file:///etc/passwd">link</a>
      </body></html>"""
    pdf = html_to_pdf(html, fetcher=fetcher)
    text = pdf_text(pdf)
    assert "Safe text" in text
    assert PASSWD_LINE not in text
    assert b"root:x:0:0" not in pdf
    assert requests == []  # nothing reached the web server
    refused = " ".join(fetcher.refused)
    assert "file:///etc/passwd" in refused
    assert f"{base}/style.css" in refused
    assert f"{base}/imported.css" in refused
    assert "static:../../../../etc/passwd" in refused


def test_the_fetcher_serves_data_uris_and_our_static_files():
    fetcher = LetterURLFetcher()
    css = fetcher.fetch(static_url("letters/letter.css"))
    assert b"IPAexMincho" in css.read()
    svg = fetcher.fetch("data:image/svg+xml;base64,PHN2Zy8+")
    assert svg.read() == b"<svg/>"
    assert svg.content_type == "image/svg+xml"
    plain = fetcher.fetch("data:,Hello%20world")
    assert plain.read() == b"Hello world"
    for refused in ("static:nonexistent.css", "static:../settings.py", "file:///etc/hostname", "http://x"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(refused)


def test_user_text_is_escaped_not_interpreted(http_server):
    base, requests = http_server
    content = sample_content("en")
    content.reasons = f'<img src="file:///etc/passwd"><link rel="stylesheet" href="{base}/x.css"><b>bold</b>'
    content.protocol_title = "<script>alert(1)</script>"
    pdf = render_content(content)
    text = pdf_text(pdf)
    assert '<img src="file:///etc/passwd">' in text  # shown as text
    assert "<script>alert(1)</script>" in text
    assert PASSWD_LINE not in text
    assert requests == []


def test_render_sample_letter_writes_a_preview(tmp_path, capsys):
    target = tmp_path / "sample.pdf"
    call_command("render_sample_letter", "--lang", "ja", str(target))
    pdf = target.read_bytes()
    assert "倫理審査結果通知書" in squeeze(pdf_text(pdf))
    english = tmp_path / "permission.pdf"
    call_command("render_sample_letter", "--lang", "en", "--kind", "permission", str(english))
    assert "NoticeofPermission" in squeeze(pdf_text(english.read_bytes()))
