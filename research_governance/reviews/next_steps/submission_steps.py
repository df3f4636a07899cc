"""From submission to acceptance: the secretariat pre-screens, the applicants answer requests."""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Role, User
from research_governance.core.work import NextActor, StateSteps, Step, Terminal, WorkItem
from research_governance.reviews.models import Submission
from research_governance.reviews.workflow import SubmissionStatus

from .base import Finder, holders, title_of, where_user_holds

PRESCREEN = Step(
    code="ethics.prescreen",
    actor=NextActor.SECRETARIAT,
    label=_("Pre-screen the submission"),
    waiting=_("Waiting for the secretariat's pre-screening"),
    due_rule=_("7 days after submission"),
    due_days=7,
)


class PrescreenFinder(Finder):
    def _items(self, submissions: Iterable[Submission], actors: dict[int, frozenset[int]]) -> list[WorkItem]:
        return [
            WorkItem(
                step=PRESCREEN,
                key=f"{PRESCREEN.code}:{submission.pk}",
                reference=submission.protocol.reference or "",
                title=title_of(submission.protocol),
                link=f"{reverse('protocols:detail', args=[submission.protocol_id])}?submission={submission.pk}",
                since=submission.submitted_at,
                due=PRESCREEN.due_from(submission.submitted_at),
                institution_id=submission.protocol.institution_id,
                protocol_id=submission.protocol_id,
                actor_ids=actors.get(submission.protocol.institution_id, frozenset()),
                detail=submission.get_kind_display(),
            )
            for submission in submissions
        ]

    def _pending(self) -> QuerySet[Submission]:
        return Submission.objects.filter(status=SubmissionStatus.SUBMITTED).select_related("protocol")

    def for_user(self, user: User) -> list[WorkItem]:
        institutions = where_user_holds(user, Role.SECRETARIAT)
        if not institutions:
            return []
        submissions = self._pending().filter(protocol__institution_id__in=institutions)
        return self._items(submissions, {i: frozenset({user.pk}) for i in institutions})

    def about(self, protocol_ids: list[int]) -> list[WorkItem]:
        submissions = list(self._pending().filter(protocol_id__in=protocol_ids))
        return self._items(submissions, holders({s.protocol.institution_id for s in submissions}, Role.SECRETARIAT))


FINDERS = (PrescreenFinder(),)

DECLARATION = (
    StateSteps(workflow="Submission", state=SubmissionStatus.SUBMITTED, steps=(PRESCREEN,)),
    StateSteps(
        workflow="Submission",
        state=SubmissionStatus.WITHDRAWN,
        terminal=Terminal(_("The applicant withdrew it; the application is a draft again.")),
    ),
)
