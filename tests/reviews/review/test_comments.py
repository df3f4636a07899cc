"""Reviewers' comments anchored to a section or a document of the version under review: written
and deleted by the reviewer while the review is open, frozen once it is submitted, read with the
submitted review by those who may read it (the secretariat and the chair), and by nobody else."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research_governance.accounts.models import Role
from research_governance.audit.models import AuditEvent
from research_governance.protocols.access_services import grant_team_access
from research_governance.protocols.selectors import history
from research_governance.reviews import services
from research_governance.reviews.models import ReviewComment
from research_governance.reviews.review import comments
from research_governance.reviews.workflow import TransitionRefused
from tests.factories import UserFactory, attach, make_draft

from ..decisions_support import DUE, FULL_CHECKLIST, accepted, make_committee, seat

COMMENT = "The sample size needs a justification."


@pytest.fixture
def committee(db):
    return make_committee("JP")


@pytest.fixture
def submission(pi, secretariat, committee):
    return accepted(pi, secretariat, committee, route="expedited", reviewed=False)


def assign(submission, secretariat, committee, member=None):
    """A member assigned to the submission who has declared no conflict."""
    member = member or seat(committee)
    assignment = services.reviewer_assign(submission=submission, by=secretariat, reviewer=member, due_date=DUE)
    services.conflict_declare(submission=submission, member=member, has_conflict=False, reason="")
    return assignment


def submit_review(assignment):
    services.review_save(
        assignment=assignment,
        by=assignment.reviewer,
        checklist=FULL_CHECKLIST,
        recommendation="approve",
        summary="Fine.",
    )
    return services.review_submit(assignment=assignment, by=assignment.reviewer)


@pytest.fixture
def assignment(submission, secretariat, committee):
    return assign(submission, secretariat, committee)


def consent_version(submission):
    return submission.version.document_versions.get(document__kind="consent_form")


def workspace(assignment) -> str:
    return reverse("reviews:workspace", args=[assignment.pk])


def add_url(assignment) -> str:
    return reverse("reviews:comment_add", args=[assignment.pk])


# ---- the services --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reviewer_comments_on_a_section_and_on_a_document_of_the_version_under_review(assignment, submission):
    reviewer = assignment.reviewer
    on_section = comments.comment_add(assignment=assignment, by=reviewer, section="data", text=f"  {COMMENT}  ")
    on_document = comments.comment_add(
        assignment=assignment,
        by=reviewer,
        document_version=consent_version(submission),
        location=" p. 3, §2 ",
        text="Say who to call to withdraw.",
    )
    assert (on_section.section, on_section.document_version, on_section.text) == ("data", None, COMMENT)
    assert (on_document.section, on_document.location) == ("", "p. 3, §2")
    grouped = comments.group_comments(assignment.comments.all())
    assert grouped.by_section == {"data": [on_section]}
    assert grouped.by_document == {on_document.document_version_id: [on_document]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("anchor", "message"),
    [
        ({"section": "budget"}, "no such section"),
        ({}, "Choose the section or the document"),
        ({"section": "data", "document": True}, "Choose the section or the document"),
    ],
)
def test_a_comment_needs_exactly_one_anchor_that_exists(assignment, submission, anchor, message):
    document_version = consent_version(submission) if anchor.pop("document", False) else None
    with pytest.raises(ValidationError, match=message):
        comments.comment_add(
            assignment=assignment, by=assignment.reviewer, text=COMMENT, document_version=document_version, **anchor
        )
    assert not ReviewComment.objects.exists()


@pytest.mark.django_db
def test_a_document_of_another_study_cannot_be_commented_on(assignment, other_investigator):
    other = make_draft(other_investigator, title_en="Another study")
    attach(other, other_investigator, "protocol", "theirs.pdf")
    theirs = other.documents.get().versions.get()
    with pytest.raises(ValidationError, match="not part of the version under review"):
        comments.comment_add(assignment=assignment, by=assignment.reviewer, document_version=theirs, text=COMMENT)
    assert not ReviewComment.objects.exists()


@pytest.mark.django_db
def test_an_empty_comment_is_refused(assignment):
    with pytest.raises(ValidationError, match="Write the comment"):
        comments.comment_add(assignment=assignment, by=assignment.reviewer, section="study", text="   ")


@pytest.mark.django_db
def test_nobody_but_the_reviewer_themself_comments_on_their_review(assignment, submission, secretariat, committee, pi):
    second = assign(submission, secretariat, committee)
    for intruder in (second.reviewer, secretariat, pi):
        with pytest.raises(PermissionDenied):
            comments.comment_add(assignment=assignment, by=intruder, section="study", text=COMMENT)
    own = comments.comment_add(assignment=assignment, by=assignment.reviewer, section="study", text=COMMENT)
    with pytest.raises(PermissionDenied):
        comments.comment_delete(comment=own, by=second.reviewer)
    assert ReviewComment.objects.get() == own


@pytest.mark.django_db
def test_a_reviewer_who_declares_a_conflict_can_no_longer_comment(submission, secretariat, committee):
    member = seat(committee)
    assignment = services.reviewer_assign(submission=submission, by=secretariat, reviewer=member, due_date=DUE)
    services.conflict_declare(submission=submission, member=member, has_conflict=True, reason="I consult for them.")
    with pytest.raises(PermissionDenied):
        comments.comment_add(assignment=assignment, by=member, section="study", text=COMMENT)


@pytest.mark.django_db
def test_comments_are_frozen_once_the_review_is_submitted(assignment):
    comment = comments.comment_add(assignment=assignment, by=assignment.reviewer, section="study", text=COMMENT)
    submit_review(assignment)
    with pytest.raises(TransitionRefused):
        comments.comment_add(assignment=assignment, by=assignment.reviewer, section="data", text="Later thought.")
    with pytest.raises(TransitionRefused):
        comments.comment_delete(comment=comment, by=assignment.reviewer)
    assert list(ReviewComment.objects.values_list("text", flat=True)) == [COMMENT]


@pytest.mark.django_db
def test_adding_and_deleting_are_audited_but_kept_off_the_investigators_timeline(assignment, submission):
    comment = comments.comment_add(assignment=assignment, by=assignment.reviewer, section="ai", text=COMMENT)
    comments.comment_delete(comment=comment, by=assignment.reviewer)
    events = AuditEvent.objects.filter(action__startswith="review.comment_").order_by("id")
    assert [(e.action, e.data["text"], e.data["section"]) for e in events] == [
        ("review.comment_added", COMMENT, "ai"),
        ("review.comment_deleted", COMMENT, "ai"),
    ]
    assert not ReviewComment.objects.exists()
    timeline = {entry.event.action for entry in history(submission.protocol)}
    assert "review.reviewer_assigned" in timeline
    assert not timeline & {"review.comment_added", "review.comment_deleted"}


# ---- the workspace -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reviewer_adds_a_comment_next_to_a_section_without_javascript(client_for, assignment):
    response = client_for(assignment.reviewer).post(
        add_url(assignment),
        {"anchor": "section-data", "section-data-text": COMMENT, "section-data-location": "Q7"},
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == workspace(assignment) + "#comments-section-data"
    assert "Comment added." in page
    block = page.split('id="comments-section-data"')[1].split('id="comments-')[0]
    assert COMMENT in block
    assert "Q7" in block
    assert COMMENT not in page.split('id="comments-section-data"')[0]


@pytest.mark.django_db
def test_the_reviewer_comments_on_a_document_and_htmx_gets_only_that_document_s_comments(
    client_for, assignment, submission
):
    anchor = f"document-{consent_version(submission).pk}"
    response = client_for(assignment.reviewer).post(
        add_url(assignment), {"anchor": anchor, f"{anchor}-text": COMMENT}, HTTP_HX_REQUEST="true"
    )
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.startswith(f'<div class="review-comments mt-2" id="comments-{anchor}">')
    assert COMMENT in fragment
    assert "<html" not in fragment
    assert ReviewComment.objects.get().document_version == consent_version(submission)


@pytest.mark.django_db
def test_a_comment_without_text_comes_back_with_the_form_open_and_an_error(client_for, assignment):
    response = client_for(assignment.reviewer).post(
        add_url(assignment), {"anchor": "section-ai", "section-ai-location": "p. 2", "section-ai-text": ""}
    )
    page = response.content.decode()
    assert response.status_code == 200
    block = page.split('id="comments-section-ai"')[1].split('id="comments-')[0]
    assert "<details open>" in block
    assert "This field is required." in block
    assert 'value="p. 2"' in block
    assert not ReviewComment.objects.exists()


@pytest.mark.django_db
def test_an_anchor_outside_the_version_under_review_is_refused_with_a_message(
    client_for, assignment, other_investigator
):
    other = make_draft(other_investigator, title_en="Another study")
    attach(other, other_investigator, "protocol", "theirs.pdf")
    theirs = f"document-{other.documents.get().versions.get().pk}"
    client = client_for(assignment.reviewer)
    for anchor in (theirs, "section-budget", ""):
        response = client.post(add_url(assignment), {"anchor": anchor, f"{anchor}-text": COMMENT}, follow=True)
        assert "Choose the section or the document the comment is about." in response.content.decode()
    assert not ReviewComment.objects.exists()


@pytest.mark.django_db
def test_the_reviewer_deletes_their_comment_from_the_workspace(client_for, assignment):
    comment = comments.comment_add(assignment=assignment, by=assignment.reviewer, section="study", text=COMMENT)
    client = client_for(assignment.reviewer)
    address = reverse("reviews:comment_delete", args=[assignment.pk, comment.pk])
    response = client.post(address, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert COMMENT not in response.content.decode()
    assert not ReviewComment.objects.exists()
    assert client.post(address).status_code == 404


@pytest.mark.django_db
def test_after_submitting_the_reviewer_reads_their_comments_but_cannot_change_them(client_for, assignment):
    comments.comment_add(assignment=assignment, by=assignment.reviewer, section="study", text=COMMENT)
    submit_review(assignment)
    client = client_for(assignment.reviewer)
    page = client.get(workspace(assignment)).content.decode()
    assert COMMENT in page
    assert "Add a comment" not in page
    assert reverse("reviews:comment_add", args=[assignment.pk]) not in page
    response = client.post(add_url(assignment), {"anchor": "section-data", "section-data-text": "Late."}, follow=True)
    assert "its comments can no longer change" in response.content.decode()
    assert ReviewComment.objects.count() == 1


@pytest.mark.django_db
def test_nobody_else_reaches_a_reviewers_comments(client_for, assignment, submission, secretariat, committee, pi):
    comment = comments.comment_add(assignment=assignment, by=assignment.reviewer, section="study", text=COMMENT)
    conflicted = seat(committee)
    services.conflict_declare(submission=submission, member=conflicted, has_conflict=True, reason="Consulting.")
    unassigned = seat(committee)
    second = assign(submission, secretariat, committee)
    other_investigator = UserFactory(roles=[Role.INVESTIGATOR])
    for person in (pi, other_investigator, unassigned, conflicted, secretariat, second.reviewer):
        client = client_for(person)
        assert client.get(workspace(assignment)).status_code == 404
        added = client.post(add_url(assignment), {"anchor": "section-study", "section-study-text": "Intruder"})
        deleted = client.post(reverse("reviews:comment_delete", args=[assignment.pk, comment.pk]))
        assert (added.status_code, deleted.status_code) == (404, 404)
    # The second reviewer's own workspace does not show the first reviewer's comment.
    assert COMMENT not in client_for(second.reviewer).get(workspace(second)).content.decode()
    assert list(ReviewComment.objects.all()) == [comment]


@pytest.mark.django_db
def test_the_workspace_query_count_does_not_grow_with_the_number_of_comments(client_for, assignment, submission):
    client = client_for(assignment.reviewer)
    reviewer = assignment.reviewer
    comments.comment_add(assignment=assignment, by=reviewer, section="study", text=COMMENT)
    client.get(workspace(assignment))
    with CaptureQueriesContext(connection) as one:
        client.get(workspace(assignment))
    for section in ("study", "data", "ai"):
        comments.comment_add(assignment=assignment, by=reviewer, section=section, text=COMMENT)
    comments.comment_add(assignment=assignment, by=reviewer, document_version=consent_version(submission), text="x")
    with CaptureQueriesContext(connection) as five:
        client.get(workspace(assignment))
    assert len(five) == len(one)


# ---- who reads the comments of a submitted review ------------------------------------------------------------------


@pytest.fixture
def chair(db):
    return UserFactory(email="chair@test.example", name_latin="Chloe Chair", roles=[Role.CHAIR])


def commented_review(assignment, submission):
    reviewer = assignment.reviewer
    comments.comment_add(assignment=assignment, by=reviewer, section="data", text=COMMENT)
    comments.comment_add(
        assignment=assignment,
        by=reviewer,
        document_version=consent_version(submission),
        location="p. 3, §2",
        text="Say who to call to withdraw.",
    )
    return submit_review(assignment)


@pytest.mark.django_db
def test_the_secretariat_and_the_chair_read_submitted_comments_grouped_by_section_and_document(
    client_for, assignment, submission, secretariat, chair
):
    commented_review(assignment, submission)
    for officer in (secretariat, chair):
        page = client_for(officer).get(reverse("protocols:detail", args=[submission.protocol_id])).content.decode()
        block = page.split("Reviews submitted")[1].split("Record the decision")[0]
        assert "Samples, information and consent" in block
        assert COMMENT in block
        assert "consent.pdf (v1)" in block
        assert "p. 3, §2" in block
        assert block.index("Samples, information and consent") < block.index(COMMENT) < block.index("consent.pdf")


@pytest.mark.django_db
def test_comments_of_a_review_still_open_are_not_shown_to_the_officers(
    client_for, assignment, submission, secretariat, committee
):
    submit_review(assign(submission, secretariat, committee))
    comments.comment_add(assignment=assignment, by=assignment.reviewer, section="data", text=COMMENT)
    page = client_for(secretariat).get(reverse("protocols:detail", args=[submission.protocol_id])).content.decode()
    assert "Reviews submitted" in page
    assert COMMENT not in page


@pytest.mark.django_db
def test_the_investigators_and_other_members_never_see_review_comments(
    client_for, assignment, submission, secretariat, committee, pi, coinvestigator
):
    commented_review(assignment, submission)
    conflicted = seat(committee)
    services.conflict_declare(submission=submission, member=conflicted, has_conflict=True, reason="Consulting.")
    # A co-investigator joins the team by a data fix: the team is frozen while under review.
    grant_team_access(user=coinvestigator, protocol=submission.protocol, can_edit=False)
    pages = [
        reverse("protocols:detail", args=[submission.protocol_id]),
        reverse("protocols:version_detail", args=[submission.protocol_id, submission.version.number]),
        reverse("reviews:my_assignments"),
        reverse("protocols:dashboard"),
    ]
    for person in (pi, coinvestigator, UserFactory(roles=[Role.INVESTIGATOR]), seat(committee), conflicted):
        client = client_for(person)
        for address in pages:
            assert COMMENT not in client.get(address).content.decode(), (person, address)


@pytest.mark.django_db
def test_the_protocol_page_query_count_does_not_grow_with_reviews_and_comments(
    client_for, assignment, submission, secretariat, committee
):
    commented_review(assignment, submission)
    client = client_for(secretariat)
    address = reverse("protocols:detail", args=[submission.protocol_id])
    client.get(address)
    with CaptureQueriesContext(connection) as one_review:
        client.get(address)
    for _ in range(2):
        commented_review(assign(submission, secretariat, committee), submission)
    client.get(address)  # the menu's counts, which the reviews changed, are cached again
    with CaptureQueriesContext(connection) as three_reviews:
        page = client.get(address).content.decode()
    assert page.count(COMMENT) == 3
    assert len(three_reviews) == len(one_review)
