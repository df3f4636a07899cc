"""The requester's and the provider's forms. Lists of codes (diseases, countries, modifiers) are
typed as text and kept as typed when the form is shown again with errors."""

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.workflow import ApprovalStatus

from .models import DataAccessRequest, Dataset
from .services import DATASET_FIELDS, REQUEST_FIELDS

# The DUO modifiers a dataset may carry (rules.duo knows what each means).
DUO_MODIFIER_CHOICES = [
    ("NPU", _("Not-for-profit use only (NPU)")),
    ("NCU", _("Non-commercial use only (NCU)")),
    ("GS", _("Geographical restriction (GS)")),
    ("IRB", _("Ethics approval required (IRB)")),
    ("PUB", _("Publication required (PUB)")),
    ("COL", _("Collaboration required (COL)")),
    ("RTN", _("Return to the database required (RTN)")),
    ("TS", _("Time limit on use (TS)")),
    ("MOR", _("Publication moratorium (MOR)")),
    ("US", _("User-specific restriction (US)")),
    ("PS", _("Project-specific restriction (PS)")),
    ("IS", _("Institution-specific restriction (IS)")),
    ("GSO", _("Genetic studies only (GSO)")),
    ("NMDS", _("No general methods research (NMDS)")),
]
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9_.-]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class CodeListField(forms.CharField):
    """Codes separated by commas, spaces or new lines, kept in order without repeats."""

    def __init__(self, *, pattern: re.Pattern[str], example: str, upper: bool = False, **kwargs: Any):
        self.pattern, self.example, self.upper = pattern, example, upper
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]  # cleans to a list, not CharField's str
        text = super().to_python(value) or ""
        codes: list[str] = []
        for code in re.split(r"[\s,;、]+", text.strip()):
            code = code.upper() if self.upper else code
            if code and code not in codes:
                codes.append(code)
        return codes

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        wrong = [code for code in value if not self.pattern.match(code)]
        if wrong:
            raise forms.ValidationError(
                _("Not a code: %(codes)s. Write codes like %(example)s."),
                params={"codes": ", ".join(wrong), "example": self.example},
            )


def disease_field(label: Any) -> CodeListField:
    return CodeListField(
        pattern=_CODE,
        example="MONDO:0004992",
        label=label,
        help_text=_("Ontology codes such as MONDO:0004992, separated by commas. They are matched exactly."),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any):
        super().__init__(format="%Y-%m-%d", **kwargs)


# The request form's sections, in order: (slug, heading, fields).
REQUEST_FORM_SECTIONS = (
    ("datasets", _("Data requested"), ("datasets",)),
    (
        "research",
        _("The research"),
        (
            "title",
            "research_summary",
            "purpose",
            "purpose_diseases",
            "genetic_study",
            "methods_development",
            "commercial",
            "ethics_approval_reference",
        ),
    ),
    (
        "recipient",
        _("The recipient"),
        (
            "recipient_institution",
            "recipient_is_provider",
            "recipient_country",
            "equivalent_measures",
            "standard_contractual_clauses",
            "deidentification_shared",
            "medium",
            "team_emails",
        ),
    ),
    (
        "security",
        _("Security measures"),
        (
            "security_storage",
            "security_access_control",
            "security_encryption",
            "security_no_reidentification",
            "security_destruction",
            "security_notes",
        ),
    ),
    ("term", _("Term"), ("term_start", "term_end", "destruction_date")),
)


class DataAccessRequestForm(StyledFormMixin, forms.ModelForm):
    datasets = forms.ModelMultipleChoiceField(
        label=_("Datasets"),
        queryset=Dataset.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Datasets of one providing institution per request."),
    )
    purpose_diseases = disease_field(_("Diseases studied (for disease-specific research)"))
    team_emails = forms.CharField(
        label=_("Other team members"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Email addresses of registered users who will work with the data, one per line."),
    )

    class Meta:
        model = DataAccessRequest
        fields = [name for name in REQUEST_FIELDS if name != "purpose_diseases"]
        widgets = {
            "research_summary": forms.Textarea(attrs={"rows": 4}),
            "security_notes": forms.Textarea(attrs={"rows": 2}),
            "term_start": DateInput(),
            "term_end": DateInput(),
            "destruction_date": DateInput(),
            "recipient_country": forms.TextInput(attrs={"size": 3, "maxlength": 2, "autocomplete": "country"}),
        }

    def __init__(self, *args: Any, datasets: QuerySet[Dataset], **kwargs: Any):
        super().__init__(*args, **kwargs)
        datasets_field = self.fields["datasets"]
        assert isinstance(datasets_field, forms.ModelMultipleChoiceField)
        datasets_field.queryset = datasets
        self.fields["title"].required = True
        if self.instance.pk:
            self.initial.setdefault("purpose_diseases", self.instance.purpose_diseases)
            self.initial.setdefault("datasets", list(self.instance.datasets.all()))
            self.initial.setdefault(
                "team_emails",
                "\n".join(
                    member.user.email
                    for member in self.instance.team.select_related("user")
                    if member.user_id != self.instance.requester_id
                ),
            )

    def clean_recipient_country(self) -> str:
        country = (self.cleaned_data.get("recipient_country") or "").strip().upper()
        if country and not _COUNTRY.match(country):
            raise forms.ValidationError(_("Write the two-letter ISO code, for example JP or US."))
        return country

    def clean_team_emails(self) -> list[User]:
        emails = [
            line.strip().lower() for line in re.split(r"[\s,;]+", self.cleaned_data["team_emails"]) if line.strip()
        ]
        users = {user.email.lower(): user for user in User.objects.filter(email__in=emails, is_active=True)}
        unknown = [email for email in emails if email not in users]
        if unknown:
            raise forms.ValidationError(
                _("No registered user has the address %(emails)s."), params={"emails": ", ".join(unknown)}
            )
        return list(users.values())

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end, destroyed = (cleaned.get(name) for name in ("term_start", "term_end", "destruction_date"))
        if start and end and end < start:
            self.add_error("term_end", _("The term cannot end before it starts."))
        if end and destroyed and destroyed < end:
            self.add_error("destruction_date", _("The data cannot be destroyed before the term ends."))
        if cleaned.get("purpose") == "DS" and not cleaned.get("purpose_diseases"):
            self.add_error("purpose_diseases", _("Name the diseases studied."))
        datasets = cleaned.get("datasets") or []
        if len({dataset.institution_id for dataset in datasets}) > 1:
            self.add_error("datasets", _("Choose datasets of one providing institution per request."))
        return cleaned

    def sections(self) -> list[tuple[str, Any, list[forms.BoundField]]]:
        return [(slug, title, [self[name] for name in names]) for slug, title, names in REQUEST_FORM_SECTIONS]

    def request_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in REQUEST_FIELDS if name in self.cleaned_data}


def datasets_open_for_requests() -> QuerySet[Dataset]:
    """The catalogue: datasets whose ethics approval is active."""
    return (
        Dataset.objects.filter(approval__status=ApprovalStatus.ACTIVE)
        .select_related("institution", "approval")
        .order_by("title", "id")
    )


DATASET_FORM_SECTIONS = (
    (
        "data",
        _("The data"),
        ("title", "description", "deidentification", "special_care", "genetic", "personally_referable"),
    ),
    (
        "consent",
        _("What the subjects consented to"),
        (
            "consent_covers_provision",
            "consent_with_foreign_information",
            "eea_origin",
            "duo_permission",
            "duo_diseases",
            "duo_modifiers",
            "duo_countries",
            "duo_time_limit",
            "duo_moratorium_until",
        ),
    ),
)


class DatasetForm(StyledFormMixin, forms.ModelForm):
    duo_modifiers = forms.MultipleChoiceField(
        label=_("Data use modifiers"),
        choices=DUO_MODIFIER_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    duo_diseases = disease_field(_("Diseases (for disease-specific consent)"))
    duo_countries = CodeListField(
        pattern=_COUNTRY,
        example="JP",
        upper=True,
        label=_("Countries (for a geographical restriction)"),
        help_text=_("Two-letter ISO codes, separated by commas."),
    )

    class Meta:
        model = Dataset
        fields = list(DATASET_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "duo_time_limit": DateInput(),
            "duo_moratorium_until": DateInput(),
        }

    def sections(self) -> list[tuple[str, Any, list[forms.BoundField]]]:
        return [(slug, title, [self[name] for name in names]) for slug, title, names in DATASET_FORM_SECTIONS]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        modifiers = cleaned.get("duo_modifiers") or []
        if cleaned.get("duo_permission") == "DS" and not cleaned.get("duo_diseases"):
            self.add_error("duo_diseases", _("Disease-specific consent names its diseases."))
        if "GS" in modifiers and not cleaned.get("duo_countries"):
            self.add_error("duo_countries", _("A geographical restriction names its countries."))
        if "TS" in modifiers and not cleaned.get("duo_time_limit"):
            self.add_error("duo_time_limit", _("A time limit needs its date."))
        if "MOR" in modifiers and not cleaned.get("duo_moratorium_until"):
            self.add_error("duo_moratorium_until", _("A publication moratorium needs its date."))
        return cleaned
