"""SITE_URL: required outside DEBUG, so every email can link to its item and every letter prints
an address that opens from paper."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from research_governance.core.site import absolute_url, check_site_url


@pytest.mark.parametrize("value", ["", "ethics.example.org", "ftp://ethics.example.org", "https://", "/path"])
def test_with_debug_off_a_missing_or_relative_site_url_is_an_error_with_a_hint(settings, value):
    settings.DEBUG = False
    settings.SITE_URL = value
    (error,) = check_site_url()
    assert error.id == "core.E002"
    assert "SITE_URL" in error.msg
    assert "SITE_URL=https://" in error.hint


@pytest.mark.parametrize("value", ["https://ethics.example.org", "http://127.0.0.1:8000", "https://example.org/rg"])
def test_an_absolute_http_address_passes(settings, value):
    settings.DEBUG = False
    settings.SITE_URL = value
    assert check_site_url() == []


def test_with_debug_on_an_unset_site_url_is_not_an_error_but_a_wrong_one_is(settings):
    settings.DEBUG = True
    settings.SITE_URL = ""
    assert check_site_url() == []
    settings.SITE_URL = "example.org"
    assert [error.id for error in check_site_url()] == ["core.E002"]


def test_every_command_that_checks_refuses_to_run_without_it(settings):
    settings.DEBUG = False
    settings.SITE_URL = ""
    with pytest.raises(SystemCheckError, match="SITE_URL"):
        call_command("check")


def test_an_absolute_url_joins_the_site_and_the_path_without_a_double_slash(settings):
    settings.SITE_URL = "https://ethics.example.org/"
    assert absolute_url("/letters/verify/abc/") == "https://ethics.example.org/letters/verify/abc/"


def test_an_absolute_url_without_a_site_url_raises_a_clear_error(settings):
    settings.SITE_URL = ""
    with pytest.raises(ImproperlyConfigured, match="Set SITE_URL"):
        absolute_url("/letters/verify/abc/")


def test_the_development_default_is_the_local_server(monkeypatch):
    import importlib

    from research_governance import settings as settings_module

    monkeypatch.setenv("DEBUG", "1")
    monkeypatch.delenv("SITE_URL", raising=False)
    try:
        assert importlib.reload(settings_module).SITE_URL == "http://127.0.0.1:8000"
        monkeypatch.setenv("DEBUG", "0")
        assert importlib.reload(settings_module).SITE_URL == ""
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)
