"""An approval valid until D is valid through D; the scan of D + 1 expires it, audited as the system,
the protocol follows and the team is told. An expired approval is not reminded about again."""

from datetime import timedelta

import pytest

from research_governance.accounts.models import Role
from research_governance.audit.models import AuditEvent
from research_governance.notifications.models import Notification
from research_governance.protocols.models import ProtocolStatus
from research_governance.reminders.models import Reminder
from research_governance.reminders.services import reminders_scan
from research_governance.reviews import services
from research_governance.reviews.workflow import APPROVAL_TRANSITIONS, Actor, TransitionRefused, allowed_actions
from tests.factories import UserFactory

from .support import TODAY, approved, at


@pytest.mark.django_db
def test_an_approval_is_still_valid_on_its_last_day_and_expires_the_day_after(pi):
    approval = approved(pi, valid_until=TODAY)

    last_day = reminders_scan(now=at(TODAY)).as_dict()
    approval.refresh_from_db()
    assert approval.status == "active"
    assert last_day["expired"] == 0
    assert last_day["reminders"]["approval_expiry"]["0"]["sent"] == 1

    day_after = reminders_scan(now=at(TODAY + timedelta(days=1), hour=0)).as_dict()

    assert day_after["expired"] == 1
    approval.refresh_from_db()
    assert approval.status == "expired"
    assert approval.protocol.status == ProtocolStatus.EXPIRED
    event = AuditEvent.objects.get(action="approval.expired")
    assert event.actor_id is None
    assert event.actor_label == "system"
    assert event.data == {
        "reference": approval.reference,
        "from": "active",
        "to": "expired",
        "valid_until": TODAY.isoformat(),
        "expired_on": (TODAY + timedelta(days=1)).isoformat(),
    }
    notification = Notification.objects.get(recipient=pi, kind="approval.expired")
    assert approval.reference.removeprefix("A-").removesuffix("-1") in notification.subject
    assert TODAY.isoformat() in notification.body


@pytest.mark.django_db
def test_a_suspended_approval_also_expires_at_the_end_of_its_period(pi):
    approval = approved(pi, valid_until=TODAY - timedelta(days=1))
    approval.status = "suspended"
    approval.save(update_fields=["status"])
    reminders_scan(now=at(TODAY))
    approval.refresh_from_db()
    assert approval.status == "expired"


@pytest.mark.django_db
def test_an_expired_approval_is_not_expired_or_reminded_again(pi):
    # Its progress report would be overdue too: the research has ended, so no reminder.
    approval = approved(pi, valid_from=TODAY - timedelta(days=500), valid_until=TODAY - timedelta(days=1))
    reminders_scan(now=at(TODAY))
    reminders_before = Reminder.objects.count()
    notifications = Notification.objects.count()

    again = reminders_scan(now=at(TODAY + timedelta(days=1))).as_dict()

    assert again["expired"] == 0
    assert again["found"] == 0
    assert again["sent"] == 0
    assert Reminder.objects.filter(object_id=approval.pk).count() == reminders_before == 0
    assert Notification.objects.count() == notifications
    assert AuditEvent.objects.filter(action="approval.expired").count() == 1


@pytest.mark.django_db
def test_the_service_refuses_to_expire_before_the_period_is_over_or_an_approval_already_closed(pi):
    approval = approved(pi, valid_until=TODAY)
    with pytest.raises(TransitionRefused):
        services.approval_expire(approval=approval, today=TODAY)
    services.approval_close(approval=approval, by=UserFactory(roles=[Role.SECRETARIAT]), reasons="Study stopped.")
    with pytest.raises(TransitionRefused):
        services.approval_expire(approval=approval, today=TODAY + timedelta(days=1))
    approval.refresh_from_db()
    assert approval.status == "closed"


@pytest.mark.django_db
def test_no_person_can_expire_an_approval_only_the_system(pi, secretariat):
    approval = approved(pi, valid_until=TODAY - timedelta(days=1))
    people = services.actors_for(secretariat, approval.protocol) | {Actor.CHAIR, Actor.HEAD, Actor.APPLICANT}
    assert "expire" not in [t.action for t in allowed_actions(approval.status, people, APPROVAL_TRANSITIONS)]
    assert services.approval_expire(approval=approval, today=TODAY).status == "expired"


@pytest.mark.django_db
def test_every_approval_ended_expires_in_one_scan_each_audited_and_its_own_team_told(pi, coinvestigator):
    mine = [approved(pi, valid_until=TODAY - timedelta(days=days), title=f"Mine {days}") for days in (1, 2, 30)]
    theirs = approved(coinvestigator, valid_until=TODAY - timedelta(days=1), title="Theirs")
    still_valid = approved(pi, valid_until=TODAY, title="Last day")

    assert reminders_scan(now=at(TODAY)).as_dict()["expired"] == 4

    expired = {a.pk for a in [*mine, theirs]}
    audited = AuditEvent.objects.filter(action="approval.expired").values_list("target_id", flat=True)
    assert sorted(map(int, audited)) == sorted(expired)
    assert Notification.objects.filter(recipient=pi, kind="approval.expired").count() == 3
    assert Notification.objects.filter(recipient=coinvestigator, kind="approval.expired").count() == 1
    still_valid.refresh_from_db()
    assert still_valid.status == "active"
