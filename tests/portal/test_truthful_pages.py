"""No page tells a person that nothing is needed from them while they are the next actor of
something on it: every demo page, as every demo user, in Japanese and in English.

Each user's pages are found by following the links of their own pages from the home page, as a
person would (GET only; downloads are left aside). A page that says "nothing is needed" (or
waiting, assigned, awaiting permission, to acknowledge) is checked against the one source of
who acts next (``core.work``): about the protocol or request the page is about, or, for a list,
about everything the user has to do of that kind."""

import re
from collections import Counter
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from research_governance.accounts.models import User
from research_governance.core.work import NextActor, work_about, work_for

# Each claim of "nothing for you", in English and Japanese (the catalogue's words), and the
# actors whose work would make it false (None: any work at all).
CLAIMS: dict[str, frozenset[NextActor] | None] = {
    "Nothing is needed from you now.": None,
    "現在、対応が必要な事項はありません。": None,
    "Nothing is waiting for you.": None,
    "対応待ちの項目はありません。": None,
    "Nothing is awaiting your permission.": frozenset({NextActor.HEAD, NextActor.SITE_HEAD}),
    "許可待ちの申請はありません。": frozenset({NextActor.HEAD, NextActor.SITE_HEAD}),
    "Nothing is assigned to you.": frozenset({NextActor.REVIEWER}),
    "担当する審査はありません。": frozenset({NextActor.REVIEWER}),
    "Nothing to acknowledge.": frozenset({NextActor.RECIPIENT}),
}

SKIP = re.compile(
    r"(logout|/i18n/|\.pdf|\.csv|\.xlsx|\.json|/files/|/download|/export|/static/|/media/|/admin/|/accounts/|"
    r"/verify/|/notices/|/healthz)",
)
PROTOCOL_PAGE = re.compile(r"^/protocols/(\d+)/")
REQUEST_PAGE = re.compile(r"^/data/requests/(\d+)/")
HREF = re.compile(r'href="([^"#]+)"')
# Pages per user, and pages of one shape (digits replaced) per user: enough to see every kind of page.
MAX_PAGES = 60
PER_SHAPE = 3


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def crawl(client: Client) -> list[str]:
    seen: list[str] = []
    shapes: Counter[str] = Counter()
    queue = ["/"]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path, follow=True)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        final = response.redirect_chain[-1][0] if response.redirect_chain else path
        seen.append(urlsplit(final).path + (f"?{urlsplit(final).query}" if urlsplit(final).query else ""))
        for href in HREF.findall(response.content.decode()):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            if not href.startswith("/") or href.startswith("//") or SKIP.search(href):
                continue
            if href not in seen and href not in queue and shapes[shape(urlsplit(href).path)] < PER_SHAPE:
                shapes[shape(urlsplit(href).path)] += 1
                queue.append(href)
    return seen


def false_claims(user: User, path: str, text: str) -> list[str]:
    claims = [claim for claim in CLAIMS if claim in text]
    if not claims:
        return []
    if match := PROTOCOL_PAGE.match(path):
        items = work_about(protocol_ids=[int(match.group(1))])
    elif match := REQUEST_PAGE.match(path):
        items = work_about(request_ids=[int(match.group(1))])
    else:
        items = work_for(user)
    mine = [item for item in items if item.is_actor(user)]
    wrong = []
    for claim in claims:
        actors = CLAIMS[claim]
        relevant = [item for item in mine if actors is None or item.actor in actors]
        if relevant:
            wrong.append(f"{path} says {claim!r} to {user.email}, who must: {[str(i.step.label) for i in relevant]}")
    return wrong


@pytest.mark.django_db
def test_no_demo_page_says_nothing_is_needed_to_the_person_who_must_act(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    problems: list[str] = []
    for user in User.objects.filter(email__endswith="@demo.example", is_active=True).order_by("email"):
        english = Client(HTTP_ACCEPT_LANGUAGE="en")
        english.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        japanese = Client(HTTP_ACCEPT_LANGUAGE="ja")
        japanese.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        for path in crawl(english):
            problems += false_claims(user, path, english.get(path).content.decode())
            problems += false_claims(user, path, japanese.get(path).content.decode())
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_every_demo_user_signs_in_to_something_they_can_act_on(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    idle = [
        user.email
        for user in User.objects.filter(email__endswith="@demo.example", is_active=True).order_by("email")
        if not work_for(user)
    ]
    assert not idle, f"Nothing to act on for: {idle}"
