import csv
import io
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from research_governance.reviews.models import Approval
from tests.conftest import signed_in

from .conftest import approval_for, build_oversight


def register_text(client, **params) -> str:
    response = client.get(reverse("oversight:approvals"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_register_lists_every_approval_of_the_institution_and_none_of_another(oversight):
    text = register_text(signed_in(oversight.world.people["auditor"]))
    for approval in (oversight.active, oversight.suspended, oversight.expired, oversight.future):
        assert approval.reference in text
    assert "APR-ELSEWHERE" not in text
    # Status, validity, conditions, committee, letters and the version approved.
    assert oversight.active.valid_until.strftime("%Y-%m-%d") in text
    assert "1: 0 signed off, 1 answered, 0 open" in text
    assert oversight.world.committee.name_en in text
    letter_reference = oversight.world.decision.letters.get().reference
    assert letter_reference in text
    assert reverse("letters:download", args=[oversight.world.decision.letters.get().pk]) in text


def test_the_register_filters_by_status_committee_and_text(oversight):
    client = signed_in(oversight.world.people["secretariat"])
    text = register_text(client, status="suspended")
    assert "APR-SUSPENDED" in text
    assert "APR-EXPIRED" not in text
    assert oversight.active.reference not in text
    text = register_text(client, q="Expired study")
    assert "APR-EXPIRED" in text
    assert "APR-SUSPENDED" not in text
    text = register_text(client, committee=oversight.world.committee.pk + 999)
    assert "No approvals match." in text
    text = register_text(client, committee=oversight.world.committee.pk)
    assert oversight.active.reference in text


def test_active_on_a_day_means_valid_that_day_and_not_yet_suspended_closed_or_expired(oversight):
    client = signed_in(oversight.world.people["auditor"])
    today = timezone.localdate()
    # Today: the suspension and the expiry were recorded today, so neither counts; the future
    # approval has not started.
    text = register_text(client, active_on=today.isoformat())
    assert oversight.active.reference in text
    assert "APR-SUSPENDED" not in text
    assert "APR-EXPIRED" not in text
    assert "APR-FUTURE" not in text
    # Yesterday: the suspended approval and the expired one (its last valid day) were active.
    text = register_text(client, active_on=(today - timedelta(days=1)).isoformat())
    assert "APR-SUSPENDED" in text
    assert "APR-EXPIRED" in text
    assert oversight.active.reference not in text  # A's approval starts today
    # In eleven days: the future approval has begun.
    text = register_text(client, active_on=(today + timedelta(days=11)).isoformat())
    assert "APR-FUTURE" in text
    assert "APR-SUSPENDED" not in text
    # A date that is not one is reported, not a crash.
    assert "Enter a date as YYYY-MM-DD." in register_text(client, active_on="2026-02-31")


def test_the_register_page_takes_the_same_number_of_queries_for_more_approvals(db, django_assert_num_queries):
    oversight = build_oversight()
    client = signed_in(oversight.world.people["auditor"])
    client.get(reverse("oversight:approvals"))  # warm the session and the permission-id cache
    with django_assert_num_queries(8) as first:
        register_text(client)
    queries = len(first.captured_queries)
    today = timezone.localdate()
    for number in range(4):
        approval_for(
            oversight.world.people["pi"],
            title=f"More {number}",
            reference=f"APR-MORE-{number}",
            valid_from=today,
            valid_until=today + timedelta(days=100),
        )
    register_text(client)  # the menu's count, which the new approvals changed, is cached again
    with django_assert_num_queries(queries):
        text = register_text(client)
    assert "APR-MORE-3" in text


def test_the_csv_export_has_the_filtered_register(oversight):
    client = signed_in(oversight.world.people["auditor"])
    response = client.get(reverse("oversight:approvals_csv"), {"status": "expired"})
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][0] == "Approval reference"
    assert [row[0] for row in rows[1:]] == ["APR-EXPIRED"]
    header = rows[0]
    expired = dict(zip(header, rows[1], strict=True))
    assert expired["Status"] == "Expired"
    assert expired["Valid until"] == oversight.expired.valid_until.isoformat()
    assert expired["Ended on"] == timezone.localdate().isoformat()


def test_the_xlsx_export_reads_back_with_openpyxl(oversight):
    client = signed_in(oversight.world.people["secretariat"])
    response = client.get(reverse("oversight:approvals_xlsx"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "Approval reference"
    references = {row[0] for row in rows[1:]}
    notice_study = Approval.objects.get(protocol__reference=oversight.world.ids["reference"]).reference
    assert references == {oversight.active.reference, "APR-SUSPENDED", "APR-EXPIRED", "APR-FUTURE", notice_study}
    by_reference = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_reference[oversight.active.reference]["Conditions"] == 1
    assert by_reference[oversight.active.reference]["Letters"] == oversight.world.decision.letters.get().reference


def test_people_without_an_oversight_role_get_404(oversight):
    for persona in ("pi", "reviewer", "head"):
        client = signed_in(oversight.world.people[persona])
        for route in ("oversight:approvals", "oversight:approvals_csv", "oversight:approvals_xlsx"):
            assert client.get(reverse(route)).status_code == 404, (persona, route)
