import csv
import io

from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.conftest import signed_in


def report_url(oversight, name: str) -> str:
    world = oversight.world
    return reverse(name, args=[world.committee.pk, timezone.localtime(world.meeting.scheduled_at).year])


def test_the_committee_report_pdf_lists_the_roster_and_a_meeting_s_outcome_jp_erc_11(oversight):
    client = signed_in(oversight.world.people["secretariat"])  # in English
    response = client.get(report_url(oversight, "oversight:committee_report_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for seat in oversight.world.committee.memberships.select_related("user"):
        assert seat.user.display_name in text or seat.user.name_latin in text
    assert oversight.world.protocol_a.reference in text
    assert "Approve with conditions" in text


def test_the_committee_report_csv_has_roster_rules_and_meetings(oversight):
    response = signed_in(oversight.world.people["auditor"]).get(report_url(oversight, "oversight:committee_report_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    sections = [row[0] for row in rows[1:]]
    assert sections.count("Roster") == 1 + oversight.world.committee.memberships.count()
    assert any(row[1] == "JP-ERC-06" for row in rows)
    meeting_rows = [row for row in rows if row[0] == "Meeting"]
    assert len(meeting_rows) == 1
    assert oversight.world.protocol_a.reference in meeting_rows[0][3]
    assert meeting_rows[0][5] == "Approve with conditions"
    assert meeting_rows[0][6] == "For 5 · against 0 · abstain 0"
    assert "6 of 6 members present" in meeting_rows[0][2]


def test_the_committee_report_page_is_for_the_secretariat_and_the_auditor(oversight):
    url = report_url(oversight, "oversight:committee_report")
    for persona, status in (("secretariat", 200), ("auditor", 200), ("chair", 404), ("member", 404), ("pi", 404)):
        assert signed_in(oversight.world.people[persona]).get(url).status_code == status, persona
    text = signed_in(oversight.world.people["auditor"]).get(url).content.decode()
    assert "Approve with conditions" in text
    assert 'method="post"' not in text.split("<main", 1)[-1].split("</main>")[0]


def test_a_year_before_the_first_rulebook_shows_its_report_and_says_no_rules_were_in_force(oversight):
    url = reverse("oversight:committee_report", args=[oversight.world.committee.pk, 2025])
    response = signed_in(oversight.world.people["auditor"]).get(url)
    assert response.status_code == 200
    assert "No rulebook of this system was in force in 2025" in response.content.decode()
