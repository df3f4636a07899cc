"""The one field template renders every widget people meet, with labels they can click."""

from django import forms
from django.template.loader import render_to_string


class Sample(forms.Form):
    present = forms.MultipleChoiceField(
        label="Present", choices=[("1", "Ann"), ("2", "Ben")], widget=forms.CheckboxSelectMultiple, required=False
    )


def test_a_multiple_checkbox_field_offers_one_labelled_box_per_choice():
    html = render_to_string("partials/field.html", {"field": Sample(initial={"present": ["2"]})["present"]})
    assert html.count('type="checkbox"') == 2
    assert 'value="1" id="id_present_0"' in html
    assert 'value="2" id="id_present_1" checked' in html
    assert '<label class="form-check-label" for="id_present_0">Ann</label>' in html
    assert "<legend" in html
