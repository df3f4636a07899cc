"""Submission state changes. Each consults the workflow table, locks the rows it
changes, and records the audit event in the same transaction."""

import calendar
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_lazy

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.accounts.selectors import is_secretariat
from research_governance.audit.services import audit_record
from research_governance.letters.services import queue_letters
from research_governance.notifications.messages import bilingual, in_each_language, person
from research_governance.notifications.services import notify
from research_governance.protocols import permissions, selectors
from research_governance.protocols.application import MissingItem, build_snapshot
from research_governance.protocols.assessment import rule_set_for
from research_governance.protocols.models import (
    Protocol,
    ProtocolStatus,
    ProtocolUserObjectPermission,
    ProtocolVersion,
    Site,
)

from . import permissions as review_permissions
from .models import (
    Approval,
    Condition,
    ConflictDeclaration,
    Decision,
    Permission,
    PrescreenRequest,
    Report,
    ReviewerAssignment,
    SitePermission,
    Submission,
)
from .reports import clean_report
from .workflow import (
    APPROVAL_TRANSITIONS,
    APPROVING_OUTCOMES,
    CONDITION_TRANSITIONS,
    DECISION_PROTOCOL_STATUS,
    KIND_RULES,
    PERMISSION_TRANSITIONS,
    REPORT_KINDS,
    Actor,
    ApprovalStatus,
    DecisionOutcome,
    PermissionState,
    ReviewRoute,
    SubmissionKind,
    SubmissionStatus,
    TransitionRefused,
    transition_for,
)


class IncompleteApplication(Exception):
    """The application lacks items; all of them are listed at once."""

    def __init__(self, missing: list[MissingItem]):
        super().__init__("; ".join(item.message for item in missing))
        self.missing = missing


def _about(protocol: Protocol) -> dict[str, Any]:
    """The parameters every notification about a protocol carries."""
    return {"reference": protocol.reference, "title": bilingual(protocol.title_ja, protocol.title_en)}


def _link(protocol: Protocol) -> str:
    return reverse("protocols:detail", args=[protocol.pk])


def _officers_of(protocol: Protocol, *roles: str) -> QuerySet[User]:
    """The people holding any of ``roles`` now at the protocol's institution."""
    return User.objects.filter(
        Exists(
            RoleMembership.objects.current().filter(
                user=OuterRef("pk"), institution_id=protocol.institution_id, role__in=roles
            )
        )
    )


def _secretariat_of(protocol: Protocol) -> QuerySet[User]:
    return _officers_of(protocol, Role.SECRETARIAT)


def _team_of(protocol: Protocol, codename: str = "view_protocol") -> QuerySet[User]:
    return User.objects.filter(
        Exists(
            ProtocolUserObjectPermission.objects.filter(
                user=OuterRef("pk"), content_object=protocol, permission__codename=codename
            )
        )
    )


_OFFICER_ACTORS = {Role.CHAIR: Actor.CHAIR, Role.HEAD: Actor.HEAD}


def _record_answer(row: PrescreenRequest | Condition, *, by: User, response: str) -> None:
    """Store an investigator's answer to a pre-screening request or a condition."""
    if not response.strip():
        raise ValidationError(gettext("Write an answer."))
    row.response = response.strip()
    row.responded_at = timezone.now()
    row.responded_by = by
    row.save(update_fields=["response", "responded_at", "responded_by"])


def _tell_team(protocol: Protocol, kind: str) -> None:
    """Notify everyone on the protocol's team about a step (after commit, by the outbox)."""
    notify(recipients=_team_of(protocol), kind=kind, params=_about(protocol), link=_link(protocol), protocol=protocol)


def actors_for(user: User, protocol: Protocol) -> set[Actor]:
    """The workflow actors the user is for this protocol; the chair and the head count only at
    the protocol's own institution."""
    actors: set[Actor] = set()
    if permissions.can_submit(user, protocol):
        actors.add(Actor.APPLICANT)
    if is_secretariat(user, protocol.institution_id):
        actors.add(Actor.SECRETARIAT)
    if user.is_authenticated and user.is_active:
        roles = RoleMembership.objects.current().filter(
            user=user, institution_id=protocol.institution_id, role__in=list(_OFFICER_ACTORS)
        )
        actors |= {_OFFICER_ACTORS[role] for role in roles.values_list("role", flat=True)}
    return actors


def current_approval(protocol: Protocol) -> Approval | None:
    """The protocol's latest approval, whatever its status."""
    return Approval.objects.filter(protocol=protocol).select_related("version").order_by("-created_at", "-id").first()


def _approval_allows(kind: str, approval: Approval | None) -> None:
    rules = KIND_RULES[kind]
    status = approval.status if approval else ""
    if status not in rules.approval_statuses:
        if kind == SubmissionKind.AMENDMENT:
            raise TransitionRefused(gettext("An amendment can be made only while the approval is active."))
        raise TransitionRefused(gettext("Reports are made while the research has an active or suspended approval."))


@transaction.atomic
def protocol_submit(
    *, protocol: Protocol, by: User, changes_summary: str = "", minor_change: bool = False
) -> Submission:
    """Freeze the application as a new ProtocolVersion and open a submission: the initial
    application, or an amendment of an approved one (with the summary of its changes)."""
    locked = Protocol.objects.select_for_update().select_related("principal_investigator").get(pk=protocol.pk)
    if not permissions.can_view(by, locked):
        raise PermissionDenied
    kind = SubmissionKind.AMENDMENT if locked.amendment_open else SubmissionKind.INITIAL
    rules = KIND_RULES[kind]
    current = "" if locked.is_editable else locked.status
    transition = transition_for("submit", current, actors_for(by, locked))
    approval = current_approval(locked) if kind == SubmissionKind.AMENDMENT else None
    if kind == SubmissionKind.AMENDMENT:
        _approval_allows(kind, approval)
    assessment = selectors.protocol_assessment(locked)
    returned = returned_submission(locked, kind)
    missing = selectors.protocol_missing_items(locked, assessment) + _unanswered_requests(returned)
    if kind == SubmissionKind.AMENDMENT and not changes_summary.strip():
        missing.append(MissingItem("amendment", "id_changes_summary", gettext("Summarise what the amendment changes.")))
    if missing:
        raise IncompleteApplication(missing)

    documents = selectors.current_documents(locked)
    number = (locked.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    snapshot = build_snapshot(
        locked,
        team=selectors.team(locked),
        sites=list(locked.sites.order_by("-is_lead", "id")),
        recipients=selectors.recipients(locked),
        documents=documents,
    )
    # The verdict the application was submitted under, with its rulebook version.
    snapshot["assessment"] = assessment.verdict
    version = ProtocolVersion.objects.create(protocol=locked, number=number, created_by=by, snapshot=snapshot)
    version.document_versions.set([document.current_version for document in documents])
    now = timezone.now()
    submission = Submission.objects.create(
        protocol=locked,
        version=version,
        kind=kind,
        status=transition.target,
        submitted_by=by,
        submitted_at=now,
        status_changed_at=now,
        previous=returned,
        round=returned.round + 1 if returned else 1,
    )
    if kind == SubmissionKind.AMENDMENT:
        Report.objects.create(submission=submission, summary=changes_summary.strip(), minor_change=minor_change)
    if rules.moves_protocol:
        locked.status = transition.protocol_status
    locked.amendment_open = False
    locked.last_submitted_at = now
    # Any editor still open on the draft must reload: their next save is a conflict.
    locked.lock_version += 1
    locked.save(update_fields=["status", "amendment_open", "last_submitted_at", "lock_version", "updated_at"])
    permissions.restamp_dashboards(protocol=locked)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=submission,
        protocol=locked,
        data={
            "version": number,
            "kind": submission.kind,
            "documents": len(documents),
            "round": submission.round,
            **({"changes_summary": changes_summary.strip(), "minor_change": minor_change} if approval else {}),
        },
    )
    notify(
        recipients=_secretariat_of(locked),
        kind="submission.received",
        params={**_about(locked), "applicant": person(by)},
        link=_link(locked),
        protocol=locked,
    )
    return submission


@transaction.atomic
def amendment_start(*, protocol: Protocol, by: User) -> Protocol:
    """Open the approved application for an amendment. The approval and the version in force stay
    as they are until the amendment is approved (and, under JP, permitted)."""
    locked = Protocol.objects.select_for_update().get(pk=protocol.pk)
    if not permissions.can_submit(by, locked):
        raise PermissionDenied
    if locked.amendment_open:
        raise TransitionRefused(gettext("An amendment is already being prepared."))
    _approval_allows(SubmissionKind.AMENDMENT, current_approval(locked))
    if _open_submissions(locked, SubmissionKind.AMENDMENT).exists():
        raise TransitionRefused(gettext("An amendment is already under review; wait for its decision."))
    locked.amendment_open = True
    locked.lock_version += 1
    locked.save(update_fields=["amendment_open", "lock_version", "updated_at"])
    permissions.restamp_dashboards(protocol=locked)
    audit_record(actor=by, action="amendment.started", target=locked, protocol=locked, data={})
    return locked


def _open_submissions(protocol: Protocol, kind: str) -> QuerySet[Submission]:
    """Submissions of ``kind`` not finished: waiting, in review, or decided and awaiting permission."""
    awaiting = Q(status=SubmissionStatus.DECIDED, decision__needs_permission=True, decision__permission__isnull=True)
    return Submission.objects.filter(
        Q(status__in=[SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED]) | awaiting, protocol=protocol, kind=kind
    )


@transaction.atomic
def report_submit(*, protocol: Protocol, by: User, kind: str, data: dict[str, Any]) -> Submission:
    """Submit a post-approval report: progress (JP-R-01), serious adverse event (JP-R-02),
    deviation or non-compliance (JP-R-04), or the final report (JP-R-07).

    It refers to the version in force. A serious adverse event is flagged urgent and the chair and
    the head of institution are told at once, with the time it was reported (JP-R-02)."""
    if kind not in REPORT_KINDS:
        raise ValidationError(gettext("Choose what you are reporting."))
    locked = Protocol.objects.select_for_update().get(pk=protocol.pk)
    if not permissions.can_submit(by, locked):
        raise PermissionDenied
    rules = KIND_RULES[kind]
    transition = transition_for("submit", "", actors_for(by, locked))
    approval = current_approval(locked)
    _approval_allows(kind, approval)
    assert approval is not None  # _approval_allows refuses a report without an approval
    if not rules.concurrent and _open_submissions(locked, kind).exists():
        raise TransitionRefused(
            gettext("A %(kind)s is already with the committee; wait for its decision.")
            % {"kind": SubmissionKind(kind).label.lower()}
        )
    values = clean_report(kind, data)
    returned = returned_submission(locked, kind)
    missing = _unanswered_requests(returned)
    if missing:
        raise IncompleteApplication(missing)
    now = timezone.now()
    submission = Submission.objects.create(
        protocol=locked,
        version=approval.version,
        kind=kind,
        status=transition.target,
        urgent=rules.urgent,
        submitted_by=by,
        submitted_at=now,
        status_changed_at=now,
        previous=returned,
        round=returned.round + 1 if returned else 1,
    )
    Report.objects.create(submission=submission, **values)
    permissions.restamp_dashboards(protocol=locked)
    audit_record(
        actor=by,
        action="report.submitted",
        target=submission,
        protocol=locked,
        data={
            "kind": kind,
            "round": submission.round,
            "approval": approval.reference,
            "version": approval.version.number,
            "urgent": submission.urgent,
            **{name: str(value) if isinstance(value, date) else value for name, value in values.items()},
        },
    )
    params = {
        **_about(locked),
        "applicant": person(by),
        "kind": in_each_language(submission.get_kind_display()),
        "reported_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M %Z"),
    }
    notify(
        recipients=_secretariat_of(locked), kind="report.received", params=params, link=_link(locked), protocol=locked
    )
    # JP-R-01/02/04/07: reports go to the head of institution too; a serious adverse event also
    # to the chair, at once and flagged urgent (JP-R-02).
    officers = _officers_of(locked, Role.CHAIR, Role.HEAD) if rules.urgent else _officers_of(locked, Role.HEAD)
    notify(
        recipients=officers,
        kind="report.urgent" if rules.urgent else "report.received",
        params=params,
        link=_link(locked),
        protocol=locked,
    )
    return submission


def returned_submission(protocol: Protocol, kind: str = SubmissionKind.INITIAL) -> Submission | None:
    """The submission of ``kind`` this one answers: the last round, returned at pre-screening or
    decided "revise and resubmit", not yet answered by a later round."""
    if kind == SubmissionKind.INITIAL and protocol.status != ProtocolStatus.RETURNED:
        return None
    answered = Q(status=SubmissionStatus.RETURNED) | Q(
        status=SubmissionStatus.DECIDED, decision__outcome=DecisionOutcome.REVISE
    )
    latest = Submission.objects.filter(protocol=protocol, kind=kind).order_by("-submitted_at", "-id").first()
    if latest is None or not Submission.objects.filter(answered, pk=latest.pk).exists():
        return None
    return latest


def _unanswered_requests(returned: Submission | None) -> list[MissingItem]:
    if returned is None:
        return []
    return [
        MissingItem(
            "requests",
            f"request-{request.pk}",
            gettext("Answer the secretariat's request %(number)s: “%(text)s”")
            % {"number": request.number, "text": Truncator(request.text).chars(80)},
        )
        for request in returned.requests.filter(responded_at__isnull=True).order_by("number")
    ]


def _reopen_amendment(protocol: Protocol) -> None:
    """The amendment goes back to the investigators (withdrawn, returned, or to be revised); the
    approval and the version in force stay as they are. Open editors must reload."""
    protocol.amendment_open = True
    protocol.lock_version += 1


def _apply(*, submission: Submission, by: User, action: str, **changes: Any) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    transition = transition_for(action, locked.status, actors_for(by, protocol))
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = timezone.now()
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "status_changed_at", *changes])
    if KIND_RULES[locked.kind].moves_protocol:
        protocol.status = transition.protocol_status
    elif locked.kind == SubmissionKind.AMENDMENT and action in {"withdraw", "return"}:
        _reopen_amendment(protocol)
    protocol.save(update_fields=["status", "amendment_open", "lock_version", "updated_at"])
    permissions.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        protocol=protocol,
        data={"from": previous, "to": locked.status, "version": locked.version.number, **changes},
    )
    return locked


@transaction.atomic
def submission_withdraw(*, submission: Submission, by: User) -> Submission:
    """The applicant pulls a submission back; the draft becomes editable again."""
    return _apply(submission=submission, by=by, action="withdraw")


@transaction.atomic
def submission_accept(*, submission: Submission, by: User, route: str) -> Submission:
    """The secretariat accepts a submission into review on a route; it can no longer be withdrawn.

    The route is the secretariat's choice; the rules engine only suggests one (JP-ERC-10)."""
    if route not in ReviewRoute.values:
        raise ValidationError(gettext("Choose the review route: expedited or full board."))
    accepted = _apply(submission=submission, by=by, action="accept", route=route)
    protocol = accepted.protocol
    _tell_team(protocol, "submission.accepted")
    return accepted


@transaction.atomic
def submission_return(*, submission: Submission, by: User, requests: list[str]) -> Submission:
    """The secretariat returns a submission with itemised requests; the application becomes
    editable again, and the next submission answers them as a new round."""
    texts = [text.strip() for text in requests if text.strip()]
    if not texts:
        raise ValidationError(gettext("Write at least one request for the investigator."))
    returned = _apply(submission=submission, by=by, action="return")
    PrescreenRequest.objects.bulk_create(
        PrescreenRequest(submission=returned, number=number, text=text) for number, text in enumerate(texts, 1)
    )
    audit_record(
        actor=by,
        action="submission.requests_made",
        target=returned,
        protocol=returned.protocol,
        data={"requests": texts},
    )
    protocol = returned.protocol
    notify(
        recipients=_team_of(protocol, "submit_protocol"),
        kind="submission.returned",
        params=_about(protocol),
        link=_link(protocol),
        protocol=protocol,
    )
    return returned


@transaction.atomic
def request_answer(*, request: PrescreenRequest, by: User, response: str) -> PrescreenRequest:
    """The applicant answers one request of a returned submission (before resubmitting)."""
    locked = PrescreenRequest.objects.select_for_update().select_related("submission").get(pk=request.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.submission.protocol_id)
    if not permissions.can_submit(by, protocol):
        raise PermissionDenied
    if locked.submission.status != SubmissionStatus.RETURNED or hasattr(locked.submission, "next_round"):
        raise TransitionRefused(gettext("These requests were answered in a later round; they cannot change."))
    _record_answer(locked, by=by, response=response)
    audit_record(
        actor=by,
        action="submission.request_answered",
        target=locked.submission,
        protocol=protocol,
        data={"number": locked.number, "response": locked.response},
    )
    return locked


__all__ = [
    "IncompleteApplication",
    "TransitionRefused",
    "amendment_start",
    "approval_close",
    "approval_suspend",
    "condition_answer",
    "condition_sign_off",
    "conflict_declare",
    "current_approval",
    "decision_record",
    "head_permit",
    "head_refuse",
    "protocol_submit",
    "report_submit",
    "request_answer",
    "returned_submission",
    "review_save",
    "review_submit",
    "reviewer_assign",
    "reviewer_unassign",
    "site_permission_record",
    "sites_needing_permission",
    "submission_accept",
    "submission_return",
    "submission_withdraw",
]


# ---- reviewers -----------------------------------------------------------------------------------------------------

# The reviewer's checklist (issue 4: scientific validity, risk and benefit, consent and its
# documents, privacy and data handling, AI and automated analysis, conflicts of interest).
CHECKLIST_SECTIONS: tuple[tuple[str, Promise], ...] = (
    ("scientific_validity", gettext_lazy("Scientific validity")),
    ("risk_benefit", gettext_lazy("Risk and benefit")),
    ("consent", gettext_lazy("Consent and its documents")),
    ("privacy", gettext_lazy("Privacy and data handling")),
    ("ai", gettext_lazy("AI and automated analysis: bias, explainability, data sent to external AI services")),
    ("conflicts", gettext_lazy("Conflicts of interest")),
)
CHECKLIST_RATINGS = ("adequate", "concern", "not_applicable")
RATING_LABELS: tuple[tuple[str, Promise], ...] = (
    ("adequate", gettext_lazy("Adequate")),
    ("concern", gettext_lazy("Concern")),
    ("not_applicable", gettext_lazy("Not applicable")),
)


def _require_secretariat(user: User, protocol: Protocol) -> None:
    if not is_secretariat(user, protocol.institution_id):
        raise PermissionDenied


@transaction.atomic
def reviewer_assign(*, submission: Submission, by: User, reviewer: User, due_date: date) -> ReviewerAssignment:
    """Assign a committee member to review an accepted submission; grants access to it."""
    locked = Submission.objects.select_for_update().select_related("protocol").get(pk=submission.pk)
    _require_secretariat(by, locked.protocol)
    if locked.status != SubmissionStatus.ACCEPTED:
        raise TransitionRefused(gettext("Reviewers are assigned once the submission is accepted for review."))
    if not review_permissions.ethics_committee_members(locked).filter(user=reviewer).exists():
        raise ValidationError(gettext("%(name)s is not a current member of the ethics committee.") % {"name": reviewer})
    rule = review_permissions.conflict_reason(reviewer, locked)
    if rule:
        raise ValidationError(
            gettext("%(name)s has a conflict of interest with this study and cannot review it (%(rule)s).")
            % {"name": reviewer, "rule": rule}
        )
    if locked.assignments.filter(reviewer=reviewer).exclude(status=ReviewerAssignment.Status.WITHDRAWN).exists():
        raise ValidationError(gettext("%(name)s is already assigned.") % {"name": reviewer})
    if due_date < timezone.localdate():
        raise ValidationError(gettext("The due date is in the past."))
    assignment = ReviewerAssignment.objects.create(
        submission=locked, reviewer=reviewer, assigned_by=by, assigned_at=timezone.now(), due_date=due_date
    )
    review_permissions.grant_review_access(user=reviewer, submission=locked)
    audit_record(
        actor=by,
        action="review.reviewer_assigned",
        target=locked,
        protocol=locked.protocol,
        data={"reviewer_id": reviewer.pk, "email": reviewer.email, "due_date": due_date.isoformat()},
    )
    notify(
        recipients=[reviewer],
        kind="reviewer.assigned",
        params={**_about(locked.protocol), "due_date": due_date},
        link=reverse("reviews:workspace", args=[assignment.pk]),
        protocol=locked.protocol,
    )
    return assignment


def _withdraw_assignment(assignment: ReviewerAssignment) -> None:
    assignment.status = ReviewerAssignment.Status.WITHDRAWN
    assignment.save(update_fields=["status"])
    review_permissions.revoke_review_access(user=assignment.reviewer, submission=assignment.submission)


@transaction.atomic
def reviewer_unassign(*, assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    """Take a reviewer off a submission; revokes their access. The assignment stays on record."""
    locked = ReviewerAssignment.objects.select_for_update().select_related("submission__protocol").get(pk=assignment.pk)
    _require_secretariat(by, locked.submission.protocol)
    if locked.status == ReviewerAssignment.Status.WITHDRAWN:
        return locked
    _withdraw_assignment(locked)
    audit_record(
        actor=by,
        action="review.reviewer_unassigned",
        target=locked.submission,
        protocol=locked.submission.protocol,
        data={"reviewer_id": locked.reviewer_id},
    )
    return locked


@transaction.atomic
def conflict_declare(*, submission: Submission, member: User, has_conflict: bool, reason: str) -> ConflictDeclaration:
    """A member declares, once per submission, whether they have a conflict of interest.

    A declared conflict ends any assignment at once, and with it the access (US-IRB-03)."""
    locked = Submission.objects.select_for_update().select_related("protocol").get(pk=submission.pk)
    if not review_permissions.ethics_committee_members(locked).filter(user=member).exists():
        raise PermissionDenied
    if has_conflict and not reason.strip():
        raise ValidationError(gettext("Say briefly what the conflict is."))
    declaration, _created = ConflictDeclaration.objects.update_or_create(
        submission=locked,
        member=member,
        defaults={"has_conflict": has_conflict, "reason": reason.strip(), "declared_at": timezone.now()},
    )
    if has_conflict:
        for assignment in locked.assignments.select_for_update().filter(
            reviewer=member, status=ReviewerAssignment.Status.ASSIGNED
        ):
            _withdraw_assignment(assignment)
    audit_record(
        actor=member,
        action="review.conflict_declared",
        target=locked,
        protocol=locked.protocol,
        data={"has_conflict": has_conflict, "reason": declaration.reason},
    )
    return declaration


def _own_open_assignment(assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    locked = ReviewerAssignment.objects.select_for_update().select_related("submission__protocol").get(pk=assignment.pk)
    if locked.reviewer_id != by.pk or not review_permissions.can_review(by, locked.submission):
        raise PermissionDenied
    if locked.status != ReviewerAssignment.Status.ASSIGNED:
        raise TransitionRefused(gettext("This review has been submitted and can no longer change."))
    return locked


@transaction.atomic
def review_save(
    *, assignment: ReviewerAssignment, by: User, checklist: dict[str, dict[str, str]], recommendation: str, summary: str
) -> ReviewerAssignment:
    """Save the reviewer's work in progress."""
    locked = _own_open_assignment(assignment, by)
    known = {key for key, _label in CHECKLIST_SECTIONS}
    locked.checklist = {
        key: {"rating": value.get("rating", ""), "comment": value.get("comment", "").strip()}
        for key, value in checklist.items()
        if key in known
    }
    locked.recommendation = recommendation
    locked.summary = summary.strip()
    locked.full_clean(exclude=["submission", "reviewer", "assigned_by"])
    locked.save(update_fields=["checklist", "recommendation", "summary"])
    return locked


@transaction.atomic
def review_submit(*, assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    """Submit the review: every checklist section rated and a recommendation given."""
    locked = _own_open_assignment(assignment, by)
    missing = [
        str(label)
        for key, label in CHECKLIST_SECTIONS
        if locked.checklist.get(key, {}).get("rating") not in CHECKLIST_RATINGS
    ]
    problems: list[str] = []
    if missing:
        problems.append(
            gettext("Rate every section of the checklist: %(sections)s.") % {"sections": ", ".join(missing)}
        )
    if not locked.recommendation:
        problems.append(gettext("Give your recommendation."))
    submission = locked.submission
    if (
        locked.recommendation == ReviewerAssignment.Recommendation.NOT_APPROVED
        and submission.route == ReviewRoute.EXPEDITED
        and rule_set_for(submission.protocol) == "US"
    ):
        # US-IRB-05: an expedited reviewer cannot disapprove; only the convened board can.
        problems.append(
            gettext(
                "An expedited reviewer cannot recommend disapproval (US-IRB-05); recommend revision, or ask the "
                "secretariat to refer the submission to the full board."
            )
        )
    if problems:
        raise ValidationError(problems)
    locked.status = ReviewerAssignment.Status.COMPLETED
    locked.completed_at = timezone.now()
    locked.save(update_fields=["status", "completed_at"])
    audit_record(
        actor=by,
        action="review.submitted",
        target=submission,
        protocol=submission.protocol,
        data={"assignment_id": locked.pk, "recommendation": locked.recommendation},
    )
    return locked


# ---- decisions, conditions, the head's permission and the approval -----------------------------------------------

VOTE_KEYS = ("for", "against", "abstain")


def _clean_votes(votes: Any) -> dict[str, int]:
    if (
        not isinstance(votes, dict)
        or set(votes) != set(VOTE_KEYS)
        or not all(isinstance(votes[key], int) and votes[key] >= 0 for key in VOTE_KEYS)
    ):
        raise ValidationError(gettext("The votes must give the numbers for, against and abstaining."))
    return {key: votes[key] for key in VOTE_KEYS}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when that day does not exist)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _approval_issue(*, decision: Decision, protocol: Protocol, by: User) -> Approval:
    """The approval, from today, for the decision's period. The protocol row is locked by the caller."""
    valid_from = timezone.localdate()
    months = decision.validity_months or settings.APPROVAL_VALIDITY_MONTHS
    number = Approval.objects.filter(protocol=protocol).count() + 1
    approval = Approval.objects.create(
        protocol=protocol,
        decision=decision,
        version=decision.submission.version,
        reference=f"A-{protocol.reference}-{number}",
        valid_from=valid_from,
        valid_until=add_months(valid_from, months),
        status=ApprovalStatus.ACTIVE,
        created_at=timezone.now(),
    )
    audit_record(
        actor=by,
        action="approval.issued",
        target=approval,
        protocol=protocol,
        data={
            "reference": approval.reference,
            "valid_from": valid_from.isoformat(),
            "valid_until": approval.valid_until.isoformat(),
            "decision_id": decision.pk,
        },
    )
    return approval


@transaction.atomic
def decision_record(
    *,
    submission: Submission,
    by: User,
    outcome: str,
    reasons: str,
    conditions: Sequence[str] = (),
    validity_months: int | None = None,
    meeting_item_id: int | None = None,
    votes: dict[str, int] | None = None,
) -> Decision:
    """Record the committee's decision on an accepted submission.

    Expedited route (JP-ERC-10, US-IRB-05): the secretariat or the chair records it once at least
    one review is submitted; under the US rule set it cannot be disapproval; every committee member
    is informed. Full-board route: the meetings service calls this after the quorum and the vote,
    with the agenda item and the votes. The protocol's status follows DECISION_PROTOCOL_STATUS."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    transition = transition_for("decide", locked.status, actors_for(by, protocol))
    _refuse_conflicted(by, locked)
    rules = KIND_RULES[locked.kind]
    if outcome not in DecisionOutcome.values:
        raise ValidationError(gettext("Choose the decision."))
    if outcome not in rules.outcomes:
        raise ValidationError(
            gettext("“%(outcome)s” is not a decision on a %(kind)s; choose one of: %(choices)s.")
            % {
                "outcome": DecisionOutcome(outcome).label,
                "kind": locked.get_kind_display().lower(),
                "choices": ", ".join(str(DecisionOutcome(choice).label) for choice in rules.outcomes),
            }
        )
    rule_set = rule_set_for(protocol)
    if locked.route == ReviewRoute.FULL_BOARD:
        if meeting_item_id is None or votes is None:
            raise TransitionRefused(
                gettext(
                    "This submission is on the full-board route: its decision is recorded at a meeting, "
                    "with the agenda item and the votes."
                )
            )
        votes = _clean_votes(votes)
    else:
        if meeting_item_id is not None or votes is not None:
            raise ValidationError(gettext("An expedited decision is not taken at a meeting; it has no votes."))
        if rules.needs_review and not locked.assignments.filter(status=ReviewerAssignment.Status.COMPLETED).exists():
            raise TransitionRefused(gettext("Record the decision once at least one reviewer has submitted a review."))
        if outcome == DecisionOutcome.NOT_APPROVED and rule_set == "US":
            raise TransitionRefused(
                gettext(
                    "An expedited review cannot disapprove (US-IRB-05): disapproval needs the convened board. "
                    "Decide “revise and resubmit”, or refer the submission to the full board."
                )
            )
    texts = [text.strip() for text in conditions if text.strip()]
    if outcome == DecisionOutcome.APPROVE_WITH_CONDITIONS and not texts:
        raise ValidationError(gettext("Write at least one condition, one per line."))
    if outcome != DecisionOutcome.APPROVE_WITH_CONDITIONS and texts:
        raise ValidationError(gettext("Only an approval with conditions has conditions."))
    if validity_months is not None and not 1 <= validity_months <= 120:
        raise ValidationError(gettext("The approval period is between 1 and 120 months."))

    approval = None if rules.moves_protocol else current_approval(protocol)
    if rules.closes_approval and outcome == DecisionOutcome.ACKNOWLEDGE:
        # JP-R-07: the final report closes the approval; it must still be open.
        transition_for("close", approval.status if approval else "", {Actor.SECRETARIAT}, APPROVAL_TRANSITIONS)

    now = timezone.now()
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = now
    locked.save(update_fields=["status", "status_changed_at"])
    needs_permission = rule_set == "JP" and rules.head_permits and outcome in APPROVING_OUTCOMES
    decision = Decision.objects.create(
        submission=locked,
        outcome=outcome,
        reasons=reasons.strip(),
        decided_at=now,
        decided_by=by,
        route=locked.route,
        meeting_item_id=meeting_item_id,
        votes=votes,
        validity_months=validity_months,
        needs_permission=needs_permission,
    )
    Condition.objects.bulk_create(
        Condition(decision=decision, number=number, text=text) for number, text in enumerate(texts, 1)
    )
    if rules.moves_protocol:
        protocol.status = DECISION_PROTOCOL_STATUS[(outcome, rule_set)]
    elif locked.kind == SubmissionKind.AMENDMENT and outcome == DecisionOutcome.REVISE:
        _reopen_amendment(protocol)
    protocol.save(update_fields=["status", "amendment_open", "lock_version", "updated_at"])
    permissions.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        protocol=protocol,
        data={
            "from": previous,
            "to": locked.status,
            "kind": locked.kind,
            "version": locked.version.number,
            "outcome": outcome,
            "reasons": decision.reasons,
            "conditions": texts,
            "route": decision.route,
            "rule_set": rule_set,
            "validity_months": validity_months,
            "meeting_item_id": meeting_item_id,
            "votes": votes,
            "needs_permission": needs_permission,
        },
    )
    if outcome in APPROVING_OUTCOMES and not needs_permission:
        # Under the US rule set the IRB's approval is the approval; conditions are still tracked.
        _decision_takes_effect(decision=decision, protocol=protocol, by=by)
    if rules.closes_approval and outcome == DecisionOutcome.ACKNOWLEDGE and approval is not None:
        _approval_transition(
            approval=approval,
            protocol=protocol,
            by=by,
            action="close",
            actors={Actor.SECRETARIAT},
            reasons=gettext("Final report acknowledged (JP-R-07)."),
        )
    params = {**_about(protocol), "decision": in_each_language(decision.get_outcome_display())}
    team = _team_of(protocol)
    notify(recipients=team, kind="decision.recorded", params=params, link=_link(protocol), protocol=protocol)
    if decision.route == ReviewRoute.EXPEDITED:
        # JP-ERC-10 / US-IRB-05: an expedited result is the committee's opinion; every member is told.
        members = User.objects.filter(
            pk__in=review_permissions.ethics_committee_members(locked).values("user_id")
        ).exclude(pk__in=team.values("pk"))
        notify(recipients=members, kind="decision.recorded", params=params, protocol=protocol)
    queue_letters(decision_id=decision.pk, kind="decision")
    return decision


def _refuse_conflicted(user: User, submission: Submission) -> None:
    """A member with a conflict takes no part in the decision (JP-ERC-07, US-IRB-03)."""
    rule = review_permissions.conflict_reason(user, submission)
    if rule:
        raise TransitionRefused(
            gettext("You have a conflict of interest with this study (%(rule)s) and take no part in its decision.")
            % {"rule": rule}
        )


def _condition_for_update(condition: Condition, by: User) -> tuple[Condition, Protocol]:
    locked = Condition.objects.select_for_update().select_related("decision__submission").get(pk=condition.pk)
    protocol = Protocol.objects.get(pk=locked.decision.submission.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    return locked, protocol


@transaction.atomic
def condition_answer(*, condition: Condition, by: User, response: str) -> Condition:
    """The applicant answers a condition; it can change until it is signed off."""
    locked, protocol = _condition_for_update(condition, by)
    transition = transition_for("answer", locked.state, actors_for(by, protocol), CONDITION_TRANSITIONS)
    _record_answer(locked, by=by, response=response)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked.decision.submission,
        protocol=protocol,
        data={"condition_id": locked.pk, "number": locked.number, "response": locked.response},
    )
    return locked


@transaction.atomic
def condition_sign_off(*, condition: Condition, by: User, meaning: str, password: str) -> Condition:
    """The secretariat or the chair signs off an answered condition. The signature shows the printed
    name at signing, the date and time, and its meaning, on the row it signs (US-R-01). It has two
    components: the signed-in identity and the signer's password, entered again to sign."""
    locked, protocol = _condition_for_update(condition, by)
    transition = transition_for("sign_off", locked.state, actors_for(by, protocol), CONDITION_TRANSITIONS)
    _refuse_conflicted(by, locked.decision.submission)
    if meaning not in Condition.Meaning.values:
        raise ValidationError(gettext("Choose what your signature means: review, approval or responsibility."))
    if not password or not by.check_password(password):
        raise ValidationError(gettext("The password is not correct; nothing was signed."))
    locked.signed_off_at = timezone.now()
    locked.signed_off_by = by
    locked.signature_name = by.display_name
    locked.signature_meaning = meaning
    locked.save(update_fields=["signed_off_at", "signed_off_by", "signature_name", "signature_meaning"])
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked.decision.submission,
        protocol=protocol,
        data={
            "condition_id": locked.pk,
            "number": locked.number,
            "signature_name": locked.signature_name,
            "signature_meaning": meaning,
            "signed_at": locked.signed_off_at.isoformat(),
            "signature_components": ["signed-in user", "password"],
        },
    )
    return locked


def _decision_takes_effect(*, decision: Decision, protocol: Protocol, by: User) -> None:
    """An approving decision in force: the initial application's approval is issued; an approved
    amendment becomes the version in force of the current approval."""
    if decision.submission.kind == SubmissionKind.INITIAL:
        _approval_issue(decision=decision, protocol=protocol, by=by)
        return
    approval = Approval.objects.select_for_update().get(pk=current_approval(protocol).pk)
    previous = approval.version
    approval.version = decision.submission.version
    approval.save(update_fields=["version"])
    audit_record(
        actor=by,
        action="approval.amended",
        target=approval,
        protocol=protocol,
        data={
            "reference": approval.reference,
            "from_version": previous.number,
            "to_version": approval.version.number,
            "decision_id": decision.pk,
        },
    )
    # A change of what the subjects consented to flags the data-sharing agreements for re-review.
    from research_governance.agreements import cascade

    cascade.amendment_in_force(approval=approval, previous_snapshot=previous.snapshot, by=by)


def _decision_for_head(decision: Decision, by: User, action: str) -> tuple[Decision, Protocol, Any]:
    locked = Decision.objects.select_for_update().select_related("submission").get(pk=decision.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.submission.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    transition = transition_for(action, locked.permission_state, actors_for(by, protocol), PERMISSION_TRANSITIONS)
    return locked, protocol, transition


@transaction.atomic
def head_permit(*, decision: Decision, by: User, reasons: str = "") -> Permission:
    """The head of the institution permits the research after the committee's opinion (JP-ERC-13),
    once every condition is signed off. The approval starts today."""
    locked, protocol, transition = _decision_for_head(decision, by, "permit")
    open_numbers = list(
        locked.conditions.filter(signed_off_at__isnull=True).order_by("number").values_list("number", flat=True)
    )
    if open_numbers:
        raise TransitionRefused(
            gettext("Every condition must be signed off before permission; not yet signed off: %(numbers)s.")
            % {"numbers": ", ".join(str(number) for number in open_numbers)}
        )
    permission = Permission.objects.create(
        decision=locked, granted=True, by=by, at=timezone.now(), reasons=reasons.strip()
    )
    _decision_takes_effect(decision=locked, protocol=protocol, by=by)
    if KIND_RULES[locked.submission.kind].moves_protocol:
        protocol.status = transition.protocol_status
        protocol.save(update_fields=["status", "updated_at"])
    permissions.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked.submission,
        protocol=protocol,
        data={
            "decision_id": locked.pk,
            "kind": locked.submission.kind,
            "reasons": permission.reasons,
            "approval": current_approval(protocol).reference,
        },
    )
    _tell_team(protocol, "permission.granted")
    queue_letters(decision_id=locked.pk, kind="permission")
    return permission


@transaction.atomic
def head_refuse(*, decision: Decision, by: User, reasons: str) -> Permission:
    """The head of the institution does not permit the research (JP-ERC-13); the reasons are required."""
    locked, protocol, transition = _decision_for_head(decision, by, "refuse")
    if not reasons.strip():
        raise ValidationError(gettext("Give the reasons for refusing permission."))
    permission = Permission.objects.create(
        decision=locked, granted=False, by=by, at=timezone.now(), reasons=reasons.strip()
    )
    if KIND_RULES[locked.submission.kind].moves_protocol:
        protocol.status = transition.protocol_status
        protocol.save(update_fields=["status", "updated_at"])
    permissions.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked.submission,
        protocol=protocol,
        data={"decision_id": locked.pk, "kind": locked.submission.kind, "reasons": permission.reasons},
    )
    _tell_team(protocol, "permission.refused")
    queue_letters(decision_id=locked.pk, kind="refusal")
    return permission


def sites_needing_permission(protocol: Protocol) -> QuerySet[Site]:
    """Participating sites whose own head permits for them (JP-ERC-12): registered here, and not
    the protocol's own institution (whose head gives the protocol's permission)."""
    return (
        Site.objects.filter(protocol=protocol, institution__isnull=False)
        .exclude(institution_id=protocol.institution_id)
        .select_related("institution")
    )


@transaction.atomic
def site_permission_record(
    *, decision: Decision, site: Site, by: User, granted: bool, reasons: str = ""
) -> SitePermission:
    """A participating site's head permits, or refuses, the research at their site after the
    central committee's opinion (JP-ERC-12). Refusing needs reasons; each site decides once."""
    locked = Decision.objects.select_for_update().select_related("submission__protocol").get(pk=decision.pk)
    protocol = locked.submission.protocol
    if site.protocol_id != protocol.pk or not sites_needing_permission(protocol).filter(pk=site.pk).exists():
        raise ValidationError(gettext("This site's permission is not given here."))
    if not review_permissions.is_site_head(by, site):
        raise PermissionDenied
    actors = {Actor.HEAD}
    state = PermissionState.AWAITING if locked.needs_permission else ""
    if SitePermission.objects.filter(decision=locked, site=site).exists():
        state = PermissionState.PERMITTED
    transition = transition_for("permit" if granted else "refuse", state, actors, PERMISSION_TRANSITIONS)
    if not granted and not reasons.strip():
        raise ValidationError(gettext("Give the reasons for refusing permission."))
    permission = SitePermission.objects.create(
        decision=locked, site=site, granted=granted, by=by, at=timezone.now(), reasons=reasons.strip()
    )
    permissions.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked.submission,
        protocol=protocol,
        data={"decision_id": locked.pk, "site": site.display_name, "site_id": site.pk, "reasons": permission.reasons},
    )
    notify(
        recipients=_team_of(protocol),
        kind="site_permission.granted" if granted else "site_permission.refused",
        params={**_about(protocol), "site": bilingual(site.institution.name_ja, site.institution.name_en)},
        link=_link(protocol),
        protocol=protocol,
    )
    return permission


def _approval_transition(
    *, approval: Approval, protocol: Protocol, by: User, action: str, actors: set[Actor], reasons: str
) -> Approval:
    """Move a locked approval along APPROVAL_TRANSITIONS; the protocol follows."""
    transition = transition_for(action, approval.status, actors, APPROVAL_TRANSITIONS)
    if not reasons.strip():
        raise ValidationError(gettext("Give the reasons."))
    previous = approval.status
    approval.status = transition.target
    approval.save(update_fields=["status"])
    protocol.status = transition.protocol_status
    protocol.amendment_open = False
    protocol.save(update_fields=["status", "amendment_open", "updated_at"])
    permissions.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=approval,
        protocol=protocol,
        data={"reference": approval.reference, "from": previous, "to": approval.status, "reasons": reasons.strip()},
    )
    _tell_team(protocol, transition.audit_action)  # approval.suspended / approval.closed
    return approval


def _approval_change(*, approval: Approval, by: User, action: str, reasons: str) -> Approval:
    locked = Approval.objects.select_for_update().get(pk=approval.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    return _approval_transition(
        approval=locked, protocol=protocol, by=by, action=action, actors=actors_for(by, protocol), reasons=reasons
    )


@transaction.atomic
def approval_suspend(*, approval: Approval, by: User, reasons: str) -> Approval:
    """The secretariat or the chair suspends an active approval; the protocol is suspended, and
    so is every data-sharing agreement depending on it (agreements.cascade)."""
    from research_governance.agreements import cascade

    changed = _approval_change(approval=approval, by=by, action="suspend", reasons=reasons)
    cascade.approvals_lapsed(approvals=[changed], by=by)
    return changed


@transaction.atomic
def approval_close(*, approval: Approval, by: User, reasons: str) -> Approval:
    """The secretariat or the chair closes an approval; the protocol is closed, and every
    data-sharing agreement depending on it is suspended (agreements.cascade)."""
    from research_governance.agreements import cascade

    changed = _approval_change(approval=approval, by=by, action="close", reasons=reasons)
    cascade.approvals_lapsed(approvals=[changed], by=by)
    return changed


@transaction.atomic
def approvals_expire(*, today: date | None = None, approval_ids: Collection[int] | None = None) -> list[Approval]:
    """Expire every live approval whose period is over (only those among ``approval_ids`` if given).

    An approval valid until D is valid through D and expires on D + 1. Taken by the system (the
    daily reminder scan), never by a person, so each expiry is audited with no actor ("system").
    The protocols follow (status "expired", any open amendment closed) and each team is told.
    Set-based, for the scan: the rows are locked and updated in a few queries whatever their
    number; only the audit event (one per approval, on the hash chain) and the team's
    notification are written per approval. Returns the approvals expired.
    """
    today = today or timezone.localdate()
    transition = next(t for t in APPROVAL_TRANSITIONS if t.action == "expire")
    ended = Approval.objects.filter(status__in=transition.sources, valid_until__lt=today)
    if approval_ids is not None:
        ended = ended.filter(pk__in=list(approval_ids))
    # Locked in the order every service locks them: approvals, then their protocols.
    approvals = list(ended.select_for_update().order_by("pk"))
    if not approvals:
        return []
    transition_for("expire", approvals[0].status, {Actor.SYSTEM}, APPROVAL_TRANSITIONS)
    protocols = {
        p.pk: p
        for p in Protocol.objects.select_for_update()
        .filter(pk__in=[a.protocol_id for a in approvals])
        .order_by("pk")
        .only("pk", "reference", "title_ja", "title_en", "institution_id")
    }
    Approval.objects.filter(pk__in=[a.pk for a in approvals]).update(status=transition.target)
    Protocol.objects.filter(pk__in=list(protocols)).update(
        status=transition.protocol_status, amendment_open=False, updated_at=timezone.now()
    )
    teams: dict[int, list[User]] = {}
    for row in ProtocolUserObjectPermission.objects.filter(
        content_object_id__in=list(protocols), permission__codename="view_protocol"
    ).select_related("user"):
        teams.setdefault(row.content_object_id, []).append(row.user)
    permissions.restamp_dashboards(user_ids={user.pk for team in teams.values() for user in team})
    for approval in approvals:
        protocol = protocols[approval.protocol_id]
        previous, approval.status = approval.status, transition.target
        audit_record(
            actor=None,
            action=transition.audit_action,
            target=approval,
            protocol=protocol,
            data={
                "reference": approval.reference,
                "from": previous,
                "to": approval.status,
                "valid_until": approval.valid_until.isoformat(),
                "expired_on": today.isoformat(),
            },
        )
        notify(
            recipients=teams.get(protocol.pk, []),
            kind=transition.audit_action,  # approval.expired
            params={**_about(protocol), "valid_until": approval.valid_until},
            link=_link(protocol),
            protocol=protocol,
        )
    # Every data-sharing agreement depending on them is suspended, its grants ended.
    from research_governance.agreements import cascade

    cascade.approvals_lapsed(approvals=approvals, by=None)
    return approvals


@transaction.atomic
def approval_expire(*, approval: Approval, today: date | None = None) -> Approval:
    """Expire one approval whose period is over, as ``approvals_expire`` does; TransitionRefused
    before the day after its last day, or once it is no longer active or suspended."""
    today = today or timezone.localdate()
    expired = approvals_expire(today=today, approval_ids=[approval.pk])
    if expired:
        return expired[0]
    current = Approval.objects.get(pk=approval.pk)
    transition_for("expire", current.status, {Actor.SYSTEM}, APPROVAL_TRANSITIONS)
    raise TransitionRefused(gettext_lazy("An approval expires only after the last day of its period."))
