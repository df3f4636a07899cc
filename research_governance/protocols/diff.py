"""What changed between two frozen versions of an application: a pure function of two snapshots
(``application.build_snapshot``), no database. Reviewers of a resubmission read it to see what
the investigators changed; the protocol page links it from its list of versions."""

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from research_governance.accounts.models import localized
from research_governance.core.fields import model_field

from .application import SECTIONS, _label, display_value
from .models import DataRecipient, DocumentKind, Protocol, TeamMember

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
REPLACED = "replaced"

# Latin words are compared whole; Chinese characters and kana one by one (Japanese has no spaces).
_TOKENS = re.compile(r"[^\W\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+|\s+|.", re.S)
# Beyond this many tokens a word diff gets slow; such texts are compared line by line.
_MAX_WORD_TOKENS = 20000


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    kind: str
    old: str
    new: str
    # Long text: the new text with deletions and insertions marked (escaped HTML); else None.
    inline: SafeString | None = None


@dataclass(frozen=True)
class SectionChanges:
    slug: str
    title: Promise | str
    changes: list[FieldChange]


@dataclass(frozen=True)
class ItemChange:
    """A team member, site, recipient or document added, removed, changed or replaced."""

    kind: str
    label: str
    old: str = ""
    new: str = ""


@dataclass
class VersionDiff:
    sections: list[SectionChanges] = field(default_factory=list)
    principal_investigator: ItemChange | None = None
    team: list[ItemChange] = field(default_factory=list)
    sites: list[ItemChange] = field(default_factory=list)
    recipients: list[ItemChange] = field(default_factory=list)
    documents: list[ItemChange] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.sections or self.principal_investigator or self.team or self.sites or self.recipients or self.documents
        )


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _is_long_text(name: str) -> bool:
    try:
        return model_field(Protocol, name).get_internal_type() == "TextField"
    except FieldDoesNotExist:  # a field of another form schema: compared as a value
        return False


def inline_diff(old: str, new: str) -> SafeString:
    """``new`` with what was deleted from ``old`` in <del> and what was inserted in <ins>; every
    piece of text is escaped."""
    old_tokens = _TOKENS.findall(old)
    new_tokens = _TOKENS.findall(new)
    if len(old_tokens) + len(new_tokens) > _MAX_WORD_TOKENS:
        old_tokens = old.splitlines(keepends=True)
        new_tokens = new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    parts: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        before = escape("".join(old_tokens[i1:i2]))
        after = escape("".join(new_tokens[j1:j2]))
        if tag == "equal":
            parts.append(after)
        if tag in ("delete", "replace"):
            parts.append(f"<del>{before}</del>")
        if tag in ("insert", "replace"):
            parts.append(f"<ins>{after}</ins>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


def _field_change(name: str, old_form: dict, new_form: dict) -> FieldChange | None:
    old, new = old_form.get(name), new_form.get(name)
    if old == new or (_empty(old) and _empty(new)):
        return None
    kind = ADDED if _empty(old) else REMOVED if _empty(new) else CHANGED
    inline = inline_diff(str(old), str(new)) if kind == CHANGED and _is_long_text(name) else None
    try:
        label = _label(name)
        old_text, new_text = display_value(name, old), display_value(name, new)
    except FieldDoesNotExist:
        label, old_text, new_text = name, "—" if _empty(old) else str(old), "—" if _empty(new) else str(new)
    return FieldChange(name=name, label=label, kind=kind, old=old_text, new=new_text, inline=inline)


def _section_changes(old_form: dict, new_form: dict) -> list[SectionChanges]:
    result = []
    known: set[str] = set()
    for section in SECTIONS:
        known.update(section.fields)
        changes = [c for name in section.fields if (c := _field_change(name, old_form, new_form))]
        if changes:
            result.append(SectionChanges(section.slug, section.title, changes))
    # Fields of another form schema (an older or newer version of the form) still show.
    others = sorted((set(old_form) | set(new_form)) - known)
    changes = [c for name in others if (c := _field_change(name, old_form, new_form))]
    if changes:
        result.append(SectionChanges("other", gettext("Other fields"), changes))
    return result


def _keyed_changes(
    old_items: list[dict], new_items: list[dict], *, key: Any, label: Any, details: Any
) -> list[ItemChange]:
    """Items matched by ``key``: added, removed, or changed (their ``details`` differ)."""
    old_by_key = {key(item): item for item in old_items}
    new_by_key = {key(item): item for item in new_items}
    changes = []
    for item in old_items:
        if key(item) not in new_by_key:
            changes.append(ItemChange(REMOVED, label(item), old=details(item)))
    for item in new_items:
        before = old_by_key.get(key(item))
        if before is None:
            changes.append(ItemChange(ADDED, label(item), new=details(item)))
        elif details(before) != details(item):
            changes.append(ItemChange(CHANGED, label(item), old=details(before), new=details(item)))
    return changes


def _person(item: dict) -> str:
    return localized(item.get("name_ja", ""), item.get("name_latin", "")) or item.get("email", "")


def _team_details(item: dict) -> str:
    roles: dict[object, object] = dict(TeamMember.Role.choices)
    role = str(roles.get(item.get("role"), item.get("role", "")))
    return f"{role}, {gettext('may edit')}" if item.get("can_edit") else role


def _site_details(item: dict) -> str:
    parts = [item.get("site_investigator") or "—"]
    if item.get("is_lead"):
        parts.append(gettext("lead site"))
    return ", ".join(parts)


def _recipient_details(item: dict) -> str:
    kinds: dict[object, object] = dict(DataRecipient.Kind.choices)
    parts = [str(kinds.get(item.get("kind"), item.get("kind", ""))), item.get("country", "")]
    if item.get("equivalent_measures"):
        parts.append(gettext("equivalent protection"))
    return ", ".join(parts)


def _document_label(item: dict) -> str:
    kinds: dict[object, object] = dict(DocumentKind.choices)
    kind = str(kinds.get(item.get("kind"), item.get("kind", "")))
    return f"{kind}: {item.get('title', '')}"


def _document_file(item: dict) -> str:
    return f"{item.get('file_name', '')} (v{item.get('version', '')})"


def _document_changes(old_items: list[dict], new_items: list[dict]) -> list[ItemChange]:
    old_by_id = {item["document_id"]: item for item in old_items}
    new_ids = {item["document_id"] for item in new_items}
    changes = [
        ItemChange(REMOVED, _document_label(item), old=_document_file(item))
        for item in old_items
        if item["document_id"] not in new_ids
    ]
    for item in new_items:
        before = old_by_id.get(item["document_id"])
        if before is None:
            changes.append(ItemChange(ADDED, _document_label(item), new=_document_file(item)))
        elif before["version_id"] != item["version_id"]:
            changes.append(
                ItemChange(REPLACED, _document_label(item), old=_document_file(before), new=_document_file(item))
            )
        elif _document_label(before) != _document_label(item):
            changes.append(
                ItemChange(CHANGED, _document_label(item), old=_document_label(before), new=_document_label(item))
            )
    return changes


def diff_snapshots(old: dict, new: dict) -> VersionDiff:
    """Everything that differs between two snapshots, from ``old`` to ``new``."""
    result = VersionDiff(sections=_section_changes(old.get("form", {}), new.get("form", {})))
    old_pi, new_pi = old.get("principal_investigator") or {}, new.get("principal_investigator") or {}
    if old_pi.get("id") != new_pi.get("id"):
        result.principal_investigator = ItemChange(
            CHANGED, gettext("Principal investigator"), old=_person(old_pi), new=_person(new_pi)
        )
    result.team = _keyed_changes(
        old.get("team", []), new.get("team", []), key=lambda m: m["user_id"], label=_person, details=_team_details
    )
    result.sites = _keyed_changes(
        old.get("sites", []),
        new.get("sites", []),
        key=lambda s: s["name"],
        label=lambda s: s["name"],
        details=_site_details,
    )
    result.recipients = _keyed_changes(
        old.get("recipients", []),
        new.get("recipients", []),
        key=lambda r: r["name"],
        label=lambda r: r["name"],
        details=_recipient_details,
    )
    result.documents = _document_changes(old.get("documents", []), new.get("documents", []))
    return result
