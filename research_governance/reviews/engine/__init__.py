"""One committee-review engine for the ethics committee and the data access committee.

A reviewable thing (an ethics submission, a data-access request) is a *subject*: an adapter
(``subject.ReviewSubject``) says how to lock it, which committee reviews it, who its officers are,
who is conflicted and why, its workflow table and actors, the audit actions and notifications of
each step, and what its decision does. The engine does the rest the same way for both:

- ``assignment_services``: assign a reviewer, take one off (withdrawn assignments stay on record);
- ``conflict_services``: a member declares a conflict of interest; any open assignment ends
  (US-IRB-03); ``conflicts`` says who is conflicted (JP-ERC-07 team, US-IRB-03 declared);
- ``review_services``: the reviewer saves and submits the review;
- ``decision_services``: the committee's decision, with its conditions;
- ``condition_services``: the investigator answers a condition, an officer signs it off (US-R-01);
- ``models``: the abstract assignment and declaration rows both committees' tables inherit.

Votes, quorum and recusal at a meeting live with the meetings. What is particular to data
access (DUO matching, transfer checks, agreements, signatures, grants) plugs in beside it."""
