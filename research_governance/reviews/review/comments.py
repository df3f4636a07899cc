"""Reviewers' comments anchored to a section of the application or to a document of the frozen
version under review: the write path, and the reads that group them by anchor.

A comment is written and deleted by the reviewer themself while their review is open; once the
review is submitted its comments are part of it and are frozen. Who reads them afterwards is
whoever may read the submitted review (see ``panels.decision_panels``)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.protocols.application import SECTIONS
from research_governance.protocols.models import DocumentVersion
from research_governance.reviews import permissions as review_permissions
from research_governance.reviews.models import ReviewComment, ReviewerAssignment
from research_governance.reviews.workflow import TransitionRefused

SECTION_KEYS = tuple(section.slug for section in SECTIONS)


def _own_open_assignment(assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    locked = (
        ReviewerAssignment.objects.select_for_update()
        .select_related("submission__protocol", "submission__version")
        .get(pk=assignment.pk)
    )
    if locked.reviewer_id != by.pk or not review_permissions.can_review(by, locked.submission):
        raise PermissionDenied
    if locked.status != ReviewerAssignment.Status.ASSIGNED:
        raise TransitionRefused(gettext("This review has been submitted; its comments can no longer change."))
    return locked


def _anchor_data(comment: ReviewComment) -> dict[str, Any]:
    if comment.document_version_id:
        return {"document_version_id": comment.document_version_id}
    return {"section": comment.section}


@transaction.atomic
def comment_add(
    *,
    assignment: ReviewerAssignment,
    by: User,
    text: str,
    section: str = "",
    document_version: DocumentVersion | None = None,
    location: str = "",
) -> ReviewComment:
    """Add a comment to the reviewer's open review, anchored to a section or to a document
    version of the version under review (exactly one of them)."""
    locked = _own_open_assignment(assignment, by)
    if bool(section) == (document_version is not None):
        raise ValidationError(gettext("Choose the section or the document the comment is about."))
    if section and section not in SECTION_KEYS:
        raise ValidationError(gettext("There is no such section in the application."))
    if (
        document_version is not None
        and not locked.submission.version.document_versions.filter(pk=document_version.pk).exists()
    ):
        raise ValidationError(gettext("That document is not part of the version under review."))
    comment = ReviewComment(
        assignment=locked,
        section=section,
        document_version=document_version,
        location=location.strip(),
        text=text.strip(),
        created_at=timezone.now(),
    )
    if not comment.text:
        raise ValidationError(gettext("Write the comment."))
    comment.full_clean(exclude=["assignment", "document_version"])
    comment.save()
    audit_record(
        actor=by,
        action=AuditAction.REVIEW_COMMENT_ADDED,
        target=locked.submission,
        protocol=locked.submission.protocol,
        data={
            "assignment_id": locked.pk,
            "comment_id": comment.pk,
            "location": comment.location,
            "text": comment.text,
            **_anchor_data(comment),
        },
    )
    return comment


@transaction.atomic
def comment_delete(*, comment: ReviewComment, by: User) -> None:
    """Delete one of the reviewer's own comments while the review is open; the audit event keeps
    what it said."""
    locked = _own_open_assignment(comment.assignment, by)
    row = ReviewComment.objects.select_for_update().filter(pk=comment.pk, assignment=locked).first()
    if row is None:
        return
    data = {
        "assignment_id": locked.pk,
        "comment_id": row.pk,
        "location": row.location,
        "text": row.text,
        **_anchor_data(row),
    }
    row.delete()
    audit_record(
        actor=by,
        action=AuditAction.REVIEW_COMMENT_DELETED,
        target=locked.submission,
        protocol=locked.submission.protocol,
        data=data,
    )


# ---- reads ---------------------------------------------------------------------------------------------------------


@dataclass
class AnchoredComments:
    """The comments of one review (or several) grouped by what they are about, in the order of
    the application: sections first, then documents."""

    by_section: dict[str, list[ReviewComment]] = field(default_factory=dict)
    by_document: dict[int, list[ReviewComment]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_section or self.by_document)

    def groups(self, sections: Iterable[tuple[str, Any]], documents: Iterable[tuple[int, Any]]) -> list[dict]:
        """[{"title": ..., "comments": [...]}, ...] for the anchors that have comments."""
        rows = [{"title": title, "comments": self.by_section[key]} for key, title in sections if key in self.by_section]
        rows += [
            {"title": title, "comments": self.by_document[pk]} for pk, title in documents if pk in self.by_document
        ]
        return rows


def group_comments(comments: Iterable[ReviewComment]) -> AnchoredComments:
    grouped = AnchoredComments()
    for comment in comments:
        if comment.document_version_id:
            grouped.by_document.setdefault(comment.document_version_id, []).append(comment)
        else:
            grouped.by_section.setdefault(comment.section, []).append(comment)
    return grouped


def comments_prefetch() -> Prefetch:
    """Prefetch for assignments: their comments in order, one query for any number of reviews."""
    return Prefetch("comments", queryset=ReviewComment.objects.order_by("created_at", "id"))


def anchor_titles(snapshot: dict) -> tuple[list[tuple[str, Any]], list[tuple[int, str]]]:
    """The anchors of a frozen version, in its order: (section key, title), (version id, label)."""
    sections = [(section.slug, section.title) for section in SECTIONS]
    documents = [(d["version_id"], f"{d['title']} — {d['file_name']} (v{d['version']})") for d in snapshot["documents"]]
    return sections, documents
