"""One realistic world for the permission audit (tests/core/test_view_permissions.py).

Everyone works at the same institution. Protocol A has gone far: returned once with a
pre-screening request, answered, resubmitted, accepted for the full board, reviewed by an
assigned member, put on a meeting's agenda with attendance, voted on and decided
"approve with conditions"; the PI has answered the condition, which waits for sign-off.
The reviewer left a comment on A's
data section before submitting the review. Protocol B is another investigator's draft."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.agreements import dac_services, refusal_services
from research_governance.agreements import services as data_services
from research_governance.agreements.document import agreement_render
from research_governance.agreements.models import RequestConflict
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.notifications.models import Notification
from research_governance.protocols import services as protocol_services
from research_governance.protocols.models import DataRecipient, Document, Protocol, Site, TeamMember
from research_governance.reviews import services as review_services
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import (
    AgendaItem,
    Approval,
    Condition,
    ConflictDeclaration,
    Decision,
    Meeting,
    PrescreenRequest,
    ReviewerAssignment,
    Submission,
)
from research_governance.reviews.review import comments as review_comments
from tests.agreements.refusal_support import approve_opt_out, make_agreement
from tests.agreements.support import make_dataset
from tests.committees.support import make_committee
from tests.factories import UserFactory, make_complete, make_draft
from tests.reviews.meeting.support import SIX

DUE = timezone.localdate() + timedelta(days=14)
# Unique strings: a page that shows them to someone outside the study leaks protocol A.
A_TITLE = "Zebrafish-Alpha cohort study"
A_SUMMARY = "Secret-summary-of-alpha"
B_TITLE = "Bravo-hidden draft"
# A reviewer's comment on A: only the reviewer, and whoever may read submitted reviews, see it.
A_COMMENT = "Reviewer-comment-on-alpha"

CHECKLIST = {
    key: {"rating": "adequate", "comment": ""}
    for key in ("scientific_validity", "risk_benefit", "consent", "privacy", "ai", "conflicts")
}


@dataclass
class World:
    people: dict[str, User | None]
    committee: Committee
    protocol_a: Protocol
    protocol_b: Protocol
    first_submission: Submission
    submission: Submission
    prescreen_request: PrescreenRequest
    assignment: ReviewerAssignment
    meeting: Meeting
    item: AgendaItem
    decision: Decision
    condition: Condition
    team_member: TeamMember
    site: Site
    recipient: DataRecipient
    document: Document
    notification: Notification
    member_seat: CommitteeMembership
    ids: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    committee, seats = make_committee(SIX)
    reviewer, member, conflicted, chair = (seat.user for seat in seats[:4])
    chair_seat = seats[3]
    chair_seat.role = CommitteeMembership.Role.CHAIR
    chair_seat.save()
    RoleMembership.objects.create(user=chair, institution=committee.institution, role=Role.CHAIR)

    pi = UserFactory(email="pi@audit.example", name_latin="Pat Investigator")
    coinvestigator = UserFactory(email="co@audit.example", name_latin="Cory Coinvestigator")
    other = UserFactory(email="other@audit.example", name_latin="Olga Other")
    secretariat = UserFactory(email="secretariat@audit.example", roles=[Role.SECRETARIAT])
    head = UserFactory(email="head@audit.example", roles=[Role.HEAD])
    auditor = UserFactory(email="auditor@audit.example", roles=[Role.AUDITOR])

    protocol = make_complete(pi, title_en=A_TITLE, summary=A_SUMMARY)
    team_member = protocol_services.team_member_add(
        protocol=protocol, by=pi, user=coinvestigator, role=TeamMember.Role.CO_INVESTIGATOR, can_edit=False
    )
    site = protocol_services.site_add(
        protocol=protocol, by=pi, name="Alpha Hospital", site_investigator="", is_lead=True
    )
    recipient = protocol_services.recipient_add(
        protocol=protocol, by=pi, name="Alpha Lab", kind="research_institution", country="JP", equivalent_measures=False
    )

    first = review_services.protocol_submit(protocol=protocol, by=pi)
    review_services.submission_return(submission=first, by=secretariat, requests=["Explain the sample size."])
    prescreen_request = first.requests.get()
    review_services.request_answer(request=prescreen_request, by=pi, response="A power analysis is attached.")
    second = review_services.protocol_submit(protocol=protocol, by=pi)
    review_services.submission_accept(submission=second, by=secretariat, route="full_board")

    assignment = review_services.reviewer_assign(submission=second, by=secretariat, reviewer=reviewer, due_date=DUE)
    review_services.conflict_declare(submission=second, member=reviewer, has_conflict=False, reason="")
    review_services.review_save(
        assignment=assignment, by=reviewer, checklist=CHECKLIST, recommendation="approve_with_conditions", summary="Ok."
    )
    comment = review_comments.comment_add(assignment=assignment, by=reviewer, section="data", text=A_COMMENT)
    review_services.review_submit(assignment=assignment, by=reviewer)
    # The conflicted member declares a conflict of interest on A (US-IRB-03); not on A's team.
    ConflictDeclaration.objects.create(
        submission=second, member=conflicted, has_conflict=True, reason="Consults", declared_at=timezone.now()
    )

    meeting = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(hours=1), location="Room 1"
    )
    item = meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=second)
    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=seats)
    for seat in seats:
        if seat.user != conflicted:
            meeting_services.vote_cast(item=item, by=seat.user, choice="for")
    meeting_services.item_decide(
        item=item,
        by=secretariat,
        outcome="approve_with_conditions",
        reasons="Sound; the consent form needs one change.",
        conditions=["Add the withdrawal contact to the consent form."],
    )
    second.refresh_from_db()
    item.refresh_from_db()
    decision = second.decision
    condition = decision.conditions.get()
    review_services.condition_answer(condition=condition, by=pi, response="Added in consent form v1.1.")

    protocol_b = make_draft(other, title_en=B_TITLE)
    protocol.refresh_from_db()
    document = protocol.documents.order_by("pk").first()
    version_under_review = second.version.document_versions.order_by("pk").first()
    notification = Notification.objects.filter(recipient=pi).order_by("pk").first()
    assert document is not None
    assert version_under_review is not None
    assert notification is not None

    people: dict[str, User | None] = {
        "anonymous": None,
        "pi": pi,
        "coinvestigator": coinvestigator,
        "other_investigator": other,
        "reviewer": reviewer,
        "member": member,
        "conflicted": conflicted,
        "secretariat": secretariat,
        "chair": chair,
        "head": head,
        "auditor": auditor,
    }
    world = World(
        people=people,
        committee=committee,
        protocol_a=protocol,
        protocol_b=protocol_b,
        first_submission=first,
        submission=second,
        prescreen_request=prescreen_request,
        assignment=assignment,
        meeting=meeting,
        item=item,
        decision=decision,
        condition=condition,
        team_member=team_member,
        site=site,
        recipient=recipient,
        document=document,
        notification=notification,
        member_seat=seats[1],
    )
    # An approval to aim the suspend/close route at. Made directly: the world's condition is
    # deliberately left unsigned, so the head could not have permitted yet.
    approval = Approval.objects.create(
        protocol=protocol,
        decision=decision,
        version=second.version,
        reference=f"A-{protocol.reference}-1",
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + timedelta(days=365),
        created_at=timezone.now(),
    )
    # Data sharing: A's dataset goes to a recipient (no persona) under an agreement; a subject of
    # A withdrew, so the recipient has a refusal to acknowledge.
    recipient_user = UserFactory(email="recipient@audit.example", name_latin="Rita Recipient")
    agreement = make_agreement(make_dataset(approval), recipient_user)
    refusal = refusal_services.refusal_register(protocol=protocol, by=pi, kind="withdrawal", subject_code="A-0001")
    # Protocol C: another investigator's opt-out study with an approval in force: its notice is public.
    notice = approve_opt_out(UserFactory(email="notice-pi@audit.example"), secretariat, seats, head)
    world.ids = {
        "refusal_id": refusal.pk,
        "ack_id": refusal.acknowledgements.get(agreement=agreement).pk,
        "reference": notice.protocol.reference,
        "notice_number": notice.version.number,
        "protocol_pk": protocol.pk,
        **data_sharing(committee, people),
        "kind": "progress_report",
        "approval_id": approval.pk,
        "pk": protocol.pk,
        "member_id": team_member.pk,
        "site_id": site.pk,
        "recipient_id": recipient.pk,
        "document_id": document.pk,
        "version_id": version_under_review.pk,
        "number": second.version.number,
        "first_number": first.version.number,
        "other": second.version.number,
        "round_number": first.round,
        "comment_id": comment.pk,
        "submission_id": second.pk,
        "request_id": prescreen_request.pk,
        "assignment_id": assignment.pk,
        "condition_id": condition.pk,
        "decision_id": decision.pk,
        "committee_pk": committee.pk,
        "membership_id": seats[1].pk,
        "meeting_id": meeting.pk,
        "item_id": item.pk,
        "notification_pk": notification.pk,
        "report": "workload",
        "year": timezone.localdate().year,
    }
    add_records_world(world)
    return world


def data_sharing(committee: Committee, people: dict[str, User | None]) -> dict[str, Any]:
    """Data sharing around A (agreements.dac_services): A's PI offers a dataset under A's approval; the
    other investigator requests it; the institution's data access committee has the chair and the
    secretariat as officers and the reviewer, member and conflicted personas as members. The
    reviewer reviewed, the conflicted member declared a conflict (US-IRB-03), the secretariat
    recorded an approval: the agreement awaits both signatures; its document is rendered."""
    dac = Committee.objects.create(
        institution=committee.institution,
        code="dac-audit",
        name_ja="データアクセス委員会",
        name_en="Data Access Committee",
        kind=Committee.Kind.DATA_ACCESS,
    )
    since = timezone.localdate() - timedelta(days=30)
    for persona, role in (
        ("chair", CommitteeMembership.Role.CHAIR),
        ("secretariat", CommitteeMembership.Role.SECRETARIAT),
        ("reviewer", CommitteeMembership.Role.MEMBER),
        ("member", CommitteeMembership.Role.MEMBER),
        ("conflicted", CommitteeMembership.Role.MEMBER),
    ):
        CommitteeMembership.objects.create(committee=dac, user=people[persona], role=role, valid_from=since)
    pi, requester, secretariat = people["pi"], people["other_investigator"], people["secretariat"]
    protocol = Protocol.objects.get(principal_investigator=pi)
    dataset = data_services.dataset_register(
        protocol=protocol,
        by=pi,
        data={
            "title": "Alpha-derived serum panel",
            "deidentification": "non_identifiable",
            "consent_covers_provision": True,
            "duo_permission": "HMB",
        },
    )
    data_request = data_services.request_create(
        by=requester,
        data={
            "title": "Data-request-of-other",
            "research_summary": "Serum markers of kidney disease.",
            "purpose": "HMB",
            "recipient_institution": "Other University",
            "recipient_country": "JP",
            "deidentification_shared": "non_identifiable",
            "medium": "secure_transfer",
            **dict.fromkeys(data_services.SECURITY_FIELDS, True),
            "term_start": timezone.localdate(),
            "term_end": timezone.localdate() + timedelta(days=365),
            "destruction_date": timezone.localdate() + timedelta(days=400),
        },
        datasets=[dataset],
    )
    data_services.request_submit(data_request=data_request, by=requester)
    dac_services.request_accept(data_request=data_request, by=secretariat)
    assignment = dac_services.reviewer_assign(data_request=data_request, by=secretariat, reviewer=people["reviewer"])
    dac_services.review_submit(review=assignment, by=people["reviewer"], recommendation="approve", comments="Fine.")
    # Declared before being asked (unassigned members do not see the request), as on the ethics side.
    RequestConflict.objects.create(
        request=data_request, member=people["conflicted"], reason="Collaborates.", declared_at=timezone.now()
    )
    dac_services.decision_record(
        data_request=data_request, by=secretariat, outcome="approve", reasons="Within consent."
    )
    data_request.refresh_from_db()
    agreement = agreement_render(data_request.agreement.pk)
    assert agreement is not None
    return {
        "data_request_pk": data_request.pk,
        "agreement_pk": agreement.pk,
        "agreement_code": agreement.verification_code,
        "fmt": "csv",
    }


def add_records_world(world: World) -> None:
    """Data sharing: the records pages (agreements.views_records). A second dataset of protocol A,
    requested by someone who is none of the personas (the requester's own view is tested in
    tests/agreements), with an active agreement signed by the data access committee's chair. The
    conflicted member declared a conflict on this request too (US-IRB-03). The PI and the
    co-investigator of A are the provider's side; the auditor reads."""
    from research_governance.agreements.models import AccessGrant, Agreement, Signature

    pi, chair = world.people["pi"], world.people["chair"]
    dataset = data_services.dataset_register(
        protocol=world.protocol_a,
        by=pi,
        data={
            "title": "Shared biomarker panel",
            "deidentification": "non_identifiable",
            "consent_covers_provision": True,
            "duo_permission": "HMB",
        },
    )
    requester = UserFactory(email="requester@audit.example", name_latin="Rita Requester")
    today = timezone.localdate()
    data_request = data_services.request_create(
        by=requester,
        data={"title": "Data request", "term_start": today, "term_end": today + timedelta(days=365)},
        datasets=[dataset],
    )
    RequestConflict.objects.create(
        request=data_request, member=world.people["conflicted"], reason="Consults", declared_at=timezone.now()
    )
    type(data_request).objects.filter(pk=data_request.pk).update(status="decided", reference="DAR-AUDIT-1")
    now = timezone.now()
    agreement = Agreement.objects.create(
        request=data_request,
        reference="DSA-AUDIT-1",
        status="active",
        term_start=today,
        term_end=today + timedelta(days=365),
        destruction_due=today + timedelta(days=395),
        status_changed_at=now,
        created_at=now,
    )
    for party, signer in ((Signature.Party.RECIPIENT, requester), (Signature.Party.PROVIDER, chair)):
        Signature.objects.create(
            agreement=agreement,
            party=party,
            signer=signer,
            printed_name=signer.display_name,
            signed_at=now,
            meaning="Agreed",
        )
    AccessGrant.objects.create(
        agreement=agreement,
        user=requester,
        starts_at=now,
        ends_at=now + timedelta(days=365),
        granted_by=chair,
        created_at=now,
    )
    world.ids.update({"records_request_pk": data_request.pk, "dataset_id": dataset.pk})
