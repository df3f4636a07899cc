"""What waits for the chair (and for the secretariat, who may take the chair's steps): the items
of ``core.work`` whose step is one of the chair's, in one section per step. The page decides
nothing itself about who acts next: the finders of ``reviews.next_steps`` do (``chair_work``)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from research_governance.core.i18n import localized
from research_governance.core.work import Step, WorkItem, oldest_first
from research_governance.reviews.next_steps.decision_steps import SIGN_OFF
from research_governance.reviews.next_steps.review_steps import ACKNOWLEDGE, DECIDE


@dataclass(frozen=True)
class ChairSection:
    """One of the chair's steps on the page: ``slug`` names its anchor and its page parameter."""

    step: Step
    slug: str
    heading: Promise
    empty: Promise

    @property
    def page_param(self) -> str:
        return f"{self.slug}_page"


# The chair's steps, in the order the page shows them.
CHAIR_SECTIONS: tuple[ChairSection, ...] = (
    ChairSection(DECIDE, "decide", _("Ready for decision"), _("No submission has all its reviews in.")),
    ChairSection(
        ACKNOWLEDGE, "acknowledge", _("Reports to acknowledge"), _("No report is waiting to be acknowledged.")
    ),
    ChairSection(
        SIGN_OFF, "sign_off", _("Conditions to sign off"), _("No answered conditions are waiting for sign-off.")
    ),
)


@dataclass(frozen=True)
class QueueRow:
    """One item as the reader sees it: the subject's title in their language."""

    item: WorkItem
    title: str
    overdue: bool


def as_queue_row(item: WorkItem, today: date) -> QueueRow:
    return QueueRow(
        item=item,
        title=localized(item.title.get("ja", ""), item.title.get("en", "")),
        overdue=item.is_overdue(today),
    )


def chair_items(
    items: Iterable[WorkItem], institutions: frozenset[int], today: date
) -> list[tuple[ChairSection, list[WorkItem]]]:
    """``items`` (the user's ``chair_work``) on the chair's steps at ``institutions``, by section,
    each overdue first, then by due date, then the longest waiting (``oldest_first``)."""
    by_code: dict[str, list[WorkItem]] = {section.step.code: [] for section in CHAIR_SECTIONS}
    for item in items:
        if item.step.code in by_code and item.institution_id in institutions:
            by_code[item.step.code].append(item)
    return [(section, oldest_first(by_code[section.step.code])) for section in CHAIR_SECTIONS]
