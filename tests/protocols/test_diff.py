"""The diff between two frozen versions: a pure function of two snapshots, read by reviewers of a
resubmission and from the protocol page's list of versions."""

import copy

import pytest
from django.utils import translation

from research_governance.protocols.diff import diff_snapshots, inline_diff


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def person(user_id: int, name: str, role: str = "co_investigator", can_edit: bool = False) -> dict:
    return {
        "user_id": user_id,
        "name_ja": "",
        "name_latin": name,
        "email": f"{user_id}@x.example",
        "role": role,
        "can_edit": can_edit,
    }


def document(document_id: int, version_id: int, version: int, kind: str = "protocol", title: str = "Protocol") -> dict:
    return {
        "document_id": document_id,
        "kind": kind,
        "title": title,
        "version_id": version_id,
        "version": version,
        "file_name": f"{title.lower()}-v{version}.pdf",
        "size": 100,
        "sha256": "0" * 64,
    }


BASE = {
    "reference": "P-1",
    "form": {
        "title_en": "A study",
        "summary": "We study sleep in adults.",
        "target_participants": 120,
        "consent_procedure": "written_ic",
        "uses_ai": False,
        "ai_purpose": "",
        "registry_id": "jRCT123",
    },
    "principal_investigator": {"id": 1, "name_ja": "", "name_latin": "Pat PI", "email": "pi@x.example"},
    "team": [person(2, "Cory Co"), person(3, "Sam Staff", role="staff")],
    "sites": [{"name": "North Hospital", "site_investigator": "Dr N", "is_lead": True}],
    "recipients": [{"name": "Lab A", "kind": "research_institution", "country": "JP", "equivalent_measures": False}],
    "documents": [document(10, 100, 1), document(11, 110, 1, kind="consent_form", title="Consent")],
}


def changed(**form: object) -> dict:
    new = copy.deepcopy(BASE)
    new["form"].update(form)
    return new


def test_the_same_snapshot_twice_has_no_changes():
    diff = diff_snapshots(BASE, copy.deepcopy(BASE))
    assert not diff.has_changes
    assert diff.sections == []


def test_a_changed_choice_reads_as_its_labels_in_its_section():
    diff = diff_snapshots(BASE, changed(consent_procedure="opt_out", target_participants=150))
    by_section = {section.slug: section for section in diff.sections}
    assert set(by_section) == {"study", "data"}
    consent = by_section["data"].changes[0]
    assert (consent.label, consent.kind) == ("Consent procedure", "changed")
    assert consent.old == "Written informed consent"
    assert consent.new.startswith("Opt-out")
    participants = by_section["study"].changes[0]
    assert (participants.old, participants.new) == ("120", "150")


def test_a_field_filled_in_is_added_and_one_emptied_is_removed():
    diff = diff_snapshots(BASE, changed(ai_purpose="Triage of images", registry_id=""))
    kinds = {change.name: (change.kind, change.old, change.new) for s in diff.sections for change in s.changes}
    assert kinds["ai_purpose"] == ("added", "—", "Triage of images")
    assert kinds["registry_id"] == ("removed", "jRCT123", "—")


def test_a_yes_no_answer_changed_reads_yes_and_no():
    diff = diff_snapshots(BASE, changed(uses_ai=True))
    change = diff.sections[0].changes[0]
    assert (change.old, change.new) == ("No", "Yes")


def test_long_text_is_compared_word_by_word_with_insertions_and_deletions_marked():
    diff = diff_snapshots(BASE, changed(summary="We study sleep in older adults."))
    change = diff.sections[0].changes[0]
    assert change.name == "summary"
    assert str(change.inline) == "We study sleep in <ins>older </ins>adults."
    replaced = inline_diff("Ten people take part.", "Twelve people take part.")
    assert str(replaced) == "<del>Ten</del><ins>Twelve</ins> people take part."


def test_the_inline_diff_escapes_what_the_investigators_wrote():
    marked = str(inline_diff("safe text", 'safe <script>alert("x")</script> text'))
    assert "<script>" not in marked
    assert "&lt;script&gt;" in marked
    assert marked.startswith("safe <ins>")


def test_japanese_text_is_compared_character_by_character():
    marked = str(inline_diff("成人の睡眠を調べる。", "高齢者の睡眠を調べる。"))
    assert marked == "<del>成人</del><ins>高齢者</ins>の睡眠を調べる。"


def test_short_text_fields_show_old_and_new_values_without_an_inline_diff():
    diff = diff_snapshots(BASE, changed(title_en="A better study"))
    change = diff.sections[0].changes[0]
    assert change.inline is None
    assert (change.old, change.new) == ("A study", "A better study")


def test_a_field_of_another_form_schema_still_shows():
    old = copy.deepcopy(BASE)
    old["form"]["retired_question"] = "yes"
    diff = diff_snapshots(old, BASE)
    other = diff.sections[-1]
    assert other.slug == "other"
    assert (other.changes[0].name, other.changes[0].kind) == ("retired_question", "removed")


def test_team_members_added_removed_and_given_another_role():
    new = copy.deepcopy(BASE)
    new["team"] = [person(2, "Cory Co", can_edit=True), person(4, "Nina New", role="statistician")]
    diff = diff_snapshots(BASE, new)
    assert [(c.kind, c.label) for c in diff.team] == [
        ("removed", "Sam Staff"),
        ("changed", "Cory Co"),
        ("added", "Nina New"),
    ]
    assert diff.team[1].old == "Co-investigator"
    assert diff.team[1].new == "Co-investigator, may edit"
    assert diff.team[2].new == "Statistician"
    assert diff.principal_investigator is None


def test_a_new_principal_investigator_is_shown():
    new = copy.deepcopy(BASE)
    new["principal_investigator"] = {"id": 9, "name_ja": "", "name_latin": "Nora Lead", "email": "n@x.example"}
    diff = diff_snapshots(BASE, new)
    assert diff.principal_investigator is not None
    assert (diff.principal_investigator.old, diff.principal_investigator.new) == ("Pat PI", "Nora Lead")


def test_sites_and_recipients_added_removed_and_changed():
    new = copy.deepcopy(BASE)
    new["sites"] = [
        {"name": "North Hospital", "site_investigator": "Dr N", "is_lead": False},
        {"name": "South Clinic", "site_investigator": "", "is_lead": True},
    ]
    new["recipients"] = [
        {"name": "Cloud AI", "kind": "external_ai_service", "country": "US", "equivalent_measures": True}
    ]
    diff = diff_snapshots(BASE, new)
    assert [(c.kind, c.label, c.old, c.new) for c in diff.sites] == [
        ("changed", "North Hospital", "Dr N, lead site", "Dr N"),
        ("added", "South Clinic", "", "—, lead site"),
    ]
    assert [(c.kind, c.label) for c in diff.recipients] == [("removed", "Lab A"), ("added", "Cloud AI")]
    assert diff.recipients[1].new == "External AI service, US, equivalent protection"


def test_documents_added_removed_and_replaced_by_a_new_version():
    new = copy.deepcopy(BASE)
    new["documents"] = [document(10, 101, 2), document(12, 120, 1, kind="questionnaire", title="Survey")]
    diff = diff_snapshots(BASE, new)
    assert [(c.kind, c.label, c.old, c.new) for c in diff.documents] == [
        ("removed", "Consent form and explanation: Consent", "consent-v1.pdf (v1)", ""),
        ("replaced", "Research protocol: Protocol", "protocol-v1.pdf (v1)", "protocol-v2.pdf (v2)"),
        ("added", "Questionnaire: Survey", "", "survey-v1.pdf (v1)"),
    ]


def test_a_document_kept_at_the_same_version_is_not_a_change():
    new = copy.deepcopy(BASE)
    new["documents"] = list(reversed(new["documents"]))
    assert diff_snapshots(BASE, new).documents == []
