"""What the protocol page shows of its submissions, the decision in focus, its conditions, the
head's permission and the approval, and which of their forms the viewer gets.
``protocol_page.detail_response`` adds this to its context; bound forms with errors come back
through ``forms``."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch
from django.forms import ChoiceField
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Role, RoleMembership
from research_governance.core.work import WorkItem, declared_steps, oldest_first, work_about
from research_governance.protocols.models import Protocol, ProtocolStatus

from .conditions.forms import SignOffForm
from .decision.forms import DecisionForm
from .models import Approval, Condition, Decision, ReviewerAssignment, SitePermission, Submission
from .permission.forms import HeadPermissionForm
from .permission.services import sites_needing_permission
from .permissions import conflict_reason
from .post_approval.approval_services import add_months
from .post_approval.forms import ApprovalChangeForm
from .post_approval.reports import report_rows
from .prescreen.forms import AnswerForm
from .review.comments import anchor_titles, comments_prefetch, group_comments
from .review.services import CHECKLIST_SECTIONS, RATING_LABELS
from .selectors import current_approval
from .workflow import (
    KIND_RULES,
    REPORT_KINDS,
    Actor,
    ApprovalStatus,
    DecisionOutcome,
    PermissionState,
    ReviewRoute,
    SubmissionKind,
    SubmissionStatus,
)

OPEN_STATUSES = (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED)


def protocol_submissions(protocol: Protocol) -> list[Submission]:
    """Every submission on the protocol, newest first, with what the table shows (3 queries)."""
    return list(
        Submission.objects.filter(protocol=protocol)
        .select_related("version", "decision__permission", "report", "submitted_by")
        .order_by("-submitted_at", "-id")
    )


def focus_submission(submissions: list[Submission], requested: Any = None) -> Submission | None:
    """The submission the page is about: the one asked for, else the first needing someone's
    action (an urgent one first, then the oldest waiting), else the latest."""
    by_id = {str(submission.pk): submission for submission in submissions}
    if requested is not None and str(requested) in by_id:
        return by_id[str(requested)]
    waiting = sorted(
        (s for s in submissions if s.status in OPEN_STATUSES), key=lambda s: (not s.urgent, s.submitted_at)
    )
    if waiting:
        return waiting[0]
    for submission in submissions:
        decision = getattr(submission, "decision", None)
        if decision is not None and decision.permission_state == PermissionState.AWAITING:
            return submission
    unsigned = set(
        Condition.objects.filter(
            decision__submission__in=[s.pk for s in submissions], signed_off_at__isnull=True
        ).values_list("decision__submission_id", flat=True)
    )
    for submission in submissions:
        if submission.pk in unsigned:
            return submission
    return submissions[0] if submissions else None


def _decision_of(submission: Submission) -> Decision | None:
    return (
        Decision.objects.filter(submission=submission)
        .select_related("decided_by", "submission__version", "permission__by")
        .prefetch_related(
            Prefetch(
                "conditions",
                queryset=Condition.objects.select_related("responded_by", "signed_off_by").order_by("number"),
            )
        )
        .first()
    )


def progress_report_due(approval: Approval, protocol: Protocol, submissions: list[Submission]) -> date | None:
    """When the next progress report is due (JP-R-01): the protocol's interval after the end of
    the period last reported, or after the approval began; None once the research has ended."""
    if approval.status not in {ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED}:
        return None
    reported = [
        s.report.period_to
        for s in submissions
        if s.kind == SubmissionKind.PROGRESS_REPORT
        and s.status != SubmissionStatus.WITHDRAWN
        and getattr(s, "report", None) is not None
        and s.report.period_to
        and s.submitted_at >= approval.created_at
    ]
    start = max(reported) if reported else approval.valid_from
    interval = protocol.progress_report_interval_months or 12  # JP-R-01: the usual interval
    return add_months(start, interval)


def site_permission_rows(decision: Decision, protocol: Protocol, user: Any, forms: dict) -> list[dict[str, Any]]:
    """Each participating site whose own head permits (JP-ERC-12), with that head's decision or,
    for the head viewing, the form to give it."""
    given = {p.site_id: p for p in SitePermission.objects.filter(decision=decision).select_related("by")}
    mine = (
        set(RoleMembership.objects.current().filter(user=user, role=Role.HEAD).values_list("institution_id", flat=True))
        if getattr(user, "is_authenticated", False)
        else set()
    )
    errors = forms.get("site_errors") or {}
    rows = []
    for site in sites_needing_permission(protocol):
        permission = given.get(site.pk)
        form = None
        if permission is None and site.institution_id in mine and decision.needs_permission:
            form = errors.get(site.pk) or HeadPermissionForm(prefix=f"site-{site.pk}")
        rows.append({"site": site, "permission": permission, "form": form})
    return rows


def submitted_reviews(submission: Submission) -> list[ReviewerAssignment]:
    """The submitted reviews of a submission, each with ``comment_groups``: its comments grouped by
    the section or document of the frozen version they are about. Two queries for any number."""
    reviews = list(
        submission.assignments.filter(status=ReviewerAssignment.Status.COMPLETED)
        .select_related("reviewer")
        .prefetch_related(comments_prefetch())
        .order_by("completed_at")
    )
    sections, documents = anchor_titles(submission.version.snapshot)
    ratings = dict(RATING_LABELS)
    for review in reviews:
        # Both for the template, not fields.
        review.comment_groups = group_comments(review.comments.all()).groups(sections, documents)  # type: ignore[attr-defined]  # see above
        review.checklist_rows = [  # type: ignore[attr-defined]  # see above
            (
                label,
                (entry.get("rating", ""), ratings.get(entry.get("rating", ""), "—")),
                entry.get("comment", ""),
            )
            for key, label in CHECKLIST_SECTIONS
            if (entry := review.checklist.get(key))
        ]
    return reviews


def decision_panels(
    protocol: Protocol,
    actors: set[Actor],
    focus: Submission | None,
    submissions: list[Submission],
    forms: dict,
    user: Any = None,
) -> dict[str, Any]:
    officer = bool(actors & {Actor.SECRETARIAT, Actor.CHAIR})
    open_submission = focus if focus is not None and focus.status in OPEN_STATUSES else None
    decision = _decision_of(focus) if focus is not None and focus.status == SubmissionStatus.DECIDED else None
    context: dict[str, Any] = {"decide": None, "decision": decision, "focus": focus}
    conflict = (
        conflict_reason(user, open_submission)
        if open_submission is not None and getattr(user, "is_authenticated", False)
        else ""
    )
    if open_submission and open_submission.status == SubmissionStatus.ACCEPTED and officer and conflict:
        # JP-ERC-07 / US-IRB-03: a conflicted officer sees neither the reviews nor the decision form.
        context["decide"] = {"submission": open_submission, "conflict": conflict}
    elif open_submission and open_submission.status == SubmissionStatus.ACCEPTED and officer:
        expedited = open_submission.route == ReviewRoute.EXPEDITED
        rules = KIND_RULES[open_submission.kind]
        form = forms.get("decision_form") or DecisionForm()
        outcome = form.fields["outcome"]
        assert isinstance(outcome, ChoiceField)
        outcome.choices = [(value, DecisionOutcome(value).label) for value in rules.outcomes]
        if rules.kind in REPORT_KINDS:
            # A report has neither conditions nor an approval period.
            del form.fields["conditions"], form.fields["validity_months"]
        context["decide"] = {
            "submission": open_submission,
            "expedited": expedited,
            "needs_review": rules.needs_review,
            "reviews": submitted_reviews(open_submission) if expedited else [],
            "form": form if expedited else None,
        }
    context["can_answer_conditions"] = Actor.APPLICANT in actors
    context["can_sign_off"] = officer
    errors = forms.get("condition_errors") or {}
    conditions = list(decision.conditions.all()) if decision else []
    for condition in conditions:
        # Each condition carries its own forms, bound with the input when it came back with errors.
        bound = errors.get(condition.pk)
        condition.answer_form = (  # type: ignore[attr-defined]  # for the template, not a field
            bound
            if isinstance(bound, AnswerForm)
            else AnswerForm(prefix=f"condition-{condition.pk}", initial={"response": condition.response})
        )
        condition.sign_off_form = (  # type: ignore[attr-defined]  # for the template, not a field
            bound if isinstance(bound, SignOffForm) else SignOffForm(prefix=f"signoff-{condition.pk}")
        )
    context["conditions"] = conditions
    context["head_form"] = (
        forms.get("head_form") or HeadPermissionForm()
        if decision is not None and Actor.HEAD in actors and decision.permission_state == PermissionState.AWAITING
        else None
    )
    context["site_permissions"] = (
        site_permission_rows(decision, protocol, user, forms)
        if decision is not None and decision.needs_permission
        else []
    )
    context["report_rows"] = report_rows(focus.report) if focus is not None and hasattr(focus, "report") else []

    approval = current_approval(protocol)
    context["approval"] = approval
    context["approval_form"] = (
        forms.get("approval_form") or ApprovalChangeForm()
        if officer and approval is not None and approval.status in {ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED}
        else None
    )
    if approval is not None:
        due = progress_report_due(approval, protocol, submissions)
        context["progress_due"] = due
        context["progress_overdue"] = due is not None and due < timezone.localdate()
        applicant = Actor.APPLICANT in actors
        context["report_kinds"] = (
            [
                (kind, SubmissionKind(kind).label, KIND_RULES[kind].rule)
                for kind in REPORT_KINDS
                if approval.status in KIND_RULES[kind].approval_statuses
            ]
            if applicant
            else []
        )
        context["can_amend"] = (
            applicant
            and not protocol.amendment_open
            and approval.status in KIND_RULES[SubmissionKind.AMENDMENT].approval_statuses
            and not any(
                s.kind == SubmissionKind.AMENDMENT
                and (
                    s.status in OPEN_STATUSES
                    or (
                        getattr(s, "decision", None) is not None
                        and s.decision.permission_state == PermissionState.AWAITING
                    )
                )
                for s in submissions
            )
        )
    return context


# The forms of the protocol page, each shown to the actors of one step of ``reviews.next_steps``.
# While a step is not declared yet, its form keeps the rule it had before (``legacy`` below).
FORM_STEPS: dict[str, tuple[str, ...]] = {
    "prescreen": ("ethics.prescreen",),
    "assign": ("ethics.assign",),
    # A report needing no review is acknowledged with the decision form.
    "decide": ("ethics.decide", "ethics.acknowledge"),
    "answer_conditions": ("ethics.answer_condition",),
    "sign_off": ("ethics.sign_off",),
    "permit": ("ethics.permit",),
}

# Protocol states in which nothing is pending by nature; the panel says so, truthfully.
_ENDED = {
    ProtocolStatus.NOT_APPROVED: _("Not approved; nothing more is pending on this protocol."),
    ProtocolStatus.NOT_APPLICABLE: _("No ethics review is needed; nothing more is pending on this protocol."),
    ProtocolStatus.NOT_PERMITTED: _("Not permitted by the head of institution; nothing more is pending."),
    ProtocolStatus.CLOSED: _("Closed; nothing more is pending on this protocol."),
    ProtocolStatus.EXPIRED: _("The approval has expired; the research may not continue."),
}


@dataclass(frozen=True)
class NextSteps:
    """The next-step panel: the viewer's own steps, what the others are waiting on, which forms
    the viewer gets, and what is true when nothing is pending."""

    mine: list[WorkItem]
    others: list[WorkItem]
    forms: dict[str, bool]
    terminal: str

    @property
    def pending(self) -> bool:
        return bool(self.mine or self.others)


def next_steps(protocol: Protocol, user: Any, *, legacy: dict[str, bool], decisions: dict[str, Any]) -> NextSteps:
    """The viewer's next steps on the protocol, from the one source (``core.work.work_about``).

    ``legacy`` is each form's earlier rule, used only while its step is not declared."""
    items = oldest_first(work_about(protocol_ids=[protocol.pk]))
    mine = [item for item in items if item.is_actor(user)]
    declared = {step.code for row in declared_steps() for step in row.steps}
    my_codes = {item.step.code for item in mine}
    forms = {
        name: bool(my_codes & set(codes)) if declared & set(codes) else legacy.get(name, False)
        for name, codes in FORM_STEPS.items()
    }
    return NextSteps(
        mine=mine,
        others=[item for item in items if not item.is_actor(user)],
        forms=forms,
        # What is true of the protocol as a whole ("Approved; the next report is due on ..."), also
        # while someone (an auditor, say) still has a step on it.
        terminal=terminal_text(protocol, decisions),
    )


def terminal_text(protocol: Protocol, decisions: dict[str, Any]) -> str:
    """What is true of a protocol on which nothing is pending ("" when the state is not an end)."""
    approval = decisions.get("approval")
    if approval is not None and approval.status == ApprovalStatus.ACTIVE:
        due = decisions.get("progress_due")
        if due is None:
            return gettext("Approved.")
        return gettext("Approved; the next progress report is due on %(date)s.") % {"date": date_format(due, "Y-m-d")}
    if approval is not None and approval.status == ApprovalStatus.SUSPENDED:
        return gettext("The approval is suspended.")
    ended = _ENDED.get(ProtocolStatus(protocol.status)) if protocol.status in ProtocolStatus.values else None
    return str(ended) if ended is not None else ""
