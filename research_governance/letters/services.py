"""Issuing and correcting decision letters, and checking a copy against the stored hash.

A letter is issued once per decision, kind and language; issuing again returns the letter already
made (a redelivered or repeated task renders nothing twice). A correction is a new letter, one
version up, naming the letter it replaces. The PDF is rendered to bytes first; the file and its row
are then written in one short transaction, so a worker that dies mid-render leaves nothing behind.
(A worker that dies between writing the file and committing the row leaves an unreferenced file in
MEDIA_ROOT/letters/, never served and harmless; the next run writes a new file and the row.)"""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.accounts.selectors import is_secretariat
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.reviews.models import Decision

from .content import LetterContent, decision_content, qr_data_uri, signature_for
from .models import KIND_CODES, Letter, LetterKind, LetterLanguage

logger = logging.getLogger(__name__)

# Every decision and permission gets a letter in each language: Japanese, the institution's
# official language, and English for the investigators, sponsors and journals who need it.
LANGUAGES: tuple[str, ...] = (LetterLanguage.JA, LetterLanguage.EN)
# A letter is a few hundred kilobytes; the verification page reads no more than this.
VERIFY_MAX_BYTES = 10 * 1024 * 1024


def new_verification_code() -> str:
    """Unguessable and URL-safe: 192 random bits."""
    return secrets.token_urlsafe(24)


def letter_reference(decision: Decision, kind: str, language: str, version: int = 1) -> str:
    """The year of the decision, the kind and the decision's number, the language and the version:
    L2026-C000012-JA, L2026-P000012-EN-v2. Derived from the decision, so it is known before the
    letter is rendered and never collides. It does not contain the protocol's reference (2026-00012),
    which the public verification page must not reveal (the letter itself prints it)."""
    year = timezone.localtime(decision.decided_at).year
    reference = f"L{year}-{KIND_CODES[LetterKind(kind)]}{decision.pk:06d}-{language.upper()}"
    return reference if version == 1 else f"{reference}-v{version}"


def render_content(content: LetterContent) -> bytes:
    """The PDF of a letter's content (no database access)."""
    from .rendering import LetterURLFetcher, html_to_pdf  # WeasyPrint: imported where letters are rendered

    with translation.override(content.language):
        html = render_to_string(content.template_name(), {"letter": content, "qr": qr_data_uri(content.verify_url)})
    return html_to_pdf(html, fetcher=LetterURLFetcher())


def _decision(decision_id: int) -> Decision:
    return Decision.objects.select_related(
        "submission__protocol__institution",
        "submission__protocol__principal_investigator__department",
        "submission__version",
        "decided_by",
        "approval",
        "permission__by",
    ).get(pk=decision_id)


def _check_kind(decision: Decision, kind: str) -> None:
    if kind not in LetterKind.values:
        raise ValidationError(f"unknown letter kind {kind!r}")
    if kind == LetterKind.DECISION:
        return
    permission = getattr(decision, "permission", None)
    if permission is None or permission.granted != (kind == LetterKind.PERMISSION):
        raise ValidationError(f"decision {decision.pk} has no {kind} to report")


def _original(decision_id: int, kind: str, language: str) -> Letter | None:
    return Letter.objects.filter(decision_id=decision_id, kind=kind, language=language, replaces__isnull=True).first()


def letter_issue(*, decision_id: int, kind: str, language: str) -> Letter:
    """The letter reporting the decision (or the head's permission or refusal) in ``language``;
    rendered and stored the first time, returned as it is every later time."""
    existing = _original(decision_id, kind, language)
    if existing is not None:
        return existing
    decision = _decision(decision_id)
    _check_kind(decision, kind)
    return _render_and_store(decision=decision, kind=kind, language=language, version=1, replaces=None)


def letter_correct(*, letter: Letter, by: User, reason: str) -> Letter:
    """A corrected letter: the same decision, kind and language rendered again as the next version,
    naming the letter it replaces. Only the latest version can be corrected, and only once (a
    second request returns the correction already made). The secretariat corrects letters."""
    if not is_secretariat(by, letter.protocol.institution_id):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(gettext("Say why the letter is corrected."))
    existing = Letter.objects.filter(replaces=letter).first()
    if existing is not None:
        return existing
    decision = _decision(letter.decision_id)
    return _render_and_store(
        decision=decision,
        kind=letter.kind,
        language=letter.language,
        version=letter.version + 1,
        replaces=letter,
        by=by,
        reason=reason.strip(),
    )


def _render_and_store(
    *,
    decision: Decision,
    kind: str,
    language: str,
    version: int,
    replaces: Letter | None,
    by: User | None = None,
    reason: str = "",
) -> Letter:
    code = new_verification_code()
    reference = letter_reference(decision, kind, language, version)
    issued_at = timezone.now().replace(microsecond=0)
    content = decision_content(
        decision,
        kind=kind,
        language=language,
        reference=reference,
        verification_code=code,
        issued_at=issued_at,
        version=version,
        replaces=replaces,
        correction_reason=reason,
    )
    # Rendered outside any transaction: nothing is locked while WeasyPrint works.
    pdf = render_content(content)
    signer, signature = signature_for(decision, kind, language)
    letter = Letter(
        decision=decision,
        protocol=decision.submission.protocol,
        kind=kind,
        language=language,
        version=version,
        replaces=replaces,
        correction_reason=reason,
        reference=reference,
        verification_code=code,
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        created_at=issued_at,
        signer=signer,
        signer_name=signature.name,
        signer_title=signature.title,
        signed_at=signature.at,
        signature_meaning=signature.meaning,
    )
    stored_name = ""
    try:
        with transaction.atomic():
            # Serialise with a concurrent run for the same decision, then look again.
            Decision.objects.select_for_update().filter(pk=decision.pk).first()
            if replaces is None:
                made = _original(decision.pk, kind, language)
            else:
                made = Letter.objects.filter(replaces=replaces).first()
            if made is not None:
                return made
            letter.file.save(letter.file_name, ContentFile(pdf), save=False)
            stored_name = letter.file.name
            letter.save()
            audit_record(
                actor=by,
                action=AuditAction.LETTER_CORRECTED if replaces else AuditAction.LETTER_ISSUED,
                target=letter,
                protocol=letter.protocol,
                data={
                    "reference": reference,
                    "decision_id": decision.pk,
                    "kind": kind,
                    "language": language,
                    "version": version,
                    "replaces": replaces.reference if replaces else None,
                    "reason": reason,
                    "sha256": letter.sha256,
                    "size": letter.size,
                },
            )
    except IntegrityError:
        # Another run committed the same letter between our check and our insert.
        _forget(stored_name, letter)
        made = _original(decision.pk, kind, language) if replaces is None else Letter.objects.get(replaces=replaces)
        if made is None:
            raise
        return made
    except BaseException:
        _forget(stored_name, letter)
        raise
    return letter


def _forget(name: str, letter: Letter) -> None:
    if name:
        try:
            letter.file.storage.delete(name)
        except OSError:  # pragma: no cover - best effort; an unreferenced file is harmless
            logger.warning("Could not remove the unreferenced letter file %s", name)


def queue_letters(*, decision_id: int, kind: str, languages: Iterable[str] = LANGUAGES) -> None:
    """Render the letters after the caller's transaction commits (called by the reviews services).

    A broker that cannot be reached does not fail the request that made the decision: the error is
    logged, and ``render_missing_letters`` (run periodically) queues the letter again."""
    from .tasks import render_letter

    for language in languages:
        render_letter.delay_on_commit(decision_id, kind, language)


def wanted_letters(since: datetime | None = None) -> list[tuple[int, str, str]]:
    """(decision id, kind, language) of every letter that should exist and does not: a few
    queries, whatever the number of decisions."""
    decisions = Decision.objects.all()
    if since is not None:
        decisions = decisions.filter(decided_at__gte=since)
    rows = decisions.values_list("pk", "permission__granted")
    made = set(
        Letter.objects.filter(decision__in=decisions, replaces__isnull=True).values_list(
            "decision_id", "kind", "language"
        )
    )
    wanted = []
    for decision_id, granted in rows:
        kinds = [LetterKind.DECISION]
        if granted is not None:
            kinds.append(LetterKind.PERMISSION if granted else LetterKind.REFUSAL)
        for kind in kinds:
            for language in LANGUAGES:
                if (decision_id, kind, language) not in made:
                    wanted.append((decision_id, str(kind), str(language)))
    return wanted


@dataclass(frozen=True)
class Check:
    """The outcome of checking an uploaded copy against a letter."""

    matches: bool
    sha256: str
    size: int


def letter_check(*, letter: Letter, upload: IO[bytes]) -> Check:
    """Hash the uploaded copy (read in chunks, at most VERIFY_MAX_BYTES) and compare it with the
    letter's stored SHA-256."""
    digest = hashlib.sha256()
    size = 0
    while chunk := upload.read(64 * 1024):
        size += len(chunk)
        if size > VERIFY_MAX_BYTES:
            raise ValidationError(gettext("The file is too large to be one of our letters."))
        digest.update(chunk)
    sha256 = digest.hexdigest()
    return Check(matches=hmac.compare_digest(sha256, letter.sha256), sha256=sha256, size=size)
