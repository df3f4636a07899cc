"""The reviewer's workspace: declaring conflicts, the checklist, anchored comments, and what
changed since an earlier round."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.audit import access
from research_governance.protocols.application import snapshot_sections
from research_governance.protocols.assessment import Assessment, present
from research_governance.protocols.diff import diff_snapshots
from research_governance.protocols.models import DocumentKind, DocumentVersion
from research_governance.reviews import permissions as review_permissions
from research_governance.reviews.assignment.forms import ConflictForm
from research_governance.reviews.assignment.services import conflict_declare
from research_governance.reviews.models import ConflictDeclaration, ReviewComment, ReviewerAssignment, Submission
from research_governance.reviews.post_approval.reports import report_rows
from research_governance.reviews.review.forms import CommentForm, ReviewForm
from research_governance.reviews.review.services import CHECKLIST_SECTIONS, review_save, review_submit
from research_governance.reviews.workflow import TransitionRefused

from . import comments


def _assignment_for_reviewer(request: AuthenticatedHttpRequest, assignment_id: int) -> ReviewerAssignment:
    assignment = get_object_or_404(
        ReviewerAssignment.objects.select_related("submission__protocol__institution", "submission__version"),
        pk=assignment_id,
        reviewer=request.user,
    )
    if assignment.status == ReviewerAssignment.Status.WITHDRAWN:
        raise Http404
    return assignment


@login_required
def review_workspace(request: AuthenticatedHttpRequest, assignment_id: int) -> HttpResponse:
    """The frozen version under review, the assessment, and the reviewer's checklist.

    Nothing of the study is shown before the reviewer has declared conflicts of interest."""
    assignment = _assignment_for_reviewer(request, assignment_id)
    submission = assignment.submission
    declaration = ConflictDeclaration.objects.filter(submission=submission, member=request.user).first()
    if declaration is None:
        conflict_form = ConflictForm(request.POST or None)
        if request.method == "POST" and conflict_form.is_valid():
            try:
                conflict_declare(
                    submission=submission,
                    member=request.user,
                    has_conflict=conflict_form.cleaned_data["has_conflict"],
                    reason=conflict_form.cleaned_data["reason"],
                )
            except ValidationError as error:
                conflict_form.add_error("reason", error)
            else:
                if conflict_form.cleaned_data["has_conflict"]:
                    messages.info(request, _("Thank you. You have been taken off this review."))
                    return redirect("reviews:my_assignments")
                return redirect("reviews:workspace", assignment_id=assignment.pk)
        return render(request, "reviews/declare_conflict.html", {"assignment": assignment, "form": conflict_form})
    if not review_permissions.can_review(request.user, submission):
        raise Http404
    form = ReviewForm(
        request.POST or None,
        sections=CHECKLIST_SECTIONS,
        recommendations=ReviewerAssignment.Recommendation.choices,
        initial=_review_initial(assignment),
    )
    if request.method == "POST" and assignment.status == ReviewerAssignment.Status.ASSIGNED and form.is_valid():
        try:
            review_save(
                assignment=assignment,
                by=request.user,
                checklist=form.checklist(),
                recommendation=form.cleaned_data["recommendation"],
                summary=form.cleaned_data["summary"],
            )
            if "submit" in request.POST:
                review_submit(assignment=assignment, by=request.user)
                messages.success(request, _("Review submitted. Thank you."))
                return redirect("reviews:my_assignments")
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Review saved."))
            return redirect("reviews:workspace", assignment_id=assignment.pk)
    return _workspace_response(request, assignment, form=form)


def _workspace_response(
    request: AuthenticatedHttpRequest,
    assignment: ReviewerAssignment,
    *,
    form: ReviewForm | None = None,
    comment_forms: dict[str, CommentForm] | None = None,
) -> HttpResponse:
    submission = assignment.submission
    snapshot = submission.version.snapshot
    editable = assignment.status == ReviewerAssignment.Status.ASSIGNED
    if form is None:
        form = ReviewForm(
            sections=CHECKLIST_SECTIONS,
            recommendations=ReviewerAssignment.Recommendation.choices,
            initial=_review_initial(assignment),
        )
    grouped = comments.group_comments(assignment.comments.order_by("created_at", "id"))
    comment_forms = comment_forms or {}

    def with_comments(item: dict[str, Any], anchor: str, rows: list[ReviewComment]) -> dict[str, Any]:
        comment_form = comment_forms.get(anchor) or CommentForm(prefix=anchor) if editable else None
        return {**item, "anchor": anchor, "comments": rows, "comment_form": comment_form}

    kinds = dict(DocumentKind.choices)
    sections = [
        with_comments(section, f"section-{section['slug']}", grouped.by_section.get(section["slug"], []))
        for section in snapshot_sections(snapshot)
    ]
    documents = [
        with_comments(
            {**d, "kind_label": kinds.get(d["kind"], d["kind"])},
            f"document-{d['version_id']}",
            grouped.by_document.get(d["version_id"], []),
        )
        for d in snapshot["documents"]
    ]
    return render(
        request,
        "reviews/workspace.html",
        {
            "assignment": assignment,
            "submission": submission,
            "protocol": submission.protocol,
            "form": form,
            "snapshot": snapshot,
            "sections": sections,
            "documents": documents,
            "assessment": present(
                Assessment(verdict=snapshot.get("assessment")), chosen=snapshot["form"].get("consent_procedure") or ""
            )
            if snapshot.get("assessment")
            else None,
            "editable": editable,
            "report_rows": report_rows(submission.report) if hasattr(submission, "report") else [],
            "changes": _changes_links(assignment),
        },
    )


def _earlier_rounds(submission: Submission) -> list[Submission]:
    """The rounds this submission answers (Submission.previous), newest first, in one query."""
    if submission.previous_id is None:
        return []
    by_id = {s.pk: s for s in Submission.objects.filter(protocol_id=submission.protocol_id).select_related("version")}
    rounds = []
    current = by_id.get(submission.previous_id)
    while current is not None and current not in rounds:
        rounds.append(current)
        current = by_id.get(current.previous_id) if current.previous_id else None
    return rounds


def _changes_links(assignment: ReviewerAssignment) -> list[dict[str, Any]]:
    """Links to what changed: since the previous round, and since the version this reviewer
    reviewed in an earlier round, if they did."""
    rounds = _earlier_rounds(assignment.submission)
    if not rounds:
        return []
    reviewed = set(
        ReviewerAssignment.objects.filter(
            reviewer_id=assignment.reviewer_id,
            status=ReviewerAssignment.Status.COMPLETED,
            submission_id__in=[s.pk for s in rounds],
        ).values_list("submission_id", flat=True)
    )
    mine = next((s for s in rounds if s.pk in reviewed), None)
    previous = rounds[0]
    links = []
    if mine is not None:
        links.append(
            {
                "round": mine.round,
                "label": _("Changes since the version you reviewed (round %(round)s, version %(version)s)")
                % {"round": mine.round, "version": mine.version.number},
            }
        )
    if mine is None or mine.pk != previous.pk:
        links.append(
            {
                "round": previous.round,
                "label": _("Changes since round %(round)s (version %(version)s)")
                % {"round": previous.round, "version": previous.version.number},
            }
        )
    return links


def _reviewing_assignment(request: AuthenticatedHttpRequest, assignment_id: int) -> ReviewerAssignment:
    """The user's own assignment, once they have declared no conflict and may review; 404 otherwise."""
    assignment = _assignment_for_reviewer(request, assignment_id)
    declared = ConflictDeclaration.objects.filter(submission=assignment.submission, member=request.user).exists()
    if not declared or not review_permissions.can_review(request.user, assignment.submission):
        raise Http404
    return assignment


def _anchor(assignment: ReviewerAssignment, anchor: str) -> tuple[str, DocumentVersion | None] | None:
    """("study", None) for "section-study", ("", version) for "document-<id>" of the version
    under review; None for anything else."""
    kind, _sep, key = anchor.partition("-")
    if kind == "section" and key in comments.SECTION_KEYS:
        return key, None
    if kind == "document" and key.isdigit():
        version = assignment.submission.version.document_versions.filter(pk=int(key)).first()
        if version is not None:
            return "", version
    return None


def _anchor_response(
    request: AuthenticatedHttpRequest, assignment: ReviewerAssignment, anchor: str, form: CommentForm | None
) -> HttpResponse:
    """The comments of one anchor with its form: the fragment htmx swaps in."""
    section, version = _anchor(assignment, anchor) or ("", None)
    rows = assignment.comments.filter(section=section, document_version=version).order_by("created_at", "id")
    editable = assignment.status == ReviewerAssignment.Status.ASSIGNED
    item = {
        "anchor": anchor,
        "comments": list(rows),
        "comment_form": (form or CommentForm(prefix=anchor)) if editable else None,
    }
    return render(
        request,
        "reviews/partials/anchor_comments.html",
        {"assignment": assignment, "item": item, "editable": editable},
    )


def _after_comment(request: AuthenticatedHttpRequest, assignment: ReviewerAssignment, anchor: str) -> HttpResponse:
    if request.htmx:
        return _anchor_response(request, assignment, anchor, None)
    return redirect(reverse("reviews:workspace", args=[assignment.pk]) + f"#comments-{anchor}")


def _comment_refused(
    request: AuthenticatedHttpRequest, assignment: ReviewerAssignment, error: TransitionRefused
) -> HttpResponse:
    messages.error(request, str(error.reason))
    address = reverse("reviews:workspace", args=[assignment.pk])
    return HttpResponseClientRedirect(address) if request.htmx else redirect(address)


@login_required
@require_POST
def comment_add(request: AuthenticatedHttpRequest, assignment_id: int) -> HttpResponse:
    """The reviewer comments on a section or a document of the version under review."""
    assignment = _reviewing_assignment(request, assignment_id)
    anchor = request.POST.get("anchor", "")
    target = _anchor(assignment, anchor)
    if target is None:
        messages.error(request, _("Choose the section or the document the comment is about."))
        return redirect("reviews:workspace", assignment_id=assignment.pk)
    section, version = target
    form = CommentForm(request.POST, prefix=anchor)
    if form.is_valid():
        try:
            comments.comment_add(
                assignment=assignment,
                by=request.user,
                section=section,
                document_version=version,
                location=form.cleaned_data["location"],
                text=form.cleaned_data["text"],
            )
        except TransitionRefused as error:
            return _comment_refused(request, assignment, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if not request.htmx:
                messages.success(request, _("Comment added."))
            return _after_comment(request, assignment, anchor)
    if request.htmx:
        return _anchor_response(request, assignment, anchor, form)
    return _workspace_response(request, assignment, comment_forms={anchor: form})


@login_required
@require_POST
def comment_delete(request: AuthenticatedHttpRequest, assignment_id: int, comment_id: int) -> HttpResponse:
    assignment = _reviewing_assignment(request, assignment_id)
    comment = get_object_or_404(ReviewComment, pk=comment_id, assignment=assignment)
    anchor = f"document-{comment.document_version_id}" if comment.document_version_id else f"section-{comment.section}"
    try:
        comments.comment_delete(comment=comment, by=request.user)
    except TransitionRefused as error:
        return _comment_refused(request, assignment, error)
    if not request.htmx:
        messages.success(request, _("Comment deleted."))
    return _after_comment(request, assignment, anchor)


@login_required
@require_GET
def review_changes(request: AuthenticatedHttpRequest, assignment_id: int, round_number: int) -> HttpResponse:
    """What changed in the version under review since an earlier round of the same application."""
    assignment = _reviewing_assignment(request, assignment_id)
    submission = assignment.submission
    base = next((s for s in _earlier_rounds(submission) if s.round == round_number), None)
    if base is None:
        raise Http404
    return render(
        request,
        "reviews/changes.html",
        {
            "assignment": assignment,
            "protocol": submission.protocol,
            "old": base.version,
            "new": submission.version,
            "base_round": base.round,
            "diff": diff_snapshots(base.version.snapshot, submission.version.snapshot),
        },
    )


def _review_initial(assignment: ReviewerAssignment) -> dict[str, str]:
    initial = {"recommendation": assignment.recommendation, "summary": assignment.summary}
    for key, value in assignment.checklist.items():
        initial[f"{key}_rating"] = value.get("rating", "")
        initial[f"{key}_comment"] = value.get("comment", "")
    return initial


@login_required
@require_GET
def review_document(request: AuthenticatedHttpRequest, assignment_id: int, version_id: int) -> FileResponse:
    """A document of the version under review, for its reviewer only."""
    assignment = _assignment_for_reviewer(request, assignment_id)
    if not review_permissions.can_review(request.user, assignment.submission):
        raise Http404
    version = get_object_or_404(assignment.submission.version.document_versions.all(), pk=version_id)
    access.document_downloaded(request, version)  # SEC-04
    response = FileResponse(
        version.file.open("rb"), as_attachment=True, filename=version.original_name, content_type=version.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
