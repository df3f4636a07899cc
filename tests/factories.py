"""Test data builders. Protocols are created through the services, as users create them."""

import base64
import hashlib
import hmac
import io
import struct
import time
from typing import Any

import factory
from django.conf import settings

from research_governance.accounts.mfa import provision_totp
from research_governance.accounts.models import Institution, Role, RoleMembership, User
from research_governance.demo.samples import minimal_pdf
from research_governance.protocols import services
from research_governance.protocols.models import Protocol

PASSWORD = "correct-horse-battery-staple"
# SEC-02: every privileged test user has set up an authenticator app with this secret (base32).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET, *, at: float | None = None, step: int = 0) -> str:
    """The RFC 6238 code an authenticator app shows (SHA-1, 30-second steps, 6 digits), computed
    here rather than with allauth's helpers so the tests check allauth against the RFC.
    ``step`` moves to the code of a neighbouring 30 seconds (the server accepts one either side)."""
    counter = int((time.time() if at is None else at) // 30) + step
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def needs_second_factor(roles: list[str], user: User) -> bool:
    return bool(set(roles) & set(settings.MFA_REQUIRED_ROLES)) or user.is_staff or user.is_superuser


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
            roles = extracted or [Role.INVESTIGATOR]
            for role in roles:
                RoleMembership.objects.create(user=self, institution=self.institution, role=role)
            # As in real life, privileged users have set up their second factor (SEC-02).
            if needs_second_factor(roles, self):
                provision_totp(self, TOTP_SECRET)


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
