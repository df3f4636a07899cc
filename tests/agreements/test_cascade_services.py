from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from research_governance.agreements import cascade_services
from research_governance.agreements.models import AccessGrant, Agreement, RequestConflict
from research_governance.audit.models import AuditEvent
from research_governance.notifications.models import Notification
from research_governance.protocols import services as protocol_services
from research_governance.reviews import services as review_services
from research_governance.reviews.models import Approval
from research_governance.reviews.workflow import TransitionRefused
from tests.factories import UserFactory

from .records_support import another_approval, approve_amendment, reactivate, shared
from .support import TODAY, make_dataset


def grants_of(agreement):
    return AccessGrant.objects.filter(agreement=agreement)


# ---- the cascade from the ethics approval -------------------------------------------------------


def test_suspending_the_approval_suspends_its_agreements_and_ends_their_grants_audited_with_the_parties_told(
    approval, dataset, dac, secretariat
):
    _committee, chair, dac_secretary, _members = dac
    colleague = UserFactory()
    agreement = shared(dataset, team=[colleague])
    assert grants_of(agreement).active().count() == 2

    review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")

    agreement.refresh_from_db()
    assert agreement.status == "suspended"
    assert approval.reference in agreement.status_reason
    assert "suspended" in agreement.status_reason
    assert grants_of(agreement).active().count() == 0
    assert set(grants_of(agreement).values_list("state", flat=True)) == {"ended"}
    assert all(grant.ended_at and grant.end_reason for grant in grants_of(agreement))
    suspended = AuditEvent.objects.get(action="agreement.suspended", target_id=str(agreement.pk))
    assert suspended.actor_id == secretariat.pk
    assert suspended.data["approvals"] == {approval.reference: "suspended"}
    assert AuditEvent.objects.filter(action="access_grant.ended", actor_id=secretariat.pk).count() == 2
    told = set(Notification.objects.filter(kind="agreement.suspended").values_list("recipient", flat=True))
    requester = agreement.request.requester
    assert told == {requester.pk, colleague.pk, chair.pk, dac_secretary.pk, dataset.protocol.principal_investigator_id}


def test_the_cascade_happens_in_the_approval_s_transaction_and_rolls_back_with_it(approval, dataset, secretariat):
    agreement = shared(dataset)

    def suspend_then_fail():
        with transaction.atomic():
            review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")
            assert Agreement.objects.get(pk=agreement.pk).status == "suspended"
            raise RuntimeError("after the cascade")

    with pytest.raises(RuntimeError, match="after the cascade"):
        suspend_then_fail()

    agreement.refresh_from_db()
    approval.refresh_from_db()
    assert approval.status == "active"
    assert agreement.status == "active"
    assert grants_of(agreement).active().count() == 1
    assert not AuditEvent.objects.filter(action__in=["agreement.suspended", "access_grant.ended"]).exists()
    assert not Notification.objects.filter(kind="agreement.suspended").exists()


def test_an_approval_that_expires_suspends_its_agreements_with_no_actor(approval, dataset):
    agreement = shared(dataset)

    review_services.approvals_expire(today=approval.valid_until + timedelta(days=1))

    agreement.refresh_from_db()
    assert agreement.status == "suspended"
    assert "expired" in agreement.status_reason
    assert grants_of(agreement).active().count() == 0
    event = AuditEvent.objects.get(action="agreement.suspended", target_id=str(agreement.pk))
    assert event.actor_id is None
    assert event.actor_label == "system"
    assert Notification.objects.filter(kind="agreement.suspended", recipient=agreement.request.requester).exists()


def test_closing_the_approval_suspends_its_agreements(approval, dataset, secretariat):
    agreement = shared(dataset)

    review_services.approval_close(approval=approval, by=secretariat, reasons="Study finished.")

    agreement.refresh_from_db()
    assert agreement.status == "suspended"
    assert "closed" in agreement.status_reason
    assert grants_of(agreement).filter(state="open").count() == 0


def test_an_agreement_covering_two_datasets_is_suspended_when_either_approval_lapses(
    approval, dataset, secretariat, members, head
):
    second = make_dataset(another_approval(secretariat, members, head), title="Second cohort")
    agreement = shared(dataset, team=[])
    both = shared([dataset, second])

    review_services.approval_suspend(approval=second.approval, by=secretariat, reasons="Audit finding.")

    both.refresh_from_db()
    agreement.refresh_from_db()
    assert both.status == "suspended"
    assert second.approval.reference in both.status_reason
    assert agreement.status == "active"


def test_unrelated_agreements_and_ended_agreements_are_untouched(approval, dataset, secretariat, members, head):
    other = make_dataset(another_approval(secretariat, members, head), title="Unrelated")
    unrelated = shared(other)
    terminated = shared(dataset, status="terminated")

    review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")

    unrelated.refresh_from_db()
    terminated.refresh_from_db()
    assert unrelated.status == "active"
    assert grants_of(unrelated).active().count() == 1
    assert terminated.status == "terminated"
    assert AuditEvent.objects.filter(action="agreement.suspended").count() == 0


def test_the_cascade_reads_and_writes_set_wise_only_audit_events_cost_per_row(approval, dataset, dac):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agreements = [shared(dataset) for _ in range(3)]
    Approval.objects.filter(pk=approval.pk).update(status="suspended")
    approval.refresh_from_db()

    def queries_to_suspend_all():
        Agreement.objects.all().update(status="active")
        AccessGrant.objects.all().update(state="open", ended_at=None)
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            suspended = cascade_services.approvals_lapsed(approvals=[approval], by=None)
        assert len(suspended) == Agreement.objects.count()
        audit = [q for q in captured.captured_queries if "audit_auditevent" in q["sql"] or "advisory" in q["sql"]]
        return len(captured) - len(audit), AuditEvent.objects.count()

    three, _events = queries_to_suspend_all()
    agreements += [shared(dataset) for _ in range(3)]
    six, _events = queries_to_suspend_all()
    # Only the audit events (one per agreement and per grant, on the hash chain) grow with the rows.
    assert six == three


# ---- reinstatement ------------------------------------------------------------------------------


def test_reinstatement_is_refused_while_an_approval_is_not_active_with_the_reason(approval, dataset, dac, secretariat):
    _committee, chair, _secretary, _members = dac
    agreement = shared(dataset)
    review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")

    with pytest.raises(TransitionRefused) as refused:
        cascade_services.agreement_reinstate(agreement=agreement, by=chair)

    assert f"{approval.reference} is suspended" in str(refused.value.reason)
    agreement.refresh_from_db()
    assert agreement.status == "suspended"


def test_reinstatement_grants_new_access_to_those_who_accepted_the_terms_until_the_term_ends(
    approval, dataset, dac, secretariat
):
    _committee, chair, _secretary, _members = dac
    colleague = UserFactory()
    agreement = shared(dataset, team=[colleague])
    agreement.request.team.filter(user=colleague).update(accepted_terms_at=None)
    review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")
    ended = set(grants_of(agreement).values_list("pk", flat=True))
    reactivate(approval)

    reinstated, grants = cascade_services.agreement_reinstate(agreement=agreement, by=chair)

    assert reinstated.status == "active"
    assert reinstated.status_reason == ""
    assert [grant.user_id for grant in grants] == [agreement.request.requester_id]
    assert grants[0].ends_at == cascade_services.grant_end_of_term(agreement.term_end)
    # The grants the suspension ended stay ended.
    assert set(grants_of(agreement).filter(state="ended").values_list("pk", flat=True)) == ended
    assert grants_of(agreement).active().count() == 1
    assert AuditEvent.objects.filter(action="agreement.reinstated", actor_id=chair.pk).exists()
    assert AuditEvent.objects.filter(action="access_grant.reissued").count() == 1
    assert Notification.objects.filter(kind="agreement.reinstated", recipient=agreement.request.requester).exists()


def test_only_an_unconflicted_officer_of_the_committee_reinstates(approval, dataset, dac, secretariat):
    _committee, chair, dac_secretary, members = dac
    agreement = shared(dataset)
    review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")
    reactivate(approval)
    RequestConflict.objects.create(
        request=agreement.request, member=chair, reason="Co-author", declared_at=timezone.now()
    )

    for outsider in (chair, members[0], agreement.request.requester, secretariat):
        with pytest.raises(PermissionDenied):
            cascade_services.agreement_reinstate(agreement=agreement, by=outsider)
    assert cascade_services.agreement_reinstate(agreement=agreement, by=dac_secretary)[0].status == "active"


def test_an_active_agreement_cannot_be_reinstated(dataset, dac):
    _committee, chair, _secretary, _members = dac
    with pytest.raises(TransitionRefused, match="Only a suspended agreement"):
        cascade_services.agreement_reinstate(agreement=shared(dataset), by=chair)


# ---- consent that changes: re-review ------------------------------------------------------------


def test_an_approved_amendment_changing_who_receives_the_data_flags_the_agreements_for_re_review(
    approval, dataset, dac, pi, secretariat, members, head
):
    _committee, chair, dac_secretary, _members = dac
    agreement = shared(dataset)
    ended = shared(dataset, status="expired")

    def add_foreign_recipient(protocol):
        protocol_services.recipient_add(
            protocol=protocol,
            by=pi,
            name="Overseas Lab",
            kind="research_institution",
            country="US",
            equivalent_measures=False,
        )

    approve_amendment(approval, pi, secretariat, members, head, change=add_foreign_recipient)

    agreement.refresh_from_db()
    ended.refresh_from_db()
    assert agreement.needs_re_review is True
    assert "recipients" in agreement.re_review_reason
    assert ended.needs_re_review is False
    assert AuditEvent.objects.filter(action="agreement.re_review_flagged", target_id=str(agreement.pk)).exists()
    # The committee's officers are asked to review it again, with a link to the request's page.
    told = set(
        Notification.objects.filter(
            kind="work.waiting",
            link=reverse("agreements:request_detail", args=[agreement.request_id]),
            params__step__en__icontains="again",
        ).values_list("recipient", flat=True)
    )
    assert told == {chair.pk, dac_secretary.pk}


def test_an_amendment_that_leaves_consent_alone_flags_nothing(approval, dataset, pi, secretariat, members, head):
    agreement = shared(dataset)

    approve_amendment(approval, pi, secretariat, members, head, target_participants=99)

    agreement.refresh_from_db()
    assert agreement.needs_re_review is False
    assert not AuditEvent.objects.filter(action="agreement.re_review_flagged").exists()


def test_consent_changes_compare_the_consent_related_parts_of_two_versions():
    before = {"form": {"consent_procedure": "written_ic", "title_en": "A"}, "recipients": []}
    after = {"form": {"consent_procedure": "opt_out", "title_en": "B"}, "recipients": [{"name": "X", "country": "US"}]}
    assert cascade_services.consent_changes(before, after) == ["consent_procedure", "recipients"]
    assert cascade_services.consent_changes(before, {**before, "form": {**before["form"], "title_en": "C"}}) == []


def test_the_pi_narrows_a_dataset_s_scope_only_under_an_approved_amendment_and_its_agreements_are_flagged(
    approval, dataset, pi, secretariat, members, head
):
    agreement = shared(dataset)
    narrower = {"permission": "DS", "diseases": ["MONDO:0005300"], "modifiers": ["NPU", "IRB"]}
    with pytest.raises(TransitionRefused, match="only under an amendment"):
        cascade_services.dataset_scope_change(dataset=dataset, by=pi, new_scope=narrower)

    approve_amendment(approval, pi, secretariat, members, head, target_participants=99)
    with pytest.raises(PermissionDenied):
        cascade_services.dataset_scope_change(dataset=dataset, by=agreement.request.requester, new_scope=narrower)
    changed, flagged = cascade_services.dataset_scope_change(dataset=dataset, by=pi, new_scope=narrower)

    assert changed.duo_permission == "DS"
    assert changed.duo_diseases == ["MONDO:0005300"]
    assert flagged == [agreement]
    agreement.refresh_from_db()
    assert agreement.needs_re_review is True
    event = AuditEvent.objects.get(action="dataset.scope_changed")
    assert event.data["from"]["permission"] == "HMB"
    assert event.data["to"]["permission"] == "DS"


def test_an_officer_clears_the_re_review_flag_with_a_note_audited(dataset, dac):
    _committee, chair, _secretary, members = dac
    agreement = shared(dataset)
    Agreement.objects.filter(pk=agreement.pk).update(needs_re_review=True, re_review_reason="Consent changed.")

    with pytest.raises(PermissionDenied):
        cascade_services.re_review_clear(agreement=agreement, by=members[0], note="Fine.")
    cleared = cascade_services.re_review_clear(agreement=agreement, by=chair, note="Still within the consent.")

    assert cleared.needs_re_review is False
    event = AuditEvent.objects.get(action="agreement.re_review_cleared")
    assert event.data["reason"] == "Consent changed."
    assert event.data["note"] == "Still within the consent."
    with pytest.raises(TransitionRefused):
        cascade_services.re_review_clear(agreement=agreement, by=chair, note="Again.")


# ---- end of term --------------------------------------------------------------------------------


def test_agreements_whose_term_ended_expire_with_their_grants_ended_and_the_team_told(dataset, dac):
    _committee, chair, _secretary, _members = dac
    ending = shared(dataset, term_days=10)
    running = shared(dataset, term_days=30)

    expired = cascade_services.agreements_expire(today=TODAY() + timedelta(days=11))

    assert expired == [ending]
    ending.refresh_from_db()
    running.refresh_from_db()
    assert ending.status == "expired"
    assert running.status == "active"
    assert grants_of(ending).filter(state="open").count() == 0
    event = AuditEvent.objects.get(action="agreement.expired")
    assert event.actor_id is None
    # The requester is asked to record the destruction (once); the committee's officers are told it ended.
    requester_told = Notification.objects.filter(recipient=ending.request.requester).exclude(kind="work.waiting")
    assert not requester_told.filter(kind="agreement.expired").exists()
    asked = Notification.objects.get(
        recipient=ending.request.requester, kind="work.waiting", params__step__en__icontains="destruction"
    )
    assert asked.link == reverse("agreements:request_detail", args=[ending.request_id])
    assert Notification.objects.filter(kind="agreement.expired", recipient=chair).exists()


def test_a_grant_past_its_end_is_inactive_before_any_job_has_run(dataset):
    agreement = shared(dataset)
    AccessGrant.objects.filter(agreement=agreement).update(
        starts_at=agreement.created_at - timedelta(days=2), ends_at=agreement.created_at - timedelta(days=1)
    )
    grant = AccessGrant.objects.get(agreement=agreement)
    assert grant.state == "open"
    assert not grant.is_active()
    assert not AccessGrant.objects.filter(pk=grant.pk).active().exists()
