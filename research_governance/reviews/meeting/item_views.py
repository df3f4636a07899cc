"""An agenda item's pages: its conflicts, quorum, tally and votes, recusals, the decision,
deferral to a later meeting, and taking it off the agenda."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.committees.selectors import can_manage_committee, sitting_on
from research_governance.committees.views import add_service_errors, form_error_messages
from research_governance.reviews.meeting.forms import DecideForm, DeferForm, RecusalForm, RemoveForm, VoteForm
from research_governance.reviews.meeting.selectors import conflict_of, meeting_day, seat_at_meeting, tally_of
from research_governance.reviews.meeting.services import (
    agenda_item_defer,
    agenda_item_remove,
    can_decide,
    decision_refusals,
    refusal_text,
    vote_cast,
)
from research_governance.reviews.models import AgendaItem
from research_governance.reviews.panels import submitted_reviews
from research_governance.reviews.workflow import KIND_RULES

from . import services, workflow
from .views import close_page, get_meeting, meeting_page, require_manager, tell_not_done


def get_item(request: AuthenticatedHttpRequest, pk: int, meeting_id: int, item_id: int) -> AgendaItem:
    """The item if the user may take part in it: a conflicted member gets 404 (JP-ERC-07/08, US-IRB-03)."""
    meeting = get_meeting(request, pk, meeting_id)
    item = get_object_or_404(
        AgendaItem.objects.select_related("submission__protocol", "decided_by", "deferred_by"),
        pk=item_id,
        meeting=meeting,
    )
    item.meeting = meeting
    if conflict_of(request.user, item) is not None:
        raise Http404
    return item


def _item_response(
    request: AuthenticatedHttpRequest,
    item: AgendaItem,
    *,
    vote_form: VoteForm | None = None,
    decide_form: DecideForm | None = None,
    recusal_form: RecusalForm | None = None,
) -> HttpResponse:
    meeting = item.meeting
    quorum, refusals = decision_refusals(item)
    seat = seat_at_meeting(request.user, meeting)
    can_manage = can_manage_committee(request.user, meeting.committee)
    is_open = workflow.is_open(meeting) and item.is_pending
    own_vote = item.votes.filter(membership=seat).first() if seat else None
    may_vote = (
        is_open and seat is not None and own_vote is None and seat.pk in quorum["present_ids"]
    )  # conflicted members never get here (get_item)
    seats_by_id = {s.pk: s for s in quorum["seats"]}
    context: dict[str, Any] = {
        "committee": meeting.committee,
        "meeting": meeting,
        "item": item,
        "quorum": quorum,
        "tally": tally_of(item),
        "conflicts": [
            {"seat": seats_by_id[membership_id], "conflict": conflict}
            for membership_id, conflict in quorum["conflicts"].items()
            if membership_id in seats_by_id
        ],
        "own_vote": own_vote,
        "vote_form": (vote_form or VoteForm()) if may_vote else None,
        "is_open": is_open,
        # A form posted to an item that closed meanwhile comes back as typed, with the reason.
        "can_decide": (is_open or decide_form is not None) and can_decide(request.user, item),
        "decide_blocked": [refusal_text(refusal) for refusal in refusals],
        # The reviewers' discussion, for members without a conflict (conflicted ones get 404 here).
        "reviews": submitted_reviews(item.submission),
        "decide_form": decide_form or DecideForm(outcomes=KIND_RULES[item.submission.kind].outcomes),
        "recusal_form": (recusal_form or RecusalForm(seats=quorum["seats"]))
        if can_manage and (is_open or recusal_form is not None)
        else None,
    }
    return render(request, "committees/item.html", context)


@login_required
@require_GET
def item_detail(request: AuthenticatedHttpRequest, pk: int, meeting_id: int, item_id: int) -> HttpResponse:
    return _item_response(request, get_item(request, pk, meeting_id, item_id))


def _act_on_item(
    request: AuthenticatedHttpRequest,
    item: AgendaItem,
    form: Form,
    act: Callable[[dict[str, Any]], object],
    *,
    page_with_form: Callable[[], HttpResponse],
    done: str,
    not_done: str,
) -> HttpResponse:
    """Post a form on an item to its service: back to the item when it took, the item page with
    the form as typed and the service's reasons when it did not."""
    refused: ValidationError | None = None
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            refused = error
        else:
            messages.success(request, done)
            return redirect(
                "committees:item", pk=item.meeting.committee_id, meeting_id=item.meeting_id, item_id=item.pk
            )
    tell_not_done(request, not_done, refused)
    return page_with_form()


@login_required
@require_POST
def vote(request: AuthenticatedHttpRequest, pk: int, meeting_id: int, item_id: int) -> HttpResponse:
    item = get_item(request, pk, meeting_id, item_id)
    form = VoteForm(request.POST)
    return _act_on_item(
        request,
        item,
        form,
        lambda data: vote_cast(item=item, by=request.user, choice=data["choice"]),
        page_with_form=lambda: _item_response(request, item, vote_form=form),
        done=_("Your vote was recorded."),
        not_done=_("Your vote was not recorded."),
    )


@login_required
@require_POST
def recusal_add(request: AuthenticatedHttpRequest, pk: int, meeting_id: int, item_id: int) -> HttpResponse:
    item = get_item(request, pk, meeting_id, item_id)
    require_manager(request, item.meeting.committee)
    seats = sitting_on(item.meeting.committee, meeting_day(item.meeting))
    form = RecusalForm(request.POST, seats=seats)
    return _act_on_item(
        request,
        item,
        form,
        lambda data: services.recusal_add(item=item, by=request.user, **data),
        page_with_form=lambda: _item_response(request, item, recusal_form=form),
        done=_("The recusal was recorded."),
        not_done=_("The recusal was not recorded."),
    )


@login_required
@require_POST
def item_decide(request: AuthenticatedHttpRequest, pk: int, meeting_id: int, item_id: int) -> HttpResponse:
    item = get_item(request, pk, meeting_id, item_id)
    if not can_decide(request.user, item):
        raise PermissionDenied
    form = DecideForm(request.POST, outcomes=KIND_RULES[item.submission.kind].outcomes)
    return _act_on_item(
        request,
        item,
        form,
        lambda data: services.item_decide(item=item, by=request.user, **data),
        page_with_form=lambda: _item_response(request, item, decide_form=form),
        done=_("The decision was recorded."),
        not_done=_("The decision was not recorded."),
    )


@login_required
@require_POST
def item_defer(request: AuthenticatedHttpRequest, pk: int, meeting_id: int, item_id: int) -> HttpResponse:
    item = get_item(request, pk, meeting_id, item_id)
    require_manager(request, item.meeting.committee)
    form = DeferForm(request.POST, item=item)
    return_to = "close" if request.POST.get(f"defer-{item.pk}-return_to") == "close" else "detail"
    if form.is_valid():
        try:
            agenda_item_defer(item=item, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Item %(order)s was deferred; its submission can go on a later meeting's agenda.")
                % {"order": item.order},
            )
            if return_to == "close":
                return redirect("committees:meeting_close", pk=pk, meeting_id=meeting_id)
            return redirect("committees:meeting_detail", pk=pk, meeting_id=meeting_id)
    messages.error(
        request,
        _("Item %(order)s was not deferred: %(errors)s")
        % {"order": item.order, "errors": " ".join(form_error_messages(form))},
    )
    if return_to == "close" and workflow.is_open(item.meeting):
        return close_page(request, item.meeting, defer_forms={item.pk: form})
    return meeting_page(request, item.meeting, defer_forms={item.pk: form})


@login_required
@require_POST
def item_remove(request: AuthenticatedHttpRequest, pk: int, meeting_id: int, item_id: int) -> HttpResponse:
    item = get_item(request, pk, meeting_id, item_id)
    require_manager(request, item.meeting.committee)
    form = RemoveForm(request.POST, item=item)
    if form.is_valid():
        try:
            agenda_item_remove(item=item, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "%(protocol)s was taken off the agenda. It waits again to be put on a meeting's agenda, "
                    "and the members were sent the changed notice."
                )
                % {"protocol": item.submission.protocol},
            )
            return redirect("committees:meeting_detail", pk=pk, meeting_id=meeting_id)
    messages.error(
        request,
        _("Item %(order)s was not taken off the agenda: %(errors)s")
        % {"order": item.order, "errors": " ".join(form_error_messages(form))},
    )
    return meeting_page(request, item.meeting, remove_forms={item.pk: form})
