"""Japanese and English throughout; dates in the institution's time zone."""

from datetime import UTC, datetime
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from research_governance.protocols.models import Protocol
from tests.factories import make_draft

CATALOGUES = [Path(settings.BASE_DIR) / "locale" / code / "LC_MESSAGES" / "django.po" for code in ("ja", "en")]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_each_catalogue_is_complete(path):
    catalogue = polib.pofile(str(path))
    assert len(catalogue) > 300
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


def test_japanese_translations_keep_every_placeholder():
    catalogue = polib.pofile(str(CATALOGUES[0]))
    for entry in catalogue.translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for placeholder in polib.re.findall(r"%\(\w+\)[sd]", entry.msgid):
            for text in translations:
                assert placeholder in text, entry.msgid


@pytest.mark.django_db
def test_pages_are_japanese_by_default_and_english_on_request(pi):
    client = Client()
    client.force_login(pi, backend="django.contrib.auth.backends.ModelBackend")
    japanese = client.get(reverse("protocols:dashboard")).content.decode()
    assert '<html lang="ja">' in japanese
    assert "新規申請" in japanese
    assert "New application" not in japanese
    english = client.get(reverse("protocols:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "New application" in english


@pytest.mark.django_db
def test_the_language_switcher_remembers_the_choice(pi):
    client = Client()
    client.force_login(pi, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("protocols:dashboard")})
    assert response.url == reverse("protocols:dashboard")
    assert "New application" in client.get(response.url).content.decode()


@pytest.mark.django_db
def test_the_sign_in_page_is_translated():
    page = Client().get(reverse("account_login")).content.decode()
    assert "ログイン" in page


@pytest.mark.django_db
def test_dates_are_shown_in_the_institutions_time_zone(client_for, pi):
    protocol = make_draft(pi)
    # 20:30 UTC on 28 November is 05:30 on 29 November in Tokyo.
    Protocol.objects.filter(pk=protocol.pk).update(updated_at=datetime(2026, 11, 28, 20, 30, tzinfo=UTC))
    page = client_for(pi).get(reverse("protocols:dashboard")).content.decode()
    assert "2026-11-29 05:30" in page


def test_the_english_catalogue_is_the_source_text():
    catalogue = polib.pofile(str(CATALOGUES[1]))
    for entry in catalogue:
        if entry.msgid_plural:
            assert entry.msgstr_plural == {0: entry.msgid, 1: entry.msgid_plural}
        else:
            assert entry.msgstr == entry.msgid
