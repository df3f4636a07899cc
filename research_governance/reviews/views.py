"""Submitting, pre-screening, the secretariat's queue, and reviewers' work."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from research_governance.accounts.models import Role
from research_governance.accounts.selectors import (
    SECRETARIAT_ROLES,
    institutions_with_role,
    is_secretariat,
    secretariat_institutions,
)
from research_governance.audit import access
from research_governance.protocols import permissions, selectors
from research_governance.protocols.application import snapshot_sections
from research_governance.protocols.assessment import Assessment, present
from research_governance.protocols.diff import diff_snapshots
from research_governance.protocols.models import DocumentKind, DocumentVersion, Site
from research_governance.protocols.views import detail_response, get_protocol_for_viewer

from . import comments, services
from . import permissions as review_permissions
from . import selectors as selectors_reviews
from .forms import (
    AcceptForm,
    AmendmentForm,
    AnswerForm,
    ApprovalChangeForm,
    AssignForm,
    CommentForm,
    ConflictForm,
    DecisionForm,
    HeadPermissionForm,
    ReportForm,
    ReturnForm,
    ReviewForm,
    SignOffForm,
)
from .models import (
    Approval,
    Condition,
    ConflictDeclaration,
    Decision,
    PrescreenRequest,
    ReviewComment,
    ReviewerAssignment,
    SitePermission,
    Submission,
)
from .reports import report_rows
from .workflow import (
    KIND_RULES,
    REPORT_KINDS,
    Actor,
    SubmissionKind,
    SubmissionStatus,
    TransitionRefused,
    allowed_actions,
)

PAGE_SIZE = 25


@login_required
def protocol_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Review the completeness check, then submit. Every missing item is listed at once.
    An amendment also says what it changes."""
    protocol = get_protocol_for_viewer(request, pk)
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    if not protocol.is_editable:
        messages.info(request, _("This application is already submitted."))
        return redirect("protocols:detail", pk=protocol.pk)
    missing = selectors.protocol_missing_items(protocol)
    amendment_form = AmendmentForm(request.POST or None) if protocol.amendment_open else None
    refused = ""
    if request.method == "POST":
        amendment = amendment_form.cleaned_data if amendment_form is not None and amendment_form.is_valid() else {}
        try:
            submission = services.protocol_submit(
                protocol=protocol,
                by=request.user,
                changes_summary=amendment.get("changes_summary", ""),
                minor_change=amendment.get("minor_change", False),
            )
        except services.IncompleteApplication as incomplete:
            missing = incomplete.missing
        except TransitionRefused as error:
            refused = str(error.reason)
        else:
            messages.success(
                request, _("Submitted. The secretariat will pre-screen it; you can withdraw it until they accept it.")
            )
            return _focused(submission)
    return render(
        request,
        "reviews/submit.html",
        {
            "protocol": protocol,
            "missing": missing,
            "refused": refused,
            "attempted": request.method == "POST",
            "amendment_form": amendment_form,
        },
    )


@login_required
@require_POST
def amendment_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the approved application for an amendment; the approval stays in force meanwhile."""
    protocol = get_protocol_for_viewer(request, pk)
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    try:
        services.amendment_start(protocol=protocol, by=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error.reason))
        return redirect("protocols:detail", pk=pk)
    messages.success(
        request,
        _("Amendment started. Change the application, then check and submit it; the approved version stays in force."),
    )
    return redirect("protocols:edit", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A post-approval report: progress (JP-R-01), serious adverse event (JP-R-02), deviation or
    non-compliance (JP-R-04), final report (JP-R-07). A later round starts from the returned one."""
    protocol = get_protocol_for_viewer(request, pk)
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    if kind not in REPORT_KINDS:
        raise Http404
    returned = services.returned_submission(protocol, kind)
    previous = getattr(returned, "report", None)
    form = ReportForm(request.POST or None, kind=kind, instance=None)
    if previous is not None and request.method != "POST":
        form = ReportForm(kind=kind, initial={name: getattr(previous, name) for name in form.fields})
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            submission = services.report_submit(protocol=protocol, by=request.user, kind=kind, data=form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, field_errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, field_errors)
            else:
                form.add_error(None, error)
        except services.IncompleteApplication as incomplete:
            form.add_error(None, [item.message for item in incomplete.missing])
        except TransitionRefused as error:
            refused = str(error.reason)
        else:
            messages.success(request, _("Report submitted. The secretariat has been notified."))
            return _focused(submission)
    return render(
        request,
        "reviews/report_form.html",
        {
            "protocol": protocol,
            "form": form,
            "kind": kind,
            "kind_label": SubmissionKind(kind).label,
            "rule": KIND_RULES[kind].rule,
            "urgent": KIND_RULES[kind].urgent,
            "returned": returned,
            "refused": refused,
        },
    )


def _get_submission(request: HttpRequest, pk: int, submission_id: int) -> Submission:
    protocol = get_protocol_for_viewer(request, pk)
    return get_object_or_404(
        Submission.objects.select_related("version", "protocol"), pk=submission_id, protocol=protocol
    )


def _focused(submission: Submission, anchor: str = "") -> HttpResponse:
    """Back to the protocol page, about this submission."""
    url = reverse("protocols:detail", args=[submission.protocol_id])
    return redirect(f"{url}?submission={submission.pk}{'#' + anchor if anchor else ''}")


def _transition(request: HttpRequest, pk: int, submission_id: int, service, success: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    submission = _get_submission(request, pk, submission_id)
    try:
        service(submission=submission, by=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error.reason))
    except PermissionDenied:
        raise
    else:
        messages.success(request, success)
    return _focused(submission)


@login_required
@require_http_methods(["GET", "POST"])
def submission_withdraw(request: HttpRequest, pk: int, submission_id: int) -> HttpResponse:
    """GET asks for confirmation (withdrawing is audited and cannot be undone); POST withdraws."""
    if request.method == "GET":
        submission = _get_submission(request, pk, submission_id)
        actors = services.actors_for(request.user, submission.protocol)
        if not any(t.action == "withdraw" for t in allowed_actions(submission.status, actors)):
            messages.error(request, _("This submission cannot be withdrawn now."))
            return redirect("protocols:detail", pk=pk)
        return render(
            request, "reviews/withdraw_confirm.html", {"submission": submission, "protocol": submission.protocol}
        )
    return _transition(
        request,
        pk,
        submission_id,
        services.submission_withdraw,
        _("Submission withdrawn. The application is a draft again; submitting it again makes a new version."),
    )


def _secretariat_submission(request: HttpRequest, pk: int, submission_id: int) -> Submission:
    submission = _get_submission(request, pk, submission_id)
    if not is_secretariat(request.user, submission.protocol.institution_id):
        raise Http404
    return submission


@login_required
@require_POST
def submission_accept(request: HttpRequest, pk: int, submission_id: int) -> HttpResponse:
    submission = _secretariat_submission(request, pk, submission_id)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return detail_response(request, submission.protocol, accept_form=form, focus=submission)
    try:
        services.submission_accept(submission=submission, by=request.user, route=form.cleaned_data["route"])
    except TransitionRefused as error:
        messages.error(request, str(error.reason))
    else:
        messages.success(request, _("Accepted for review."))
    return _focused(submission)


@login_required
@require_POST
def submission_return(request: HttpRequest, pk: int, submission_id: int) -> HttpResponse:
    """Return to the investigator with itemised requests (pre-screening)."""
    submission = _secretariat_submission(request, pk, submission_id)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return detail_response(request, submission.protocol, return_form=form, focus=submission)
    try:
        services.submission_return(submission=submission, by=request.user, requests=form.request_lines())
    except TransitionRefused as error:
        messages.error(request, str(error.reason))
    else:
        messages.success(request, _("Returned to the investigator with your requests."))
    return _focused(submission)


@login_required
@require_POST
def request_answer(request: HttpRequest, pk: int, request_id: int) -> HttpResponse:
    """The applicant answers one pre-screening request."""
    protocol = get_protocol_for_viewer(request, pk)
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    prescreen_request = get_object_or_404(PrescreenRequest, pk=request_id, submission__protocol=protocol)
    form = AnswerForm(request.POST, prefix=f"answer-{request_id}")
    if form.is_valid():
        try:
            services.request_answer(request=prescreen_request, by=request.user, response=form.cleaned_data["response"])
        except (TransitionRefused, ValidationError) as error:
            messages.error(request, str(getattr(error, "reason", None) or " ".join(error.messages)))
        else:
            messages.success(request, _("Answer saved."))
            return redirect(reverse("protocols:detail", args=[pk]) + f"#request-{request_id}")
        return redirect("protocols:detail", pk=pk)
    return detail_response(request, protocol, answer_errors={prescreen_request.pk: form})


@login_required
@require_GET
def secretariat_queue(request: HttpRequest) -> HttpResponse:
    institutions = secretariat_institutions(request.user)
    if not institutions:
        raise Http404
    status = request.GET.get("status", SubmissionStatus.SUBMITTED)
    if status not in SubmissionStatus.values:
        status = SubmissionStatus.SUBMITTED
    submissions = (
        Submission.objects.filter(status=status, protocol__institution_id__in=institutions)
        .select_related("protocol", "protocol__principal_investigator", "version")
        # A serious adverse event first (JP-R-02), then the oldest.
        .order_by("-urgent", "submitted_at", "id")
    )
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/secretariat_queue.html",
        {"page": page, "status": status, "statuses": SubmissionStatus.choices},
    )


# ---- reviewers -----------------------------------------------------------------------------------------------------


@login_required
@require_POST
def reviewer_assign(request: HttpRequest, pk: int, submission_id: int) -> HttpResponse:
    submission = _secretariat_submission(request, pk, submission_id)
    form = AssignForm(request.POST, members=selectors_reviews.eligible_reviewers(submission))
    if form.is_valid():
        try:
            services.reviewer_assign(
                submission=submission,
                by=request.user,
                reviewer=form.cleaned_data["reviewer"],
                due_date=form.cleaned_data["due_date"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except TransitionRefused as error:
            form.add_error(None, str(error.reason))
        else:
            messages.success(request, _("Reviewer assigned."))
            return _focused(submission, "reviewers")
    return detail_response(request, submission.protocol, assign_form=form, focus=submission)


@login_required
@require_POST
def reviewer_unassign(request: HttpRequest, pk: int, assignment_id: int) -> HttpResponse:
    protocol = get_protocol_for_viewer(request, pk)
    if not is_secretariat(request.user, protocol.institution_id):
        raise Http404
    assignment = get_object_or_404(ReviewerAssignment, pk=assignment_id, submission__protocol=protocol)
    services.reviewer_unassign(assignment=assignment, by=request.user)
    messages.success(request, _("Reviewer unassigned; their access to the submission has ended."))
    return redirect(reverse("protocols:detail", args=[pk]) + "#reviewers")


@login_required
@require_GET
def my_assignments(request: HttpRequest) -> HttpResponse:
    """A reviewer's queue: what is assigned to me, by due date."""
    assignments = (
        ReviewerAssignment.objects.filter(reviewer=request.user)
        .exclude(status=ReviewerAssignment.Status.WITHDRAWN)
        .select_related("submission__protocol", "submission__version")
        .order_by("status", "due_date", "id")
    )
    page = Paginator(assignments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/my_assignments.html", {"page": page, "today": timezone.localdate()})


def _assignment_for_reviewer(request: HttpRequest, assignment_id: int) -> ReviewerAssignment:
    assignment = get_object_or_404(
        ReviewerAssignment.objects.select_related("submission__protocol__institution", "submission__version"),
        pk=assignment_id,
        reviewer=request.user,
    )
    if assignment.status == ReviewerAssignment.Status.WITHDRAWN:
        raise Http404
    return assignment


@login_required
def review_workspace(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The frozen version under review, the assessment, and the reviewer's checklist.

    Nothing of the study is shown before the reviewer has declared conflicts of interest."""
    assignment = _assignment_for_reviewer(request, assignment_id)
    submission = assignment.submission
    declaration = ConflictDeclaration.objects.filter(submission=submission, member=request.user).first()
    if declaration is None:
        form = ConflictForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.conflict_declare(
                    submission=submission,
                    member=request.user,
                    has_conflict=form.cleaned_data["has_conflict"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error("reason", error)
            else:
                if form.cleaned_data["has_conflict"]:
                    messages.info(request, _("Thank you. You have been taken off this review."))
                    return redirect("reviews:my_assignments")
                return redirect("reviews:workspace", assignment_id=assignment.pk)
        return render(request, "reviews/declare_conflict.html", {"assignment": assignment, "form": form})
    if not review_permissions.can_review(request.user, submission):
        raise Http404
    form = ReviewForm(
        request.POST or None,
        sections=services.CHECKLIST_SECTIONS,
        recommendations=ReviewerAssignment.Recommendation.choices,
        initial=_review_initial(assignment),
    )
    if request.method == "POST" and assignment.status == ReviewerAssignment.Status.ASSIGNED and form.is_valid():
        try:
            services.review_save(
                assignment=assignment,
                by=request.user,
                checklist=form.checklist(),
                recommendation=form.cleaned_data["recommendation"],
                summary=form.cleaned_data["summary"],
            )
            if "submit" in request.POST:
                services.review_submit(assignment=assignment, by=request.user)
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
    request: HttpRequest,
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
            sections=services.CHECKLIST_SECTIONS,
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


def _reviewing_assignment(request: HttpRequest, assignment_id: int) -> ReviewerAssignment:
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
    request: HttpRequest, assignment: ReviewerAssignment, anchor: str, form: CommentForm | None
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


def _after_comment(request: HttpRequest, assignment: ReviewerAssignment, anchor: str) -> HttpResponse:
    if request.htmx:
        return _anchor_response(request, assignment, anchor, None)
    return redirect(reverse("reviews:workspace", args=[assignment.pk]) + f"#comments-{anchor}")


def _comment_refused(request: HttpRequest, assignment: ReviewerAssignment, error: TransitionRefused) -> HttpResponse:
    messages.error(request, str(error.reason))
    address = reverse("reviews:workspace", args=[assignment.pk])
    return HttpResponseClientRedirect(address) if request.htmx else redirect(address)


@login_required
@require_POST
def comment_add(request: HttpRequest, assignment_id: int) -> HttpResponse:
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
def comment_delete(request: HttpRequest, assignment_id: int, comment_id: int) -> HttpResponse:
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
def review_changes(request: HttpRequest, assignment_id: int, round_number: int) -> HttpResponse:
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
def review_document(request: HttpRequest, assignment_id: int, version_id: int) -> FileResponse:
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


# ---- decisions, conditions, the head's permission ------------------------------------------------------------------


def _error_text(error: Exception) -> str:
    if isinstance(error, TransitionRefused):
        return str(error.reason)
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@login_required
@require_POST
def decision_record(request: HttpRequest, pk: int, submission_id: int) -> HttpResponse:
    """The secretariat or the chair records an expedited decision (JP-ERC-10, US-IRB-05)."""
    submission = _get_submission(request, pk, submission_id)
    if not services.actors_for(request.user, submission.protocol) & {Actor.SECRETARIAT, Actor.CHAIR}:
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decision_record(
                submission=submission,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                reasons=form.cleaned_data["reasons"],
                conditions=form.condition_lines(),
                validity_months=form.cleaned_data["validity_months"],
            )
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Decision recorded. The applicants have been notified."))
            return _focused(submission, "decision")
    return detail_response(request, submission.protocol, decision_form=form, focus=submission)


def _condition(request: HttpRequest, pk: int, condition_id: int) -> Condition:
    protocol = get_protocol_for_viewer(request, pk)
    return get_object_or_404(
        Condition.objects.select_related("decision__submission__protocol"),
        pk=condition_id,
        decision__submission__protocol=protocol,
    )


@login_required
@require_POST
def condition_answer(request: HttpRequest, pk: int, condition_id: int) -> HttpResponse:
    condition = _condition(request, pk, condition_id)
    protocol = condition.decision.submission.protocol
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    form = AnswerForm(request.POST, prefix=f"condition-{condition_id}")
    if form.is_valid():
        try:
            services.condition_answer(condition=condition, by=request.user, response=form.cleaned_data["response"])
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Answer saved."))
            return _focused(condition.decision.submission, f"condition-{condition_id}")
    return detail_response(
        request, protocol, condition_errors={condition.pk: form}, focus=condition.decision.submission
    )


@login_required
@require_POST
def condition_sign_off(request: HttpRequest, pk: int, condition_id: int) -> HttpResponse:
    condition = _condition(request, pk, condition_id)
    protocol = condition.decision.submission.protocol
    if not services.actors_for(request.user, protocol) & {Actor.SECRETARIAT, Actor.CHAIR}:
        raise PermissionDenied
    form = SignOffForm(request.POST, prefix=f"signoff-{condition_id}")
    if form.is_valid():
        try:
            services.condition_sign_off(
                condition=condition,
                by=request.user,
                meaning=form.cleaned_data["meaning"],
                password=form.cleaned_data["password"],
            )
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Condition signed off."))
            return _focused(condition.decision.submission, f"condition-{condition_id}")
    return detail_response(
        request, protocol, condition_errors={condition.pk: form}, focus=condition.decision.submission
    )


@login_required
@require_POST
def head_decide(request: HttpRequest, pk: int, decision_id: int) -> HttpResponse:
    """The head of the institution permits, or refuses, the research (JP-ERC-13)."""
    protocol = get_protocol_for_viewer(request, pk)
    if Actor.HEAD not in services.actors_for(request.user, protocol):
        raise PermissionDenied
    decision = get_object_or_404(Decision, pk=decision_id, submission__protocol=protocol)
    form = HeadPermissionForm(request.POST)
    if form.is_valid():
        reasons = form.cleaned_data["reasons"]
        try:
            if form.cleaned_data["decision"] == "permit":
                services.head_permit(decision=decision, by=request.user, reasons=reasons)
            else:
                services.head_refuse(decision=decision, by=request.user, reasons=reasons)
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Your decision is recorded. The investigators have been notified."))
            return _focused(decision.submission, "decision")
    return detail_response(request, protocol, head_form=form, focus=decision.submission)


@login_required
@require_POST
def site_permission(request: HttpRequest, pk: int, decision_id: int, site_id: int) -> HttpResponse:
    """A participating site's head permits, or refuses, the research at their site (JP-ERC-12)."""
    protocol = get_protocol_for_viewer(request, pk)
    decision = get_object_or_404(
        Decision.objects.select_related("submission"), pk=decision_id, submission__protocol=protocol
    )
    site = get_object_or_404(Site, pk=site_id, protocol=protocol)
    if not review_permissions.is_site_head(request.user, site):
        raise PermissionDenied
    form = HeadPermissionForm(request.POST, prefix=f"site-{site.pk}")
    if form.is_valid():
        try:
            services.site_permission_record(
                decision=decision,
                site=site,
                by=request.user,
                granted=form.cleaned_data["decision"] == "permit",
                reasons=form.cleaned_data["reasons"],
            )
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(
                request, _("Your decision for the site is recorded. The investigators have been notified.")
            )
            return _focused(decision.submission, f"site-{site.pk}")
    return detail_response(request, protocol, site_errors={site.pk: form}, focus=decision.submission)


@login_required
@require_GET
def head_queue(request: HttpRequest) -> HttpResponse:
    """Awaiting my permission: decisions at the head's institutions that need it (JP-ERC-13), the
    initial application's and each approved amendment's."""
    institutions = institutions_with_role(request.user, Role.HEAD)
    if not institutions:
        raise Http404
    decisions = (
        Decision.objects.filter(
            needs_permission=True,
            permission__isnull=True,
            submission__protocol__institution_id__in=institutions,
        )
        .select_related("submission__protocol__principal_investigator", "submission__version")
        .order_by("decided_at", "id")
    )
    page = Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("page"))
    # Sites at my institutions of studies reviewed centrally elsewhere, awaiting my permission (JP-ERC-12).
    awaiting = (
        Decision.objects.filter(submission__protocol=OuterRef("protocol"), needs_permission=True)
        .exclude(permission__granted=False)
        .exclude(Exists(SitePermission.objects.filter(decision=OuterRef("pk"), site=OuterRef(OuterRef("pk")))))
    )
    latest = awaiting.order_by("-decided_at", "-id")
    sites = list(
        Site.objects.filter(institution_id__in=institutions)
        .exclude(protocol__institution_id=F("institution_id"))
        .annotate(
            submission_id=Subquery(latest.values("submission_id")[:1]),
            decided_at=Subquery(latest.values("decided_at")[:1]),
        )
        .filter(submission_id__isnull=False)
        .select_related("protocol__principal_investigator", "institution")
        .order_by("decided_at", "id")[: PAGE_SIZE + 1]
    )
    return render(
        request,
        "reviews/head_queue.html",
        {"page": page, "sites": sites[:PAGE_SIZE], "more_sites": len(sites) > PAGE_SIZE},
    )


@login_required
@require_GET
def chair_queue(request: HttpRequest) -> HttpResponse:
    """Conditions answered and waiting for sign-off at the institutions the user chairs or runs the secretariat of."""
    # The chair's own institutions; the secretariat follows the chair's queue of its institutions.
    institutions = institutions_with_role(request.user, Role.CHAIR, *SECRETARIAT_ROLES)
    if not institutions:
        raise Http404
    conditions = Condition.objects.filter(
        responded_at__isnull=False,
        signed_off_at__isnull=True,
        decision__submission__protocol__institution_id__in=institutions,
    )
    conditions = conditions.select_related("decision__submission__protocol", "responded_by").order_by(
        "responded_at", "id"
    )
    page = Paginator(conditions, PAGE_SIZE).get_page(request.GET.get("page"))
    # Serious adverse events not yet decided, flagged to the chair with the time reported (JP-R-02).
    urgent = Submission.objects.filter(
        urgent=True,
        status__in=[SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED],
        protocol__institution_id__in=institutions,
    ).select_related("protocol", "submitted_by")
    urgent_rows = list(urgent.order_by("submitted_at", "id")[: PAGE_SIZE + 1])
    return render(
        request,
        "reviews/chair_queue.html",
        {"page": page, "urgent": urgent_rows[:PAGE_SIZE], "more_urgent": len(urgent_rows) > PAGE_SIZE},
    )


@login_required
@require_POST
def approval_change(request: HttpRequest, pk: int, approval_id: int) -> HttpResponse:
    """The secretariat or the chair suspends or closes an approval, with reasons."""
    protocol = get_protocol_for_viewer(request, pk)
    if not services.actors_for(request.user, protocol) & {Actor.SECRETARIAT, Actor.CHAIR}:
        raise PermissionDenied
    approval = get_object_or_404(Approval, pk=approval_id, protocol=protocol)
    form = ApprovalChangeForm(request.POST)
    if form.is_valid():
        change = services.approval_suspend if form.cleaned_data["action"] == "suspend" else services.approval_close
        try:
            change(approval=approval, by=request.user, reasons=form.cleaned_data["reasons"])
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("The approval was changed. The investigators have been notified."))
            return redirect(reverse("protocols:detail", args=[pk]) + "#approval")
    return detail_response(request, protocol, approval_form=form)
