"""What the applicants (the PI and the team members who may submit) are waiting to do: submit a
draft or an amendment in preparation, answer the secretariat's requests, resubmit after "revise",
and send a progress report that falls due."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.core.i18n import said_later
from research_governance.core.work import NextActor, StateSteps, Step, Terminal, WorkItem
from research_governance.protocols.models import Protocol, ProtocolStatus
from research_governance.reviews.models import Approval, Submission
from research_governance.reviews.workflow import ApprovalStatus, DecisionOutcome, SubmissionKind, SubmissionStatus

from .base import ScopedFinder, applicant_protocol_ids, applicants, item_on, protocol_link

SUBMIT_DRAFT = Step(
    code="ethics.submit_draft",
    actor=NextActor.APPLICANT,
    label=_("Complete and submit the application"),
    waiting=_("Waiting for the investigator to submit"),
    due_rule=_("No due date"),
    # The applicants started it themselves.
    notifies=False,
)
ANSWER_REQUESTS = Step(
    code="ethics.answer_requests",
    actor=NextActor.APPLICANT,
    label=_("Answer the committee's requests and resubmit"),
    waiting=_("Waiting for the investigator's answers to the requests"),
    due_rule=_("No due date"),
)
RESUBMIT = Step(
    code="ethics.resubmit",
    actor=NextActor.APPLICANT,
    label=_("Revise and resubmit"),
    waiting=_("Waiting for the investigator's revised submission"),
    due_rule=_("No due date"),
)
PROGRESS_REPORT = Step(
    code="ethics.progress_report",
    actor=NextActor.APPLICANT,
    label=_("Submit the progress report"),
    waiting=_("Waiting for the investigator's progress report"),
    due_rule=_("The protocol's reporting interval after the last period reported (JP-R-01); shown 30 days ahead"),
)
# A progress report enters the applicants' work this many days before it falls due.
PROGRESS_REPORT_NOTICE_DAYS = 30


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class DraftFinder(ScopedFinder):
    """A draft never submitted or withdrawn, and an amendment in preparation, not answering a return."""

    protocol_path = "pk"

    def scope(self, user: User) -> Q | None:
        return Q(pk__in=applicant_protocol_ids(user))

    def find(self, q: Q) -> list[WorkItem]:
        answering = Submission.objects.filter(
            Q(status=SubmissionStatus.RETURNED)
            | Q(status=SubmissionStatus.DECIDED, decision__outcome=DecisionOutcome.REVISE),
            next_round__isnull=True,
            kind__in=[SubmissionKind.INITIAL, SubmissionKind.AMENDMENT],
        ).values("protocol_id")
        protocols = list(
            Protocol.objects.filter(q)
            .filter(Q(status=ProtocolStatus.DRAFT) | Q(amendment_open=True))
            .exclude(pk__in=answering)
        )
        actors = applicants(p.pk for p in protocols)
        return [
            item_on(
                SUBMIT_DRAFT,
                f"{SUBMIT_DRAFT.code}:{p.pk}:{'amendment' if p.amendment_open else 'initial'}",
                p,
                since=p.created_at,
                actor_ids=actors.get(p.pk, frozenset()),
                link=protocol_link(p.pk),
                detail=SubmissionKind.AMENDMENT.label if p.amendment_open else SubmissionKind.INITIAL.label,
            )
            for p in protocols
        ]


class ReturnedFinder(ScopedFinder):
    """The last round of a submission returned at pre-screening or decided "revise", not yet answered."""

    def scope(self, user: User) -> Q | None:
        return Q(protocol_id__in=applicant_protocol_ids(user))

    def find(self, q: Q) -> list[WorkItem]:
        submissions = list(
            Submission.objects.filter(q)
            .filter(
                Q(status=SubmissionStatus.RETURNED)
                | Q(status=SubmissionStatus.DECIDED, decision__outcome=DecisionOutcome.REVISE),
                next_round__isnull=True,
            )
            .select_related("protocol")
            .annotate(
                total=Count("requests", distinct=True),
                answered=Count("requests", filter=Q(requests__responded_at__isnull=False), distinct=True),
            )
        )
        actors = applicants(s.protocol_id for s in submissions)
        items = []
        for s in submissions:
            step = ANSWER_REQUESTS if s.status == SubmissionStatus.RETURNED else RESUBMIT
            detail = (
                said_later(_("%(answered)s of %(total)s answered"), answered=s.answered, total=s.total)
                if step is ANSWER_REQUESTS
                else SubmissionKind(s.kind).label
            )
            items.append(
                item_on(
                    step,
                    f"{step.code}:{s.pk}",
                    s.protocol,
                    since=s.status_changed_at,
                    actor_ids=actors.get(s.protocol_id, frozenset()),
                    link=protocol_link(s.protocol_id, s.pk),
                    detail=detail,
                )
            )
        return items


class ProgressReportFinder(ScopedFinder):
    """A live approval whose next progress report falls due within 30 days or is overdue."""

    def scope(self, user: User) -> Q | None:
        return Q(protocol_id__in=applicant_protocol_ids(user))

    def find(self, q: Q) -> list[WorkItem]:
        # The rule is the protocol page's (reviews.panels.progress_report_due), not restated here.
        from research_governance.reviews.panels import progress_report_due

        latest: dict[int, Approval] = {}
        for approval in Approval.objects.filter(q).select_related("protocol").order_by("-created_at", "-id"):
            latest.setdefault(approval.protocol_id, approval)
        live = {
            pid: a
            for pid, a in latest.items()
            if a.status in {ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED}
            and a.protocol.status not in {ProtocolStatus.CLOSED, ProtocolStatus.EXPIRED}
        }
        if not live:
            return []
        reports: dict[int, list[Submission]] = {}
        for s in Submission.objects.filter(
            protocol_id__in=list(live), kind=SubmissionKind.PROGRESS_REPORT
        ).select_related("report"):
            reports.setdefault(s.protocol_id, []).append(s)
        horizon = timezone.localdate() + timedelta(days=PROGRESS_REPORT_NOTICE_DAYS)
        actors = applicants(live)
        items = []
        for pid, approval in live.items():
            due = progress_report_due(approval, approval.protocol, reports.get(pid, []))
            if due is None or due > horizon:
                continue
            items.append(
                item_on(
                    PROGRESS_REPORT,
                    f"{PROGRESS_REPORT.code}:{approval.pk}:{due.isoformat()}",
                    approval.protocol,
                    since=_midnight(due - timedelta(days=PROGRESS_REPORT_NOTICE_DAYS)),
                    due=due,
                    actor_ids=actors.get(pid, frozenset()),
                    link=protocol_link(pid),
                )
            )
        return items


FINDERS = (DraftFinder(), ReturnedFinder(), ProgressReportFinder())

DECLARATION = (
    # Before a submission exists: the application (or the amendment) in preparation.
    StateSteps(workflow="Application", state=ProtocolStatus.DRAFT, steps=(SUBMIT_DRAFT,)),
    StateSteps(workflow="Application", state="amendment_open", steps=(SUBMIT_DRAFT,)),
    StateSteps(workflow="Submission", state=SubmissionStatus.RETURNED, steps=(ANSWER_REQUESTS,)),
    StateSteps(workflow="Approval", state=ApprovalStatus.ACTIVE, steps=(PROGRESS_REPORT,)),
    StateSteps(workflow="Approval", state=ApprovalStatus.SUSPENDED, steps=(PROGRESS_REPORT,)),
    StateSteps(
        workflow="Approval",
        state=ApprovalStatus.EXPIRED,
        terminal=Terminal(_("The approval's period is over; the research may not continue.")),
    ),
    StateSteps(
        workflow="Approval",
        state=ApprovalStatus.CLOSED,
        terminal=Terminal(_("The research has ended and its approval is closed.")),
    ),
)
