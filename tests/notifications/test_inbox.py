"""The inbox keeps everyone's "Waiting for you" as the workflows find it: after every hand-off,
a change of roles, seats, team or title, and when rebuilt from nothing; and the home reads it
in a few queries however much there is."""

from datetime import timedelta

import pytest
from django.utils import timezone

from research_governance.accounts.models import Role, RoleMembership
from research_governance.committees.models import CommitteeMembership
from research_governance.core.work import work_for
from research_governance.notifications import inbox
from research_governance.notifications.models import InboxEntry, InboxItem
from research_governance.oversight.models import ApprovalCheck
from research_governance.oversight.services import approval_check_record
from research_governance.protocols.services import protocol_update_draft
from research_governance.reviews import services
from research_governance.reviews.meeting import services as meeting_services
from tests.factories import UserFactory, make_complete, make_draft
from tests.inbox_support import assert_inbox_agrees, facts
from tests.oversight.test_next_steps import an_approval, here
from tests.reviews.conftest import chair, head
from tests.reviews.decisions_support import make_committee, seat
from tests.reviews.meeting.support import accepted_full_board
from tests.reviews.test_next_steps import _world

__all__ = ["chair", "head", "here"]  # fixtures, imported for the tests below


def kept_keys(user) -> set[str]:
    return {item.key for item in inbox.first_for(user, 1000).items}


def found_keys(user) -> set[str]:
    return {item.key for item in work_for(user)}


@pytest.mark.django_db
def test_everyone_in_a_world_of_two_institutions_finds_in_the_inbox_what_the_workflows_find(
    pi, secretariat, chair, head
):
    world = _world(pi, secretariat, chair, head)
    assert_inbox_agrees()
    # Not vacuous: the world has work for its people, and the other institution's is its own.
    assert len(kept_keys(secretariat)) >= 5
    assert kept_keys(world["member"])
    assert kept_keys(world["officers_b"][0]) == found_keys(world["officers_b"][0]) != set()
    assert not kept_keys(secretariat) & kept_keys(world["officers_b"][0])


@pytest.mark.django_db
def test_rebuilding_everything_from_nothing_gives_the_same_inbox(pi, secretariat, chair, head):
    _world(pi, secretariat, chair, head)

    def everything() -> set[tuple]:
        return {
            (entry.user_id, entry.actor, *facts(inbox._as_item(entry.item, inbox._steps(), entry.actor, frozenset())))
            for entry in InboxEntry.objects.select_related("item")
        }

    before = everything()
    assert len(before) > 10
    InboxItem.objects.all().delete()
    assert inbox.first_for(secretariat, 100).total == 0
    inbox.rebuild_all()
    assert everything() == before


@pytest.mark.django_db
def test_a_role_granted_brings_its_work_at_once_and_a_role_ended_takes_it_away(pi):
    protocol = make_complete(pi)
    services.protocol_submit(protocol=protocol, by=pi)
    colleague = UserFactory(institution=pi.institution, roles=[Role.COMMITTEE_MEMBER])
    assert kept_keys(colleague) == set()
    membership = RoleMembership.objects.create(user=colleague, institution=pi.institution, role=Role.SECRETARIAT)
    assert {key.split(":")[0] for key in kept_keys(colleague)} == {"ethics.prescreen"}
    membership.valid_to = timezone.localdate() - timedelta(days=1)
    membership.save()
    assert kept_keys(colleague) == set()
    assert_inbox_agrees()


@pytest.mark.django_db
def test_a_new_committee_seat_brings_the_meeting_to_the_member(pi, secretariat):
    committee = make_committee()
    meeting = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(days=3), location="Room 1"
    )
    meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=accepted_full_board(pi, secretariat))
    newcomer = seat(committee)
    assert any(key.startswith("ethics.meeting") for key in kept_keys(newcomer))
    CommitteeMembership.objects.filter(user=newcomer).delete()
    assert not any(key.startswith("ethics.meeting") for key in kept_keys(newcomer))
    assert_inbox_agrees()


@pytest.mark.django_db
def test_a_new_title_shows_on_the_home_at_once(pi):
    draft = make_draft(pi)
    assert [item.title["en"] for item in inbox.first_for(pi, 10).items] == [draft.title_en]
    protocol_update_draft(protocol=draft, by=pi, data={"title_en": "A clearer title"}, lock_version=draft.lock_version)
    assert [item.title["en"] for item in inbox.first_for(pi, 10).items] == ["A clearer title"]


@pytest.mark.django_db
def test_a_deactivated_account_has_nothing_waiting_and_finds_it_again_when_reactivated(pi, secretariat):
    services.protocol_submit(protocol=make_complete(pi), by=pi)
    assert kept_keys(secretariat)
    secretariat.is_active = False
    secretariat.save()
    assert InboxEntry.objects.filter(user=secretariat).count() == 0
    secretariat.is_active = True
    secretariat.save()
    assert kept_keys(secretariat) == found_keys(secretariat) != set()


@pytest.mark.django_db
def test_an_auditors_check_takes_the_approval_off_every_auditors_list(here):
    approval = an_approval(here)
    first, second = (UserFactory(institution=here, roles=[Role.AUDITOR]) for _ in range(2))
    inbox.rebuild_all()  # the approval was made by a factory, not by the services
    assert kept_keys(first) == kept_keys(second) == {f"oversight.approval_check:{approval.pk}"}
    approval_check_record(approval=approval, by=first, findings=ApprovalCheck.Findings.NONE)
    assert kept_keys(first) == kept_keys(second) == set()
    assert_inbox_agrees()


@pytest.mark.django_db
def test_a_step_no_hand_off_announces_is_found_afresh_on_every_page(pi):
    """An administrator's roster to fix is institution-wide: not kept, still listed and counted."""
    administrator = UserFactory(institution=pi.institution, roles=[Role.ADMINISTRATOR])
    make_committee()  # an empty roster fails the composition rules
    items = inbox.first_for(administrator, 10)
    assert [item.step.code for item in items.items] == ["oversight.committee_composition"]
    assert inbox.count_for(administrator) == items.total == 1
    assert not InboxItem.objects.filter(step_code="oversight.committee_composition").exists()


@pytest.mark.django_db(transaction=True)
def test_two_hand_offs_at_one_institution_at_once_both_keep_its_meeting(pi, secretariat):
    """Each service locks its own protocol, not the institution, so two of them may replace the
    institution's meeting rows at the same moment: neither fails, one row is left, and it is right."""
    import threading
    import time

    from django.db import connection, connections, transaction

    assert connection.vendor == "postgresql", "this test needs PostgreSQL's row locks: run it with make test"
    committee = make_committee()
    member = seat(committee)
    meeting = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(days=3), location="Room 1"
    )
    first, second = (accepted_full_board(pi, secretariat) for _ in range(2))
    for submission in (first, second):
        meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=submission)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def refresh(protocol_id: int, holds_open: bool) -> None:
        try:
            if holds_open:
                with transaction.atomic():
                    inbox.refresh(protocol_ids=[protocol_id])
                    barrier.wait(timeout=10)
                    time.sleep(0.5)  # the other one now waits on this one's rows
            else:
                barrier.wait(timeout=10)
                with transaction.atomic():
                    inbox.refresh(protocol_ids=[protocol_id])
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=refresh, args=(first.protocol_id, True)),
        threading.Thread(target=refresh, args=(second.protocol_id, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes == ["ok", "ok"]
    assert InboxItem.objects.filter(step_code="ethics.meeting").count() == 1
    assert [key for key in kept_keys(member) if key.startswith("ethics.meeting")] == [
        key for key in found_keys(member) if key.startswith("ethics.meeting")
    ]
    assert_inbox_agrees()
