"""Styling for allauth's own forms (sign-in steps and two-factor pages), which our
StyledFormMixin does not reach: allauth builds them itself."""

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def styled_widget(field: forms.BoundField) -> SafeString:
    """The field's input with the CSS framework's class, marked invalid with its errors."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": f"{widget.attrs.get('class', '')} {css}".strip()}
    described = [f"{field.auto_id}_helptext"] if field.help_text else []
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)
