"""The correspondence of a protocol with the committee, kept across resubmissions: for each
chain of rounds (a submission and the resubmissions that answer it, ``Submission.previous``),
every round's requests from the secretariat with the investigators' answers, and the decision's
conditions with their responses and sign-offs. A later round never hides an earlier one."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from research_governance.protocols.models import Protocol

from .models import Condition, Decision, PrescreenRequest, Submission
from .workflow import DecisionOutcome, SubmissionStatus


@dataclass
class Round:
    submission: Submission
    requests: list[PrescreenRequest]
    decision: Decision | None
    conditions: list[Condition]

    @property
    def returned_at(self):  # type: ignore[no-untyped-def]  # a datetime, or None
        return self.submission.status_changed_at if self.submission.status == SubmissionStatus.RETURNED else None


@dataclass
class Thread:
    """One submission and its resubmissions, oldest round first."""

    rounds: list[Round] = field(default_factory=list)

    @property
    def first(self) -> Submission:
        return self.rounds[0].submission


def correspondence(protocol: Protocol) -> list[Thread]:
    """Every thread with something said in it (requests, conditions, reasons to revise, or a
    resubmission), the newest first. Four queries however many rounds."""
    submissions = list(
        Submission.objects.filter(protocol=protocol)
        .select_related("submitted_by", "version", "decision__decided_by")
        .prefetch_related(
            Prefetch(
                "requests",
                queryset=PrescreenRequest.objects.select_related("responded_by").order_by("number"),
            ),
            Prefetch(
                "decision__conditions",
                queryset=Condition.objects.select_related("responded_by", "signed_off_by").order_by("number"),
            ),
        )
        .order_by("submitted_at", "id")
    )
    by_id = {submission.pk: submission for submission in submissions}
    threads: dict[int, Thread] = {}
    for submission in submissions:
        # Follow ``previous`` to the first round; submissions come oldest first, so it is known.
        root = submission
        while root.previous_id is not None and root.previous_id in by_id:
            root = by_id[root.previous_id]
        decision = getattr(submission, "decision", None)
        threads.setdefault(root.pk, Thread()).rounds.append(
            Round(
                submission=submission,
                requests=list(submission.requests.all()),
                decision=decision,
                conditions=list(decision.conditions.all()) if decision is not None else [],
            )
        )
    said = [
        thread
        for thread in threads.values()
        if len(thread.rounds) > 1
        or any(
            r.requests or r.conditions or (r.decision is not None and r.decision.outcome == DecisionOutcome.REVISE)
            for r in thread.rounds
        )
    ]
    return sorted(said, key=lambda thread: thread.rounds[-1].submission.submitted_at, reverse=True)


def protocol_decisions(submissions: list[Submission]) -> list[Decision]:
    """Every decision on the protocol, newest first, from the submissions the page loaded."""
    return [s.decision for s in submissions if getattr(s, "decision", None) is not None]


def latest_decision(submissions: list[Submission]) -> Decision | None:
    decisions = protocol_decisions(submissions)
    return decisions[0] if decisions else None
