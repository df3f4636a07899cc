"""Reads of protocols used by more than one view."""

from dataclasses import dataclass

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.display import event_line, people_named
from research_governance.audit.models import AuditEvent

from . import permissions
from .application import MissingItem, missing_items
from .assessment import Assessment, assess
from .models import (
    ConsentProcedure,
    DataRecipient,
    Document,
    DocumentVersion,
    Protocol,
    ProtocolStatus,
    ProtocolUserObjectPermission,
    ProtocolVersion,
    TeamMember,
)

# What a list row shows: loading only these keeps each row cheap.
LIST_COLUMNS = (
    "id",
    "reference",
    "status",
    "title_ja",
    "title_en",
    "last_submitted_at",
    "updated_at",
    "principal_investigator__name_ja",
    "principal_investigator__name_latin",
    "principal_investigator__email",
)


def protocol_list(*, user: User, status: str = "", query: str = "", team_only: bool = True) -> QuerySet[Protocol]:
    """The protocols a user may list, newest change first. Query count does not grow with rows."""
    base = permissions.team_protocols(user) if team_only else permissions.visible_protocols(user)
    qs = base.select_related("principal_investigator").only(*LIST_COLUMNS)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(title_ja__icontains=query) | Q(title_en__icontains=query) | Q(reference__icontains=query))
    return qs.order_by("-updated_at", "-id")


def dashboard_fingerprint(user: User) -> str:
    """Changes whenever anything the dashboard shows for this user may have changed.

    The user's dashboard stamp gets a fresh token from every service that writes to one of
    their protocols or changes their access. The number and newest id of their permission
    rows are checked as well, from an index alone, so even a grant or revocation made
    outside the services (a shell, a data migration) cannot leave a stale list."""
    found = ProtocolUserObjectPermission.objects.filter(user=user).aggregate(rows=Count("id"), last_grant=Max("id"))
    return f"{found['rows']}-{found['last_grant']}-{permissions.dashboard_stamp(user)}"


def drafts_waiting_for(user: User) -> QuerySet[Protocol]:
    return permissions.editable_protocols(user).filter(status=ProtocolStatus.DRAFT).order_by("-updated_at")


def current_documents(protocol: Protocol) -> list[Document]:
    return list(
        protocol.documents.filter(withdrawn_at__isnull=True, current_version__isnull=False)
        .select_related("current_version", "current_version__uploaded_by")
        .order_by("kind", "id")
    )


def team(protocol: Protocol) -> list[TeamMember]:
    return list(protocol.team_members.select_related("user").order_by("added_at", "id"))


def protocol_assessment(protocol: Protocol) -> Assessment:
    return assess(protocol, recipients(protocol))


def protocol_missing_items(protocol: Protocol, assessment: Assessment | None = None) -> list[MissingItem]:
    """What the application still lacks, including a consent procedure the rules do not
    allow without a requested exception."""
    document_kinds = set(
        protocol.documents.filter(withdrawn_at__isnull=True, current_version__isnull=False).values_list(
            "kind", flat=True
        )
    )
    recipient_kinds = set(protocol.recipients.values_list("kind", flat=True))
    site_leads = list(protocol.sites.values_list("is_lead", flat=True))
    missing = missing_items(
        protocol, document_kinds=document_kinds, recipient_kinds=recipient_kinds, site_leads=site_leads
    )
    assessment = assessment or protocol_assessment(protocol)
    procedure = protocol.consent_procedure
    if (
        assessment.complete
        and procedure
        and not assessment.allows(procedure)
        and not protocol.consent_exception_requested
    ):
        rule_ids = ", ".join(assessment.verdict["consent"]["rule_ids"]) if assessment.verdict else ""
        missing.append(
            MissingItem(
                "data",
                "id_consent_procedure",
                gettext(
                    "The consent procedure “%(procedure)s” is not allowed for this study (%(rules)s). Choose an "
                    "allowed one, or ask the committee for an exception with a justification."
                )
                % {"procedure": ConsentProcedure(procedure).label, "rules": rule_ids},
            )
        )
    return missing


def documents_with_history(protocol: Protocol) -> list[Document]:
    """Every document, withdrawn ones too, with all versions (newest first) in two queries."""
    return list(
        protocol.documents.select_related("current_version")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=DocumentVersion.objects.select_related("uploaded_by").order_by("-number"),
            )
        )
        .order_by(F("withdrawn_at").asc(nulls_first=True), "kind", "id")
    )


def recipients(protocol: Protocol) -> list[DataRecipient]:
    return list(protocol.recipients.order_by("id"))


def versions(protocol: Protocol) -> QuerySet[ProtocolVersion]:
    return protocol.versions.select_related("created_by").order_by("-number")


def version_pair(protocol: Protocol, old: int, new: int) -> tuple[ProtocolVersion, ProtocolVersion] | None:
    """Two versions of the protocol by number, in one query; None unless both exist."""
    found = {version.number: version for version in versions(protocol).filter(number__in=[old, new])}
    if old not in found or new not in found:
        return None
    return found[old], found[new]


@dataclass
class TimelineEntry:
    event: AuditEvent
    repeats: int = 1
    # What happened, to whom where the event says (audit.display.event_line).
    line: str = ""


# Autosave writes an event per save; a run of them by one person reads as one line.
_COLLAPSED_ACTIONS = {AuditAction.PROTOCOL_DRAFT_SAVED}
# A reviewer's comments are their working notes until the review is submitted; the timeline,
# which the investigators read, leaves them out (they stay in the audit trail).
_UNLISTED_ACTIONS = (AuditAction.REVIEW_COMMENT_ADDED, AuditAction.REVIEW_COMMENT_DELETED)


def history(protocol: Protocol, *, limit: int = 200) -> list[TimelineEntry]:
    """The protocol's events, newest first, with runs of draft saves by one person collapsed."""
    entries: list[TimelineEntry] = []
    # Actors are fetched by id in a second query: a join would make PostgreSQL scan the users.
    events = (
        AuditEvent.objects.filter(protocol=protocol)
        .exclude(action__in=_UNLISTED_ACTIONS)
        .prefetch_related("actor")
        .order_by("-id")[:limit]
    )
    for event in events:
        previous = entries[-1] if entries else None
        if (
            previous is not None
            and event.action in _COLLAPSED_ACTIONS
            and previous.event.action == event.action
            and previous.event.actor_id == event.actor_id
        ):
            previous.repeats += 1
        else:
            entries.append(TimelineEntry(event))
    named = people_named(entry.event for entry in entries)
    names = {user.pk: user.display_name for user in User.objects.filter(pk__in=named)} if named else {}
    for entry in entries:
        entry.line = event_line(entry.event.action, entry.event.data, names)
    return entries
