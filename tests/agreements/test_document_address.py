"""The agreement's document prints its verification address absolute, from SITE_URL, so it can
be typed or scanned from paper."""

from research_governance.agreements import document
from tests.letters.support import pdf_text, squeeze

from .review_support import decided_request


def test_the_agreement_prints_the_absolute_address_that_verifies_it(dataset, dac, settings):
    settings.SITE_URL = "https://ethics.example.org/"
    agreement = decided_request(dataset, dac).agreement
    rendered = document.agreement_render(agreement.pk)
    with rendered.document.open("rb") as stored:
        text = squeeze(pdf_text(stored.read()))
    assert f"https://ethics.example.org/data/agreements/verify/{agreement.verification_code}/" in text
