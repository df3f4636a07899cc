from allauth.account.forms import LoginForm as AllauthLoginForm

from research_governance.core.forms import StyledFormMixin


class LoginForm(StyledFormMixin, AllauthLoginForm):
    """allauth's sign-in form with our styling; the page links to password reset itself."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = ""
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)
