"""The layout of every page: the window title names the page, then the site; in the menu each
person sees the entries of the roles they hold, one entry is marked as the page shown, the counts
of waiting and unread items show, and it costs one query."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from research_governance.accounts.mfa import provision_totp
from research_governance.accounts.models import Role, RoleMembership
from research_governance.notifications.messages import bilingual
from research_governance.notifications.services import notify
from research_governance.portal.context_processors import MENU, Navigation
from research_governance.portal.selectors import waiting_count
from research_governance.protocols.services import protocol_create
from tests.agreements.support import make_dac
from tests.conftest import signed_in
from tests.factories import TOTP_SECRET, UserFactory

pytestmark = pytest.mark.django_db

MENU_LIST = re.compile(r'<ul class="navbar-nav[^"]*">(.*?)</ul>', re.S)
ENTRY = re.compile(r'<a class="nav-link( active)?"( aria-current="page")? href="([^"]+)">([^<]+)')


def menu_of(page: str) -> list[tuple[str, bool, str]]:
    """(label, marked as the current page, address) of each entry."""
    found = MENU_LIST.search(page)
    assert found, "the page has no menu"
    entries = []
    for active, current, href, label in ENTRY.findall(found.group(1)):
        assert bool(active) == bool(current), f"{label}: looks current but is not announced as such, or the reverse"
        entries.append((label.strip(), bool(current), href))
    return entries


def labels(page: str) -> list[str]:
    return [label for label, _current, _href in menu_of(page)]


EVERYONE = ["Waiting for you", "My protocols", "Data sharing"]


@pytest.mark.parametrize(
    ("roles", "also_shown"),
    [
        ([Role.INVESTIGATOR], []),
        ([Role.SECRETARIAT], ["Secretariat", "Committees", "Oversight", "Rulebook"]),
        ([Role.COMMITTEE_MEMBER], ["My reviews", "Committees"]),
        ([Role.CHAIR], ["My reviews", "Chair", "Committees", "Oversight"]),
        ([Role.HEAD], ["Awaiting my permission"]),
        ([Role.DATA_ACCESS_COMMITTEE], []),
        ([Role.AUDITOR], ["Committees", "Oversight", "Rulebook", "Audit trail"]),
        ([Role.ADMINISTRATOR], ["Secretariat", "Committees", "Oversight", "Rulebook", "Audit trail"]),
    ],
)
def test_each_role_sees_the_entries_of_its_work(roles, also_shown):
    user = UserFactory(roles=roles)
    page = signed_in(user).get(reverse("protocols:dashboard")).content.decode()
    assert labels(page) == EVERYONE[:2] + EVERYONE[2:] + also_shown


def test_staff_see_the_rulebook_and_the_administration_whatever_their_roles():
    user = UserFactory(roles=[Role.INVESTIGATOR])
    user.is_staff = True
    user.save()
    provision_totp(user, TOTP_SECRET)  # SEC-02: staff set up a second factor first
    page = signed_in(user).get(reverse("protocols:dashboard")).content.decode()
    assert labels(page) == [*EVERYONE, "Rulebook", "Administration"]


def test_signed_out_pages_have_no_menu_entries():
    page = signed_in(None).get(reverse("notices:list")).content.decode()
    assert "nav-link" not in page


def test_exactly_one_entry_is_the_current_page_also_where_two_could_claim_it():
    # "My reviews" is a page of the reviews app, which the secretariat's entry also stands for.
    user = UserFactory(roles=[Role.SECRETARIAT, Role.COMMITTEE_MEMBER])
    client = signed_in(user)
    for url, current in [
        (reverse("reviews:my_assignments"), "My reviews"),
        (reverse("reviews:secretariat_queue"), "Secretariat"),
        (reverse("portal:home"), "Waiting for you"),
        (reverse("protocols:dashboard"), "My protocols"),
    ]:
        marked = [label for label, is_current, _href in menu_of(client.get(url).content.decode()) if is_current]
        assert marked == [current], url


def test_a_page_of_an_app_marks_its_entry():
    user = UserFactory(roles=[Role.SECRETARIAT])
    page = signed_in(user).get(reverse("committees:list"))
    marked = [label for label, is_current, _href in menu_of(page.content.decode()) if is_current]
    assert marked == ["Committees"]


def test_the_data_access_committees_queue_shows_for_its_officers_not_its_members():
    _committee, chair, secretary, (member, *_others) = make_dac()
    for officer in (chair, secretary):
        assert "Data access committee" in labels(
            signed_in(officer).get(reverse("protocols:dashboard")).content.decode()
        )
    assert "Data access committee" not in labels(signed_in(member).get(reverse("protocols:dashboard")).content.decode())


def test_every_entry_leads_to_a_page_its_holder_may_open():
    _committee, chair, _secretary, _members = make_dac()
    for role, _label in Role.choices:
        RoleMembership.objects.get_or_create(user=chair, institution=chair.institution, role=role)
    chair.is_staff = True
    chair.is_superuser = True
    chair.save()
    client = signed_in(chair)
    entries = menu_of(client.get(reverse("protocols:dashboard")).content.decode())
    assert len(entries) == len(MENU)
    for label, _current, href in entries:
        assert client.get(href).status_code == 200, label


def test_the_menu_counts_what_waits_for_the_user_and_what_is_unread():
    investigator = UserFactory(roles=[Role.INVESTIGATOR])
    client = signed_in(investigator)
    assert "data-waiting-count" not in client.get(reverse("protocols:dashboard")).content.decode()

    # Both counts are cached between pages: a new draft and a new notification show on the next.
    protocol_create(by=investigator, title_en="Draft one")
    protocol_create(by=investigator, title_en="Draft two")
    notify(
        recipients=[investigator],
        kind="submission.accepted",
        params={"reference": "R-1", "title": bilingual("研究", "A study")},
        link="/",
    )
    page = client.get(reverse("protocols:dashboard")).content.decode()
    assert waiting_count(investigator) == 2
    assert 'data-waiting-count="2"' in page
    assert "2 items waiting" in page
    assert re.search(r'text-bg-warning ms-1">1<span class="visually-hidden"> unread', page)


def test_the_menu_asks_the_database_only_for_the_roles(django_assert_num_queries):
    user = UserFactory(roles=[Role.SECRETARIAT, Role.CHAIR])
    client = signed_in(user)  # the counts are cached after the first page
    request = RequestFactory().get(reverse("protocols:dashboard"))
    request.resolver_match = client.get(reverse("protocols:dashboard")).resolver_match
    fresh = type(user).objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        html = Navigation(request, fresh).render(None)
    assert "Secretariat" in html
    assert "Chair" in html


def test_the_window_title_names_the_page_then_the_site():
    user = UserFactory(roles=[Role.INVESTIGATOR])
    page = signed_in(user).get(reverse("portal:home")).content.decode()
    assert "<title>Waiting for you · Research Governance</title>" in page
    japanese = signed_in(None)
    japanese.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"
    assert "<title>ログイン · " in japanese.get(reverse("account_login")).content.decode()


def test_the_layout_follows_a_change_of_the_static_files_storage(settings):
    # Found once per process, and found again when the storage changes (the browser tests serve
    # the files under their plain names).
    client = signed_in(UserFactory(roles=[Role.INVESTIGATOR]))
    hashed = client.get(reverse("portal:home")).content.decode()
    assert re.search(r'href="/static/css/app\.[0-9a-f]{12}\.css"', hashed)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert 'href="/static/css/app.css"' in client.get(reverse("portal:home")).content.decode()
