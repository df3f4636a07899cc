"""The permission audit's world (tests/core/permission_support.py), plus approvals in every
state for the register: protocol A's approval (active, with its condition answered and a
decision letter), one suspended today, one expired today, one that starts in ten days, and one
at another institution that nobody here may see."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from research_governance.accounts.models import Institution, Role
from research_governance.letters.services import letter_issue
from research_governance.protocols.models import Protocol
from research_governance.reviews import services as review_services
from research_governance.reviews.models import Approval, Decision
from research_governance.reviews.workflow import ReviewRoute
from tests.core.permission_support import World, build_world
from tests.factories import UserFactory, make_complete


@dataclass
class Oversight:
    world: World
    active: Approval
    suspended: Approval
    expired: Approval
    future: Approval
    elsewhere: Approval


def approval_for(
    pi, *, title: str, valid_from, valid_until, reference: str, route: str = ReviewRoute.EXPEDITED
) -> Approval:
    """An approval made directly (the services' path is tested elsewhere): a submitted protocol,
    its decision and the approval, with the given period."""
    protocol: Protocol = make_complete(pi, title_en=title)
    submission = review_services.protocol_submit(protocol=protocol, by=pi)
    decision = Decision.objects.create(
        submission=submission, outcome="approve", decided_at=timezone.now(), decided_by=pi, route=route
    )
    return Approval.objects.create(
        protocol=protocol,
        decision=decision,
        version=submission.version,
        reference=reference,
        valid_from=valid_from,
        valid_until=valid_until,
        created_at=timezone.now(),
    )


def build_oversight() -> Oversight:
    world = build_world()
    letter = letter_issue(decision_id=world.decision.pk, kind="decision", language="en")
    world.ids.update({"letter_id": letter.pk, "code": letter.verification_code})
    today = timezone.localdate()
    pi = world.people["pi"]
    secretariat = world.people["secretariat"]
    active = Approval.objects.get(pk=world.ids["approval_id"])
    suspended = approval_for(
        pi,
        title="Suspended study",
        reference="APR-SUSPENDED",
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=60),
    )
    review_services.approval_suspend(approval=suspended, by=secretariat, reasons="Safety concern")
    expired = approval_for(
        pi,
        title="Expired study",
        reference="APR-EXPIRED",
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=1),
    )
    review_services.approvals_expire(today=today, approval_ids=[expired.pk])
    future = approval_for(
        pi,
        title="Future study",
        reference="APR-FUTURE",
        valid_from=today + timedelta(days=10),
        valid_until=today + timedelta(days=375),
    )
    other_institution = Institution.objects.create(code="elsewhere", name_ja="他大学", name_en="Elsewhere University")
    outsider = UserFactory(email="outsider@elsewhere.example", institution=other_institution, roles=[Role.INVESTIGATOR])
    elsewhere = approval_for(
        outsider,
        title="Elsewhere study",
        reference="APR-ELSEWHERE",
        valid_from=today - timedelta(days=5),
        valid_until=today + timedelta(days=30),
    )
    for approval in (suspended, expired, future):
        approval.refresh_from_db()
    return Oversight(world, active, suspended, expired, future, elsewhere)


@pytest.fixture
def oversight(db) -> Oversight:
    return build_oversight()
