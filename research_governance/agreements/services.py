"""Writing datasets and requests: the provider registers a dataset under an active approval; the
requester drafts, submits, withdraws and renews a request. The committee's side is in
``dac_services``, signatures, terms and grants in ``agreement_services``; what follows an
agreement is in ``cascade_services`` and ``records_services``; refusals in ``refusal_services``."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.notifications.handoff import announce
from research_governance.protocols import permissions as protocol_permissions
from research_governance.protocols.models import Protocol
from research_governance.reviews.services import current_approval
from research_governance.reviews.workflow import ApprovalStatus, transition_for

from . import permissions
from .models import DataAccessRequest, Dataset, RequestTeamMember
from .workflow import REQUEST_TRANSITIONS, DataActor

# The request's own fields a requester fills in (the datasets and the team are set apart).
REQUEST_FIELDS = (
    "title",
    "research_summary",
    "purpose",
    "purpose_diseases",
    "genetic_study",
    "methods_development",
    "commercial",
    "ethics_approval_reference",
    "recipient_institution",
    "recipient_is_provider",
    "recipient_country",
    "equivalent_measures",
    "standard_contractual_clauses",
    "deidentification_shared",
    "medium",
    "security_storage",
    "security_access_control",
    "security_encryption",
    "security_no_reidentification",
    "security_destruction",
    "security_notes",
    "term_start",
    "term_end",
    "destruction_date",
)
SECURITY_FIELDS = (
    "security_storage",
    "security_access_control",
    "security_encryption",
    "security_no_reidentification",
    "security_destruction",
)
DATASET_FIELDS = (
    "title",
    "description",
    "deidentification",
    "special_care",
    "genetic",
    "personally_referable",
    "consent_covers_provision",
    "consent_with_foreign_information",
    "eea_origin",
    "duo_permission",
    "duo_diseases",
    "duo_modifiers",
    "duo_countries",
    "duo_time_limit",
    "duo_moratorium_until",
)


def request_link(data_request: DataAccessRequest) -> str:
    from django.urls import reverse

    return reverse("agreements:request_detail", args=[data_request.pk])


def request_about(data_request: DataAccessRequest) -> dict[str, Any]:
    return {"reference": data_request.reference or f"#{data_request.pk}", "title": data_request.title}


def dac_officers(institution_id: int) -> list[User]:
    """The chair and secretariat of the institution's data access committee."""
    return list(
        User.objects.filter(
            committee_memberships__in=CommitteeMembership.objects.filter(
                CommitteeMembership.current_q(),
                committee__institution_id=institution_id,
                committee__kind=Committee.Kind.DATA_ACCESS,
                role__in=permissions.OFFICER_ROLES,
            )
        ).distinct()
    )


def requesting_team(data_request: DataAccessRequest) -> list[User]:
    """The requester and every team member: the recipient side."""
    users = {data_request.requester_id: data_request.requester}
    for member in data_request.team.select_related("user"):
        users[member.user_id] = member.user
    return list(users.values())


@transaction.atomic
def dataset_register(*, protocol: Protocol, by: User, data: dict[str, Any]) -> Dataset:
    """The PI (or a team member who may edit) registers data held under the protocol's active approval."""
    locked = Protocol.objects.select_for_update().get(pk=protocol.pk)
    if not (locked.principal_investigator_id == by.pk or protocol_permissions.can_submit(by, locked)):
        raise PermissionDenied
    approval = current_approval(locked)
    if approval is None or approval.status != ApprovalStatus.ACTIVE:
        raise ValidationError(gettext("Data can be offered for sharing only under an active ethics approval."))
    dataset = Dataset(
        institution_id=locked.institution_id,
        protocol=locked,
        approval=approval,
        created_by=by,
        **{name: data[name] for name in DATASET_FIELDS if name in data},
    )
    dataset.full_clean()
    dataset.save()
    audit_record(
        actor=by,
        action=AuditAction.DATASET_REGISTERED,
        target=dataset,
        protocol=locked,
        data={"title": dataset.title, "approval": approval.reference, "duo": duo_scope(dataset)},
    )
    return dataset


def duo_scope(dataset: Dataset) -> dict[str, Any]:
    return {
        "permission": dataset.duo_permission,
        "diseases": list(dataset.duo_diseases),
        "modifiers": list(dataset.duo_modifiers),
        "countries": list(dataset.duo_countries),
        "time_limit": dataset.duo_time_limit.isoformat() if dataset.duo_time_limit else None,
    }


def _set_team(data_request: DataAccessRequest, team: list[User]) -> None:
    wanted = {user.pk for user in team} | {data_request.requester_id}
    data_request.team.exclude(user_id__in=wanted).delete()
    existing = set(data_request.team.values_list("user_id", flat=True))
    RequestTeamMember.objects.bulk_create(
        RequestTeamMember(request=data_request, user_id=user_id) for user_id in sorted(wanted - existing)
    )


@transaction.atomic
def request_create(
    *, by: User, data: dict[str, Any], datasets: list[Dataset], team: list[User] | None = None
) -> DataAccessRequest:
    """A new draft request. Every dataset must belong to one providing institution, whose data
    access committee decides."""
    institutions = {dataset.institution_id for dataset in datasets}
    if len(institutions) != 1:
        raise ValidationError(gettext("Choose datasets of one providing institution per request."))
    data_request = DataAccessRequest(
        institution_id=institutions.pop(), requester=by, **{k: v for k, v in data.items() if k in REQUEST_FIELDS}
    )
    data_request.full_clean(exclude=["reference"])
    data_request.save()
    data_request.datasets.set(datasets)
    _set_team(data_request, team or [])
    audit_record(
        actor=by, action=AuditAction.DATA_REQUEST_CREATED, target=data_request, data={"title": data_request.title}
    )
    return data_request


@transaction.atomic
def request_update(
    *,
    data_request: DataAccessRequest,
    by: User,
    data: dict[str, Any],
    datasets: list[Dataset],
    team: list[User] | None = None,
    lock_version: int | None = None,
) -> DataAccessRequest:
    locked = DataAccessRequest.objects.select_for_update().get(pk=data_request.pk)
    if not permissions.can_edit_request(by, locked):
        raise PermissionDenied
    if lock_version is not None and lock_version != locked.lock_version:
        raise ValidationError(
            gettext("Someone else changed this request meanwhile. Reload it and make your changes again.")
        )
    if {dataset.institution_id for dataset in datasets} != {locked.institution_id}:
        raise ValidationError(gettext("Choose datasets of one providing institution per request."))
    for name in REQUEST_FIELDS:
        if name in data:
            setattr(locked, name, data[name])
    locked.lock_version += 1
    locked.full_clean(exclude=["reference"])
    locked.save()
    locked.datasets.set(datasets)
    _set_team(locked, team or [])
    audit_record(actor=by, action=AuditAction.DATA_REQUEST_UPDATED, target=locked, data={"title": locked.title})
    return locked


def missing_for_submission(data_request: DataAccessRequest) -> list[str]:
    """What the request still lacks before it can be submitted, in words for the requester."""
    missing = []
    if not data_request.research_summary.strip():
        missing.append(gettext("Describe the intended use."))
    if not data_request.purpose:
        missing.append(gettext("Choose the purpose."))
    elif data_request.purpose == "DS" and not data_request.purpose_diseases:
        missing.append(gettext("Name the diseases studied (for example MONDO:0004992)."))
    if not data_request.recipient_is_provider and not data_request.recipient_institution.strip():
        missing.append(gettext("Name the recipient institution."))
    if not data_request.recipient_country:
        missing.append(gettext("Give the recipient's country."))
    if not data_request.deidentification_shared:
        missing.append(gettext("Choose the de-identification level to be shared."))
    if not data_request.medium:
        missing.append(gettext("Choose how the data are provided."))
    if not all(getattr(data_request, name) for name in SECURITY_FIELDS):
        missing.append(gettext("Confirm every security measure."))
    if not (data_request.term_start and data_request.term_end and data_request.destruction_date):
        missing.append(gettext("Give the term and the date by which the data are destroyed."))
    elif data_request.destruction_date < data_request.term_end:
        missing.append(gettext("The data cannot be destroyed before the term ends."))
    if not data_request.datasets.exists():
        missing.append(gettext("Choose at least one dataset."))
    return missing


class RequestIncomplete(ValidationError):
    pass


@transaction.atomic
def request_submit(*, data_request: DataAccessRequest, by: User) -> DataAccessRequest:
    """The requester submits the request (again, after a return) to the data access committee.

    The assessment shown at that moment is kept with the request, with the rulebook version it used."""
    from .assessment import assess_request

    locked = DataAccessRequest.objects.select_for_update().get(pk=data_request.pk)
    if locked.requester_id != by.pk:
        raise PermissionDenied
    transition = transition_for("submit", locked.status, {DataActor.REQUESTER}, REQUEST_TRANSITIONS)
    missing = missing_for_submission(locked)
    if missing:
        raise RequestIncomplete(missing)
    previous = locked.status
    now = timezone.now()
    locked.status = transition.target
    locked.submitted_at = now
    locked.status_changed_at = now
    locked.assessment = assess_request(locked)
    if not locked.reference:
        locked.reference = f"DAR-{timezone.localdate():%Y}-{locked.pk:05d}"
    locked.save()
    audit_record(
        actor=by,
        action=AuditAction(transition.audit_action),
        target=locked,
        data={"from": previous, "to": locked.status, "permitted": locked.assessment.get("permitted")},
    )
    # The committee's officers are told the request waits for their pre-screening.
    announce(request_ids=[locked.pk], by=by)
    return locked


@transaction.atomic
def request_withdraw(*, data_request: DataAccessRequest, by: User) -> DataAccessRequest:
    locked = DataAccessRequest.objects.select_for_update().get(pk=data_request.pk)
    if locked.requester_id != by.pk:
        raise PermissionDenied
    transition = transition_for("withdraw", locked.status, {DataActor.REQUESTER}, REQUEST_TRANSITIONS)
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at", "updated_at"])
    audit_record(actor=by, action=AuditAction(transition.audit_action), target=locked, data={"from": previous})
    announce(request_ids=[locked.pk], by=by)
    return locked


@transaction.atomic
def request_copy(*, source: DataAccessRequest, by: User) -> DataAccessRequest:
    """Renewal by copy: a new draft pre-filled from an earlier request the user may see as its
    requester, with the same datasets and team. Nothing is accepted or signed yet."""
    if source.requester_id != by.pk:
        raise PermissionDenied
    copy = DataAccessRequest(
        institution_id=source.institution_id,
        requester=by,
        renewal_of=source,
        **{name: getattr(source, name) for name in REQUEST_FIELDS},
    )
    copy.term_start = copy.term_end = copy.destruction_date = None
    copy.save()
    copy.datasets.set(source.datasets.all())
    _set_team(copy, [member.user for member in source.team.select_related("user")])
    audit_record(
        actor=by, action=AuditAction.DATA_REQUEST_RENEWAL_STARTED, target=copy, data={"renews": source.reference}
    )
    return copy


def actors_for(user: User, data_request: DataAccessRequest) -> set[DataActor]:
    actors: set[DataActor] = set()
    if data_request.requester_id == user.pk:
        actors.add(DataActor.REQUESTER)
    if permissions.can_act_as_officer(user, data_request):
        actors.add(DataActor.DAC_OFFICER)
    return actors
