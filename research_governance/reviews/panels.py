"""What the protocol page shows of the decision, its conditions, the head's permission and the
approval, and which of their forms the viewer gets. ``protocols.views.detail_response`` adds this
to its context; bound forms with errors come back through ``forms``."""

from typing import Any

from django.db.models import Prefetch

from research_governance.protocols.models import Protocol, ProtocolStatus

from .comments import anchor_titles, comments_prefetch, group_comments
from .forms import AnswerForm, ApprovalChangeForm, DecisionForm, HeadPermissionForm, SignOffForm
from .models import Condition, Decision, ReviewerAssignment, Submission
from .workflow import Actor, ReviewRoute, SubmissionStatus


def latest_decision(protocol: Protocol) -> Decision | None:
    return (
        Decision.objects.filter(submission__protocol=protocol)
        .select_related("decided_by", "submission__version", "permission__by", "approval")
        .prefetch_related(
            Prefetch(
                "conditions",
                queryset=Condition.objects.select_related("responded_by", "signed_off_by").order_by("number"),
            )
        )
        .order_by("-decided_at", "-id")
        .first()
    )


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
    for review in reviews:
        review.comment_groups = group_comments(review.comments.all()).groups(sections, documents)  # type: ignore[attr-defined]
    return reviews


def decision_panels(
    protocol: Protocol, actors: set[Actor], open_submission: Submission | None, forms: dict[str, Any]
) -> dict[str, Any]:
    officer = bool(actors & {Actor.SECRETARIAT, Actor.CHAIR})
    context: dict[str, Any] = {"decide": None, "decision": latest_decision(protocol)}
    if open_submission and open_submission.status == SubmissionStatus.ACCEPTED and officer:
        expedited = open_submission.route == ReviewRoute.EXPEDITED
        context["decide"] = {
            "submission": open_submission,
            "expedited": expedited,
            "reviews": submitted_reviews(open_submission) if expedited else [],
            "form": forms.get("decision_form") or DecisionForm() if expedited else None,
        }
    decision = context["decision"]
    context["can_answer_conditions"] = Actor.APPLICANT in actors
    context["can_sign_off"] = officer
    errors = forms.get("condition_errors") or {}
    conditions = list(decision.conditions.all()) if decision else []
    for condition in conditions:
        # Each condition carries its own forms, bound with the input when it came back with errors.
        bound = errors.get(condition.pk)
        condition.answer_form = (
            bound
            if isinstance(bound, AnswerForm)
            else AnswerForm(prefix=f"condition-{condition.pk}", initial={"response": condition.response})
        )
        condition.sign_off_form = (
            bound if isinstance(bound, SignOffForm) else SignOffForm(prefix=f"signoff-{condition.pk}")
        )
    context["conditions"] = conditions
    approval = getattr(decision, "approval", None) if decision else None
    context["approval_form"] = (
        forms.get("approval_form") or ApprovalChangeForm()
        if officer and approval is not None and approval.status in {"active", "suspended"}
        else None
    )
    context["head_form"] = (
        forms.get("head_form") or HeadPermissionForm()
        if decision is not None and Actor.HEAD in actors and protocol.status == ProtocolStatus.AWAITING_PERMISSION
        else None
    )
    return context
