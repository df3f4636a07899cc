"""Test data builders. Protocols are created through the services, as users create them."""

import io
from typing import Any

import factory

from research_governance.accounts.models import Institution, Role, RoleMembership, User
from research_governance.core.samples import minimal_pdf
from research_governance.protocols import services
from research_governance.protocols.models import Protocol

PASSWORD = "correct-horse-battery-staple"


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution
        django_get_or_create = ("code",)

    code = "test-university"
    name_ja = "テスト大学"
    name_en = "Test University"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@test.example")
    name_ja = factory.Sequence(lambda n: f"利用者 {n}")
    name_latin = factory.Sequence(lambda n: f"User {n}")
    institution = factory.SubFactory(InstitutionFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if create:
            self.save()
            for role in extracted or [Role.INVESTIGATOR]:
                RoleMembership.objects.create(user=self, institution=self.institution, role=role)


COMPLETE_FORM: dict[str, Any] = {
    "title_ja": "完全な研究計画",
    "title_en": "A complete protocol",
    "summary": "What we study and why.",
    "planned_start": "2027-04-01",
    "planned_end": "2029-03-31",
    "target_participants": 120,
    "funding_source": "Grant 123",
    "has_conflict_of_interest": False,
    "acquisition": "new",
    "uses_samples": False,
    "invasiveness": "none",
    "interventional": False,
    "special_care_personal_info": False,
    "deidentification": "pseudonymised",
    "consent_procedure": "written_ic",
    "uses_ai": False,
}


def pdf_upload(text: str = "document") -> tuple[io.BytesIO, int]:
    content = minimal_pdf(text)
    return io.BytesIO(content), len(content)


def make_draft(pi: User, **form: Any) -> Protocol:
    protocol = services.protocol_create(by=pi, title_ja=form.pop("title_ja", "下書き"), title_en="")
    if form:
        protocol = services.protocol_update_draft(
            protocol=protocol, by=pi, data=_typed(form), lock_version=protocol.lock_version
        )
    return protocol


def _typed(form: dict[str, Any]) -> dict[str, Any]:
    from datetime import date

    return {
        key: date.fromisoformat(value) if key.startswith("planned_") and isinstance(value, str) else value
        for key, value in form.items()
    }


def attach(protocol: Protocol, by: User, kind: str, name: str = "file.pdf") -> None:
    upload, size = pdf_upload(kind)
    services.document_add(protocol=protocol, by=by, kind=kind, title=kind, upload=upload, name=name, size=size)


def make_complete(pi: User, **overrides: Any) -> Protocol:
    """A draft that passes the completeness check (written IC: protocol and consent form attached)."""
    protocol = make_draft(pi, **{**COMPLETE_FORM, **overrides})
    attach(protocol, pi, "protocol", "protocol.pdf")
    attach(protocol, pi, "consent_form", "consent.pdf")
    protocol.refresh_from_db()
    return protocol
