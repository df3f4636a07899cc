from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from research_governance.agreements import agreement_services, dac_selectors
from research_governance.agreements.models import AccessGrant
from research_governance.reviews.workflow import TransitionRefused
from tests.factories import PASSWORD, UserFactory

from .review_support import active_agreement, decided_request


def _midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def test_a_grant_runs_from_now_to_the_end_of_the_term_s_last_day(dataset, dac):
    agreement = active_agreement(dataset, dac)
    grant = AccessGrant.objects.get()
    assert grant.ends_at == _midnight(agreement.term_end + timedelta(days=1))
    assert grant.starts_at <= timezone.now()


def test_a_term_that_starts_later_starts_the_grant_at_its_first_midnight(dataset, dac):
    later = timezone.localdate() + timedelta(days=10)
    data_request = decided_request(dataset, dac)
    data_request.agreement.term_start = later
    data_request.agreement.save()
    agreement = data_request.agreement
    starts, _ends = agreement_services.grant_period(agreement, timezone.now())
    assert starts == _midnight(later)


def test_a_member_who_accepts_after_activation_gets_access_at_once(dataset, dac):
    colleague = UserFactory(email="colleague@test.example")
    agreement = active_agreement(dataset, dac, team=[colleague])
    assert not agreement_services.access_allowed(colleague, dataset)
    agreement_services.terms_accept(agreement=agreement, by=colleague)
    assert agreement_services.access_allowed(colleague, dataset)


def test_accepting_before_activation_grants_at_activation(dataset, dac):
    _committee, chair, _secretary, _others = dac
    colleague = UserFactory(email="colleague@test.example")
    data_request = decided_request(dataset, dac, team=[colleague])
    agreement = data_request.agreement
    agreement_services.terms_accept(agreement=agreement, by=colleague)
    assert not AccessGrant.objects.exists()
    agreement_services.agreement_sign(agreement=agreement, by=data_request.requester, password=PASSWORD)
    agreement_services.agreement_sign(agreement=agreement, by=chair, password=PASSWORD)
    assert agreement_services.access_allowed(colleague, dataset)


def test_only_a_team_member_accepts_the_terms(dataset, dac):
    agreement = active_agreement(dataset, dac)
    with pytest.raises(PermissionDenied):
        agreement_services.terms_accept(agreement=agreement, by=UserFactory())


def test_terms_of_a_terminated_agreement_cannot_be_accepted(dataset, dac):
    colleague = UserFactory(email="colleague@test.example")
    agreement = active_agreement(dataset, dac, team=[colleague])
    type(agreement).objects.filter(pk=agreement.pk).update(status="terminated")
    with pytest.raises(TransitionRefused):
        agreement_services.terms_accept(agreement=agreement, by=colleague)


def test_a_grant_whose_end_has_passed_is_refused_at_once_without_any_job(dataset, dac):
    agreement = active_agreement(dataset, dac)
    requester = agreement.request.requester
    assert agreement_services.access_allowed(requester, dataset)
    AccessGrant.objects.filter(agreement=agreement).update(
        starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(seconds=1)
    )
    # Nothing ran in between: the stored state is still "open".
    assert AccessGrant.objects.get().state == "open"
    assert not agreement_services.access_allowed(requester, dataset)


def test_access_is_refused_under_a_suspended_agreement(dataset, dac):
    agreement = active_agreement(dataset, dac)
    type(agreement).objects.filter(pk=agreement.pk).update(status="suspended")
    assert not agreement_services.access_allowed(agreement.request.requester, dataset)


def test_access_covers_only_the_agreement_s_datasets(dataset, dac, approval):
    from .support import make_dataset

    other = make_dataset(approval, title="Another dataset")
    agreement = active_agreement(dataset, dac)
    assert not agreement_services.access_allowed(agreement.request.requester, other)


def test_the_export_holds_only_grants_in_force(dataset, dac):
    agreement = active_agreement(dataset, dac)
    institution = agreement.request.institution_id
    assert list(dac_selectors.grants_for_export([institution])) == [AccessGrant.objects.get()]
    AccessGrant.objects.update(
        ends_at=timezone.now() - timedelta(seconds=1), starts_at=timezone.now() - timedelta(days=1)
    )
    assert list(dac_selectors.grants_for_export([institution])) == []
