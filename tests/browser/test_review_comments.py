"""A reviewer of a resubmission, in a real browser: comments on a section of the application
with htmx (the page is not reloaded, and nothing breaks the content security policy), deletes
the comment again, and reads what changed since the version they reviewed.

htmx settles only class, width and height (base.html): settling "style" copies an empty style
attribute onto swapped-in inputs, which the content security policy blocks."""

import pytest
from playwright.sync_api import expect

from research_governance.reviews import services

from ..reviews.decisions_support import DUE, make_committee
from ..reviews.rounds_support import build_rounds

pytestmark = pytest.mark.django_db(transaction=True)

COMMENT = "Question 7 still does not say who keeps the key."


def test_a_returning_reviewer_comments_with_htmx_and_reads_the_changes(
    live_server, page_for, screenshot, pi, secretariat
):
    rounds = build_rounds(pi, secretariat, make_committee("JP"))
    reviewer = rounds["first_reviewer"]
    assignment = services.reviewer_assign(submission=rounds["second"], by=secretariat, reviewer=reviewer, due_date=DUE)
    services.conflict_declare(submission=rounds["second"], member=reviewer, has_conflict=False, reason="")

    page = page_for(reviewer)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url} {message.location} {message.text[:60]}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto(f"{live_server.url}/reviews/assignments/{assignment.pk}/")
    # A marker on the window survives an htmx swap, not a page load.
    page.evaluate("window.notReloaded = true")

    block = page.locator("#comments-section-data")
    block.get_by_text("Add a comment").click()
    block.get_by_label("Comment").fill(COMMENT)
    block.get_by_label("Where (optional)").fill("Q7")
    block.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comments-section-data")).to_contain_text(COMMENT)
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "comment-added")

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#comments-section-data").get_by_role("button", name="Delete").click()
    expect(page.locator("#comments-section-data")).not_to_contain_text(COMMENT)
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("link", name="Changes since the version you reviewed (round 1, version 1)").click()
    expect(page.locator("ins").first).to_contain_text("now with older adults")
    expect(page.get_by_text("consent-v2.pdf (v2)")).to_be_visible()
    screenshot(page, "changes")
    assert violations == []
