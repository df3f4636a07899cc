"""What the review engine asks of the apps above it (core.hooks): they register in their
AppConfig.ready(), and an unregistered hook is an error at start-up, never a silent no-op."""

from research_governance.core.hooks import Hook

# A decision, or the head's permission or refusal, was recorded: its letters are to be rendered
# after commit. Called as letters_due(decision_id=..., kind="decision" | "permission" | "refusal").
letters_due = Hook("reviews.letters_due", provided_by="research_governance.letters")

# Approvals stopped being active (suspended, closed, expired), in the caller's transaction:
# the data-sharing agreements depending on them are suspended. Called as
# approvals_lapsed(approvals=[...], by=user_or_None).
approvals_lapsed = Hook("reviews.approvals_lapsed", provided_by="research_governance.agreements")

# An approved amendment became the version in force, in the caller's transaction: the agreements
# whose consent terms it changes are flagged for re-review. Called as
# amendment_in_force(approval=..., previous_snapshot={...}, by=user).
amendment_in_force = Hook("reviews.amendment_in_force", provided_by="research_governance.agreements")
