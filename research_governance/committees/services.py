"""Every write to a committee's roster and settings goes through these functions.

Each locks the committee row (so two secretaries cannot seat two chairs at once),
checks that the actor is the secretariat or an administrator, validates the seat
against the other seats, saves, and records the audit event with old and new values
in the same transaction.

Seats are never deleted: a past meeting's quorum is computed from the members who
sat on that day, so an ended term keeps its row with the last day in ``valid_to``."""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record

from . import selectors
from .models import Committee, CommitteeMembership

Role = CommitteeMembership.Role

# Seats that count toward the roster (JP-ERC-01..05); the secretariat supports but does not sit.
SITTING_ROLES = frozenset({Role.CHAIR, Role.VICE_CHAIR, Role.MEMBER})
EDITABLE_FIELDS = ("role", "category", "is_external", "sex", "valid_from", "valid_to")


def _locked_committee(committee: Committee, by: User) -> Committee:
    locked = Committee.objects.select_for_update().get(pk=committee.pk)
    if not selectors.can_manage_committee(by, locked):
        raise PermissionDenied
    return locked


def _locked_membership(membership: CommitteeMembership, by: User) -> CommitteeMembership:
    committee = _locked_committee(membership.committee, by)
    locked = CommitteeMembership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    locked.committee = committee
    return locked


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _term(membership: CommitteeMembership) -> str:
    start = _day(membership.valid_from)
    end = _day(membership.valid_to)
    if end is None:
        return _("from %(start)s (no end date)") % {"start": start}
    return _("from %(start)s to %(end)s") % {"start": start, "end": end}


def _seat_values(membership: CommitteeMembership) -> dict[str, Any]:
    return {
        "role": membership.role,
        "category": membership.category,
        "is_external": membership.is_external,
        "sex": membership.sex,
        "valid_from": _day(membership.valid_from),
        "valid_to": _day(membership.valid_to),
    }


def _overlapping(membership: CommitteeMembership) -> list[CommitteeMembership]:
    """Other seats on the same committee whose terms share at least one day with this one."""
    others = CommitteeMembership.objects.filter(committee_id=membership.committee_id).select_related("user")
    if membership.pk is not None:
        others = others.exclude(pk=membership.pk)
    others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=membership.valid_from))
    if membership.valid_to is not None:
        others = others.filter(valid_from__lte=membership.valid_to)
    return list(others.order_by("valid_from"))


def _validate_seat(membership: CommitteeMembership) -> None:
    """The rules a seat must meet with respect to itself and the committee's other seats."""
    if membership.valid_to is not None and membership.valid_to < membership.valid_from:
        raise ValidationError({"valid_to": _("The term cannot end before it starts.")})
    if membership.role in SITTING_ROLES:
        # The rules engine classifies every sitting member (JP-ERC-01, JP-ERC-04); a blank
        # would silently count as something it is not.
        missing = {}
        if not membership.category:
            missing["category"] = _("A chair, vice-chair or member needs a category (JP-ERC-01).")
        if not membership.sex:
            missing["sex"] = _("A chair, vice-chair or member needs a sex (JP-ERC-04).")
        if missing:
            raise ValidationError(missing)
    overlapping = _overlapping(membership)
    same_person = next((seat for seat in overlapping if seat.user_id == membership.user_id), None)
    if same_person is not None:
        raise ValidationError(
            _(
                "%(name)s already holds a seat on this committee (%(role)s, %(term)s). "
                "A person holds one seat at a time: edit that seat or end its term first."
            )
            % {
                "name": membership.user.display_name,
                "role": same_person.get_role_display(),
                "term": _term(same_person),
            }
        )
    if membership.role == Role.CHAIR:
        other_chair = next((seat for seat in overlapping if seat.role == Role.CHAIR), None)
        if other_chair is not None:
            raise ValidationError(
                {
                    "role": _(
                        "%(name)s is the chair %(term)s. A committee has one chair at a time: "
                        "end that term (the day before this one starts) or choose another role."
                    )
                    % {"name": other_chair.user.display_name, "term": _term(other_chair)}
                }
            )
    membership.full_clean()


@transaction.atomic
def membership_add(
    *,
    committee: Committee,
    by: User,
    user: User,
    role: str,
    category: str,
    is_external: bool,
    sex: str,
    valid_from: date,
    valid_to: date | None = None,
) -> CommitteeMembership:
    locked = _locked_committee(committee, by)
    if not user.is_active:
        raise ValidationError(_("%(name)s's account is not active.") % {"name": user.display_name})
    membership = CommitteeMembership(
        committee=locked,
        user=user,
        role=role,
        category=category,
        is_external=is_external,
        sex=sex,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    _validate_seat(membership)
    membership.save()
    audit_record(
        actor=by,
        action=AuditAction.COMMITTEE_MEMBER_ADDED,
        target=membership,
        data={
            "committee_id": locked.pk,
            "committee": locked.code,
            "user_id": user.pk,
            "email": user.email,
            "old": None,
            "new": _seat_values(membership),
        },
    )
    return membership


@transaction.atomic
def membership_update(*, membership: CommitteeMembership, by: User, **fields: Any) -> CommitteeMembership:
    """Change a seat's role, category, affiliation, sex or term (``EDITABLE_FIELDS``).

    The person and the committee of a seat do not change: end the term and add a new seat."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"membership_update() cannot change {', '.join(sorted(unknown))}")
    locked = _locked_membership(membership, by)
    before = _seat_values(locked)
    changed = [name for name in EDITABLE_FIELDS if name in fields and getattr(locked, name) != fields[name]]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, fields[name])
    _validate_seat(locked)
    locked.save(update_fields=changed)
    after = _seat_values(locked)
    audit_record(
        actor=by,
        action=AuditAction.COMMITTEE_MEMBER_UPDATED,
        target=locked,
        data={
            "committee_id": locked.committee_id,
            "committee": locked.committee.code,
            "user_id": locked.user_id,
            "email": locked.user.email,
            "old": {name: before[name] for name in changed},
            "new": {name: after[name] for name in changed},
        },
    )
    return locked


@transaction.atomic
def membership_end(*, membership: CommitteeMembership, by: User, valid_to: date) -> CommitteeMembership:
    """End a term: ``valid_to`` is the member's last day on the committee. The seat is kept."""
    locked = _locked_membership(membership, by)
    if locked.valid_to is not None and valid_to > locked.valid_to:
        raise ValidationError(
            {
                "valid_to": _("This term already ends on %(end)s. To extend it, edit the seat instead.")
                % {"end": _day(locked.valid_to)}
            }
        )
    if valid_to < locked.valid_from:
        raise ValidationError(
            {"valid_to": _("The term cannot end before it starts (%(start)s).") % {"start": _day(locked.valid_from)}}
        )
    old = locked.valid_to
    if old == valid_to:
        return locked
    locked.valid_to = valid_to
    locked.full_clean()
    locked.save(update_fields=["valid_to"])
    audit_record(
        actor=by,
        action=AuditAction.COMMITTEE_MEMBER_TERM_ENDED,
        target=locked,
        data={
            "committee_id": locked.committee_id,
            "committee": locked.committee.code,
            "user_id": locked.user_id,
            "email": locked.user.email,
            "role": locked.role,
            "old": {"valid_to": _day(old)},
            "new": {"valid_to": _day(valid_to)},
        },
    )
    return locked


@transaction.atomic
def committee_update_settings(
    *, committee: Committee, by: User, decision_rule: str, rule_set: str | None = None
) -> Committee:
    """The decision rule (JP-ERC-09 is UNVERIFIED, so it is the committee's own setting) and,
    for administrators only, the rule set the roster and the studies are checked against."""
    locked = _locked_committee(committee, by)
    new = {"decision_rule": decision_rule}
    if rule_set is not None and rule_set != locked.rule_set:
        if not selectors.can_change_rule_set(by, locked):
            raise PermissionDenied
        new["rule_set"] = rule_set
    changed = [name for name, value in new.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    old = {name: getattr(locked, name) for name in changed}
    for name in changed:
        setattr(locked, name, new[name])
    locked.full_clean()
    locked.save(update_fields=changed)
    audit_record(
        actor=by,
        action=AuditAction.COMMITTEE_SETTINGS_CHANGED,
        target=locked,
        data={
            "committee_id": locked.pk,
            "committee": locked.code,
            "old": old,
            "new": {name: new[name] for name in changed},
        },
    )
    return locked


#
# Every write locks the meeting row first (then the agenda item's), so attendance, recusals,
# votes and decisions of one meeting are serialised: a vote never sees half-recorded
# attendance, and two members voting at once each find the other's vote committed.
