from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from research_governance.protocols.assessment import reason_text
from research_governance.rules import check_committee

from . import selectors


@login_required
@require_GET
def committee_list(request: HttpRequest) -> HttpResponse:
    committees = selectors.committees_visible_to(request.user).select_related("institution").order_by("code")
    return render(request, "committees/list.html", {"committees": committees})


@login_required
@require_GET
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    committee = get_object_or_404(selectors.committees_visible_to(request.user), pk=pk)
    roster = list(selectors.current_roster(committee))
    verdict = check_committee(selectors.roster_as_engine_input(committee, roster))
    violations = [
        {"rule_id": violation["rule_id"], "text": reason_text(violation)}
        for violation in verdict["composition"]["violations"]
    ]
    return render(
        request,
        "committees/detail.html",
        {
            "committee": committee,
            "roster": roster,
            "valid": verdict["composition"]["valid"],
            "violations": violations,
            "rule_ids": verdict["composition"]["rule_ids"],
            "rulebook_version": verdict["rulebook_version"],
        },
    )
