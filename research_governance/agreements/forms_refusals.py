from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin

from .models import SubjectRefusal


class RegisterRefusalForm(StyledFormMixin, forms.Form):
    prefix = "register"
    kind = forms.ChoiceField(label=_("Kind"), choices=SubjectRefusal.Kind.choices, widget=forms.RadioSelect)
    subject_code = forms.CharField(
        label=_("Subject code"),
        max_length=60,
        help_text=_("The study's pseudonymous code for the subject. Never a name or any other identifier."),
    )
    details = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For the study team, for example how the request was received."),
    )


class HandleRefusalForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Use and provision stopped, or why they cannot be (for example already anonymised or published) (JP-IC-11)."
        ),
    )
    subject_code = forms.CharField(
        label=_("Subject code found"),
        max_length=60,
        required=False,
        help_text=_("For a refusal from the public form: the code the person's records are held under."),
    )

    def __init__(self, *args: Any, refusal: SubjectRefusal, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"handle-{refusal.pk}")
        super().__init__(*args, **kwargs)
        self.refusal = refusal
        if refusal.subject_code:
            del self.fields["subject_code"]
