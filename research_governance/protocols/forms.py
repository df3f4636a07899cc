from collections.abc import Iterable, Mapping
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Institution
from research_governance.core.forms import StyledFormMixin

from .application import FORM_FIELDS
from .models import DataRecipient, DocumentKind, Protocol, TeamMember
from .uploads import ALLOWED_TYPES

ACCEPTED_EXTENSIONS = ",".join(ext for file_type in ALLOWED_TYPES for ext in file_type.extensions)


class YesNoRadio(forms.RadioSelect):
    """Yes / No radios for a nullable boolean: unanswered stays unanswered."""

    def __init__(self) -> None:
        super().__init__(choices=[("true", _("Yes")), ("false", _("No"))])

    def format_value(self, value: object) -> list[str]:  # type: ignore[override]  # a list, as ChoiceWidget's
        mapping = {True: "true", False: "false", "True": "true", "False": "false", "true": "true", "false": "false"}
        return [mapping[value]] if value in mapping else []

    def value_from_datadict(
        self, data: Mapping[str, Any], files: MultiValueDict[str, UploadedFile], name: str
    ) -> bool | None:
        answers: dict[object, bool] = {"true": True, "false": False}
        return answers.get(data.get(name))


class ProtocolCreateForm(StyledFormMixin, forms.Form):
    title_ja = forms.CharField(label=_("Title (Japanese)"), max_length=300, required=False)
    title_en = forms.CharField(
        label=_("Title (English)"),
        max_length=300,
        required=False,
        help_text=_("At least one of the two titles; add the other before submitting."),
    )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if not (cleaned.get("title_ja", "").strip() or cleaned.get("title_en", "").strip()):
            raise forms.ValidationError(_("Give the study a title in Japanese or in English."), code="required")
        return cleaned


class ProtocolDraftForm(StyledFormMixin, forms.ModelForm):
    """The application form. A draft may be incomplete; completeness is checked on submission."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Protocol
        fields = FORM_FIELDS
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 6}),
            "funding_source": forms.Textarea(attrs={"rows": 2}),
            "conflict_of_interest_details": forms.Textarea(attrs={"rows": 3}),
            "opt_out_notice_text": forms.Textarea(attrs={"rows": 6}),
            "ai_purpose": forms.Textarea(attrs={"rows": 3}),
            "planned_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "planned_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "acquisition": forms.RadioSelect,
            "invasiveness": forms.RadioSelect,
            "deidentification": forms.RadioSelect,
            "consent_procedure": forms.RadioSelect,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            model_field = Protocol._meta.get_field(name) if name in FORM_FIELDS else None
            if (
                model_field is not None
                and getattr(model_field, "null", False)
                and isinstance(field, forms.NullBooleanField)
            ):
                field.widget = YesNoRadio()
            if isinstance(field, forms.TypedChoiceField | forms.ChoiceField) and isinstance(
                field.widget, forms.RadioSelect
            ):
                # Radios list the real choices only; "not answered" is no radio.
                # django-stubs types the getter with the setter's inputs; Django normalises to pairs.
                choices = cast("Iterable[tuple[Any, Any]]", field.choices)
                field.choices = [c for c in choices if c[0] != ""]
            # A draft may be saved incomplete; the interval keeps its default (JP-R-01).
            field.required = name == "progress_report_interval_months"
        self.initial.setdefault("lock_version", self.instance.lock_version)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end must not be before the planned start."))
        return cleaned

    def _post_clean(self) -> None:
        # The service saves; the form only validates the typed values.
        pass


class TeamMemberForm(StyledFormMixin, forms.Form):
    prefix = "team"
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=TeamMember.Role.choices)
    can_edit = forms.BooleanField(label=_("May edit and submit the application"), required=False)

    def clean_email(self) -> object:
        email = self.cleaned_data["email"].strip().lower()
        user = get_user_model().objects.filter(email=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No active account has this email address. Ask the secretariat to create one."), code="unknown"
            )
        self.cleaned_data["user"] = user
        return email


class SiteForm(StyledFormMixin, forms.Form):
    prefix = "site"
    institution = forms.ModelChoiceField(
        label=_("Institution registered here"),
        queryset=Institution.objects.order_by("code"),
        required=False,
        empty_label=_("Not registered here: type its name"),
        help_text=_("A registered site's head of institution gives the permission for the site here (JP-ERC-12)."),
    )
    name = forms.CharField(label=_("Institution"), max_length=200, required=False)
    site_investigator = forms.CharField(label=_("Site investigator"), max_length=150, required=False)
    is_lead = forms.BooleanField(label=_("Lead site"), required=False)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if not cleaned.get("institution") and not (cleaned.get("name") or "").strip():
            self.add_error("name", _("Choose a registered institution or type the site's name."))
        return cleaned


class RecipientForm(StyledFormMixin, forms.Form):
    prefix = "recipient"
    name = forms.CharField(label=_("Recipient"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=DataRecipient.Kind.choices)
    country = forms.RegexField(
        label=_("Country (ISO code)"),
        regex=r"^[A-Za-z]{2}$",
        max_length=2,
        error_messages={"invalid": _("Enter the two-letter ISO country code, e.g. US or DE.")},
    )
    equivalent_measures = forms.BooleanField(
        label=_("Keeps an equivalent-protection system (contract or internal rules)"), required=False
    )


class DocumentUploadForm(StyledFormMixin, forms.Form):
    prefix = "document"
    # No preselected type: a wrong default invites mis-typed uploads.
    kind = forms.ChoiceField(label=_("Document type"), choices=[("", _("Choose…")), *DocumentKind.choices])
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Optional; the file name is used if empty.")
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, DOCX, XLSX, ODT, PNG or JPEG."),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_EXTENSIONS}),
    )


class DocumentReplaceForm(StyledFormMixin, forms.Form):
    prefix = "replace"
    file = forms.FileField(label=_("New version"), allow_empty_file=True)
