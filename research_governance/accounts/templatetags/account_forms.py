"""Styling for allauth's own forms (sign-in steps and two-factor pages), which our
StyledFormMixin does not reach: allauth builds them itself."""

import json

from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

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
    attrs: dict[str, str | bool] = {"class": f"{widget.attrs.get('class', '')} {css}".strip()}
    described = [f"{field.auto_id}_helptext"] if field.help_text else []
    if field.errors:
        attrs["class"] = f"{attrs['class']} is-invalid"
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.simple_tag
def allauth_onload(function: str, **ids: str) -> SafeString:
    """The data block allauth's onload.js hands to one of its functions (WebAuthn forms), the ids
    of the elements it works with: JSON in a script element of type application/json, which
    browsers never run (so the strict CSP holds)."""
    if not function.startswith("allauth."):
        raise ValueError(function)
    payload = json.dumps({"ids": ids}).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    # <, > and & escaped as Django's json_script does: the JSON cannot end the element.
    safe_payload = mark_safe(payload)  # noqa: S308
    return format_html('<script data-allauth-onload="{}" type="application/json">{}</script>', function, safe_payload)
