"""A permission audit of every URL the app serves (admin/, accounts/, i18n/ and static excepted).

One realistic world (tests/core/permission_support.py): protocol A has gone all the way to
"approved with conditions" through a full-board meeting; the people around it are the personas
below. Every GET route is requested as every persona and the status is checked against the
matrix written out here; every POST route is posted, with a payload that would work, by every
persona who must not act, and must be refused without changing anything (no new AuditEvent).

Policy, in short: outsiders to a study get 404 (its existence is not disclosed); people who
may see a study but not do the thing get 403 or are sent back to the page with a message;
anonymous visitors are sent to /accounts/login/ (except /healthz, letter verification and the public
notices under /notices/).
"""

from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from research_governance.agreements.models import DataAccessRequest, Dataset, RefusalAcknowledgement, SubjectRefusal
from research_governance.audit.models import AuditEvent
from research_governance.letters.services import letter_issue
from research_governance.reviews.models import AgendaItem, ReviewComment, Vote
from tests.conftest import signed_in
from tests.factories import PASSWORD, attach, pdf_upload

from .permission_support import A_COMMENT, A_SUMMARY, A_TITLE, B_TITLE, World, build_world

PERSONAS = (
    "anonymous",
    "pi",  # principal investigator of protocol A
    "coinvestigator",  # on A's team, may not edit or submit
    "other_investigator",  # PI of protocol B (a draft); nothing to do with A
    "reviewer",  # committee member assigned to review A
    "member",  # committee member, not assigned
    "conflicted",  # committee member who declared a conflict of interest on A
    "secretariat",
    "chair",  # committee chair (seat and role)
    "head",  # head of the institution
    "auditor",
)


def table(text: str) -> dict[str, dict[str, str]]:
    """Rows of "route token token ..." in PERSONAS order; lines starting with # are comments."""
    rows = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            route, *tokens = line.split()
            assert len(tokens) == len(PERSONAS), route
            rows[route] = dict(zip(PERSONAS, tokens, strict=True))
    return rows


# Tokens: 200/403/404 the status; LGN a redirect to /accounts/login/; 302 another redirect
# (for GET: "nothing to do here", e.g. the application is already submitted; for POST: refused
# with a message and sent back to the page); "ok" (POST only) may act, not posted here.
EXPECTED_GET = table(
    """
# route                           anon pi   co   oth  rev  mem  cnf  sec  chr  head aud
home                              LGN  302  302  302  302  302  302  302  302  302  302
# Everyone's home ("Waiting for you") lists only their own work (checked in tests/portal/test_home.py).
portal:home                       LGN  200  200  200  200  200  200  200  200  200  200
healthz                           200  200  200  200  200  200  200  200  200  200  200
# The rulebook: secretariat, administrators, staff and auditors.
rulebook                          LGN  404  404  404  404  404  404  200  404  404  200
# Lists that show only the user's own things (content is checked in a separate test).
protocols:dashboard               LGN  200  200  200  200  200  200  200  200  200  200
protocols:create                  LGN  200  200  200  200  200  200  200  200  200  200
reviews:my_assignments            LGN  200  200  200  200  200  200  200  200  200  200
notifications:list                LGN  200  200  200  200  200  200  200  200  200  200
# Each user's own email preferences (immediate or daily digest): nobody edits another's.
notifications:preferences         LGN  200  200  200  200  200  200  200  200  200  200
committees:list                   LGN  200  200  200  200  200  200  200  200  200  200
# Protocol A: the team, and once submitted the secretariat, the chair and the head
# of its institution. Reviewers work in their workspace, not on the protocol page.
# The auditor of the institution reads every submitted protocol, and changes nothing (issue 7;
# tests/oversight/test_auditor_read_only.py).
protocols:detail                  LGN  200  200  404  404  404  404  200  200  200  200
protocols:version_detail          LGN  200  200  404  404  404  404  200  200  200  200
protocols:version_diff            LGN  200  200  404  404  404  404  200  200  200  200
protocols:document_download       LGN  200  200  404  404  404  404  200  200  200  200
# Submitted, so not editable: the PI is sent back to the page, other viewers are refused.
protocols:edit                    LGN  302  403  404  404  404  404  403  403  403  403
protocols:submit                  LGN  302  403  404  404  404  404  403  403  403  403
# The confirmation page: viewers of A are sent back ("cannot be withdrawn now": accepted).
protocols:submission_withdraw     LGN  302  302  404  404  404  404  302  302  302  302
# Queues.
reviews:secretariat_queue         LGN  404  404  404  404  404  404  200  404  404  404
reviews:head_queue                LGN  404  404  404  404  404  404  404  404  200  404
# A post-approval report (A's approval is active): the applicant only; other viewers 403.
reviews:report_new                LGN  200  403  404  404  404  404  403  403  403  403
reviews:chair_queue               LGN  404  404  404  404  404  404  200  200  404  404
# The assigned reviewer only; nobody else, not even the secretariat, opens the workspace.
reviews:workspace                 LGN  404  404  404  200  404  404  404  404  404  404
reviews:document                  LGN  404  404  404  200  404  404  404  404  404  404
# What changed since the earlier round (A was returned once): the reviewer, in their workspace.
reviews:changes                   LGN  404  404  404  200  404  404  404  404  404  404
# Committee pages: its sitting members, the secretariat, administrators and auditors.
# The head has no seat: 404. Investigators: 404.
committees:detail                 LGN  404  404  404  200  200  200  200  200  404  200
committees:meeting_list           LGN  404  404  404  200  200  200  200  200  404  200
# The meeting page lists every item; a conflicted member sees A's title marked "recused".
committees:meeting_detail         LGN  404  404  404  200  200  200  200  200  404  200
# The minutes: see test_minutes_show_a_conflicted_member_the_item_they_are_kept_out_of.
committees:minutes                LGN  404  404  404  200  200  200  200  200  404  200
# The item page (quorum, votes, decision): a conflicted member gets 404 (JP-ERC-07/08,
# US-IRB-03). The auditor has no seat and so no conflict: 200 (read-only, it cannot vote or
# decide: see the POST matrix).
committees:item                   LGN  404  404  404  200  200  404  200  200  404  200
# Closing a meeting (the confirmation step): the secretariat and administrators only.
committees:meeting_close          LGN  404  404  404  403  403  403  200  403  404  403
# Editing a seat: managers only; members and auditors see the committee but get 403.
committees:member_edit            LGN  404  404  404  403  403  403  200  403  404  403
# A decision letter of A: whoever may view A downloads it. The verification page is public: it
# shows the letter's reference, date, kind and hash, nothing about the study.
letters:download                  LGN  200  200  404  404  404  404  200  200  200  200
letters:verify                    200  200  200  200  200  200  200  200  200  200  200
# Data sharing (see permission_support.data_sharing): the other investigator requested a dataset
# of A's; the DAC (officers: chair, secretariat; members: reviewer, member, conflicted) approved it.
# Every signed-in user has a list and an access page of their own.
agreements:request_list           LGN  200  200  200  200  200  200  200  200  200  200
agreements:my_access              LGN  200  200  200  200  200  200  200  200  200  200
# The request: its requester, the provider's study team, the assigned reviewer, the officers and
# the auditor; an unassigned member, the conflicted member (US-IRB-03) and the head get 404.
agreements:request_detail         LGN  200  200  200  200  404  404  200  200  404  200
agreements:dac_queue              LGN  404  404  404  404  404  404  200  200  404  404
# Decided: officers are sent back to the request; other viewers may not act (403).
agreements:request_return         LGN  403  403  403  403  404  404  302  302  404  403
agreements:decision_record        LGN  403  403  403  403  404  404  302  302  404  403
# The reviewer's own review, submitted: sent back. Nobody else has one to write.
agreements:review_write           LGN  403  403  403  302  404  404  403  403  404  403
# The requester signs for the recipient, an unconflicted officer for the provider.
agreements:agreement_sign         LGN  403  403  200  403  404  404  200  200  404  403
agreements:agreement_document     LGN  200  200  200  200  404  404  200  200  404  200
# Public, like a letter's: the reference, status and hash only.
agreements:agreement_verify       200  200  200  200  200  200  200  200  200  200  200
# Current grants: the DAC's officers and the auditor.
agreements:grants_export          LGN  404  404  404  404  404  404  200  200  404  200
# Data sharing: the catalogue and a new request are for everyone signed in.
agreements:dataset_list           LGN  200  200  200  200  200  200  200  200  200  200
agreements:request_create         LGN  200  200  200  200  200  200  200  200  200  200
# Decided, so not editable: the requester is sent back to the page, other viewers are refused.
agreements:request_edit           LGN  403  403  302  403  404  404  403  403  404  403
# Offering a dataset of A: A's PI and the team members who may submit; other viewers of A 403.
agreements:dataset_register       LGN  200  403  404  404  404  404  403  403  403  403
# A's refusals and withdrawals, with what the public form's senders wrote: the study team only;
# others who may see A get 403, outsiders 404.
agreements:refusal_list           LGN  200  200  404  404  404  404  403  403  403  403
# Each user's own refusals to acknowledge, as a recipient (content is checked in tests/agreements).
agreements:refusals_to_acknowledge LGN 200  200  200  200  200  200  200  200  200  200
# The public notices (JP-IC-10): no sign-in. The thank-you page without a refusal sent goes back
# to the notice.
notices:list                      200  200  200  200  200  200  200  200  200  200  200
notices:detail                    200  200  200  200  200  200  200  200  200  200  200
notices:version                   200  200  200  200  200  200  200  200  200  200  200
notices:thanks                    302  302  302  302  302  302  302  302  302  302  302
# The audit trail and the access log: auditors and administrators only (read-only pages).
audit:events                      LGN  404  404  404  404  404  404  404  404  404  200
audit:events_csv                  LGN  404  404  404  404  404  404  404  404  404  200
audit:protocol_timeline           LGN  404  404  404  404  404  404  404  404  404  200
audit:access_log                  LGN  404  404  404  404  404  404  404  404  404  200
# Oversight (read-only but for the auditor's check of an approval): the register and the reports for the auditor, the
# secretariat (and administrators) and the chair of the institution; everyone else 404.
oversight:index                   LGN  404  404  404  404  404  404  200  200  404  200
oversight:approvals               LGN  404  404  404  404  404  404  200  200  404  200
oversight:approvals_csv           LGN  404  404  404  404  404  404  200  200  404  200
oversight:approvals_xlsx          LGN  404  404  404  404  404  404  200  200  404  200
oversight:reports                 LGN  404  404  404  404  404  404  200  200  404  200
oversight:report_csv              LGN  404  404  404  404  404  404  200  200  404  200
# An approval's check page: the auditors of its institution only (their one write, below).
oversight:approval_check          LGN  404  404  404  404  404  404  404  404  404  200
# The committee report (JP-ERC-11): the secretariat who submits it, and the auditor.
oversight:committee_report        LGN  404  404  404  404  404  404  200  404  404  200
oversight:committee_report_pdf    LGN  404  404  404  404  404  404  200  404  404  200
oversight:committee_report_csv    LGN  404  404  404  404  404  404  200  404  404  200
# Data sharing records (permission_support.add_records_world): an active agreement on a second
# dataset of A, for a requester who is none of the personas; the committee's officers (chair,
# secretariat) and the provider's side act, the auditor reads.
agreements:provision_list         LGN  200  200  404  404  404  404  200  200  404  200
# Provisions are recorded by the provider's side or an officer; the auditor reads only.
agreements:provision_new          LGN  200  200  404  404  404  404  200  200  404  403
# Destruction is the recipient's: every viewer here is refused.
agreements:destruction_new        LGN  403  403  404  404  404  404  403  403  404  403
# The institution's provision register (JP-IC-12): officers of the data access committee and auditors.
agreements:provision_register     LGN  404  404  404  404  404  404  200  200  404  200
agreements:provision_register_csv LGN  404  404  404  404  404  404  200  200  404  200
"""
)

# Who may act (ok), and how everyone else is refused.
EXPECTED_POST = table(
    """
# route                           anon pi   co   oth  rev  mem  cnf  sec  chr  head aud
# Anyone signed in drafts a request of their own, and sees the checks of what they type.
agreements:request_create         LGN  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok
agreements:request_check          LGN  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok
# Only the requester submits, withdraws or renews the request; the provider and auditor 403.
agreements:request_edit           LGN  403  403  ok   403  404  404  403  403  404  403
agreements:request_submit         LGN  403  403  ok   403  404  404  403  403  404  403
agreements:request_withdraw       LGN  403  403  ok   403  404  404  403  403  404  403
agreements:request_copy           LGN  403  403  ok   403  404  404  403  403  404  403
agreements:dataset_register       LGN  ok   403  404  404  404  404  403  403  403  403
protocols:create                  LGN  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok
protocols:edit                    LGN  ok   403  404  404  404  404  403  403  403  403
protocols:team_add                LGN  ok   403  404  404  404  404  403  403  403  403
protocols:team_remove             LGN  ok   403  404  404  404  404  403  403  403  403
protocols:site_add                LGN  ok   403  404  404  404  404  403  403  403  403
protocols:site_remove             LGN  ok   403  404  404  404  404  403  403  403  403
protocols:recipient_add           LGN  ok   403  404  404  404  404  403  403  403  403
protocols:recipient_remove        LGN  ok   403  404  404  404  404  403  403  403  403
protocols:document_add            LGN  ok   403  404  404  404  404  403  403  403  403
protocols:document_replace        LGN  ok   403  404  404  404  404  403  403  403  403
protocols:document_withdraw       LGN  ok   403  404  404  404  404  403  403  403  403
protocols:submit                  LGN  ok   403  404  404  404  404  403  403  403  403
# Viewers of A who are not the applicant are refused by the workflow, with a message.
protocols:submission_withdraw     LGN  ok   302  404  404  404  404  302  302  302  302
protocols:submission_accept       LGN  404  404  404  404  404  404  ok   404  404  404
protocols:submission_return       LGN  404  404  404  404  404  404  ok   404  404  404
protocols:request_answer          LGN  ok   403  404  404  404  404  403  403  403  403
protocols:reviewer_assign         LGN  404  404  404  404  404  404  ok   404  404  404
protocols:reviewer_unassign       LGN  404  404  404  404  404  404  ok   404  404  404
reviews:workspace                 LGN  404  404  404  ok   404  404  404  404  404  404
# Comments: the reviewer themself only, while the review is open; A's review is submitted, so
# even the reviewer is refused (sent back to the workspace with a message) and nothing changes.
reviews:comment_add               LGN  404  404  404  302  404  404  404  404  404  404
reviews:comment_delete            LGN  404  404  404  302  404  404  404  404  404  404
reviews:decision_record           LGN  403  403  404  404  404  404  ok   ok   403  403
reviews:condition_answer          LGN  ok   403  404  404  404  404  403  403  403  403
reviews:condition_sign_off        LGN  403  403  404  404  404  404  ok   ok   403  403
reviews:head_decide               LGN  403  403  404  404  404  404  403  403  ok   403
# A's only site is not at a registered institution: no head permits for it here (JP-ERC-12).
reviews:site_permission           LGN  403  403  404  404  404  404  403  403  403  403
reviews:approval_change           LGN  403  403  404  404  404  404  ok   ok   403  403
reviews:amendment_start           LGN  ok   403  404  404  404  404  403  403  403  403
reviews:report_new                LGN  ok   403  404  404  404  404  403  403  403  403
# The PI's notification: anyone else gets 404; read-all acts on the user's own only.
notifications:read                LGN  ok   404  404  404  404  404  404  404  404  404
notifications:read_all            LGN  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok
notifications:preferences         LGN  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok
committees:settings               LGN  404  404  404  403  403  403  ok   403  404  403
committees:member_add             LGN  404  404  404  403  403  403  ok   403  404  403
committees:member_edit            LGN  404  404  404  403  403  403  ok   403  404  403
committees:member_end             LGN  404  404  404  403  403  403  ok   403  404  403
committees:meeting_schedule       LGN  404  404  404  403  403  403  ok   403  404  403
# Rescheduling: the secretariat, before the meeting is held (this one is closed: refused anyway).
committees:meeting_reschedule     LGN  404  404  404  403  403  403  ok   403  404  403
committees:agenda_add             LGN  404  404  404  403  403  403  ok   403  404  403
committees:attendance             LGN  404  404  404  403  403  403  ok   403  404  403
committees:minutes                LGN  404  404  404  403  403  403  ok   403  404  403
committees:recusal_add            LGN  404  404  404  403  403  404  ok   403  404  403
# Sitting members who are not conflicted may vote (they all have; the item is decided).
# The auditor reaches the item but has no seat: 403.
committees:vote                   LGN  404  404  404  ok   ok   404  403  ok   404  403
committees:item_decide            LGN  404  404  404  403  403  404  ok   ok   404  403
committees:meeting_close          LGN  404  404  404  403  403  403  ok   403  404  403
# Deferring an item: the secretariat; a conflicted member does not reach the item (404).
committees:item_defer             LGN  404  404  404  403  403  404  ok   403  404  403
# Taking an item off the agenda: the secretariat; a conflicted member does not reach the item (404).
committees:item_remove            LGN  404  404  404  403  403  404  ok   403  404  403
# Anyone may check a copy of a letter against its hash; it changes nothing.
letters:verify                    ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok
# Data sharing: the request is decided, so the officers are refused by the workflow (302).
agreements:request_accept         LGN  403  403  403  403  404  404  302  302  404  403
agreements:request_return         LGN  403  403  403  403  404  404  302  302  404  403
agreements:reviewer_assign        LGN  403  403  403  403  404  404  302  302  404  403
agreements:decision_record        LGN  403  403  403  403  404  404  302  302  404  403
agreements:review_write           LGN  403  403  403  302  404  404  403  403  404  403
# Committee members who see the request may declare a conflict; nobody else.
agreements:conflict_declare       LGN  403  403  403  ok   404  404  ok   ok   404  403
agreements:agreement_sign         LGN  403  403  ok   403  404  404  ok   ok   404  403
# Team members accept the terms: here the requester.
agreements:terms_accept           LGN  403  403  ok   403  404  404  403  403  404  403
# Registering a refusal: the study team; recording what was done: the PI. Acknowledging: the
# recipient's team only (no persona is on it).
agreements:refusal_list           LGN  ok   ok   404  404  404  404  403  403  403  403
agreements:refusal_handle         LGN  ok   403  404  404  404  404  403  403  403  403
agreements:refusal_acknowledge    LGN  404  404  404  404  404  404  404  404  404  404
# Anyone may refuse the use of their information through a public notice (rate-limited).
notices:detail                    ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok
agreements:provision_new          LGN  ok   ok   404  404  404  404  ok   ok   404  403
agreements:destruction_new        LGN  403  403  404  404  404  404  403  403  404  403
agreements:agreement_reinstate    LGN  403  403  404  404  404  404  ok   ok   404  403
agreements:re_review_clear        LGN  403  403  404  404  404  404  ok   ok   404  403
# Auditors check every approval: the auditor records the check; nobody else reaches the page.
oversight:approval_check          LGN  404  404  404  404  404  404  404  404  404  ok
"""
)

# Routes deliberately outside the audit: Django admin, allauth, set_language, static files.
SKIPPED_PREFIXES = ("admin/", "accounts/", "i18n/", "static/", "media/")
AUDITED_NAMESPACES = (
    "portal",
    "protocols",
    "reviews",
    "committees",
    "notifications",
    "letters",
    "agreements",
    "notices",
    "audit",
    "oversight",
)
CORE_ROUTES = ("home", "healthz", "rulebook")


def served_routes() -> set[str]:
    """Every named route of the audited apps, from the URL resolver itself."""
    names: set[str] = set()

    def walk(resolver, prefix: str, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if hasattr(pattern, "url_patterns"):
                walk(pattern, route, pattern.namespace or namespace)
            else:
                assert pattern.name, f"unnamed route {route}"
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver(), "", "")
    return {name for name in names if name in CORE_ROUTES or name.split(":")[0] in AUDITED_NAMESPACES}


ROUTE_ARGUMENTS = {
    "protocols:detail": ["pk"],
    "protocols:edit": ["pk"],
    "protocols:team_add": ["pk"],
    "protocols:team_remove": ["pk", "member_id"],
    "protocols:site_add": ["pk"],
    "protocols:site_remove": ["pk", "site_id"],
    "protocols:recipient_add": ["pk"],
    "protocols:recipient_remove": ["pk", "recipient_id"],
    "protocols:document_add": ["pk"],
    "protocols:document_replace": ["pk", "document_id"],
    "protocols:document_withdraw": ["pk", "document_id"],
    "protocols:document_download": ["pk", "version_id"],
    "protocols:version_detail": ["pk", "number"],
    "protocols:version_diff": ["pk", "first_number", "other"],
    "protocols:submit": ["pk"],
    "protocols:submission_withdraw": ["pk", "submission_id"],
    "protocols:submission_accept": ["pk", "submission_id"],
    "protocols:submission_return": ["pk", "submission_id"],
    "protocols:request_answer": ["pk", "request_id"],
    "protocols:reviewer_assign": ["pk", "submission_id"],
    "protocols:reviewer_unassign": ["pk", "assignment_id"],
    "reviews:workspace": ["assignment_id"],
    "reviews:document": ["assignment_id", "version_id"],
    "reviews:comment_add": ["assignment_id"],
    "reviews:comment_delete": ["assignment_id", "comment_id"],
    "reviews:changes": ["assignment_id", "round_number"],
    "reviews:decision_record": ["pk", "submission_id"],
    "reviews:condition_answer": ["pk", "condition_id"],
    "reviews:condition_sign_off": ["pk", "condition_id"],
    "reviews:head_decide": ["pk", "decision_id"],
    "reviews:site_permission": ["pk", "decision_id", "site_id"],
    "reviews:approval_change": ["pk", "approval_id"],
    "reviews:amendment_start": ["pk"],
    "reviews:report_new": ["pk", "kind"],
    "notifications:read": ["notification_pk"],
    "committees:detail": ["committee_pk"],
    "committees:settings": ["committee_pk"],
    "committees:member_add": ["committee_pk"],
    "committees:member_edit": ["committee_pk", "membership_id"],
    "committees:member_end": ["committee_pk", "membership_id"],
    "committees:meeting_list": ["committee_pk"],
    "committees:meeting_schedule": ["committee_pk"],
    "committees:meeting_detail": ["committee_pk", "meeting_id"],
    "committees:agenda_add": ["committee_pk", "meeting_id"],
    "committees:attendance": ["committee_pk", "meeting_id"],
    "committees:minutes": ["committee_pk", "meeting_id"],
    "committees:item": ["committee_pk", "meeting_id", "item_id"],
    "committees:vote": ["committee_pk", "meeting_id", "item_id"],
    "committees:recusal_add": ["committee_pk", "meeting_id", "item_id"],
    "committees:item_decide": ["committee_pk", "meeting_id", "item_id"],
    "committees:meeting_close": ["committee_pk", "meeting_id"],
    "committees:item_defer": ["committee_pk", "meeting_id", "item_id"],
    "committees:meeting_reschedule": ["committee_pk", "meeting_id"],
    "committees:item_remove": ["committee_pk", "meeting_id", "item_id"],
    "letters:download": ["letter_id"],
    "letters:verify": ["code"],
    "agreements:request_detail": ["data_request_pk"],
    "agreements:request_accept": ["data_request_pk"],
    "agreements:request_return": ["data_request_pk"],
    "agreements:reviewer_assign": ["data_request_pk"],
    "agreements:conflict_declare": ["data_request_pk"],
    "agreements:review_write": ["data_request_pk"],
    "agreements:decision_record": ["data_request_pk"],
    "agreements:agreement_sign": ["agreement_pk"],
    "agreements:terms_accept": ["agreement_pk"],
    "agreements:agreement_document": ["agreement_pk"],
    "agreements:agreement_verify": ["agreement_code"],
    "agreements:grants_export": ["fmt"],
    "agreements:dataset_register": ["protocol_pk"],
    "agreements:request_edit": ["data_request_pk"],
    "agreements:request_submit": ["data_request_pk"],
    "agreements:request_withdraw": ["data_request_pk"],
    "agreements:request_copy": ["data_request_pk"],
    "agreements:refusal_list": ["pk"],
    "agreements:refusal_handle": ["refusal_id"],
    "agreements:refusal_acknowledge": ["ack_id"],
    "notices:detail": ["reference"],
    "notices:version": ["reference", "notice_number"],
    "notices:thanks": ["reference"],
    "audit:protocol_timeline": ["pk"],
    "oversight:report_csv": ["report"],
    "oversight:approval_check": ["approval_id"],
    "oversight:committee_report": ["committee_pk", "year"],
    "oversight:committee_report_pdf": ["committee_pk", "year"],
    "oversight:committee_report_csv": ["committee_pk", "year"],
    "agreements:destruction_new": ["records_request_pk"],
    "agreements:provision_list": ["records_request_pk"],
    "agreements:provision_new": ["records_request_pk"],
    "agreements:agreement_reinstate": ["records_request_pk"],
    "agreements:re_review_clear": ["records_request_pk"],
    "agreements:provision_register": [],
    "agreements:provision_register_csv": [],
}
# The URL keyword each world id fills (committee and notification routes call theirs "pk").
URL_KEYWORD = {
    "committee_pk": "pk",
    "notification_pk": "pk",
    "first_number": "number",
    "data_request_pk": "pk",
    "records_request_pk": "pk",
    "agreement_pk": "pk",
    "agreement_code": "code",
    "notice_number": "number",
}


def url(route: str, ids: dict[str, int]) -> str:
    kwargs = {URL_KEYWORD.get(key, key): ids[key] for key in ROUTE_ARGUMENTS.get(route, [])}
    return reverse(route, kwargs=kwargs)


def outcome(response) -> str:
    if response.status_code == 302:
        return "LGN" if response.url.startswith("/accounts/login/") else "302"
    return str(response.status_code)


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def post_payload(route: str, world: World) -> tuple[dict[str, object], dict[str, object]]:
    """Form data that would do the thing if the view let the caller through, and files."""
    ids = world.ids
    today = timezone.localdate().isoformat()
    other = world.people["other_investigator"]
    upload, _size = pdf_upload("intruder")
    upload.name = "intruder.pdf"
    data: dict[str, object] = {
        "protocols:create": {"title_ja": "侵入", "title_en": "Intruder"},
        "protocols:edit": {"title_en": "Hijacked", "lock_version": world.protocol_a.lock_version},
        "protocols:team_add": {"team-email": other.email, "team-role": "staff", "team-can_edit": "on"},
        "protocols:site_add": {"site-name": "Intruder site"},
        "protocols:recipient_add": {
            "recipient-name": "Intruder Inc",
            "recipient-kind": "company",
            "recipient-country": "US",
        },
        "protocols:document_add": {"document-kind": "other", "document-title": "Intruder", "document-file": upload},
        "protocols:document_replace": {"replace-file": upload},
        "protocols:submission_accept": {"accept-route": "expedited"},
        "protocols:submission_return": {"return-requests": "Start again."},
        "protocols:request_answer": {f"answer-{ids['request_id']}-response": "Hijacked answer"},
        "protocols:reviewer_assign": {
            "assign-reviewer": world.member_seat.user_id,
            "assign-due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        },
        "reviews:workspace": {"has_conflict": "False", "reason": "", "recommendation": "disapprove", "summary": "x"},
        "reviews:comment_add": {"anchor": "section-study", "section-study-text": "Hijacked comment"},
        "reviews:decision_record": {"decision-outcome": "disapprove", "decision-reasons": "Hijacked"},
        "reviews:condition_answer": {f"condition-{ids['condition_id']}-response": "Hijacked"},
        "reviews:condition_sign_off": {
            f"signoff-{ids['condition_id']}-meaning": "approval",
            f"signoff-{ids['condition_id']}-password": PASSWORD,
        },
        "reviews:head_decide": {"permission-decision": "permit", "permission-reasons": "Hijacked"},
        "reviews:site_permission": {f"site-{ids['site_id']}-decision": "permit"},
        "reviews:approval_change": {"approval-action": "close", "approval-reasons": "Hijacked"},
        "reviews:report_new": {
            "period_from": today,
            "period_to": today,
            "participants_enrolled": 3,
            "summary": "Hijacked report",
        },
        "notifications:preferences": {"notification_mode": "digest"},
        "agreements:request_edit": {"title": "Hijacked request"},
        "agreements:dataset_register": {
            "title": "Intruder dataset",
            "deidentification": "identified",
            "duo_permission": "GRU",
        },
        "committees:settings": {"settings-decision_rule": "majority", "settings-rule_set": "US"},
        "committees:member_add": {
            "add-email": other.email,
            "add-role": "member",
            "add-category": "natural_science",
            "add-sex": "female",
            "add-valid_from": today,
        },
        "committees:member_edit": {
            "edit-role": "chair",
            "edit-category": "natural_science",
            "edit-sex": "female",
            "edit-valid_from": today,
        },
        "committees:member_end": {f"end-{ids['membership_id']}-valid_to": today},
        "committees:meeting_schedule": {
            "meeting-scheduled_at": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "meeting-location": "Intruder room",
        },
        "committees:agenda_add": {"agenda-submission": ids["submission_id"]},
        "committees:attendance": {"attendance-present": [ids["membership_id"]]},
        "committees:minutes": {"minutes-narrative": "Hijacked minutes"},
        "committees:recusal_add": {"recusal-membership": ids["membership_id"], "recusal-reason": "Hijacked"},
        "committees:vote": {"vote-choice": "against"},
        "committees:item_decide": {"decide-outcome": "disapprove", "decide-reasons": "Hijacked"},
        "agreements:request_return": {"reasons": "Hijacked"},
        "agreements:reviewer_assign": {
            "assign-reviewer": world.people["member"].pk,
            "assign-due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        },
        "agreements:conflict_declare": {"conflict-reason": "Hijacked"},
        "agreements:review_write": {"recommendation": "not_approved", "comments": "Hijacked"},
        "agreements:decision_record": {"outcome": "not_approved", "reasons": "Hijacked"},
        "agreements:agreement_sign": {"password": PASSWORD},
        "committees:item_defer": {
            f"defer-{ids['item_id']}-reason": "Hijacked",
            f"defer-{ids['item_id']}-return_to": "detail",
        },
        "committees:meeting_reschedule": {
            "reschedule-scheduled_at": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "reschedule-location": "Intruder room",
        },
        "committees:item_remove": {f"remove-{ids['item_id']}-reason": "Hijacked"},
        "agreements:refusal_list": {"register-kind": "refusal", "register-subject_code": "HIJACK-1"},
        "agreements:refusal_handle": {f"handle-{ids['refusal_id']}-note": "Hijacked"},
        "agreements:provision_new": {
            "dataset": ids["dataset_id"],
            "provided_on": today,
            "items": "Hijacked",
            "medium": "secure_transfer",
            "recipient": "Intruder",
        },
        "agreements:destruction_new": {
            "destroyed_on": today,
            "destroyed_by": "Intruder",
            "method": "Hijacked",
            "evidence": "Hijacked",
        },
        "agreements:re_review_clear": {"rereview-note": "Hijacked"},
        "oversight:approval_check": {"findings": "findings", "note": "Hijacked check"},
    }.get(route, {})
    return data, {}


def state_of(world: World) -> tuple[object, ...]:
    """What a refused POST must not change, beyond the audit trail (which not every write touches)."""
    protocol = world.protocol_a
    protocol.refresh_from_db()
    world.notification.refresh_from_db()
    world.meeting.refresh_from_db()
    world.committee.refresh_from_db()
    return (
        AuditEvent.objects.count(),
        protocol.status,
        protocol.title_en,
        protocol.lock_version,
        world.notification.read_at,
        world.meeting.minutes_narrative,
        world.meeting.status,
        world.meeting.scheduled_at,
        world.meeting.location,
        AgendaItem.objects.count(),
        world.committee.decision_rule,
        world.committee.rule_set,
        protocol.amendment_open,
        protocol.submissions.count(),
        Vote.objects.count(),
        ReviewComment.objects.count(),
        world.protocol_a.team_members.count(),
        world.protocol_a.documents.count(),
        list(DataAccessRequest.objects.values_list("status", "title", "lock_version")),
        Dataset.objects.count(),
        SubjectRefusal.objects.count(),
        SubjectRefusal.objects.filter(handled_at__isnull=False).count(),
        RefusalAcknowledgement.objects.filter(acknowledged_at__isnull=False).count(),
    )


@pytest.fixture
def world(db) -> World:
    world = build_world()
    letter = letter_issue(decision_id=world.decision.pk, kind="decision", language="en")
    world.ids.update({"letter_id": letter.pk, "code": letter.verification_code})
    return world


def test_the_matrices_cover_every_route_the_app_serves():
    served = served_routes()
    get_only_or_both = set(EXPECTED_GET)
    posts = set(EXPECTED_POST)
    assert served == get_only_or_both | posts, (
        f"not audited: {sorted(served - get_only_or_both - posts)}; gone: {sorted((get_only_or_both | posts) - served)}"
    )


def test_every_get_route_answers_every_persona_as_the_policy_says(world):
    expected = EXPECTED_GET
    mismatches = []
    actual_rows = []
    for route, row in expected.items():
        address = url(route, world.ids)
        got = {}
        for persona in PERSONAS:
            got[persona] = outcome(signed_in(world.people[persona]).get(address))
            if got[persona] != row[persona]:
                mismatches.append(f"{route} as {persona}: expected {row[persona]}, got {got[persona]}")
        actual_rows.append(f"{route:32} " + " ".join(f"{got[p]:4}" for p in PERSONAS))
    assert not mismatches, "\n".join([*mismatches, "actual:", *actual_rows])


def test_anonymous_visitors_are_sent_to_sign_in_with_the_page_to_come_back_to(world):
    for route in EXPECTED_GET:
        if route in ("healthz", "home", "letters:verify", "agreements:agreement_verify") or route.startswith(
            "notices:"
        ):
            continue
        address = url(route, world.ids)
        response = signed_in(None).get(address)
        assert response.url == f"/accounts/login/?next={address}", route


def test_every_post_route_refuses_those_who_must_not_act_and_changes_nothing(world):
    expected = EXPECTED_POST
    before = state_of(world)
    mismatches = []
    for route, row in expected.items():
        address = url(route, world.ids)
        for persona in PERSONAS:
            if row[persona] == "ok":
                continue
            data, _files = post_payload(route, world)
            got = outcome(signed_in(world.people[persona]).post(address, data))
            if got != row[persona]:
                mismatches.append(f"POST {route} as {persona}: expected {row[persona]}, got {got}")
            after = state_of(world)
            if after != before:
                mismatches.append(f"POST {route} as {persona} changed something: {before} -> {after}")
                before = after
    assert not mismatches, "\n".join(mismatches)


def test_marking_all_read_touches_only_the_user_s_own_notifications(world):
    for persona in PERSONAS:
        if persona != "pi":
            signed_in(world.people[persona]).post(reverse("notifications:read_all"))
    world.notification.refresh_from_db()
    assert world.notification.read_at is None


def test_get_pages_accept_no_writes_from_outsiders_by_method_either(world):
    """The GET-only pages refuse POST (405) before any access decision, so nothing is written."""
    before = AuditEvent.objects.count()
    for route in EXPECTED_GET:
        if route in EXPECTED_POST or route in ("home",):
            continue
        response = signed_in(world.people["other_investigator"]).post(url(route, world.ids), {})
        assert response.status_code in (403, 404, 405), route
    assert AuditEvent.objects.count() == before


# Protocol B is the other investigator's draft: they may edit it. Pointing B's routes at A's
# children (team member, site, recipient, document, version) must find nothing.
CROSS_OBJECT_POSTS = {
    "protocols:team_remove": "member_id",
    "protocols:site_remove": "site_id",
    "protocols:recipient_remove": "recipient_id",
    "protocols:document_replace": "document_id",
    "protocols:document_withdraw": "document_id",
}


def test_the_owner_of_another_protocol_cannot_reach_a_s_parts_through_their_own(world):
    other = signed_in(world.people["other_investigator"])
    ids_through_b = {**world.ids, "pk": world.protocol_b.pk}
    before = state_of(world)
    for route in CROSS_OBJECT_POSTS:
        data, _files = post_payload(route, world)
        assert other.post(url(route, ids_through_b), data).status_code == 404, route
    assert state_of(world) == before
    assert other.get(url("protocols:document_download", ids_through_b)).status_code == 404
    assert other.get(url("protocols:version_detail", ids_through_b)).status_code == 404


def test_a_reviewer_opens_only_the_documents_of_the_version_under_review(world):
    reviewer = signed_in(world.people["reviewer"])
    # A document that is not part of the version under review: one of protocol B's.
    attach(world.protocol_b, world.people["other_investigator"], "protocol", "b.pdf")
    b_document = world.protocol_b.documents.get().versions.get()
    ids = {**world.ids, "version_id": b_document.pk}
    assert reviewer.get(url("reviews:document", ids)).status_code == 404


def test_outsiders_see_nothing_of_protocol_a_on_any_page(world):
    """Lists that every signed-in user may open show only the user's own things."""
    leaks = []
    for persona in ("other_investigator", "anonymous"):
        client = signed_in(world.people[persona])
        for route in EXPECTED_GET:
            text = body(client.get(url(route, world.ids), follow=True))
            for secret in (A_TITLE, A_SUMMARY, world.protocol_a.reference):
                if secret in text:
                    leaks.append(f"{route} shows {persona} {secret!r}")
        # The dashboard's search must not find A either.
        for query in (A_TITLE[:8], world.protocol_a.reference):
            text = body(client.get(reverse("protocols:dashboard"), {"q": query}, follow=True))
            if A_TITLE in text:
                leaks.append(f"dashboard search {query!r} shows {persona} protocol A")
    assert not leaks, "\n".join(leaks)


def test_b_s_draft_is_seen_by_nobody_but_its_investigator(world):
    address = reverse("protocols:detail", args=[world.protocol_b.pk])
    for persona in PERSONAS:
        response = signed_in(world.people[persona]).get(address)
        expected = {"anonymous": "LGN", "other_investigator": "200"}.get(persona, "404")
        assert outcome(response) == expected, persona
        if persona != "other_investigator":
            dashboard = signed_in(world.people[persona]).get(reverse("protocols:dashboard"), follow=True)
            assert B_TITLE not in body(dashboard), persona


def test_committee_members_who_are_not_on_the_study_see_the_agenda_but_not_the_application(world):
    """Unassigned and conflicted members see the meeting (A's title on the agenda); neither
    sees A's application (its summary) anywhere. (The auditor reads the application: see
    tests/oversight/test_auditor_read_only.py.)"""
    for persona in ("member", "conflicted"):
        client = signed_in(world.people[persona])
        for route in EXPECTED_GET:
            assert A_SUMMARY not in body(client.get(url(route, world.ids))), (route, persona)


def test_minutes_show_a_conflicted_member_the_decision_but_not_the_votes_us_irb_03_jp_erc_07(world):
    """Settled: the item page is 404 for a member with a conflict of interest on the item
    (US-IRB-03; investigators on the study likewise, JP-ERC-07/08), and the minutes of the
    same meeting show them that the item was on the agenda and the committee's decision
    (outcome, reasons, conditions: what the decision letter says), but not the vote tally.
    Other members read the whole record."""
    conflicted = signed_in(world.people["conflicted"])
    assert conflicted.get(url("committees:item", world.ids)).status_code == 404
    minutes = body(conflicted.get(url("committees:minutes", world.ids)))
    assert A_TITLE in minutes
    assert "Approve with conditions" in minutes
    assert world.item.reasons in minutes
    assert world.item.conditions[0] in minutes
    assert "For 5" not in minutes
    assert "its votes and discussion are not shown to you" in minutes
    member_minutes = body(signed_in(world.people["member"]).get(url("committees:minutes", world.ids)))
    assert "For 5 · against 0 · abstain 0" in member_minutes


def test_a_review_comment_reaches_the_reviewer_and_the_unconflicted_committee_only(world):
    """A's review went to the full board: its comments appear in the reviewer's own workspace and,
    with the submitted review, on the meeting's item page for the members without a conflict,
    the secretariat and the auditor (read-only). Never to the investigators, the conflicted
    member (JP-ERC-07, US-IRB-03) or anyone outside the committee. The auditor also reads it in the
    audit trail (the comment.added event's data), which nobody else reaches."""
    seen = []
    for persona in PERSONAS:
        client = signed_in(world.people[persona])
        for route in EXPECTED_GET:
            if A_COMMENT in body(client.get(url(route, world.ids))):
                seen.append(f"{route} as {persona}")
    assert sorted(seen) == sorted(
        [
            "reviews:workspace as reviewer",
            *(f"committees:item as {persona}" for persona in ("reviewer", "member", "secretariat", "chair", "auditor")),
            *(f"{route} as auditor" for route in ("audit:events", "audit:events_csv", "audit:protocol_timeline")),
        ]
    )
