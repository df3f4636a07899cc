"""The notice and agenda of a meeting, sent to every member sitting on it when it is scheduled or
changed (its date, its place, an item added or deferred away): once per version, in each member's
language, with a link to the meeting's page. The members' step "Attend the meeting and vote"
(``next_steps.review_steps.ATTEND``) carries the same version in its key and tells nobody itself."""

from typing import Any

from django.utils import timezone

from research_governance.accounts.models import User
from research_governance.notifications.messages import bilingual
from research_governance.notifications.models import Handoff, Notification
from research_governance.notifications.services import Notice, notify_many
from research_governance.reviews.meeting.workflow import OPEN_STATUSES
from research_governance.reviews.models import Meeting
from research_governance.reviews.next_steps.review_steps import agendas_of, meeting_link, notice_version, seated

KIND = "meeting.notice"


def meeting_notice(*, meeting: Meeting, by: Any = None) -> list[Notification]:
    """Tell the meeting's members its date, place and agenda, unless they were told this version."""
    if meeting.status not in OPEN_STATUSES:
        return []
    agenda = agendas_of([meeting.pk]).get(meeting.pk, [])
    key = f"{KIND}:{meeting.pk}:{notice_version(meeting, agenda)}"
    members = seated([meeting])[meeting.pk] - ({by.pk} if by is not None else set())
    told = set(Handoff.objects.filter(key=key, recipient_id__in=members).values_list("recipient_id", flat=True))
    new = members - told
    if not new:
        return []
    Handoff.objects.bulk_create([Handoff(key=key, recipient_id=user_id) for user_id in new], ignore_conflicts=True)
    committee = meeting.committee
    params = {
        "committee": bilingual(committee.name_ja, committee.name_en),
        "when": timezone.localtime(meeting.scheduled_at).strftime("%Y-%m-%d %H:%M"),
        "place": meeting.location or "-",
        "agenda": [
            bilingual(
                f"{n}. {item.submission.protocol.reference or ''} {item.submission.protocol.title_ja}",
                f"{n}. {item.submission.protocol.reference or ''} {item.submission.protocol.title_en}",
            )
            for n, item in enumerate(agenda, 1)
        ],
    }
    return notify_many(
        [Notice(recipients=list(User.objects.filter(pk__in=new)), kind=KIND, params=params, link=meeting_link(meeting))]
    )
