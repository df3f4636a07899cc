"""Builders for the data-sharing tests: a data access committee, a dataset under an active
approval, and a request at each step."""

from datetime import timedelta

from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.agreements import services
from research_governance.committees.models import Committee, CommitteeMembership
from tests.factories import InstitutionFactory, UserFactory

TODAY = timezone.localdate


def make_dac(*, members: int = 3):
    """The institution's data access committee: a chair, a secretary and ``members`` members."""
    committee = Committee.objects.create(
        institution=InstitutionFactory(),
        code="dac",
        name_ja="データアクセス委員会",
        name_en="Data Access Committee",
        kind=Committee.Kind.DATA_ACCESS,
    )
    since = TODAY() - timedelta(days=365)

    def seat(role, email):
        user = UserFactory(email=email, roles=[Role.DATA_ACCESS_COMMITTEE])
        CommitteeMembership.objects.create(committee=committee, user=user, role=role, valid_from=since)
        return user

    chair = seat(CommitteeMembership.Role.CHAIR, "dac-chair@test.example")
    secretary = seat(CommitteeMembership.Role.SECRETARIAT, "dac-secretary@test.example")
    others = [seat(CommitteeMembership.Role.MEMBER, f"dac-member{n}@test.example") for n in range(members)]
    return committee, chair, secretary, others


def dataset_data(**overrides):
    return {
        "title": "Cohort biomarker panel",
        "description": "Serum biomarkers of the cohort, coded.",
        "deidentification": "non_identifiable",
        "special_care": True,
        "genetic": False,
        "consent_covers_provision": True,
        "duo_permission": "HMB",
        "duo_modifiers": ["NPU", "IRB"],
        "duo_countries": [],
        **overrides,
    }


def make_dataset(approval, **overrides):
    """A dataset of the approved protocol, registered by its PI."""
    protocol = approval.protocol
    return services.dataset_register(
        protocol=protocol, by=protocol.principal_investigator, data=dataset_data(**overrides)
    )


def request_data(**overrides):
    return {
        "title": "Biomarkers of early kidney disease",
        "research_summary": "Association of serum biomarkers with early chronic kidney disease.",
        "purpose": "DS",
        "purpose_diseases": ["MONDO:0005300"],
        "commercial": False,
        "ethics_approval_reference": "ERC-2026-0042",
        "recipient_institution": "Test University Hospital",
        "recipient_country": "JP",
        "deidentification_shared": "non_identifiable",
        "medium": "secure_transfer",
        "security_storage": True,
        "security_access_control": True,
        "security_encryption": True,
        "security_no_reidentification": True,
        "security_destruction": True,
        "term_start": TODAY(),
        "term_end": TODAY() + timedelta(days=365),
        "destruction_date": TODAY() + timedelta(days=395),
        **overrides,
    }


def make_request(requester, datasets, *, team=(), submit=True, **overrides):
    data_request = services.request_create(
        by=requester, data=request_data(**overrides), datasets=list(datasets), team=list(team)
    )
    if submit:
        data_request = services.request_submit(data_request=data_request, by=requester)
    return data_request
