"""Central review of a multi-site study (JP-ERC-12): one committee's opinion covers the listed
sites, and each registered site's head of institution permits the research for their own site."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research_governance.accounts.models import Role
from research_governance.notifications.models import Notification
from research_governance.protocols import permissions
from research_governance.protocols import services as protocol_services
from research_governance.reviews import services
from research_governance.reviews.models import SitePermission
from research_governance.reviews.workflow import TransitionRefused
from tests.factories import InstitutionFactory, UserFactory, make_complete

from ..post_approval_support import TODAY
from ..test_lifecycle import review


@pytest.fixture
def partner(db):
    return InstitutionFactory(code="partner-univ", name_en="Partner University", name_ja="提携大学")


@pytest.fixture
def partner_head(partner):
    return UserFactory(email="head@partner.example", institution=partner, roles=[Role.HEAD])


def multi_site_decision(pi, secretariat, members, partner, outcome="approve"):
    protocol = make_complete(pi)
    protocol_services.site_add(protocol=protocol, by=pi, name="", site_investigator="Dr Lead", is_lead=True,
                               institution=pi.institution)  # fmt: skip
    partner_site = protocol_services.site_add(
        protocol=protocol, by=pi, name="", site_investigator="Dr Partner", is_lead=False, institution=partner
    )
    protocol_services.site_add(
        protocol=protocol, by=pi, name="Rural Clinic", site_investigator="", is_lead=False, institution=None
    )
    submission = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_accept(submission=submission, by=secretariat, route="expedited")
    assignment = services.reviewer_assign(
        submission=submission, by=secretariat, reviewer=members[0].user, due_date=TODAY()
    )
    review(assignment, members[0].user, "approve")
    decision = services.decision_record(submission=submission, by=secretariat, outcome=outcome, reasons="Fine.")
    return decision, partner_site


@pytest.mark.django_db
def test_only_registered_sites_elsewhere_need_their_own_head_s_permission_jp_erc_12(pi, secretariat, members, partner):
    decision, partner_site = multi_site_decision(pi, secretariat, members, partner)
    assert list(services.sites_needing_permission(decision.submission.protocol)) == [partner_site]
    assert partner_site.name == "Partner University"


@pytest.mark.django_db
def test_the_partner_head_sees_the_study_and_permits_it_for_their_site_jp_erc_12(
    client_for, pi, secretariat, members, partner, partner_head
):
    decision, site = multi_site_decision(pi, secretariat, members, partner)
    protocol = decision.submission.protocol
    assert permissions.can_view(partner_head, protocol)
    queue = client_for(partner_head).get(reverse("reviews:head_queue")).content.decode()
    assert protocol.reference in queue
    assert 'id="site-queue"' in queue
    page = client_for(partner_head).get(reverse("protocols:detail", args=[protocol.pk])).content.decode()
    assert "Record my decision for Partner University" in page
    assert 'id="head-form"' not in page  # the lead institution's permission is not theirs

    url = reverse("reviews:site_permission", args=[protocol.pk, decision.pk, site.pk])
    response = client_for(partner_head).post(url, {f"site-{site.pk}-decision": "permit"})
    assert response.status_code == 302
    permission = SitePermission.objects.get(decision=decision, site=site)
    assert permission.granted
    assert permission.by == partner_head
    assert Notification.objects.filter(recipient=pi, kind="site_permission.granted").exists()
    assert protocol.reference not in client_for(partner_head).get(reverse("reviews:head_queue")).content.decode()
    with pytest.raises(TransitionRefused):
        services.site_permission_record(decision=decision, site=site, by=partner_head, granted=True)


@pytest.mark.django_db
def test_a_site_refusal_needs_reasons_and_keeps_the_choice(client_for, pi, secretariat, members, partner, partner_head):
    decision, site = multi_site_decision(pi, secretariat, members, partner)
    protocol = decision.submission.protocol
    url = reverse("reviews:site_permission", args=[protocol.pk, decision.pk, site.pk])
    page = client_for(partner_head).post(url, {f"site-{site.pk}-decision": "refuse"}).content.decode()
    assert "Give the reasons for refusing permission." in page
    assert "checked" in page
    assert not SitePermission.objects.exists()
    with pytest.raises(ValidationError):
        services.site_permission_record(decision=decision, site=site, by=partner_head, granted=False, reasons=" ")


@pytest.mark.django_db
def test_the_lead_head_cannot_permit_for_the_partner_site_nor_the_partner_head_for_the_lead(
    client_for, pi, secretariat, members, partner, partner_head
):
    lead_head = UserFactory(roles=[Role.HEAD])
    decision, site = multi_site_decision(pi, secretariat, members, partner)
    with pytest.raises(PermissionDenied):
        services.site_permission_record(decision=decision, site=site, by=lead_head, granted=True)
    protocol = decision.submission.protocol
    response = client_for(partner_head).post(
        reverse("reviews:head_decide", args=[protocol.pk, decision.pk]), {"permission-decision": "permit"}
    )
    assert response.status_code == 403
    decision.refresh_from_db()
    assert decision.permission_state == "awaiting"


@pytest.mark.django_db
def test_a_head_of_an_unrelated_institution_does_not_see_the_study(client_for, pi, secretariat, members, partner):
    decision, _site = multi_site_decision(pi, secretariat, members, partner)
    stranger = UserFactory(institution=InstitutionFactory(code="elsewhere"), roles=[Role.HEAD])
    protocol = decision.submission.protocol
    assert client_for(stranger).get(reverse("protocols:detail", args=[protocol.pk])).status_code == 404
    assert protocol.reference not in client_for(stranger).get(reverse("reviews:head_queue")).content.decode()


@pytest.mark.django_db
def test_no_site_permission_without_an_approving_opinion(pi, secretariat, members, partner, partner_head):
    decision, site = multi_site_decision(pi, secretariat, members, partner, outcome="revise")
    with pytest.raises(TransitionRefused):
        services.site_permission_record(decision=decision, site=site, by=partner_head, granted=True)


@pytest.mark.django_db
def test_the_head_queue_query_count_does_not_grow_with_partner_sites(
    client_for, pi, secretariat, members, partner, partner_head
):
    multi_site_decision(pi, secretariat, members, partner)
    client = client_for(partner_head)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("reviews:head_queue")).status_code == 200
    for _ in range(3):
        multi_site_decision(pi, secretariat, members, partner)
    # The partner's head was told of each new permission: the first page counts the badge afresh.
    client.get(reverse("reviews:head_queue"))
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("reviews:head_queue")).content.decode()
    assert page.count("Partner University") == 4
    assert len(many) == len(few)


@pytest.mark.django_db
def test_a_registered_site_is_named_in_the_reader_s_language(pi, secretariat, members, partner):
    from django.utils import translation

    _decision, site = multi_site_decision(pi, secretariat, members, partner)
    with translation.override("ja"):
        assert site.display_name == "提携大学"
    with translation.override("en"):
        assert site.display_name == "Partner University"
