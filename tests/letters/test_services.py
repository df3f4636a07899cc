"""Issuing, re-issuing and correcting letters: one letter per decision, kind and language; the
stored hash is the hash of the stored bytes; a correction is a new version naming the old one."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from research_governance.audit.models import AuditEvent
from research_governance.letters import services
from research_governance.letters.models import Letter
from research_governance.reviews import services as review_services

from .conftest import decide_with_conditions
from .support import pdf_text, squeeze


def stored_files(settings) -> list:
    folder = settings.MEDIA_ROOT / "letters"
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


@pytest.mark.django_db
def test_a_decision_letter_is_stored_with_the_hash_of_its_bytes(decision, settings):
    letter = services.letter_issue(decision_id=decision.pk, kind="decision", language="ja")
    pdf = letter.file.read()
    assert hashlib.sha256(pdf).hexdigest() == letter.sha256
    assert letter.size == len(pdf)
    assert letter.version == 1
    assert letter.replaces is None
    protocol = decision.submission.protocol
    assert letter.reference == f"L{decision.decided_at:%Y}-C{decision.pk:06d}-JA"
    assert len(letter.verification_code) >= 32
    text = squeeze(pdf_text(pdf))
    assert "倫理審査結果通知書" in text
    assert letter.reference in text
    assert letter.verification_code in text
    assert "同意書に相談窓口の電話番号を記載すること。" in text  # the itemised conditions
    assert "研究計画は妥当である。" in text  # the reasons
    assert "研究機関の長の許可を得た後" in text  # JP-ERC-13: not yet permitted
    # The signature (US-R-01): printed name, date and time, meaning.
    assert letter.signer == decision.decided_by
    assert letter.signer_name in pdf_text(pdf)
    assert letter.signature_meaning == "approval"
    assert "署名の意味" in text
    event = AuditEvent.objects.get(action="letter.issued")
    assert event.data["sha256"] == letter.sha256
    assert event.protocol_id == protocol.pk
    # The file is private: under MEDIA_ROOT, named after the reference, served only by the view.
    assert stored_files(settings) == [settings.MEDIA_ROOT / letter.file.name]


@pytest.mark.django_db
def test_a_letter_prints_the_absolute_address_that_verifies_it(decision, settings):
    settings.SITE_URL = "https://ethics.example.org/"
    letter = services.letter_issue(decision_id=decision.pk, kind="decision", language="en")
    text = squeeze(pdf_text(letter.file.read()))
    assert f"https://ethics.example.org/letters/verify/{letter.verification_code}/" in text


@pytest.mark.django_db
def test_issuing_again_returns_the_letter_already_made_without_rendering(decision, monkeypatch, settings):
    first = services.letter_issue(decision_id=decision.pk, kind="decision", language="en")

    def must_not_render(content):
        raise AssertionError("rendered twice")

    monkeypatch.setattr(services, "render_content", must_not_render)
    again = services.letter_issue(decision_id=decision.pk, kind="decision", language="en")
    assert again == first
    assert Letter.objects.count() == 1
    assert len(stored_files(settings)) == 1
    assert "NoticeoftheEthicsCommittee'sDecision" in squeeze(pdf_text(first.file.read()))


@pytest.mark.django_db
def test_a_run_that_loses_the_race_keeps_the_winners_letter_and_removes_its_own_file(decision, monkeypatch, settings):
    render = services.render_content
    raced = []

    def render_while_another_worker_finishes(content):
        if not raced:
            raced.append(True)
            # Another worker renders and commits the same letter while this one is rendering.
            services.letter_issue(decision_id=decision.pk, kind="decision", language="ja")
        return render(content)

    monkeypatch.setattr(services, "render_content", render_while_another_worker_finishes)
    letter = services.letter_issue(decision_id=decision.pk, kind="decision", language="ja")
    assert Letter.objects.count() == 1
    assert Letter.objects.get() == letter
    assert stored_files(settings) == [settings.MEDIA_ROOT / letter.file.name]


@pytest.mark.django_db
def test_a_failure_while_storing_leaves_neither_row_nor_file(decision, monkeypatch, settings):
    def broken_audit(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        services.letter_issue(decision_id=decision.pk, kind="decision", language="ja")
    assert not Letter.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.django_db
def test_the_permission_letter_gives_the_approval_period_and_each_condition_s_sign_off(permitted, head, chair):
    letter = services.letter_issue(decision_id=permitted.pk, kind="permission", language="ja")
    approval = permitted.approval
    text = squeeze(pdf_text(letter.file.read()))
    assert "研究実施許可通知書" in text
    assert approval.reference in text
    assert f"{approval.valid_from:%Y}年{approval.valid_from.month}月{approval.valid_from.day}日" in text
    assert f"{approval.valid_until:%Y}年{approval.valid_until.month}月{approval.valid_until.day}日" in text
    # Each condition's sign-off signature, with the printed name as it was stored at signing.
    assert text.count("確認済み：HanakoChair") == 2
    assert letter.signer == head
    assert letter.signer_name == "病院長 太郎"
    assert letter.signature_meaning == "approval"
    assert letter.reference.endswith(f"-P{permitted.pk:06d}-JA")
    with pytest.raises(ValidationError):
        services.letter_issue(decision_id=permitted.pk, kind="refusal", language="ja")


@pytest.mark.django_db
def test_the_refusal_letter_gives_the_head_s_reasons(decision, pi, chair, head):
    review_services.head_refuse(decision=decision, by=head, reasons="予算の裏付けがない。")
    letter = services.letter_issue(decision_id=decision.pk, kind="refusal", language="ja")
    text = squeeze(pdf_text(letter.file.read()))
    assert "研究実施不許可通知書" in text
    assert "予算の裏付けがない。" in text
    assert letter.signature_meaning == "responsibility"
    english = services.letter_issue(decision_id=decision.pk, kind="refusal", language="en")
    assert "NoticeofRefusalofPermission" in squeeze(pdf_text(english.file.read()))


@pytest.mark.django_db
def test_a_correction_is_a_new_version_naming_the_letter_it_replaces(decision, secretariat, pi, settings):
    original = services.letter_issue(decision_id=decision.pk, kind="decision", language="ja")
    original_bytes = original.file.read()
    with pytest.raises(PermissionDenied):
        services.letter_correct(letter=original, by=pi, reason="Typo.")
    with pytest.raises(ValidationError):
        services.letter_correct(letter=original, by=secretariat, reason=" ")
    corrected = services.letter_correct(letter=original, by=secretariat, reason="宛名の誤記を訂正")
    assert corrected.version == 2
    assert corrected.replaces == original
    assert corrected.reference == f"{original.reference}-v2"
    assert corrected.verification_code != original.verification_code
    assert corrected.sha256 != original.sha256
    text = squeeze(pdf_text(corrected.file.read()))
    assert original.reference in text  # names the letter it replaces
    assert "宛名の誤記を訂正" in text
    # Never overwritten: the original row and file are as they were.
    original.refresh_from_db()
    assert original.file.read() == original_bytes
    assert hashlib.sha256(original_bytes).hexdigest() == original.sha256
    # Asking again for the same correction returns it; the next correction corrects version 2.
    assert services.letter_correct(letter=original, by=secretariat, reason="again") == corrected
    third = services.letter_correct(letter=corrected, by=secretariat, reason="日付の訂正")
    assert (third.version, third.replaces) == (3, corrected)
    assert len(stored_files(settings)) == 3
    assert AuditEvent.objects.filter(action="letter.corrected").count() == 2
    # Re-issuing the original still returns version 1, not a new letter.
    assert services.letter_issue(decision_id=decision.pk, kind="decision", language="ja") == original


@pytest.mark.django_db
def test_references_are_distinct_and_do_not_reveal_the_protocol_reference(pi, secretariat, committee):
    first = decide_with_conditions(pi, secretariat, committee)
    second = decide_with_conditions(pi, secretariat, committee)
    references = {
        services.letter_issue(decision_id=decision.pk, kind="decision", language=language).reference
        for decision in (first, second)
        for language in ("ja", "en")
    }
    assert len(references) == 4
    for decision in (first, second):
        assert not any(decision.submission.protocol.reference in reference for reference in references)


@pytest.mark.django_db
def test_wanted_letters_lists_what_is_missing(permitted):
    assert sorted(services.wanted_letters()) == sorted(
        (permitted.pk, kind, language) for kind in ("decision", "permission") for language in ("ja", "en")
    )
    services.letter_issue(decision_id=permitted.pk, kind="decision", language="ja")
    assert (permitted.pk, "decision", "ja") not in services.wanted_letters()
    assert len(services.wanted_letters()) == 3
