"""What waits for the auditors and the administrators (oversight.next_steps): every approval
waits for an auditor of its institution until one checks it; an ethics committee whose roster
fails the composition rules, and a role whose term is ending, wait for the administrators."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Institution, Role, RoleMembership, User
from research_governance.audit.models import AuditEvent
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.core.work import NextActor, declared_steps, work_about, work_for
from research_governance.notifications.handoff import announce
from research_governance.notifications.models import Notification
from research_governance.oversight.models import ApprovalCheck
from research_governance.oversight.next_steps import APPROVAL_CHECK, COMMITTEE_COMPOSITION, ROLE_ENDING
from research_governance.oversight.services import approval_check_record
from tests.conftest import signed_in
from tests.factories import UserFactory

from .conftest import approval_for

pytestmark = pytest.mark.django_db

Category = CommitteeMembership.Category
Sex = CommitteeMembership.Sex


@pytest.fixture
def here():
    return Institution.objects.create(code="here", name_ja="本大学", name_en="Here University")


@pytest.fixture
def there():
    return Institution.objects.create(code="there", name_ja="他大学", name_en="There University")


def person(institution, *roles, email=None):
    return UserFactory(institution=institution, roles=list(roles), **({"email": email} if email else {}))


def an_approval(institution, reference="APR-1"):
    today = timezone.localdate()
    pi = person(institution, Role.INVESTIGATOR)
    return approval_for(
        pi,
        title=f"Study {reference}",
        reference=reference,
        valid_from=today,
        valid_until=today + timedelta(days=365),
    )


def steps_of(items, step):
    return [item for item in items if item.step == step]


# Auditors: every approval is checked.


def test_an_auditor_is_waiting_to_check_every_unchecked_approval_of_their_institution(here, there):
    auditor = person(here, Role.AUDITOR)
    mine = an_approval(here, "APR-HERE")
    an_approval(there, "APR-THERE")
    items = steps_of(work_for(auditor), APPROVAL_CHECK)
    assert [item.detail for item in items] == ["APR-HERE"]
    item = items[0]
    assert item.actor == NextActor.AUDITOR
    assert item.link == reverse("oversight:approval_check", args=[mine.pk])
    assert item.due == timezone.localdate(mine.created_at) + timedelta(days=30)
    assert item.protocol_id == mine.protocol_id


def test_an_auditor_of_another_institution_has_nothing_to_check_here(here, there):
    an_approval(here)
    stranger = person(there, Role.AUDITOR)
    assert steps_of(work_for(stranger), APPROVAL_CHECK) == []


def test_nobody_but_the_auditors_waits_to_check_an_approval(here):
    approval = an_approval(here)
    auditors = {person(here, Role.AUDITOR).pk, person(here, Role.AUDITOR).pk}
    person(here, Role.SECRETARIAT)
    person(here, Role.ADMINISTRATOR)
    (item,) = steps_of(work_about(protocol_ids=[approval.protocol_id]), APPROVAL_CHECK)
    assert item.actor_ids == frozenset(auditors)
    for user in User.objects.exclude(pk__in=auditors):
        assert steps_of(work_for(user), APPROVAL_CHECK) == [], user


def test_once_an_auditor_has_checked_the_approval_it_waits_for_no_auditor(here):
    approval = an_approval(here)
    checker, colleague = person(here, Role.AUDITOR), person(here, Role.AUDITOR)
    approval_check_record(approval=approval, by=checker, findings="none")
    assert steps_of(work_for(checker), APPROVAL_CHECK) == []
    assert steps_of(work_for(colleague), APPROVAL_CHECK) == []
    assert steps_of(work_about(protocol_ids=[approval.protocol_id]), APPROVAL_CHECK) == []


def test_the_check_is_in_the_audit_trail_of_the_approval_s_institution(here):
    approval = an_approval(here)
    auditor = person(here, Role.AUDITOR)
    check = approval_check_record(approval=approval, by=auditor, findings="findings", note="Letter unsigned.")
    event = AuditEvent.objects.get(action="approval.checked")
    assert event.actor_id == auditor.pk
    assert event.institution_id == here.pk
    assert event.protocol_id == approval.protocol_id
    assert event.data["findings"] == "findings"
    assert event.data["note"] == "Letter unsigned."
    assert (check.checked_by, check.findings) == (auditor, ApprovalCheck.Findings.FINDINGS)


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.ADMINISTRATOR, Role.CHAIR, Role.HEAD])
def test_only_an_auditor_may_record_a_check(here, role):
    approval = an_approval(here)
    with pytest.raises(PermissionDenied):
        approval_check_record(approval=approval, by=person(here, role), findings="none")
    assert not ApprovalCheck.objects.exists()
    assert not AuditEvent.objects.filter(action="approval.checked").exists()


def test_an_auditor_of_another_institution_may_not_record_a_check(here, there):
    approval = an_approval(here)
    with pytest.raises(PermissionDenied):
        approval_check_record(approval=approval, by=person(there, Role.AUDITOR), findings="none")
    assert not ApprovalCheck.objects.exists()


def test_findings_need_a_note_and_an_approval_is_checked_once(here):
    approval = an_approval(here)
    auditor = person(here, Role.AUDITOR)
    with pytest.raises(ValidationError):
        approval_check_record(approval=approval, by=auditor, findings="findings", note="  ")
    approval_check_record(approval=approval, by=auditor, findings="none")
    with pytest.raises(ValidationError):
        approval_check_record(approval=approval, by=person(here, Role.AUDITOR), findings="none")
    assert ApprovalCheck.objects.count() == 1


def test_the_auditors_are_told_once_when_an_approval_appears(here):
    auditors = [person(here, Role.AUDITOR), person(here, Role.AUDITOR)]
    approval = an_approval(here)
    with transaction.atomic():
        announce(protocol_ids=[approval.protocol_id])
    with transaction.atomic():
        announce(protocol_ids=[approval.protocol_id])
    told = Notification.objects.filter(
        kind="work.waiting", link=reverse("oversight:approval_check", args=[approval.pk])
    )
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(a.pk for a in auditors)


def test_the_auditor_checks_an_approval_on_its_page_and_the_register_says_so(here):
    approval = an_approval(here)
    auditor = person(here, Role.AUDITOR, email="kansa@here.example")
    client = signed_in(auditor)
    register = client.get(reverse("oversight:approvals")).content.decode()
    assert "Not yet checked" in register
    assert reverse("oversight:approval_check", args=[approval.pk]) in register
    page = client.get(reverse("oversight:approval_check", args=[approval.pk])).content.decode()
    assert "Record the check" in page
    refused = client.post(reverse("oversight:approval_check", args=[approval.pk]), {"findings": "findings"})
    assert "Describe the findings." in refused.content.decode()
    response = client.post(reverse("oversight:approval_check", args=[approval.pk]), {"findings": "none", "note": ""})
    assert response.status_code == 302
    register = client.get(reverse("oversight:approvals")).content.decode()
    assert f"Checked by {auditor.display_name} on {timezone.localdate().isoformat()}." in register
    assert "No findings" in register
    assert (
        "Record the check" not in client.get(reverse("oversight:approval_check", args=[approval.pk])).content.decode()
    )


def test_the_secretariat_reads_the_register_s_checks_but_may_not_check(here):
    approval = an_approval(here)
    client = signed_in(person(here, Role.SECRETARIAT))
    register = client.get(reverse("oversight:approvals")).content.decode()
    assert "Not yet checked" in register
    assert reverse("oversight:approval_check", args=[approval.pk]) not in register
    assert client.get(reverse("oversight:approval_check", args=[approval.pk])).status_code == 404
    assert client.post(reverse("oversight:approval_check", args=[approval.pk]), {"findings": "none"}).status_code == 404
    assert not ApprovalCheck.objects.exists()


# Administrators: the committees' composition and the roles' terms.


def seat(committee, category, external, sex, role=CommitteeMembership.Role.MEMBER, **dates):
    user = person(committee.institution, Role.COMMITTEE_MEMBER)
    return CommitteeMembership.objects.create(
        committee=committee,
        user=user,
        role=role,
        category=category,
        is_external=external,
        sex=sex,
        valid_from=dates.get("valid_from", timezone.localdate() - timedelta(days=100)),
        valid_to=dates.get("valid_to"),
    )


def ethics_committee(institution, *, valid=True):
    committee = Committee.objects.create(
        institution=institution,
        code=f"{institution.code}-erc",
        name_ja="倫理審査委員会",
        name_en="Ethics Committee",
        kind=Committee.Kind.ETHICS,
    )
    seat(committee, Category.NATURAL_SCIENCE, False, Sex.MALE, CommitteeMembership.Role.CHAIR)
    seat(committee, Category.HUMANITIES_SOCIAL, True, Sex.FEMALE)
    if valid:
        seat(committee, Category.GENERAL_PUBLIC, True, Sex.MALE)
        seat(committee, Category.NATURAL_SCIENCE, False, Sex.FEMALE)
        seat(committee, Category.HUMANITIES_SOCIAL, False, Sex.FEMALE)
    return committee


def test_the_administrator_is_asked_to_fix_a_committee_whose_roster_fails_the_rules(here, there):
    administrator = person(here, Role.ADMINISTRATOR)
    failing = ethics_committee(here, valid=False)
    ethics_committee(there, valid=False)
    (item,) = steps_of(work_for(administrator), COMMITTEE_COMPOSITION)
    assert item.actor == NextActor.ADMINISTRATOR
    assert item.link == reverse("committees:detail", args=[failing.pk])
    assert "JP-ERC-05" in item.extra["rule_ids"]
    assert steps_of(work_for(person(there, Role.AUDITOR)), COMMITTEE_COMPOSITION) == []
    assert steps_of(work_for(person(here, Role.SECRETARIAT)), COMMITTEE_COMPOSITION) == []


def test_a_committee_that_meets_the_rules_asks_nothing_and_a_fixed_one_no_longer_does(here):
    administrator = person(here, Role.ADMINISTRATOR)
    ethics_committee(here, valid=True)
    assert steps_of(work_for(administrator), COMMITTEE_COMPOSITION) == []
    other = Institution.objects.create(code="third", name_ja="第三", name_en="Third")
    admin_there = person(other, Role.ADMINISTRATOR)
    committee = ethics_committee(other, valid=False)
    assert len(steps_of(work_for(admin_there), COMMITTEE_COMPOSITION)) == 1
    seat(committee, Category.GENERAL_PUBLIC, True, Sex.MALE)
    seat(committee, Category.NATURAL_SCIENCE, False, Sex.FEMALE)
    seat(committee, Category.HUMANITIES_SOCIAL, False, Sex.FEMALE)
    assert steps_of(work_for(admin_there), COMMITTEE_COMPOSITION) == []


def test_the_administrator_is_asked_to_renew_or_end_a_role_ending_within_30_days(here, there):
    administrator = person(here, Role.ADMINISTRATOR)
    today = timezone.localdate()
    ending = person(here, Role.INVESTIGATOR, email="fixed-term@here.example")
    RoleMembership.objects.filter(user=ending).update(
        valid_from=today - timedelta(days=300), valid_to=today + timedelta(days=20)
    )
    later = person(here, Role.SECRETARIAT)
    RoleMembership.objects.filter(user=later).update(valid_to=today + timedelta(days=45))
    elsewhere = person(there, Role.INVESTIGATOR)
    RoleMembership.objects.filter(user=elsewhere).update(valid_to=today + timedelta(days=5))
    (item,) = steps_of(work_for(administrator), ROLE_ENDING)
    assert item.reference == "fixed-term@here.example"
    assert item.due == today + timedelta(days=20)
    assert str(item.detail) == "Investigator"
    assert steps_of(work_for(person(there, Role.AUDITOR)), ROLE_ENDING) == []


def test_a_renewed_role_asks_nothing(here):
    administrator = person(here, Role.ADMINISTRATOR)
    today = timezone.localdate()
    ending = person(here, Role.INVESTIGATOR)
    term = RoleMembership.objects.get(user=ending)
    term.valid_from, term.valid_to = today - timedelta(days=300), today + timedelta(days=10)
    term.save()
    assert len(steps_of(work_for(administrator), ROLE_ENDING)) == 1
    RoleMembership.objects.create(
        user=ending, institution=here, role=Role.INVESTIGATOR, valid_from=today + timedelta(days=11)
    )
    assert steps_of(work_for(administrator), ROLE_ENDING) == []


def test_the_administrators_items_are_about_no_protocol(here):
    person(here, Role.ADMINISTRATOR)
    ethics_committee(here, valid=False)
    approval = an_approval(here)
    steps = {item.step for item in work_about(protocol_ids=[approval.protocol_id])}
    assert COMMITTEE_COMPOSITION not in steps
    assert ROLE_ENDING not in steps


# The declaration.


def test_the_oversight_workflows_are_declared_with_their_steps_and_ends():
    rows = {(row.workflow, row.state): row for row in declared_steps()}
    assert rows[("Approval check", "unchecked")].steps == (APPROVAL_CHECK,)
    assert rows[("Approval check", "checked")].terminal is not None
    assert rows[("Committee composition", "fails the rules")].steps == (COMMITTEE_COMPOSITION,)
    assert rows[("Committee composition", "meets the rules")].terminal is not None
    assert rows[("Role membership", "ending within 30 days")].steps == (ROLE_ENDING,)
    assert rows[("Role membership", "current")].terminal is not None
    assert rows[("Role membership", "ended")].terminal is not None


# The demo: the auditor and the administrator each sign in to something to do.


def test_the_demo_auditor_and_administrator_each_have_work_waiting(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    auditor = User.objects.get(email="auditor@demo.example")
    administrator = User.objects.get(email="admin@demo.example")
    assert steps_of(work_for(auditor), APPROVAL_CHECK)
    assert work_for(administrator)
