"""The message registry: every kind renders, in the reader's language, and mistakes are caught early."""

from datetime import date

import pytest
from django.utils import translation

from research_governance.notifications import messages
from research_governance.notifications.messages import MESSAGES, bilingual, clean_params, render_body, render_subject

PARAMS = {
    "reference": "R-2026-001",
    "title": bilingual("日本語の題名", "An English title"),
    "applicant": bilingual("申請 太郎", "Taro Shinsei"),
    "due_date": "2026-12-15",
    "decision": bilingual("承認", "Approved"),
    "kind": bilingual("重篤な有害事象", "Serious adverse event"),
    "reported_at": "2026-11-29 10:15 JST",
    "site": "Partner University",
    # A meeting's notice: the agenda is a list, one line each, in the reader's language.
    "committee": bilingual("倫理審査委員会", "Ethics Committee"),
    "when": "2026-12-10 14:00",
    "place": "Room 1",
    "agenda": [bilingual("1. R-2026-001 日本語の題名", "1. R-2026-001 An English title")],
    # A meeting changed: what changed, in each language.
    "change": bilingual(
        "会議は2026-12-03 14:00（Room 2）から2026-12-10 14:00（Room 1）に変更されました。",
        "The meeting was moved from 2026-12-03 14:00 at Room 2 to 2026-12-10 14:00 at Room 1.",
    ),
    # The reminders' kinds.
    "valid_until": "2027-03-31",
    "days": 30,
    "decided_on": "2026-11-01",
    "count": 2,
    # Data sharing.
    "requester": bilingual("要求 花子", "Hanako Yokyu"),
    # The audit trail check's kind.
    "event_id": 41,
    "action": "protocol.submitted",
    "occurred_at": "2026-11-29T01:15:00+00:00",
    "reason": bilingual("内容が変更されています", "its hash does not match its contents"),
    "approval": "A-R-2026-001-1",
    "approval_status": bilingual("一時停止", "suspended"),
    "term_end": "2027-03-31",
    "destruction_due": "2027-04-30",
    "recorder": bilingual("記録 次郎", "Jiro Kiroku"),
    "destroyed_on": "2027-04-15",
    # The hand-offs (notifications.handoff).
    "step": bilingual("予備審査をしてください", "Pre-screen the submission"),
    "detail": bilingual("（初回申請）", " (Initial application)"),
    "due": bilingual("期限：2026-12-10", "Due by 2026-12-10."),
}


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_every_kind_renders_in_english_with_every_placeholder_filled(kind):
    with translation.override("en"):
        subject = render_subject(kind, PARAMS)
        body = render_body(kind, PARAMS)
    assert "%(" not in subject
    assert "%(" not in body
    if "reference" in MESSAGES[kind].required_params:
        assert "R-2026-001" in subject
        assert "An English title" in body


def test_a_meeting_notice_lists_its_agenda_in_the_readers_language():
    with translation.override("en"):
        assert "Agenda:\n1. R-2026-001 An English title" in render_body("meeting.notice", PARAMS)
    with translation.override("ja"):
        assert "1. R-2026-001 日本語の題名" in render_body("meeting.notice", PARAMS)


def test_a_changed_meeting_s_notice_says_first_what_changed_in_the_readers_language():
    with translation.override("en"):
        body = render_body("meeting.changed", PARAMS)
        assert body.startswith("The meeting was moved from 2026-12-03 14:00 at Room 2 to 2026-12-10 14:00 at Room 1.")
        assert "Agenda:\n1. R-2026-001 An English title" in body
    with translation.override("ja"):
        body = render_body("meeting.changed", PARAMS)
        assert body.startswith("会議は2026-12-03 14:00（Room 2）から")
        assert "1. R-2026-001 日本語の題名" in body


def test_the_issue_s_kinds_are_all_declared():
    assert {
        "submission.received",
        "submission.returned",
        "submission.accepted",
        "reviewer.assigned",
        "decision.recorded",
        "permission.granted",
        "permission.refused",
    } <= set(MESSAGES)


def test_a_new_submission_reads_as_the_secretariat_expects():
    with translation.override("en"):
        assert render_subject("submission.received", PARAMS) == "New submission R-2026-001: An English title"
        assert render_subject("reviewer.assigned", PARAMS) == "Review requested: R-2026-001, due 2026-12-15"


def test_a_bilingual_parameter_follows_the_reader_s_language():
    with translation.override("ja"):
        assert "日本語の題名" in render_body("submission.accepted", PARAMS)
    with translation.override("en"):
        assert "日本語の題名" not in render_body("submission.accepted", PARAMS)


def test_a_bilingual_parameter_falls_back_to_the_other_language_when_one_is_empty():
    params = {**PARAMS, "title": bilingual("日本語だけ", "")}
    with translation.override("en"):
        assert "日本語だけ" in render_body("submission.accepted", params)


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown notification kind"):
        clean_params("submission.teleported", PARAMS)


def test_missing_parameters_are_named():
    with pytest.raises(ValueError, match="due_date"):
        clean_params("reviewer.assigned", {"reference": "R-1", "title": "T"})


def test_dates_are_stored_as_iso_strings_and_unstorable_values_are_refused():
    assert clean_params("reviewer.assigned", {**PARAMS, "due_date": date(2026, 12, 15)})["due_date"] == "2026-12-15"
    with pytest.raises(ValueError, match="JSON"):
        clean_params("submission.accepted", {**PARAMS, "extra": object()})


def test_a_row_whose_kind_was_removed_still_displays():
    assert render_subject("retired.kind", {}) == "retired.kind"
    assert render_body("retired.kind", {}) == ""


def test_a_row_missing_a_parameter_shows_the_unfilled_text_rather_than_failing():
    with translation.override("en"):
        assert render_subject("submission.accepted", {}) == "Submission %(reference)s accepted for review"


def test_in_each_language_stores_a_label_for_every_configured_language():
    assert set(messages.in_each_language("Approved")) == {"ja", "en"}
