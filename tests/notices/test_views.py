"""The public notices (JP-IC-10) and their refusal form (JP-IC-11), without signing in."""

import pytest
from django.test import Client
from django.urls import reverse

from research_governance.agreements.models import SubjectRefusal
from research_governance.notices import ratelimit
from research_governance.protocols.models import Protocol
from research_governance.reviews import services as review_services
from tests.agreements.refusal_support import (
    NOTICE_TEXT_V1,
    NOTICE_TEXT_V2,
    TITLE_EN,
    TITLE_JA,
    approve_amendment,
    approve_opt_out,
)
from tests.factories import UserFactory, make_draft

VALID = {
    "contact_name": "Hanako Yamada",
    "contact_details": "03-1234-5678",
    "details": "Patient ID 123456 at the hospital, visits 2021-2022",
    "confirm": "on",
}


def visitor(language="en", address="198.51.100.7"):
    return Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address)


def detail(approval):
    return reverse("notices:detail", args=[approval.protocol.reference])


def text(response):
    return response.content.decode()


def test_anonymous_visitors_see_the_notices_of_approved_active_opt_out_studies_only(notice, approval, pi):
    draft = make_draft(pi, title_ja="下書きの研究", consent_procedure="opt_out", opt_out_notice_text="Draft notice")
    page = visitor().get(reverse("notices:list"))
    assert page.status_code == 200
    assert TITLE_EN in text(page)
    # A written-consent study has no notice; a draft is never public.
    assert "A complete protocol" not in text(page)
    assert "下書きの研究" not in text(page)
    for reference in (approval.protocol.reference, draft.reference):
        assert visitor().get(reverse("notices:detail", args=[reference])).status_code == 404


def test_a_suspended_study_s_notice_is_gone(notice, secretariat):
    review_services.approval_suspend(approval=notice, by=secretariat, reasons="Audit finding.")
    assert visitor().get(detail(notice)).status_code == 404
    assert TITLE_EN not in text(visitor().get(reverse("notices:list")))


def test_the_list_is_searchable_by_title_in_either_language(notice):
    assert TITLE_EN in text(visitor().get(reverse("notices:list"), {"q": "kidney disease"}))
    assert TITLE_JA in text(visitor("ja").get(reverse("notices:list"), {"q": "腎臓"}))
    assert TITLE_EN not in text(visitor().get(reverse("notices:list"), {"q": "cardiology"}))


def test_the_list_reads_in_a_fixed_number_of_queries(notice, pi, secretariat, members, head, django_assert_num_queries):
    with django_assert_num_queries(2):  # the count and the page
        visitor().get(reverse("notices:list"))
    approve_opt_out(UserFactory(), secretariat, members, head, title_en="Second opt-out study")
    with django_assert_num_queries(2):
        page = visitor().get(reverse("notices:list"))
    assert "Second opt-out study" in text(page)


def test_the_notice_states_the_items_of_jp_ic_10(notice, pi):
    page = text(visitor().get(detail(notice)))
    for item in (
        NOTICE_TEXT_V1,
        "Retrospective study of kidney function",  # purpose and method of use
        "Planned start of use and provision",
        "2027-04-01",
        "Boston Data Lab, in US",  # foreign provision
        "Pat Investigator",  # PI and person responsible
        "The use and provision of your information then stop",  # that use stops on request
        "Refuse the use of your information",  # how refusals are received
        "Version 1, in force since",
    ):
        assert item in page, item
    assert "Osaka Lab" in page
    assert "Osaka Lab, in JP" not in page


def test_the_notice_shows_the_japanese_title_in_japanese_and_the_english_title_in_english(notice):
    japanese = text(visitor("ja").get(detail(notice)))
    english = text(visitor("en").get(detail(notice)))
    assert f'id="notice-title">{TITLE_JA}<' in japanese
    assert f'id="notice-title">{TITLE_EN}<' in english


def test_an_amendment_makes_a_new_version_and_the_earlier_one_stays_readable(notice, pi, secretariat, members, head):
    approve_amendment(notice, pi, secretariat, members, head, opt_out_notice_text=NOTICE_TEXT_V2)
    page = text(visitor().get(detail(notice)))
    assert NOTICE_TEXT_V2 in page
    assert NOTICE_TEXT_V1 not in page
    assert "Version 2, in force since" in page
    assert reverse("notices:version", args=[notice.protocol.reference, 1]) in page
    earlier = visitor().get(reverse("notices:version", args=[notice.protocol.reference, 1]))
    assert earlier.status_code == 200
    assert NOTICE_TEXT_V1 in text(earlier)
    assert "no longer in force" in text(earlier)
    assert 'name="contact_name"' not in text(earlier)


def test_nothing_of_an_amendment_in_preparation_or_under_review_is_public(notice, pi):
    review_services.amendment_start(protocol=notice.protocol, by=pi)
    protocol = Protocol.objects.get(pk=notice.protocol_id)
    protocol.opt_out_notice_text = "Draft-amendment-text"
    protocol.save()
    assert "Draft-amendment-text" not in text(visitor().get(detail(notice)))
    review_services.protocol_submit(protocol=protocol, by=pi, changes_summary="Text.", minor_change=True)
    assert "Draft-amendment-text" not in text(visitor().get(detail(notice)))
    assert visitor().get(reverse("notices:version", args=[protocol.reference, 2])).status_code == 404


def test_a_refusal_with_a_missing_contact_shows_the_error_and_keeps_what_was_typed(notice):
    response = visitor().post(detail(notice), {**VALID, "contact_details": ""})
    assert response.status_code == 400
    assert "This field is required." in text(response)
    assert "Patient ID 123456" in text(response)
    assert not SubjectRefusal.objects.exists()


def test_a_refusal_reaches_the_pi_and_the_visitor_gets_a_receipt_jp_ic_11(notice, pi):
    client = visitor()
    response = client.post(detail(notice), VALID)
    assert response.status_code == 302
    thanks = client.get(response.url)
    refusal = SubjectRefusal.objects.get()
    assert refusal.receipt in text(thanks)
    assert "What happens next" in text(thanks)
    assert refusal.contact_name == "Hanako Yamada"
    assert refusal.channel == "public_form"
    # The PI is asked, once, to record what was done (the hand-off of agreements.next_steps).
    [asked] = pi.notifications.filter(kind="work.waiting")
    assert asked.params["step"]["en"] == "Record what was done about a subject's refusal or withdrawal"


def test_the_thank_you_page_shows_nothing_without_a_refusal_sent(notice):
    response = visitor().get(reverse("notices:thanks", args=[notice.protocol.reference]))
    assert response.status_code == 302
    assert response.url == detail(notice)


def test_the_page_reveals_nothing_of_other_people_s_refusals(notice):
    visitor(address="203.0.113.1").post(detail(notice), VALID)
    for page in (visitor().get(detail(notice)), visitor().get(reverse("notices:list"))):
        assert "Hanako" not in text(page)
        assert "123456" not in text(page)


def test_the_honeypot_drops_a_robot_s_refusal(notice):
    response = visitor().post(detail(notice), {**VALID, "website": "http://spam.example"})
    assert response.status_code == 400
    assert not SubjectRefusal.objects.exists()


def test_the_refusal_form_is_rate_limited_per_client_and_notice(notice):
    client = visitor(address="192.0.2.50")
    for _attempt in range(ratelimit.PER_NOTICE):
        assert client.post(detail(notice), {**VALID, "contact_details": ""}).status_code == 400
    limited = client.post(detail(notice), VALID)
    assert limited.status_code == 429
    assert "Too many requests" in text(limited)
    assert not SubjectRefusal.objects.exists()
    # Another connection is not affected.
    assert visitor(address="192.0.2.51").post(detail(notice), VALID).status_code == 302


def test_the_refusal_form_keeps_csrf_protection(notice):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    assert client.post(detail(notice), VALID).status_code == 403
    assert not SubjectRefusal.objects.exists()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_footer_links_to_the_notices_for_everyone(notice, language):
    page = text(visitor(language).get(detail(notice)))
    assert f'href="{reverse("notices:list")}"' in page
