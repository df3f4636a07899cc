"""Templates compare statuses with the workflow enums, never with string literals.

A literal that drifts from the enum (a renamed state, a typo) compares false without an error and a
button or a notice silently disappears; the member lookup is checked here instead."""

import re
from pathlib import Path

from django.conf import settings
from django.template import Context, Template

from research_governance.portal.workflow_enums import WORKFLOW_ENUMS
from research_governance.reviews.workflow import SubmissionStatus

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# The last name of a compared expression that makes it a status: a model's workflow field.
STATUS_LIKE = re.compile(r"^(status|state|kind|outcome|route|recommendation|\w+_(status|state|kind|outcome|route))$")
LITERAL = r"""(?:"[^"]*"|'[^']*')"""
EXPRESSION = r"[\w.]+"
COMPARISONS = (
    re.compile(rf"(?P<expr>{EXPRESSION})\s*(?:==|!=)\s*(?P<literal>{LITERAL})"),
    re.compile(rf"(?P<literal>{LITERAL})\s*(?:==|!=)\s*(?P<expr>{EXPRESSION})"),
    re.compile(rf"(?P<literal>{LITERAL})\s+(?:not\s+)?in\s+(?P<expr>{EXPRESSION})"),
)
TAG = re.compile(r"{%-?\s*(?:if|elif)\s(.*?)-?%}", re.S)

# Kinds that are not a stored workflow status: what a version diff found (protocols.diff's
# ADDED / REMOVED / REPLACED) and the fill pattern of a chart's legend.
NOT_WORKFLOW = {
    ("protocols/partials/diff_kind.html", "kind"),
    ("protocols/partials/diff_items.html", "item.kind"),
    ("protocols/partials/version_diff.html", "change.kind"),
    ("oversight/partials/chart.html", "kind"),
}


def status_comparisons_with_literals() -> list[str]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt")):
        name = path.relative_to(TEMPLATES).as_posix()
        for tag in TAG.finditer(path.read_text(encoding="utf-8")):
            for pattern in COMPARISONS:
                for match in pattern.finditer(tag.group(1)):
                    expr = match.group("expr")
                    if STATUS_LIKE.match(expr.rsplit(".", 1)[-1]) and (name, expr) not in NOT_WORKFLOW:
                        found.append(f"{name}: {match.group(0)}")
    return found


def test_no_template_compares_a_status_with_a_string_literal():
    assert status_comparisons_with_literals() == []


def test_the_scan_finds_a_literal_comparison():
    # The scanner itself: each of the three shapes is caught.
    for text in (
        '{% if submission.status == "accepted" %}',
        "{% elif 'open' != grant.state %}",
        '{% if "draft" in data_request.status %}',
        '{% if decision.permission_state == "awaiting" %}',
    ):
        tag = TAG.search(text)
        assert tag is not None
        assert any(pattern.search(tag.group(1)) for pattern in COMPARISONS), text


def test_every_enum_member_a_template_names_exists():
    # A misspelt member would resolve to "" and compare false, as a literal would.
    used = re.compile(r"\b(" + "|".join(WORKFLOW_ENUMS) + r")\.(\w+)")
    missing = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for enum, member in used.findall(path.read_text(encoding="utf-8")):
            if member not in WORKFLOW_ENUMS[enum].__members__:
                missing.append(f"{path.relative_to(TEMPLATES)}: {enum}.{member}")
    assert missing == []


def test_a_member_compares_equal_to_the_stored_value_in_a_template():
    template = Template("{% if status == SubmissionStatus.ACCEPTED %}yes{% else %}no{% endif %}")
    assert template.render(Context({"status": "accepted", **WORKFLOW_ENUMS})) == "yes"
    assert template.render(Context({"status": "returned", **WORKFLOW_ENUMS})) == "no"
    assert SubmissionStatus.ACCEPTED == "accepted"
