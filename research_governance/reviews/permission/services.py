"""The head of institution's permission after the committee's opinion (JP-ERC-13), and each
participating site head's permission for their site (JP-ERC-12)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.services import audit_record
from research_governance.notifications.handoff import announce
from research_governance.notifications.messages import bilingual
from research_governance.notifications.services import notify
from research_governance.protocols import access_services, permissions
from research_governance.protocols.models import Protocol, Site
from research_governance.reviews import permissions as review_permissions
from research_governance.reviews.hooks import letters_due
from research_governance.reviews.models import Condition, Decision, Permission, SitePermission
from research_governance.reviews.participants import _about, _link, _team_of, _tell_team, actors_for
from research_governance.reviews.post_approval.approval_services import _decision_takes_effect
from research_governance.reviews.selectors import current_approval
from research_governance.reviews.workflow import (
    KIND_RULES,
    PERMISSION_TRANSITIONS,
    Actor,
    PermissionState,
    TransitionRefused,
    transition_for,
)


def unsigned_conditions() -> Exists:
    """For a decision's queryset: it still has a condition not signed off (JP-ERC-13 waits for them)."""
    return Exists(Condition.objects.filter(decision=OuterRef("pk"), signed_off_at__isnull=True))


def awaiting_permission() -> QuerySet[Decision]:
    """Decisions awaiting the head's permission (PermissionState.AWAITING)."""
    return Decision.objects.filter(needs_permission=True, permission__isnull=True)


def ready_for_permission() -> QuerySet[Decision]:
    """Decisions the head can permit now: awaiting, and every condition signed off."""
    return awaiting_permission().exclude(unsigned_conditions())


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
    access_services.restamp_dashboards(protocol=protocol)
    approval = current_approval(protocol)
    # Issued or amended just above (_decision_takes_effect).
    assert approval is not None
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked.submission,
        protocol=protocol,
        data={
            "decision_id": locked.pk,
            "kind": locked.submission.kind,
            "reasons": permission.reasons,
            "approval": approval.reference,
        },
    )
    _tell_team(protocol, "permission.granted")
    letters_due(decision_id=locked.pk, kind="permission")
    announce(protocol_ids=[protocol.pk], by=by)
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
    access_services.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked.submission,
        protocol=protocol,
        data={"decision_id": locked.pk, "kind": locked.submission.kind, "reasons": permission.reasons},
    )
    _tell_team(protocol, "permission.refused")
    letters_due(decision_id=locked.pk, kind="refusal")
    announce(protocol_ids=[protocol.pk], by=by)
    return permission


def sites_with_own_permission(sites: QuerySet[Site]) -> QuerySet[Site]:
    """Participating sites whose own head permits for them (JP-ERC-12): registered here, and not
    the protocol's own institution (whose head gives the protocol's permission)."""
    return (
        sites.filter(institution__isnull=False)
        .exclude(institution_id=F("protocol__institution_id"))
        .select_related("institution")
    )


def sites_needing_permission(protocol: Protocol) -> QuerySet[Site]:
    """The protocol's sites whose own head permits for them (``sites_with_own_permission``)."""
    return sites_with_own_permission(Site.objects.filter(protocol=protocol))


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
    access_services.restamp_dashboards(protocol=protocol)
    institution = site.institution
    # sites_needing_permission admits only sites registered at an institution here.
    assert institution is not None
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
        params={**_about(protocol), "site": bilingual(institution.name_ja, institution.name_en)},
        link=_link(protocol),
        protocol=protocol,
    )
    announce(protocol_ids=[protocol.pk], by=by)
    return permission
