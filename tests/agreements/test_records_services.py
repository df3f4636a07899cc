from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from research_governance.agreements import records_services
from research_governance.agreements.models import Agreement, ProvisionRecord, provision_keep_until
from research_governance.audit.models import AuditEvent
from research_governance.notifications.models import Notification
from research_governance.reminders.models import Reminder
from research_governance.reminders.services import reminders_scan
from research_governance.reviews.workflow import TransitionRefused
from tests.factories import UserFactory

from .records_support import shared
from .support import TODAY


def at(day, hour=6):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def destroy(agreement, by, **overrides):
    return records_services.destruction_record(
        agreement=agreement,
        by=by,
        **{
            "destroyed_on": TODAY(),
            "destroyed_by": "IT security office",
            "method": "Secure erasure of the analysis server's volumes.",
            "evidence": "Certificate ERASE-2026-113",
            **overrides,
        },
    )


def provide(agreement, by, dataset, **overrides):
    return records_services.provision_record(
        agreement=agreement,
        by=by,
        dataset=dataset,
        **{
            "provided_on": TODAY(),
            "items": "Serum biomarker table, 1,200 rows",
            "medium": "secure_transfer",
            "recipient": "Test University Hospital",
            **overrides,
        },
    )


# ---- destruction --------------------------------------------------------------------------------


def test_a_team_member_records_destruction_once_the_agreement_has_ended_and_the_committee_is_told(dataset, dac):
    _committee, chair, secretary, _members = dac
    colleague = UserFactory()
    agreement = shared(dataset, team=[colleague], status="expired", term_days=-1)

    record = destroy(agreement, colleague)

    assert record.recorded_by == colleague
    assert AuditEvent.objects.filter(action="destruction.recorded", actor_id=colleague.pk).exists()
    told = set(Notification.objects.filter(kind="destruction.recorded").values_list("recipient", flat=True))
    assert told == {chair.pk, secretary.pk}


def test_destruction_is_refused_before_the_agreement_has_ended_with_the_reason(dataset):
    agreement = shared(dataset)
    with pytest.raises(TransitionRefused, match="once the agreement has ended"):
        destroy(agreement, agreement.request.requester)


def test_destruction_is_recorded_once(dataset):
    agreement = shared(dataset, status="terminated")
    destroy(agreement, agreement.request.requester)
    with pytest.raises(TransitionRefused, match="already been recorded"):
        destroy(agreement, agreement.request.requester)


def test_destruction_may_be_recorded_when_the_term_is_over_before_the_scan_has_run(dataset):
    agreement = shared(dataset, term_days=-1)
    assert agreement.status == "active"
    assert destroy(agreement, agreement.request.requester).agreement == agreement


def test_only_the_recipient_side_records_destruction(dataset, dac):
    _committee, chair, _secretary, _members = dac
    agreement = shared(dataset, status="expired", term_days=-1)
    for outsider in (chair, dataset.protocol.principal_investigator, UserFactory()):
        with pytest.raises(PermissionDenied):
            destroy(agreement, outsider)


def test_a_destruction_date_in_the_future_is_refused(dataset):
    agreement = shared(dataset, status="expired", term_days=-1)
    with pytest.raises(ValidationError):
        destroy(agreement, agreement.request.requester, destroyed_on=TODAY() + timedelta(days=1))


# ---- provision records (JP-IC-12) ---------------------------------------------------------------


def test_the_provider_s_pi_records_a_provision_kept_three_years_jp_ic_12(dataset):
    agreement = shared(dataset)
    pi = dataset.protocol.principal_investigator

    record = provide(agreement, pi, dataset)

    assert record.keep_until == provision_keep_until(TODAY())
    assert record.keep_until.year == TODAY().year + 3
    event = AuditEvent.objects.get(action="provision.recorded")
    assert event.actor_id == pi.pk
    assert event.data["keep_until"] == record.keep_until.isoformat()


def test_a_provision_record_cannot_be_deleted_before_its_retention_date_jp_ic_12(dataset):
    record = provide(shared(dataset), dataset.protocol.principal_investigator, dataset)
    with pytest.raises(TypeError, match="kept until"):
        record.delete()
    assert ProvisionRecord.objects.filter(pk=record.pk).exists()


def test_a_provision_record_past_its_retention_date_may_be_deleted_jp_ic_12(dataset):
    record = provide(shared(dataset), dataset.protocol.principal_investigator, dataset)
    ProvisionRecord.objects.filter(pk=record.pk).update(keep_until=TODAY() - timedelta(days=1))
    record.refresh_from_db()
    record.delete()
    assert not ProvisionRecord.objects.filter(pk=record.pk).exists()


def test_the_keep_until_date_of_29_february_is_28_february_three_years_on():
    from datetime import date

    assert provision_keep_until(date(2028, 2, 29)) == date(2031, 2, 28)


def test_a_provision_is_refused_under_an_agreement_that_is_not_active_with_the_reason(dataset):
    agreement = shared(dataset, status="suspended")
    with pytest.raises(TransitionRefused, match="only under an active agreement; this one is suspended"):
        provide(agreement, dataset.protocol.principal_investigator, dataset)


def test_a_provision_dated_in_the_future_is_refused(dataset):
    with pytest.raises(ValidationError):
        provide(shared(dataset), dataset.protocol.principal_investigator, dataset, provided_on=TODAY() + timedelta(1))


def test_the_committee_s_officers_record_provisions_but_not_the_recipient_or_a_conflicted_officer(dataset, dac):
    from research_governance.agreements.models import RequestConflict

    _committee, chair, secretary, members = dac
    agreement = shared(dataset)
    RequestConflict.objects.create(
        request=agreement.request, member=chair, reason="Co-author", declared_at=timezone.now()
    )
    assert provide(agreement, secretary, dataset).provided_by == secretary
    for outsider in (agreement.request.requester, chair, members[0], UserFactory()):
        with pytest.raises(PermissionDenied):
            provide(agreement, outsider, dataset)


def test_the_register_reads_the_provisions_of_the_officer_s_and_auditor_s_institution(dataset, dac):
    from research_governance.accounts.models import Role

    _committee, chair, _secretary, members = dac
    record = provide(shared(dataset), dataset.protocol.principal_investigator, dataset)
    auditor = UserFactory(roles=[Role.AUDITOR])
    assert records_services.register_institutions(members[0]) == []
    for reader in (chair, auditor):
        institutions = records_services.register_institutions(reader)
        assert list(records_services.provision_register(institution_ids=institutions)) == [record]


# ---- end of term in the daily scan --------------------------------------------------------------


def test_the_daily_scan_expires_agreements_whose_term_ended_and_reminds_before_the_end(dataset, dac):
    agreement = shared(dataset, term_days=20)
    requester = agreement.request.requester

    summary = reminders_scan(now=at(TODAY())).as_dict()
    assert summary["reminders"]["agreement_term_end"]["30"]["sent"] == 1
    assert Notification.objects.filter(recipient=requester, kind="reminder.agreement_ending").count() == 1
    assert reminders_scan(now=at(TODAY())).as_dict()["sent"] == 0

    last_day = reminders_scan(now=at(agreement.term_end)).as_dict()
    assert last_day["reminders"]["agreement_term_end"]["0"]["sent"] == 1
    day_after = reminders_scan(now=at(agreement.term_end + timedelta(days=1))).as_dict()
    assert day_after["agreements_expired"] == 1
    agreement.refresh_from_db()
    assert agreement.status == "expired"
    assert AuditEvent.objects.get(action="agreement.expired").actor_id is None


def test_the_scan_chases_a_missing_destruction_record_until_it_is_recorded(dataset, dac):
    _committee, chair, _secretary, _members = dac
    agreement = shared(dataset, status="expired", term_days=-1)
    requester = agreement.request.requester
    due = agreement.destruction_due

    reminders_scan(now=at(TODAY()))
    assert Notification.objects.filter(recipient=requester, kind="reminder.destruction_due").count() == 1
    assert not Notification.objects.filter(recipient=chair, kind__startswith="reminder.").exists()

    reminders_scan(now=at(due + timedelta(days=1)))
    reminders_scan(now=at(due + timedelta(days=5)))
    overdue = Notification.objects.filter(kind="reminder.destruction_overdue")
    assert overdue.filter(recipient=requester).count() == 1
    assert overdue.filter(recipient=chair).count() == 1
    reminders_scan(now=at(due + timedelta(days=31)))
    assert overdue.filter(recipient=requester).count() == 2

    destroy(agreement, requester)
    reminders_scan(now=at(due + timedelta(days=61)))
    assert overdue.filter(recipient=requester).count() == 2
    assert Reminder.objects.filter(object_type="agreements.agreement").count() == 3


def test_an_agreement_covering_the_data_is_not_reminded_about_once_suspended(dataset):
    shared(dataset, status="suspended", term_days=20)
    assert reminders_scan(now=at(TODAY())).as_dict()["reminders"]["agreement_term_end"]["30"]["found"] == 0
    assert Agreement.objects.get().status == "suspended"
