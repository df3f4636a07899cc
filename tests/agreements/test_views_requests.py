from django.urls import reverse

from research_governance.agreements.models import DataAccessRequest
from tests.conftest import signed_in
from tests.factories import UserFactory

from .support import make_request, request_data

client_for = signed_in


def form_data(dataset, **overrides):
    data = {key: value for key, value in request_data().items() if not isinstance(value, bool) or value}
    data.update(
        datasets=[dataset.pk],
        purpose_diseases="MONDO:0005300",
        term_start=data["term_start"].isoformat(),
        term_end=data["term_end"].isoformat(),
        destruction_date=data["destruction_date"].isoformat(),
    )
    data.update(overrides)
    return {key: ("on" if value is True else value) for key, value in data.items()}


def test_a_request_with_errors_shows_them_and_keeps_what_was_typed(dataset):
    requester = UserFactory()
    response = client_for(requester).post(
        reverse("agreements:request_create"),
        form_data(dataset, recipient_country="J1", purpose_diseases="kidney", title="Keep this title"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Write the two-letter ISO code" in page
    assert "Not a code: kidney" in page
    assert 'value="Keep this title"' in page
    assert not DataAccessRequest.objects.exists()


def test_a_valid_draft_is_saved_and_its_page_offers_submission(dataset):
    requester = UserFactory()
    client = client_for(requester)
    response = client.post(reverse("agreements:request_create"), form_data(dataset))
    data_request = DataAccessRequest.objects.get()
    assert response.url == reverse("agreements:request_detail", args=[data_request.pk])
    page = client.get(response.url).content.decode()
    assert "Submit the request" in page
    client.post(reverse("agreements:request_submit", args=[data_request.pk]))
    data_request.refresh_from_db()
    assert data_request.status == "submitted"


def test_the_live_check_shows_the_checks_for_unsaved_input(dataset):
    response = client_for(UserFactory()).post(reverse("agreements:request_check"), form_data(dataset))
    assert response.status_code == 200
    assert 'id="checks"' in response.content.decode()
    assert not DataAccessRequest.objects.exists()


def test_submitting_an_incomplete_request_lists_what_it_lacks(dataset):
    requester = UserFactory()
    data_request = make_request(requester, [dataset], submit=False, medium="")
    client = client_for(requester)
    page = client.post(reverse("agreements:request_submit", args=[data_request.pk]), follow=True).content.decode()
    assert "Choose how the data are provided." in page
    data_request.refresh_from_db()
    assert data_request.status == "draft"


def test_a_requester_never_sees_another_requester_s_request(dataset):
    mine = make_request(UserFactory(), [dataset])
    intruder = client_for(UserFactory())
    assert intruder.get(reverse("agreements:request_detail", args=[mine.pk])).status_code == 404
    assert mine.title not in intruder.get(reverse("agreements:request_list")).content.decode()


def test_the_provider_s_pi_sees_requests_for_their_datasets(dataset):
    data_request = make_request(UserFactory(), [dataset])
    pi = client_for(dataset.protocol.principal_investigator)
    assert pi.get(reverse("agreements:request_detail", args=[data_request.pk])).status_code == 200
    assert data_request.title in pi.get(reverse("agreements:request_list")).content.decode()


def test_the_request_list_costs_the_same_queries_for_5_or_25_requests(dataset, django_assert_max_num_queries):
    requester = UserFactory()
    for _ in range(5):
        make_request(requester, [dataset])
    client = client_for(requester)
    client.get(reverse("agreements:request_list"))  # warm the session
    with django_assert_max_num_queries(12) as five:
        client.get(reverse("agreements:request_list"))
    for _ in range(20):
        make_request(requester, [dataset])
    with django_assert_max_num_queries(len(five.captured_queries)):
        page = client.get(reverse("agreements:request_list")).content.decode()
    assert page.count("<tr><td>") == 25
