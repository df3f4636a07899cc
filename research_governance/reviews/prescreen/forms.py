from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.workflow import ReviewRoute


class AcceptForm(StyledFormMixin, forms.Form):
    prefix = "accept"
    route = forms.ChoiceField(label=_("Review route"), choices=ReviewRoute.choices, widget=forms.RadioSelect)


class ReturnForm(StyledFormMixin, forms.Form):
    prefix = "return"
    requests = forms.CharField(
        label=_("Requests to the investigator"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One request per line; each is numbered and answered separately."),
    )

    def request_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["requests"].splitlines() if line.strip()]


class AnswerForm(StyledFormMixin, forms.Form):
    response = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 3}))
