"""The rules engine's verdict in the application: shown live as facts are answered,
enforced on submission (JP-IC-01..09), and frozen with each submitted version."""

import pytest
from django.urls import reverse

from research_governance.protocols import services
from research_governance.reviews import services as review_services
from tests.factories import attach, make_complete, make_draft

from .test_views import draft_post


def edit_url(protocol):
    return reverse("protocols:edit", args=[protocol.pk])


@pytest.mark.django_db
def test_the_panel_asks_for_the_facts_before_it_can_assess(client_for, pi):
    page = client_for(pi).get(edit_url(make_draft(pi))).content.decode()
    assert "Answer these questions to see which consent procedures are allowed" in page
    assert "Invasiveness" in page


@pytest.mark.django_db
def test_the_panel_lists_what_an_information_only_study_may_use_jp_ic_05(client_for, pi):
    protocol = make_complete(pi, special_care_personal_info=False)
    panel = client_for(pi).get(edit_url(protocol)).content.decode().split('id="assessment"', 1)[1]
    assert "Opt-out (notice or publication, with a chance to refuse)" in panel
    assert "JP-IC-05" in panel


@pytest.mark.django_db
def test_autosave_updates_the_panel_when_the_study_becomes_invasive_jp_ic_01(client_for, pi):
    protocol = make_complete(pi, special_care_personal_info=False)
    response = client_for(pi).post(
        edit_url(protocol), draft_post(protocol, invasiveness="invasive"), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    panel = page.split('id="assessment"', 1)[1]
    assert 'hx-swap-oob="true"' in page.split('id="assessment"', 1)[0][-200:] + panel[:200]
    assert "JP-IC-01" in panel
    assert "Opt-out" not in panel.split('id="allowed-procedures"', 1)[1].split("</ul>", 1)[0]
    assert "A serious adverse event procedure stated in the protocol" in panel


@pytest.mark.django_db
def test_submitting_a_procedure_the_rules_do_not_allow_is_refused_with_the_rule(pi):
    protocol = make_complete(pi, invasiveness="invasive", consent_procedure="opt_out", opt_out_notice_text="Notice")
    attach(protocol, pi, "opt_out_notice")
    with pytest.raises(review_services.IncompleteApplication) as incomplete:
        review_services.protocol_submit(protocol=protocol, by=pi)
    [item] = incomplete.value.missing
    assert "is not allowed for this study" in item.message
    assert "JP-IC-01" in item.message


@pytest.mark.django_db
def test_an_exception_needs_a_justification_and_then_goes_to_the_committee(pi):
    protocol = make_complete(pi, invasiveness="invasive", consent_procedure="opt_out", opt_out_notice_text="Notice")
    attach(protocol, pi, "opt_out_notice")
    protocol = services.protocol_update_draft(
        protocol=protocol, by=pi, data={"consent_exception_requested": True}, lock_version=protocol.lock_version
    )
    with pytest.raises(review_services.IncompleteApplication) as incomplete:
        review_services.protocol_submit(protocol=protocol, by=pi)
    assert [i.message for i in incomplete.value.missing] == ["Give the justification for the exception you ask for."]
    protocol = services.protocol_update_draft(
        protocol=protocol,
        by=pi,
        data={"consent_exception_justification": "Emergency research; deferred consent."},
        lock_version=protocol.lock_version,
    )
    submission = review_services.protocol_submit(protocol=protocol, by=pi)
    assert submission.version.snapshot["form"]["consent_exception_requested"] is True


@pytest.mark.django_db
def test_electronic_consent_counts_as_written_consent_for_the_rules_jp_ic_01(pi):
    protocol = make_complete(pi, invasiveness="minor", consent_procedure="electronic_ic")
    attach(protocol, pi, "e_ic_materials")
    assert review_services.protocol_submit(protocol=protocol, by=pi).status == "submitted"


@pytest.mark.django_db
def test_a_foreign_recipient_without_protection_rules_out_opt_out_jp_ic_09(client_for, pi):
    protocol = make_complete(pi, special_care_personal_info=False, consent_procedure="opt_out", opt_out_notice_text="N")
    attach(protocol, pi, "opt_out_notice")
    services.recipient_add(
        protocol=protocol, by=pi, name="Lab Inc.", kind="company", country="US", equivalent_measures=False
    )
    panel = client_for(pi).get(edit_url(protocol)).content.decode().split('id="assessment"', 1)[1]
    assert "JP-IC-09" in panel
    assert "procedure-not-allowed" in panel
    with pytest.raises(review_services.IncompleteApplication):
        review_services.protocol_submit(protocol=protocol, by=pi)


@pytest.mark.django_db
def test_the_submitted_version_keeps_the_verdict_and_its_rulebook_version(client_for, pi, secretariat):
    protocol = make_complete(pi)
    submission = review_services.protocol_submit(protocol=protocol, by=pi)
    verdict = submission.version.snapshot["assessment"]
    assert verdict["rulebook_version"]
    assert "written_ic" in verdict["consent"]["allowed"]
    version_page = client_for(pi).get(reverse("protocols:version_detail", args=[protocol.pk, 1])).content.decode()
    assert verdict["rulebook_version"] in version_page
    detail = client_for(secretariat).get(reverse("protocols:detail", args=[protocol.pk])).content.decode()
    assert "What the rules allow for this study" in detail


@pytest.mark.django_db
def test_the_edit_page_has_one_assessment_panel(client_for, pi):
    page = client_for(pi).get(edit_url(make_complete(pi))).content.decode()
    assert page.count('id="assessment"') == 1


def test_the_form_speaks_the_engines_vocabulary():
    """The engine has no Django, so its codes are declared twice; they must stay the same."""
    from research_governance.committees.models import CommitteeMembership
    from research_governance.protocols import models
    from research_governance.rules import vocabulary

    assert set(models.Acquisition.values) == {code.value for code in vocabulary.Acquisition}
    assert set(models.Invasiveness.values) == {code.value for code in vocabulary.Invasiveness}
    assert set(models.Deidentification.values) == {code.value for code in vocabulary.Deidentification}
    form_procedures = set(models.ConsentProcedure.values) - {models.ConsentProcedure.ELECTRONIC_IC}
    assert form_procedures == {code.value for code in vocabulary.ConsentProcedure}
    assert set(CommitteeMembership.Category.values) == {code.value for code in vocabulary.Category}
    assert set(CommitteeMembership.Sex.values) == {code.value for code in vocabulary.Sex}
