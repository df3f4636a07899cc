"""The notice and agenda of a meeting, sent to every member sitting on it when it is scheduled or
changed (its date, its place, an item added, deferred away or taken off): in each member's
language, with a link to the meeting's page. The members' step "Attend the meeting and vote"
(``next_steps.review_steps.ATTEND``) carries the notice's version in its key and tells nobody itself.

A notice is sent once per version of the meeting (its date, place and agenda), or, when a change
names its audit event (``occasion``), once per change: moving a meeting back to its first date,
or putting back an item taken off, returns to a version the members were told before, and they
must hear of it again. A change with ``change`` text is a ``meeting.changed`` notice, which says
first what changed, then the notice as it now stands."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.notifications.messages import bilingual
from research_governance.notifications.models import Handoff, Notification
from research_governance.notifications.services import Notice, notify_many
from research_governance.reviews.meeting.workflow import OPEN_STATUSES
from research_governance.reviews.models import AgendaItem, Meeting
from research_governance.reviews.next_steps.review_steps import agendas_of, meeting_link, notice_version, seated

KIND = "meeting.notice"
CHANGED = "meeting.changed"


def when_of(meeting: Meeting) -> str:
    return timezone.localtime(meeting.scheduled_at).strftime("%Y-%m-%d %H:%M")


def members_of(meeting: Meeting) -> frozenset[int]:
    """The members sitting on the meeting on its day, who receive its notices."""
    return seated([meeting])[meeting.pk]


def each_language(text: Promise, **params: Any) -> dict[str, str]:
    """``text % params`` in every language, for storing as a notice's parameter. A parameter that
    is a mapping of language code to text (``item_title``) gives each language its own."""
    rendered: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        values = {
            key: (value.get(code) or next(iter(value.values()), "")) if isinstance(value, dict) else value
            for key, value in params.items()
        }
        with translation.override(code):
            rendered[code] = str(text) % values
    return rendered


def item_title(item: AgendaItem) -> dict[str, str]:
    """The item as the agenda names it: the protocol's reference and title, in each language."""
    protocol = item.submission.protocol
    reference = protocol.reference or ""
    return bilingual(
        f"{reference} {protocol.title_ja or protocol.title_en}".strip(),
        f"{reference} {protocol.title_en or protocol.title_ja}".strip(),
    )


# What changed, told first in a ``meeting.changed`` notice.


def moved(*, old_when: str, old_place: str, meeting: Meeting) -> dict[str, str]:
    return each_language(
        _("The meeting was moved from %(old_when)s at %(old_place)s to %(when)s at %(place)s."),
        old_when=old_when,
        old_place=old_place or "-",
        when=when_of(meeting),
        place=meeting.location or "-",
    )


def taken_off(item: AgendaItem, reason: str) -> dict[str, str]:
    return each_language(
        _("An item was taken off the agenda: %(item)s. Reason: %(reason)s"), item=item_title(item), reason=reason
    )


def deferred(item: AgendaItem, reason: str) -> dict[str, str]:
    return each_language(
        _("An item was deferred to a later meeting: %(item)s. Reason: %(reason)s"),
        item=item_title(item),
        reason=reason,
    )


def meeting_notice(
    *,
    meeting: Meeting,
    by: Any = None,
    change: dict[str, str] | None = None,
    occasion: Any = None,
    also: Iterable[int] = (),
) -> list[Notification]:
    """Tell the meeting's members its date, place and agenda, unless they were told this version
    (of this change, when ``occasion`` names its audit event). ``change`` says what changed, in
    each language; ``also`` names more people to tell (the members sitting on the old day of a
    meeting that moved)."""
    if meeting.status not in OPEN_STATUSES:
        return []
    agenda = agendas_of([meeting.pk]).get(meeting.pk, [])
    key = f"{KIND}:{meeting.pk}:{notice_version(meeting, agenda)}"
    if occasion is not None:
        key = f"{key}:{occasion.pk}"
    members = (members_of(meeting) | set(also)) - ({by.pk} if by is not None else set())
    told = set(Handoff.objects.filter(key=key, recipient_id__in=members).values_list("recipient_id", flat=True))
    new = members - told
    if not new:
        return []
    Handoff.objects.bulk_create([Handoff(key=key, recipient_id=user_id) for user_id in new], ignore_conflicts=True)
    committee = meeting.committee
    params: dict[str, Any] = {
        "committee": bilingual(committee.name_ja, committee.name_en),
        "when": when_of(meeting),
        "place": meeting.location or "-",
        "agenda": [
            bilingual(f"{n}. {title['ja']}", f"{n}. {title['en']}")
            for n, title in enumerate((item_title(item) for item in agenda), 1)
        ],
    }
    if change is not None:
        params["change"] = change
    return notify_many(
        [
            Notice(
                recipients=list(User.objects.filter(pk__in=new)),
                kind=CHANGED if change is not None else KIND,
                params=params,
                link=meeting_link(meeting),
            )
        ]
    )
