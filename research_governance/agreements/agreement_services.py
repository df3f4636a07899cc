"""A data-sharing agreement after the data access committee's approving decision
(``dac_services``): signatures, the terms, and the access grants that follow.

- The requester signs for the recipient, an unconflicted officer of the committee for the
  provider institution (US-R-01: printed name, date and time, meaning; the password asked again,
  as for every electronic signature: ``reviews.engine.signature``). The second signature
  activates the agreement.
- Each team member accepts the terms; their access grant is made at activation, or at their
  acceptance if later. ``access_allowed`` is the one access check: expiry needs no job.

Every service locks the rows it changes, checks permission, asks the workflow table, records the
audit event in the same transaction and notifies after commit (``notify``)."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.notifications.handoff import announce
from research_governance.notifications.services import notify
from research_governance.reviews.engine.signature import check_signature
from research_governance.reviews.models import Condition
from research_governance.reviews.workflow import TransitionRefused, transition_for

from .dac_selectors import party_for
from .dac_services import _lock_request, _visible_or_refused
from .models import AccessGrant, Agreement, DataAccessRequest, Dataset, RequestTeamMember, Signature
from .services import dac_officers, request_about, request_link, requesting_team
from .workflow import AGREEMENT_TRANSITIONS, AgreementStatus, DataActor, GrantState

# What each party's signature means (US-R-01), in the ethics side's terms (reviews Condition.Meaning):
# the recipient takes responsibility for keeping the terms; the provider approves the provision.
PARTY_MEANING = {
    Signature.Party.RECIPIENT: Condition.Meaning.RESPONSIBILITY,
    Signature.Party.PROVIDER: Condition.Meaning.APPROVAL,
}


def _institution_day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the institution's time zone (the site's TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def grant_period(agreement: Agreement, now: datetime) -> tuple[datetime, datetime]:
    """From the later of now and the first day of the term, to the end of its last day."""
    starts = max(now, _institution_day_start(agreement.term_start))
    ends = _institution_day_start(agreement.term_end + timedelta(days=1))
    return starts, ends


def _lock_agreement(agreement: Agreement) -> tuple[Agreement, DataAccessRequest]:
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    return locked, _lock_request(locked.request)


@transaction.atomic
def agreement_sign(*, agreement: Agreement, by: User, password: str) -> Signature:
    """Sign the agreement for one's party (US-R-01). The signature has two components, the
    signed-in identity and the password entered again; a wrong password signs nothing. It shows
    the printed name at signing, the date and time, and its meaning. The recipient's signature is
    also the requester's acceptance of the terms. The second signature activates the agreement."""
    locked, data_request = _lock_agreement(agreement)
    _visible_or_refused(by, data_request)
    party = party_for(by, data_request)
    if not party:
        raise PermissionDenied
    actor = DataActor.REQUESTER if party == Signature.Party.RECIPIENT else DataActor.DAC_OFFICER
    transition = transition_for("sign", locked.status, {actor}, AGREEMENT_TRANSITIONS)
    if locked.signatures.filter(party=party).exists():
        raise TransitionRefused(gettext("This agreement has already been signed for your party."))
    check_signature(by, password)
    now = timezone.now()
    # The signature's manifestation (US-R-01), on the row it signs.
    manifestation = {"signer": by, "printed_name": by.display_name, "signed_at": now, "meaning": PARTY_MEANING[party]}
    signature = Signature.objects.create(agreement=locked, party=party, **manifestation)
    # What was signed, by whom, meaning what, and how (US-R-01).
    signed = {
        "reference": locked.reference,
        "party": party,
        "printed_name": signature.printed_name,
        "signed_at": now.isoformat(),
        "meaning": signature.meaning,
        "document_sha256": locked.document_sha256,
        "signature_components": ["signed-in user", "password"],
    }
    audit_record(actor=by, action=transition.audit_action, target=locked, data=signed)
    if party == Signature.Party.RECIPIENT:
        RequestTeamMember.objects.filter(request=data_request, user=by, accepted_terms_at__isnull=True).update(
            accepted_terms_at=now
        )
    if locked.signatures.count() == len(Signature.Party.values):
        _activate(locked, data_request, by, actor, now)
    # After the recipient's signature the committee's officers are asked to sign for the provider.
    announce(request_ids=[data_request.pk], by=by)
    return signature


def _activate(locked: Agreement, data_request: DataAccessRequest, by: User, actor: DataActor, now: datetime) -> None:
    from .document import queue_document

    transition = transition_for("activate", locked.status, {actor}, AGREEMENT_TRANSITIONS)
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = now
    locked.save(update_fields=["status", "status_changed_at"])
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        data={"reference": locked.reference, "from": previous, "to": locked.status},
    )
    granted = [
        grant
        for member in data_request.team.filter(accepted_terms_at__isnull=False).select_related("user")
        if (grant := _grant(locked, member.user, now)) is not None
    ]
    # The document again, now with both signatures printed (same verification code, new hash).
    queue_document(locked)
    # Everyone of both parties but the person whose signature just activated it.
    notify(
        recipients=[
            user
            for user in [*requesting_team(data_request), *dac_officers(data_request.institution_id)]
            if user.pk != by.pk
        ],
        kind="agreement.active",
        params={**request_about(data_request), "count": len(granted)},
        link=request_link(data_request),
    )


def _grant(agreement: Agreement, user: User, now: datetime) -> AccessGrant | None:
    """The person's grant for the agreement's term (None when the term is already over)."""
    existing = AccessGrant.objects.filter(agreement=agreement, user=user, state=GrantState.OPEN).first()
    if existing is not None:
        return existing
    starts, ends = grant_period(agreement, now)
    if ends <= starts:
        return None
    provider = agreement.signatures.get(party=Signature.Party.PROVIDER)
    grant = AccessGrant.objects.create(
        agreement=agreement,
        user=user,
        starts_at=starts,
        ends_at=ends,
        granted_by_id=provider.signer_id,
        created_at=now,
    )
    period = {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
    audit_record(
        actor=None,
        action=AuditAction.ACCESS_GRANT_CREATED,
        target=agreement,
        data={"grant_id": grant.pk, "user_id": user.pk, "email": user.email, **period},
    )
    return grant


@transaction.atomic
def terms_accept(*, agreement: Agreement, by: User) -> RequestTeamMember:
    """A team member accepts the agreement's terms; under an active agreement their access grant
    is made at once (otherwise at activation). Accepting twice changes nothing."""
    locked, data_request = _lock_agreement(agreement)
    member = RequestTeamMember.objects.select_for_update().filter(request=data_request, user=by).first()
    if member is None:
        raise PermissionDenied
    if locked.status not in (AgreementStatus.AWAITING_SIGNATURES, AgreementStatus.ACTIVE):
        raise TransitionRefused(gettext("The terms of an agreement no longer in force cannot be accepted."))
    now = timezone.now()
    if member.accepted_terms_at is None:
        member.accepted_terms_at = now
        member.save(update_fields=["accepted_terms_at"])
        audit_record(
            actor=by, action=AuditAction.AGREEMENT_TERMS_ACCEPTED, target=locked, data={"reference": locked.reference}
        )
    if locked.status == AgreementStatus.ACTIVE:
        _grant(locked, by, now)
    announce(request_ids=[data_request.pk], by=by)
    return member


def access_allowed(user: User, dataset: Dataset, at: datetime | None = None) -> bool:
    """Whether the user may use the dataset at ``at`` (now): an open grant, begun and not ended,
    under an active agreement covering the dataset. The one access check: a grant whose end has
    passed is refused at once, with no job having run."""
    if not (user.is_authenticated and user.is_active):
        return False
    return AccessGrant.objects.active(at).filter(user=user, agreement__request__datasets=dataset).exists()
