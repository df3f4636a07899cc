"""Refusals and withdrawals (JP-IC-10, JP-IC-11): registered by the study team or received through
the public notice, they reach the PI, the team and the recipients of every agreement covering the
study; recipients acknowledge; the PI records what was done. Recipients never see contact details."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from research_governance.agreements import refusal_services
from research_governance.agreements.models import RefusalAcknowledgement, SubjectRefusal
from research_governance.audit.models import AuditEvent
from research_governance.notifications.messages import render_body
from research_governance.notifications.models import Notification
from tests.factories import UserFactory

from .refusal_support import approve_opt_out, make_agreement
from .support import make_dataset

CONTACT_NAME = "Hanako Contactname"
CONTACT_DETAILS = "hanako-secret@example.org"


@pytest.fixture
def study(pi, coinvestigator, secretariat, members, head):
    return approve_opt_out(pi, secretariat, members, head, team=[coinvestigator])


@pytest.fixture
def world(study):
    """Two covering agreements (one with a colleague on the team), one terminated agreement."""
    dataset = make_dataset(study)
    first, colleague, second, late = (UserFactory() for _ in range(4))
    return {
        "dataset": dataset,
        "first": make_agreement(dataset, first, team=[colleague]),
        "second": make_agreement(dataset, second, status="suspended"),
        "ended": make_agreement(dataset, late, status="terminated"),
        "recipients": {first, colleague, second},
        "late": late,
    }


def kinds_for(user):
    return set(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def steps_for(user):
    """The steps the user was asked to take (hand-offs), in English."""
    return {n.params["step"]["en"] for n in Notification.objects.filter(recipient=user, kind="work.waiting")}


ACKNOWLEDGE = "Acknowledge a subject's refusal or withdrawal"
HANDLE = "Record what was done about a subject's refusal or withdrawal"


def test_a_registered_withdrawal_reaches_the_pi_team_and_every_covering_agreement_jp_ic_11(
    study, world, pi, coinvestigator
):
    refusal = refusal_services.refusal_register(
        protocol=study.protocol, by=coinvestigator, kind="withdrawal", subject_code="KD-0042", details="By phone."
    )
    assert refusal.channel == "registered"
    assert refusal.registered_by == coinvestigator
    # The PI is asked to record what was done (once: no separate "received"); the team is told.
    assert HANDLE in steps_for(pi)
    assert "refusal.received" not in kinds_for(pi)
    assert "refusal.received" in kinds_for(coinvestigator)
    for user in world["recipients"]:
        assert ACKNOWLEDGE in steps_for(user)
    assert ACKNOWLEDGE not in steps_for(world["late"])
    acks = RefusalAcknowledgement.objects.filter(refusal=refusal)
    assert set(acks.values_list("agreement", flat=True)) == {world["first"].pk, world["second"].pk}
    assert not acks.filter(acknowledged_at__isnull=False).exists()
    event = AuditEvent.objects.get(action="refusal.registered")
    assert event.data["subject_code"] == "KD-0042"
    assert "By phone." not in str(event.data)


@pytest.mark.parametrize("code", ["Taro Yamada", "taro@example.org", "", "-leading"])
def test_a_subject_is_registered_by_a_pseudonymous_code_never_a_name(study, pi, code):
    with pytest.raises(ValidationError):
        refusal_services.refusal_register(protocol=study.protocol, by=pi, kind="refusal", subject_code=code)
    assert not SubjectRefusal.objects.exists()


def test_only_the_study_team_registers_a_refusal(study, other_investigator, secretariat):
    for outsider in (other_investigator, secretariat):
        with pytest.raises(PermissionDenied):
            refusal_services.refusal_register(protocol=study.protocol, by=outsider, kind="refusal", subject_code="KD-1")


def test_a_public_refusal_reaches_the_pi_and_the_recipients_without_their_contact_details_jp_ic_10(study, world, pi):
    refusal = refusal_services.refusal_receive_public(
        protocol=study.protocol, contact_name=CONTACT_NAME, contact_details=CONTACT_DETAILS, details="Patient 123"
    )
    assert refusal.channel == "public_form"
    assert refusal.kind == "refusal"
    assert refusal.registered_by is None
    assert re.fullmatch(r"R-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", refusal.receipt)
    assert str(refusal.pk) not in refusal.receipt.split("-")
    assert HANDLE in steps_for(pi)
    for user in world["recipients"]:
        assert ACKNOWLEDGE in steps_for(user)
    assert RefusalAcknowledgement.objects.filter(refusal=refusal).count() == 2
    for notification in Notification.objects.all():
        text = f"{notification.params} {render_body(notification.kind, notification.params)}"
        assert CONTACT_NAME not in text
        assert CONTACT_DETAILS not in text
    event = AuditEvent.objects.get(action="refusal.received_public")
    assert event.actor is None
    assert CONTACT_NAME not in str(event.data)
    assert CONTACT_DETAILS not in str(event.data)


def test_two_public_refusals_get_unrelated_receipts(study):
    receipts = {
        refusal_services.refusal_receive_public(
            protocol=study.protocol, contact_name=f"P{n}", contact_details="tel 1", details=""
        ).receipt
        for n in range(3)
    }
    assert len(receipts) == 3


def test_a_study_without_a_public_notice_takes_no_public_refusals(approval):
    with pytest.raises(ValidationError, match="no public notice"):
        refusal_services.refusal_receive_public(
            protocol=approval.protocol, contact_name="A", contact_details="B", details=""
        )


def test_a_public_refusal_needs_a_name_and_a_way_to_reply(study):
    with pytest.raises(ValidationError) as refused:
        refusal_services.refusal_receive_public(
            protocol=study.protocol, contact_name=" ", contact_details="", details=""
        )
    assert set(refused.value.message_dict) == {"contact_name", "contact_details"}


def test_a_recipient_acknowledges_once_and_an_outsider_cannot(study, world, pi):
    refusal = refusal_services.refusal_register(protocol=study.protocol, by=pi, kind="refusal", subject_code="KD-7")
    ack = RefusalAcknowledgement.objects.get(refusal=refusal, agreement=world["first"])
    colleague = world["first"].request.team.exclude(user=world["first"].request.requester).get().user
    with pytest.raises(PermissionDenied):
        refusal_services.refusal_acknowledge(ack=ack, by=world["late"])
    with pytest.raises(PermissionDenied):
        refusal_services.refusal_acknowledge(ack=ack, by=pi)
    refusal_services.refusal_acknowledge(ack=ack, by=colleague)
    ack.refresh_from_db()
    assert ack.acknowledged_by == colleague
    assert ack.acknowledged_at is not None
    assert AuditEvent.objects.filter(action="refusal.acknowledged", target_id=str(refusal.pk)).exists()
    with pytest.raises(ValidationError, match="already"):
        refusal_services.refusal_acknowledge(ack=ack, by=colleague)


def test_the_pi_records_that_use_stopped_or_why_it_cannot_jp_ic_11(study, world, pi, coinvestigator):
    refusal = refusal_services.refusal_receive_public(
        protocol=study.protocol, contact_name=CONTACT_NAME, contact_details=CONTACT_DETAILS, details=""
    )
    with pytest.raises(PermissionDenied):
        refusal_services.refusal_handle(refusal=refusal, by=coinvestigator, note="Stopped.")
    with pytest.raises(ValidationError):
        refusal_services.refusal_handle(refusal=refusal, by=pi, note=" ")
    handled = refusal_services.refusal_handle(
        refusal=refusal, by=pi, note="Already published in aggregate; further use stopped.", subject_code="KD-0099"
    )
    assert handled.handled_by == pi
    assert handled.subject_code == "KD-0099"
    for user in world["recipients"]:
        assert "refusal.subject_identified" in kinds_for(user)
    with pytest.raises(ValidationError, match="already"):
        refusal_services.refusal_handle(refusal=refusal, by=pi, note="Again.")


# ---- pages -----------------------------------------------------------------------------------


def test_the_team_sees_the_refusals_with_contact_details_and_others_may_not(
    study, world, client_for, pi, coinvestigator, secretariat, other_investigator
):
    refusal_services.refusal_receive_public(
        protocol=study.protocol, contact_name=CONTACT_NAME, contact_details=CONTACT_DETAILS, details="ID 55"
    )
    address = reverse("agreements:refusal_list", args=[study.protocol.pk])
    for user in (pi, coinvestigator):
        page = client_for(user).get(address)
        assert page.status_code == 200
        assert CONTACT_DETAILS in page.content.decode()
    assert client_for(secretariat).get(address).status_code == 403
    assert client_for(other_investigator).get(address).status_code == 404
    for user in world["recipients"]:
        assert client_for(user).get(address).status_code == 404


def test_the_team_registers_a_withdrawal_on_the_page_and_a_bad_code_keeps_what_was_typed(
    study, world, client_for, coinvestigator
):
    client = client_for(coinvestigator)
    address = reverse("agreements:refusal_list", args=[study.protocol.pk])
    bad = client.post(
        address, {"register-kind": "withdrawal", "register-subject_code": "Taro Yamada", "register-details": "typed"}
    )
    assert bad.status_code == 400
    assert "pseudonymous subject code" in bad.content.decode()
    assert "typed" in bad.content.decode()
    good = client.post(address, {"register-kind": "withdrawal", "register-subject_code": "KD-0001"})
    assert good.status_code == 302
    assert SubjectRefusal.objects.get().subject_code == "KD-0001"


def test_the_pi_records_what_was_done_on_the_page(study, client_for, pi, coinvestigator):
    refusal = refusal_services.refusal_register(protocol=study.protocol, by=pi, kind="refusal", subject_code="KD-3")
    address = reverse("agreements:refusal_handle", args=[refusal.pk])
    payload = {f"handle-{refusal.pk}-note": "Stopped use; recipients told."}
    assert client_for(coinvestigator).post(address, payload).status_code == 403
    assert client_for(pi).post(address, {f"handle-{refusal.pk}-note": ""}).status_code == 400
    assert client_for(pi).post(address, payload).status_code == 302
    refusal.refresh_from_db()
    assert refusal.handling_note == "Stopped use; recipients told."


def test_recipients_see_the_code_kind_and_date_but_never_the_contact_details(study, world, client_for, pi):
    refusal_services.refusal_receive_public(
        protocol=study.protocol, contact_name=CONTACT_NAME, contact_details=CONTACT_DETAILS, details="ID 55"
    )
    refusal_services.refusal_register(
        protocol=study.protocol, by=pi, kind="withdrawal", subject_code="KD-0042", details="N"
    )
    requester = world["first"].request.requester
    page = client_for(requester).get(reverse("agreements:refusals_to_acknowledge")).content.decode()
    assert "KD-0042" in page
    assert "Withdrawal of consent" in page
    assert world["first"].reference in page
    for secret in (CONTACT_NAME, CONTACT_DETAILS, "ID 55"):
        assert secret not in page
    # Another agreement's recipients do not see this agreement's rows.
    assert (
        world["first"].reference
        not in client_for(world["late"]).get(reverse("agreements:refusals_to_acknowledge")).content.decode()
    )


def test_an_unacknowledged_refusal_turns_red_after_seven_days(study, world, client_for, pi):
    refusal = refusal_services.refusal_register(protocol=study.protocol, by=pi, kind="refusal", subject_code="KD-9")
    requester = world["first"].request.requester
    address = reverse("agreements:refusals_to_acknowledge")
    assert "Overdue" not in client_for(requester).get(address).content.decode()
    RefusalAcknowledgement.objects.filter(refusal=refusal).update(notified_at=timezone.now() - timedelta(days=8))
    page = client_for(requester).get(address).content.decode()
    assert "Overdue" in page
    assert "table-danger" in page
    team_page = client_for(pi).get(reverse("agreements:refusal_list", args=[study.protocol.pk])).content.decode()
    assert "not acknowledged (overdue)" in team_page


def test_a_recipient_acknowledges_from_the_list_and_an_outsider_gets_404(study, world, client_for, pi):
    refusal = refusal_services.refusal_register(protocol=study.protocol, by=pi, kind="refusal", subject_code="KD-5")
    ack = RefusalAcknowledgement.objects.get(refusal=refusal, agreement=world["first"])
    address = reverse("agreements:refusal_acknowledge", args=[ack.pk])
    assert client_for(world["late"]).post(address).status_code == 404
    assert client_for(pi).post(address).status_code == 404
    assert client_for(world["first"].request.requester).post(address).status_code == 302
    ack.refresh_from_db()
    assert ack.acknowledged_at is not None


def test_the_recipients_list_reads_in_a_fixed_number_of_queries(study, world, client_for, pi):
    requester = world["first"].request.requester
    client = client_for(requester)
    address = reverse("agreements:refusals_to_acknowledge")

    def queries():
        client.get(address)  # warm the unread count, which new notifications reset
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        return len(captured)

    refusal_services.refusal_register(protocol=study.protocol, by=pi, kind="refusal", subject_code="KD-1")
    one = queries()
    for n in range(2, 6):
        refusal_services.refusal_register(protocol=study.protocol, by=pi, kind="refusal", subject_code=f"KD-{n}")
    assert queries() == one <= 8


def test_the_request_page_shows_its_recipients_the_refusals_to_acknowledge(study, world, client_for, pi):
    refusal_services.refusal_register(protocol=study.protocol, by=pi, kind="refusal", subject_code="KD-0777")
    data_request = world["first"].request
    address = reverse("agreements:request_detail", args=[data_request.pk])
    assert "KD-0777" in client_for(data_request.requester).get(address).content.decode()
    assert refusal_services.panel(pi, data_request) is None
