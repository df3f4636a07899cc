"""The home page, "Waiting for you": exactly the items where the user is the next actor, by
role, overdue first, 25 to a page; below it what the user waits for from others; the count in
the menu; and signing in lands there."""

import re
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Role, User
from research_governance.core import work
from research_governance.core.work import (
    NextActor,
    StateSteps,
    Step,
    WorkItem,
    WorkSource,
    register_source,
    work_for,
)
from research_governance.notifications import inbox
from research_governance.portal import selectors
from research_governance.protocols.access_services import grant_team_access
from research_governance.protocols.models import Protocol
from research_governance.reviews.prescreen.services import submission_accept, submission_return
from research_governance.reviews.submission.services import protocol_submit
from tests.accounts.support import password_step, sign_in_with_code
from tests.conftest import signed_in
from tests.factories import InstitutionFactory, UserFactory, make_complete
from tests.reviews.meeting.support import meeting_with_item

HOME = reverse("portal:home")

REVIEW = Step(
    code="test.review",
    actor=NextActor.REVIEWER,
    label=_("Review the test application"),
    waiting=_("Waiting for the test review"),
    due_rule=_("test"),
)
ANSWER = Step(
    code="test.answer",
    actor=NextActor.APPLICANT,
    label=_("Answer the test request"),
    waiting=_("Waiting for the test answer"),
    due_rule=_("test"),
)
DECIDE = Step(
    code="test.decide",
    actor=NextActor.CHAIR,
    label=_("Decide on the test item"),
    waiting=_("Waiting for the test decision"),
    due_rule=_("test"),
)


CHECK = Step(
    code="test.check",
    actor=NextActor.AUDITOR,
    label=_("Check the test approval"),
    waiting=_("Waiting for the test check"),
    due_rule=_("test"),
)


class ListedWork(WorkSource):
    """A workflow whose pending items are whatever the test lists. Adding one hands it on as a
    service would: the inbox keeps it."""

    name = "test-home"

    def __init__(self) -> None:
        self.items: list[WorkItem] = []
        self.numbers = count(1)

    def add(self, step: Step, actor: User, *, days_ago: int = 1, due_in: int | None = None, **kwargs: Any) -> WorkItem:
        number = next(self.numbers)
        item = WorkItem(
            step=step,
            key=f"{step.code}:{number}",
            reference=kwargs.pop("reference", f"T-{number:03d}"),
            title=kwargs.pop("title", {"ja": f"試験 {number}", "en": f"Test {number}"}),
            link=f"/test/{number}/",
            since=timezone.now() - timedelta(days=days_ago),
            institution_id=actor.institution_id,
            actor_ids=frozenset({actor.pk}),
            due=None if due_in is None else timezone.localdate() + timedelta(days=due_in),
            **kwargs,
        )
        self.items.append(item)
        inbox.rebuild_for([actor.pk])
        if item.protocol_id is not None:
            inbox.refresh(protocol_ids=[item.protocol_id])
        return item

    def declaration(self) -> tuple:
        return (StateSteps(workflow="Test", state="pending", steps=(REVIEW, ANSWER, DECIDE, CHECK)),)

    def for_user(self, user: Any) -> list[WorkItem]:
        return [item for item in self.items if item.is_actor(user)]

    def about(self, *, protocol_ids: Any = (), request_ids: Any = ()) -> list[WorkItem]:
        wanted = set(protocol_ids)
        return [item for item in self.items if item.protocol_id in wanted]


@pytest.fixture
def listed(monkeypatch) -> ListedWork:
    """A test workflow, registered for this test only: the registry is a copy put back afterwards."""
    monkeypatch.setattr(work, "_sources", dict(work._sources))
    source = ListedWork()
    register_source(source)
    return source


def test_the_test_workflow_is_gone_after_its_test():
    assert "test-home" not in {source.name for source in work.work_sources()}


def keys(page: str) -> list[str]:
    return re.findall(r'data-work-key="([^"]+)"', page)


def waiting_for_you(page: str) -> str:
    return page.split('id="others-heading"')[0]


def waiting_for_others(page: str) -> str:
    return page.split('id="others-heading"')[1]


def submitted(pi: User, title: str = "睡眠の研究") -> Protocol:
    protocol = make_complete(pi, title_ja=title, title_en=f"{title} (en)")
    protocol_submit(protocol=protocol, by=pi)
    protocol.refresh_from_db()
    return protocol


@pytest.mark.django_db
def test_the_secretariat_finds_a_new_submission_waiting_to_be_pre_screened(client_for, pi, secretariat):
    protocol = submitted(pi, title="睡眠の研究")
    page = client_for(secretariat).get(HOME).content.decode()
    mine = waiting_for_you(page)
    assert "As the secretariat" in mine
    assert "Pre-screen the submission" in mine
    assert protocol.reference in mine
    assert "睡眠の研究 (en)" in mine  # the English reader sees the English title
    today = timezone.localdate()
    assert f"Waiting since {today:%Y-%m-%d}" in mine
    assert f"Due {today + timedelta(days=7):%Y-%m-%d}" in mine
    assert f'href="{reverse("protocols:detail", args=[protocol.pk])}?submission=' in mine
    assert "Nothing is waiting for you." not in page


@pytest.mark.django_db
def test_another_institutions_secretariat_sees_none_of_it(client_for, pi):
    submitted(pi)
    university = InstitutionFactory(code="elsewhere", name_ja="別大学", name_en="Elsewhere")
    elsewhere = UserFactory(institution=university, roles=[Role.SECRETARIAT])
    page = client_for(elsewhere).get(HOME).content.decode()
    assert keys(waiting_for_you(page)) == []
    assert "Nothing is waiting for you." in page
    assert "Pre-screen the submission" not in page


@pytest.mark.django_db
def test_a_reader_of_japanese_sees_the_japanese_title(pi, secretariat):
    submitted(pi, title="睡眠の研究")
    client = signed_in(secretariat)
    client.cookies["django_language"] = "ja"
    page = client.get(HOME, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "睡眠の研究" in page
    assert "睡眠の研究 (en)" not in page


@pytest.mark.django_db
def test_the_same_home_read_in_japanese_then_in_english_is_all_in_the_readers_language(pi, secretariat):
    submitted(pi, title="睡眠の研究")
    client = signed_in(secretariat)
    client.cookies["django_language"] = "ja"
    japanese = client.get(HOME, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "新規申請" in japanese
    client.cookies["django_language"] = "en"
    english = client.get(HOME, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Initial application" in english
    assert "新規申請" not in english


@pytest.mark.django_db
def test_each_person_sees_exactly_their_own_items(client_for, listed, reviewer):
    other_reviewer = UserFactory(roles=[Role.COMMITTEE_MEMBER])
    mine = listed.add(REVIEW, reviewer)
    theirs = listed.add(REVIEW, other_reviewer)
    assert keys(client_for(reviewer).get(HOME).content.decode()) == [mine.key]
    assert keys(client_for(other_reviewer).get(HOME).content.decode()) == [theirs.key]


@pytest.mark.django_db
def test_a_person_with_several_roles_sees_their_work_grouped_by_role_in_the_declared_order(client_for, listed, pi):
    chair = UserFactory(roles=[Role.CHAIR, Role.COMMITTEE_MEMBER, Role.SECRETARIAT])
    decide = listed.add(DECIDE, chair, days_ago=9)
    review = listed.add(REVIEW, chair, days_ago=2)
    submitted(pi)
    page = waiting_for_you(client_for(chair).get(HOME).content.decode())
    headings = re.findall(r'<h3 id="group-[a-z_]+" class="h5">([^<]+)', page)
    assert [h.strip() for h in headings] == ["As the secretariat", "As a reviewer", "As the chair"]
    assert keys(page)[1:] == [review.key, decide.key]
    assert keys(page)[0].startswith("ethics.prescreen:")


@pytest.mark.django_db
def test_overdue_items_come_first_and_say_so_in_words(client_for, listed, reviewer):
    recent = listed.add(REVIEW, reviewer, days_ago=1, due_in=10)
    undated = listed.add(REVIEW, reviewer, days_ago=30)
    overdue = listed.add(REVIEW, reviewer, days_ago=5, due_in=-2)
    page = client_for(reviewer).get(HOME).content.decode()
    assert keys(page) == [overdue.key, recent.key, undated.key]
    first = page.split(f'data-work-key="{overdue.key}"')[1].split("</li>")[0]
    assert "Overdue" in first
    assert f"was due {overdue.due:%Y-%m-%d}" in first
    later = page.split(f'data-work-key="{recent.key}"')[1].split("</li>")[0]
    assert "Overdue" not in later


@pytest.mark.django_db
def test_the_list_comes_25_to_a_page_and_a_group_says_when_it_goes_on(client_for, listed, reviewer):
    items = [listed.add(REVIEW, reviewer, days_ago=40 - n) for n in range(30)]
    client = client_for(reviewer)
    first = client.get(HOME).content.decode()
    second = client.get(HOME, {"page": 2}).content.decode()
    assert keys(first) == [item.key for item in items[:25]]
    assert keys(second) == [item.key for item in items[25:]]
    assert "30 items wait for you." in first
    assert "Page 1 of 2" in first
    assert "(continued)" not in first
    assert "(continued)" in second


@pytest.mark.django_db
def test_the_investigator_sees_what_they_wait_for_from_others(client_for, pi, coinvestigator, secretariat):
    protocol = submitted(pi, title="睡眠の研究")
    page = client_for(pi).get(HOME).content.decode()
    assert "Nothing is waiting for you." in page
    others = waiting_for_others(page)
    assert protocol.reference in others
    assert f"Waiting for the secretariat&#x27;s pre-screening since {timezone.localdate():%Y-%m-%d}" in others
    # Someone not on the team waits for nothing of it.
    stranger = UserFactory()
    assert protocol.reference not in client_for(stranger).get(HOME).content.decode()


@pytest.mark.django_db
def test_the_team_sees_the_meeting_their_protocol_is_on_and_it_leads_to_their_protocol(client_for, pi, secretariat):
    _committee, _members, meeting, item = meeting_with_item(pi, secretariat)
    protocol = item.submission.protocol
    client = client_for(pi)
    others = waiting_for_others(client.get(HOME).content.decode())
    row = others.split(f'data-work-key="ethics.meeting:{meeting.pk}:')[1].split("</li>")[0]
    assert "Waiting for the committee&#x27;s meeting" in row
    address = reverse("protocols:detail", args=[protocol.pk])
    assert f'href="{address}"' in row
    # The meeting's own page is the members' (the team may not open it); their protocol's is theirs.
    assert client.get(address).status_code == 200
    # Someone who is not on the team is not told of it.
    assert f"ethics.meeting:{meeting.pk}:" not in client_for(UserFactory()).get(HOME).content.decode()


@pytest.mark.django_db
def test_waiting_for_others_looks_at_the_most_recently_changed_protocols_only(client_for, pi, monkeypatch):
    monkeypatch.setattr(selectors, "RECENT_SUBJECTS", 1)
    older = submitted(pi, title="古い研究")
    newer = submitted(pi, title="新しい研究")
    others = waiting_for_others(client_for(pi).get(HOME).content.decode())
    assert newer.reference in others
    assert older.reference not in others


@pytest.mark.django_db
def test_the_team_does_not_wait_for_an_auditors_check_of_its_approval(client_for, listed, pi):
    protocol = submitted(pi, title="睡眠の研究")
    auditor = UserFactory(institution=pi.institution, roles=[Role.AUDITOR])
    listed.add(CHECK, auditor, protocol_id=protocol.pk)
    others = waiting_for_others(client_for(pi).get(HOME).content.decode())
    assert "Waiting for the secretariat" in others
    assert "Waiting for the test check" not in others


@pytest.mark.django_db
def test_the_secretariat_does_not_see_its_own_work_as_waiting_for_others(client_for, pi, secretariat):
    protocol = submitted(pi)
    page = client_for(secretariat).get(HOME).content.decode()
    assert protocol.reference not in waiting_for_others(page)


def badge(page: str) -> int:
    found = re.search(r'data-waiting-count="(\d+)"', page)
    return int(found.group(1)) if found else 0


@pytest.mark.django_db
def test_the_menu_counts_what_waits_and_says_it_in_words(client_for, listed, reviewer):
    for n in range(3):
        listed.add(REVIEW, reviewer, days_ago=n)
    page = client_for(reviewer).get(reverse("notifications:list")).content.decode()
    assert badge(page) == len(work_for(reviewer)) == 3
    assert "3 items waiting" in page
    assert badge(client_for(reviewer).get(HOME).content.decode()) == 3


@pytest.mark.django_db
def test_the_menu_shows_no_count_when_nothing_waits(client_for, reviewer):
    page = client_for(reviewer).get(reverse("notifications:list")).content.decode()
    assert "Waiting for you" in page
    assert badge(page) == 0


@pytest.mark.django_db
def test_the_count_follows_a_hand_off_at_once(client_for, pi, secretariat):
    client = client_for(secretariat)
    assert badge(client.get(reverse("notifications:list")).content.decode()) == 0
    submitted(pi)
    assert badge(client.get(reverse("notifications:list")).content.decode()) == 1


@pytest.mark.django_db
def test_the_count_follows_a_new_role_at_once(client_for, pi):
    submitted(pi)
    user = UserFactory(roles=[Role.COMMITTEE_MEMBER])
    assert badge(client_for(user).get(reverse("notifications:list")).content.decode()) == 0
    user.role_memberships.create(institution=user.institution, role=Role.SECRETARIAT)
    user = User.objects.get(pk=user.pk)
    assert badge(client_for(user).get(reverse("notifications:list")).content.decode()) == 1


@pytest.mark.django_db
def test_the_count_follows_a_new_member_of_the_team_at_once(client_for, pi, secretariat):
    protocol = submitted(pi)
    submission_return(submission=protocol.submissions.get(), by=secretariat, requests=["Add the consent form."])
    colleague = UserFactory(email="colleague@test.example")
    client = client_for(colleague)
    assert badge(client.get(reverse("notifications:list")).content.decode()) == 0
    # A team member who may edit answers the secretariat's requests with the PI.
    grant_team_access(user=colleague, protocol=protocol, can_edit=True)
    assert badge(client.get(reverse("notifications:list")).content.decode()) == 1
    assert "Answer the committee&#x27;s requests and resubmit" in client.get(HOME).content.decode()


@pytest.mark.django_db
def test_the_home_and_the_menu_count_the_same(client_for, listed, reviewer):
    client = client_for(reviewer)
    assert badge(client.get(reverse("notifications:list")).content.decode()) == 0
    listed.add(REVIEW, reviewer)
    assert badge(client.get(HOME).content.decode()) == 1
    assert badge(client.get(reverse("notifications:list")).content.decode()) == 1


@pytest.mark.django_db
def test_signing_in_lands_on_the_home(pi):
    client, response = password_step(pi)
    assert response.url == HOME
    assert client.get(response.url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.SECRETARIAT, Role.COMMITTEE_MEMBER, Role.CHAIR, Role.HEAD, Role.DATA_ACCESS_COMMITTEE, Role.AUDITOR]
)
def test_every_role_signs_in_to_the_home_not_to_my_protocols(role):
    user = UserFactory(roles=[role])
    client, response = sign_in_with_code(user)
    assert response.url == HOME
    page = client.get(response.url).content.decode()
    assert '<h1 class="h3 mb-4">Waiting for you</h1>' in page


@pytest.mark.django_db
def test_the_site_address_sends_people_home_or_to_sign_in(client_for, pi):
    anonymous = client_for(None)
    assert anonymous.get("/").url == reverse("account_login")
    assert anonymous.get(HOME).url.startswith(reverse("account_login"))
    assert client_for(pi).get("/").url == HOME


@pytest.mark.django_db
def test_my_protocols_no_longer_says_that_nothing_is_waiting(client_for, reviewer):
    page = client_for(reviewer).get(reverse("protocols:dashboard")).content.decode()
    assert "Nothing is waiting for you." not in page
    assert f'href="{HOME}"' in page


def home_queries(user: User) -> int:
    client = signed_in(user)
    client.get(HOME)  # warm the per-request caches every page shares (session, second factor)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_home_follows_each_hand_off_at_once(client_for, pi, secretariat):
    client = client_for(secretariat)
    first = submitted(pi, title="一つ目")
    assert [key.split(":")[0] for key in keys(client.get(HOME).content.decode())] == ["ethics.prescreen"]
    second = submitted(pi, title="二つ目")
    assert len(keys(client.get(HOME).content.decode())) == 2
    submission_accept(submission=first.submissions.get(), by=secretariat, route="full_board")
    page = client.get(HOME).content.decode()
    assert sorted(key.split(":")[0] for key in keys(page)) == ["ethics.agenda", "ethics.prescreen"]
    assert second.reference in page


@pytest.mark.django_db
def test_the_home_makes_as_many_queries_for_many_items_as_for_one(pi, secretariat):
    submitted(pi, title="一つ目")
    few = (home_queries(secretariat), home_queries(pi))
    for n in range(4):
        submitted(pi, title=f"研究 {n}")
    assert (home_queries(secretariat), home_queries(pi)) == few


@pytest.mark.django_db
def test_a_secretariat_who_is_not_the_chair_finds_the_officers_steps_under_the_secretariat(secretariat):
    from django.utils import timezone

    from research_governance.core.work import NextActor, WorkItem
    from research_governance.reviews.next_steps.base import as_held
    from research_governance.reviews.next_steps.review_steps import DECIDE
    from tests.factories import UserFactory

    chair = UserFactory(email="chair@test.example", roles=[Role.CHAIR])
    item = WorkItem(
        step=DECIDE,
        key="ethics.decide:1",
        reference="2026-00001",
        title={"ja": "研究", "en": "A study"},
        link="/protocols/1/",
        since=timezone.now(),
        institution_id=secretariat.institution_id,
        actor_ids=frozenset({secretariat.pk, chair.pk}),
    )
    assert as_held(secretariat, item).actor == NextActor.SECRETARIAT
    assert as_held(chair, item).actor == NextActor.CHAIR
