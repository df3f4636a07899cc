"""Two rounds of one application: round 1 reviewed and decided "revise and resubmit"; the
investigators change the summary and replace the consent form, and resubmit round 2, which the
secretariat accepts."""

from research_governance.protocols import services as protocol_services
from research_governance.reviews import services
from tests.factories import make_complete, pdf_upload

from .decisions_support import DUE, FULL_CHECKLIST, seat

NEW_SUMMARY = "What we study and why, now with older adults."


def review(submission, secretariat, reviewer, recommendation="revise"):
    assignment = services.reviewer_assign(submission=submission, by=secretariat, reviewer=reviewer, due_date=DUE)
    services.conflict_declare(submission=submission, member=reviewer, has_conflict=False, reason="")
    services.review_save(
        assignment=assignment, by=reviewer, checklist=FULL_CHECKLIST, recommendation=recommendation, summary="."
    )
    return services.review_submit(assignment=assignment, by=reviewer)


def build_rounds(pi, secretariat, committee):
    """Round 1 reviewed by ``first_reviewer`` and decided "revise"; round 2 resubmitted and accepted."""
    first_reviewer = seat(committee)
    first = services.protocol_submit(protocol=make_complete(pi), by=pi)
    services.submission_accept(submission=first, by=secretariat, route="expedited")
    review(first, secretariat, first_reviewer)
    services.decision_record(submission=first, by=secretariat, outcome="revise", reasons="Widen the cohort.")
    protocol = first.protocol
    protocol.refresh_from_db()
    protocol = protocol_services.protocol_update_draft(
        protocol=protocol, by=pi, data={"summary": NEW_SUMMARY}, lock_version=protocol.lock_version
    )
    upload, size = pdf_upload("consent v2")
    protocol_services.document_replace(
        document=protocol.documents.get(kind="consent_form"), by=pi, upload=upload, name="consent-v2.pdf", size=size
    )
    second = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_accept(submission=second, by=secretariat, route="expedited")
    assert (second.round, second.previous_id) == (2, first.pk)
    return {"first": first, "second": second, "first_reviewer": first_reviewer}
