"""From submission to acceptance: the secretariat pre-screens, the applicants answer requests."""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Role, User
from research_governance.core.work import NextActor, StateSteps, Step, Terminal, WorkItem, WorkPage
from research_governance.reviews.models import Submission
from research_governance.reviews.workflow import SubmissionKind, SubmissionStatus

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
                detail=SubmissionKind(submission.kind).label,
                rank=submission.pk,
            )
            for submission in submissions
        ]

    def _pending(self) -> QuerySet[Submission]:
        return Submission.objects.filter(status=SubmissionStatus.SUBMITTED).select_related("protocol")

    def _mine(self, user: User) -> tuple[QuerySet[Submission], dict[int, frozenset[int]]] | None:
        institutions = where_user_holds(user, Role.SECRETARIAT)
        if not institutions:
            return None
        submissions = self._pending().filter(protocol__institution_id__in=institutions).order_by("submitted_at", "pk")
        return submissions, {i: frozenset({user.pk}) for i in institutions}

    def for_user(self, user: User) -> list[WorkItem]:
        mine = self._mine(user)
        return self._items(*mine) if mine else []

    def first_for(self, user: User, limit: int) -> WorkPage:
        """In SQL: a secretariat may have thousands waiting, and a page shows 25."""
        mine = self._mine(user)
        if mine is None:
            return WorkPage(items=[], total=0)
        submissions, actors = mine
        return WorkPage.from_rows(submissions, limit, lambda rows: self._items(rows, actors))

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
