"""A committee's meetings: the list, the meeting with its agenda and attendance, the minutes,
and closing (the pages of each agenda item are in item_views)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.committees.models import Committee
from research_governance.committees.selectors import can_manage_committee, sitting_on
from research_governance.committees.views import add_service_errors, get_committee_for_manager, get_committee_for_viewer
from research_governance.reviews.meeting.forms import (
    AgendaAddForm,
    AttendanceForm,
    DeferForm,
    MeetingRescheduleForm,
    MeetingScheduleForm,
    MinutesForm,
    RemoveForm,
)
from research_governance.reviews.meeting.selectors import (
    agenda_candidates,
    attendance_of,
    conflict_of,
    item_conflicts,
    meeting_day,
    meetings_for,
    quorum_for_item,
    tally_of,
)
from research_governance.reviews.meeting.services import attendance_record, close_refusals, minutes_update
from research_governance.reviews.models import Meeting

from . import services, workflow

MEETINGS_PER_PAGE = 20


def get_meeting(request: AuthenticatedHttpRequest, pk: int, meeting_id: int) -> Meeting:
    committee = get_committee_for_viewer(request, pk)
    meeting = get_object_or_404(
        Meeting.objects.select_related("committee", "closed_by"), pk=meeting_id, committee=committee
    )
    return meeting


def tell_not_done(request: AuthenticatedHttpRequest, text: str, refused: ValidationError | None) -> None:
    """The failure message, with the service's reasons: the form may no longer be on the page
    (the meeting closed, the item was decided or deferred meanwhile) to show them."""
    messages.error(request, " ".join([text, *(refused.messages if refused else [])]))


def require_manager(request: AuthenticatedHttpRequest, committee: Committee) -> None:
    if not can_manage_committee(request.user, committee):
        raise PermissionDenied


def _meeting_list_response(
    request: AuthenticatedHttpRequest, committee: Committee, *, form: MeetingScheduleForm | None = None
) -> HttpResponse:
    page = Paginator(meetings_for(committee), MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    can_manage = can_manage_committee(request.user, committee)
    context = {
        "committee": committee,
        "page": page,
        "can_manage": can_manage,
        "form": (form or MeetingScheduleForm()) if can_manage else None,
    }
    return render(request, "committees/meeting_list.html", context)


@login_required
@require_GET
def meeting_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _meeting_list_response(request, get_committee_for_viewer(request, pk))


@login_required
@require_POST
def meeting_schedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    committee = get_committee_for_manager(request, pk)
    form = MeetingScheduleForm(request.POST)
    if form.is_valid():
        try:
            meeting = services.meeting_schedule(committee=committee, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The meeting was scheduled."))
            return redirect("committees:meeting_detail", pk=committee.pk, meeting_id=meeting.pk)
    messages.error(request, _("The meeting was not scheduled. Correct the fields marked below."))
    return _meeting_list_response(request, committee, form=form)


def _item_rows(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    defer_forms: dict[int, DeferForm] | None = None,
    remove_forms: dict[int, RemoveForm] | None = None,
) -> list[dict[str, Any]]:
    """The agenda as the user may see it; the secretariat gets a "Defer" form on each pending
    item, and a "Take off the agenda" form on each pending item nobody has voted on yet."""
    items = meeting.items.select_related("submission__protocol").prefetch_related("recusals__membership__user")
    may_manage = can_manage_committee(request.user, meeting.committee) and workflow.is_open(meeting)
    rows = []
    for item in items:
        item.meeting = meeting
        conflict = conflict_of(request.user, item)
        row: dict[str, Any] = {"item": item, "recused": conflict is not None}
        if conflict is None:
            row["quorum"] = quorum_for_item(item)
            row["tally"] = tally_of(item)
        if may_manage and item.is_pending:
            row["defer_form"] = (defer_forms or {}).get(item.pk) or DeferForm(item=item)
            voted = any(row["tally"].values()) if "tally" in row else item.votes.exists()
            row["remove_form"] = (remove_forms or {}).get(item.pk) or (None if voted else RemoveForm(item=item))
        rows.append(row)
    return rows


def meeting_page(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    *,
    agenda_form: AgendaAddForm | None = None,
    attendance_form: AttendanceForm | None = None,
    defer_forms: dict[int, DeferForm] | None = None,
    remove_forms: dict[int, RemoveForm] | None = None,
    reschedule_form: MeetingRescheduleForm | None = None,
) -> HttpResponse:
    can_manage = can_manage_committee(request.user, meeting.committee)
    seats = sitting_on(meeting.committee, meeting_day(meeting))
    attendance = attendance_of(meeting)
    rows = _item_rows(request, meeting, defer_forms, remove_forms)
    context: dict[str, Any] = {
        "committee": meeting.committee,
        "meeting": meeting,
        "rows": rows,
        "seats": [{"seat": seat, "present": attendance.get(seat.pk)} for seat in seats],
        "can_manage": can_manage,
        "is_open": workflow.is_open(meeting),
        "attendance_recorded": bool(attendance),
        "pending": [row["item"] for row in rows if row["item"].is_pending],
    }
    # Rescheduled until it is held; a form posted as it was being held comes back as typed, with the reason.
    if can_manage and (meeting.status == Meeting.Status.SCHEDULED or reschedule_form is not None):
        context["reschedule_form"] = reschedule_form or MeetingRescheduleForm(meeting=meeting)
    if can_manage and workflow.is_open(meeting):
        context["agenda_form"] = agenda_form or AgendaAddForm(candidates=agenda_candidates(meeting))
        context["attendance_form"] = attendance_form or AttendanceForm(
            seats=seats, present_ids=[pk for pk, here in attendance.items() if here]
        )
    return render(request, "committees/meeting_detail.html", context)


@login_required
@require_GET
def meeting_detail(request: AuthenticatedHttpRequest, pk: int, meeting_id: int) -> HttpResponse:
    return meeting_page(request, get_meeting(request, pk, meeting_id))


@login_required
@require_POST
def meeting_reschedule(request: AuthenticatedHttpRequest, pk: int, meeting_id: int) -> HttpResponse:
    meeting = get_meeting(request, pk, meeting_id)
    require_manager(request, meeting.committee)
    form = MeetingRescheduleForm(request.POST, meeting=meeting)
    refused: ValidationError | None = None
    if form.is_valid():
        try:
            services.meeting_reschedule(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            refused = error
        else:
            messages.success(request, _("The meeting was rescheduled. Its members were sent the changed notice."))
            return redirect("committees:meeting_detail", pk=pk, meeting_id=meeting.pk)
    tell_not_done(request, _("The meeting was not rescheduled."), refused)
    return meeting_page(request, meeting, reschedule_form=form)


@login_required
@require_POST
def agenda_add(request: AuthenticatedHttpRequest, pk: int, meeting_id: int) -> HttpResponse:
    meeting = get_meeting(request, pk, meeting_id)
    require_manager(request, meeting.committee)
    form = AgendaAddForm(request.POST, candidates=agenda_candidates(meeting))
    refused: ValidationError | None = None
    if form.is_valid():
        try:
            services.agenda_add(meeting=meeting, by=request.user, submission=form.cleaned_data["submission"])
        except ValidationError as error:
            add_service_errors(form, error)
            refused = error
        else:
            messages.success(request, _("The submission was put on the agenda."))
            return redirect("committees:meeting_detail", pk=pk, meeting_id=meeting.pk)
    tell_not_done(request, _("The submission was not put on the agenda."), refused)
    return meeting_page(request, meeting, agenda_form=form)


@login_required
@require_POST
def attendance(request: AuthenticatedHttpRequest, pk: int, meeting_id: int) -> HttpResponse:
    meeting = get_meeting(request, pk, meeting_id)
    require_manager(request, meeting.committee)
    seats = sitting_on(meeting.committee, meeting_day(meeting))
    form = AttendanceForm(request.POST, seats=seats, present_ids=[])
    refused: ValidationError | None = None
    if form.is_valid():
        try:
            attendance_record(meeting=meeting, by=request.user, present=form.cleaned_data["present"])
        except ValidationError as error:
            add_service_errors(form, error)
            refused = error
        else:
            messages.success(request, _("The attendance was recorded."))
            return redirect("committees:meeting_detail", pk=pk, meeting_id=meeting.pk)
    tell_not_done(request, _("The attendance was not recorded."), refused)
    return meeting_page(request, meeting, attendance_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def minutes(request: AuthenticatedHttpRequest, pk: int, meeting_id: int) -> HttpResponse:
    """The minutes (US-IRB-08): attendance, recusals, votes and decisions as recorded, and the
    secretariat's narrative, the only part anyone types."""
    meeting = get_meeting(request, pk, meeting_id)
    can_manage = can_manage_committee(request.user, meeting.committee)
    can_edit = can_manage and workflow.is_open(meeting)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = MinutesForm(request.POST)
        if not can_edit:
            # Closed since the page was opened: keep what was typed on screen, with the reason.
            form.is_valid()
            form.add_error(None, workflow.CLOSED_REASON)
            messages.error(request, _("The minutes were not saved."))
        elif form.is_valid():
            try:
                minutes_update(meeting=meeting, by=request.user, narrative=form.cleaned_data["narrative"])
            except ValidationError as error:
                # Closed meanwhile: the typed narrative stays in the form, with the reason.
                add_service_errors(form, error)
                messages.error(request, _("The minutes were not saved."))
            else:
                messages.success(request, _("The minutes were saved."))
                return redirect("committees:minutes", pk=pk, meeting_id=meeting.pk)
    else:
        form = MinutesForm(initial={"narrative": meeting.minutes_narrative})
    seats = sitting_on(meeting.committee, meeting_day(meeting))
    seats_by_id = {seat.pk: seat for seat in seats}
    viewer_seat = next((seat for seat in seats if seat.user_id == request.user.pk), None)
    attendance = attendance_of(meeting)
    items = []
    for item in meeting.items.select_related("submission__protocol", "decided_by", "deferred_by").prefetch_related(
        "recusals__membership__user"
    ):
        item.meeting = meeting
        conflicts = item_conflicts(item, seats)
        # A member kept out of the item (JP-ERC-07/08, US-IRB-03) sees that it was on the agenda
        # and the committee's decision, not how the members voted on it.
        own_conflict = conflicts.get(viewer_seat.pk) if viewer_seat is not None else None
        items.append(
            {
                "item": item,
                "own_conflict": own_conflict,
                "tally": None if own_conflict else (item.tally if item.outcome else tally_of(item)),
                "recused": [
                    {"seat": seats_by_id[membership_id], "conflict": conflict}
                    for membership_id, conflict in conflicts.items()
                    if membership_id in seats_by_id
                ],
            }
        )
    context = {
        "committee": meeting.committee,
        "meeting": meeting,
        "present": [seat for seat in seats if attendance.get(seat.pk)],
        "absent": [seat for seat in seats if not attendance.get(seat.pk)],
        "items": items,
        "form": form if can_edit or form.is_bound else None,
        "is_open": workflow.is_open(meeting),
    }
    return render(request, "committees/minutes.html", context)


def close_page(
    request: AuthenticatedHttpRequest, meeting: Meeting, *, defer_forms: dict[int, DeferForm] | None = None
) -> HttpResponse:
    """The confirmation step: what is still open, with a way to decide or defer each item."""
    items = list(meeting.items.select_related("submission__protocol").order_by("order", "id"))
    rows = []
    for item in items:
        item.meeting = meeting
        row: dict[str, Any] = {"item": item}
        if item.is_pending:
            row["defer_form"] = (defer_forms or {}).get(item.pk) or DeferForm(item=item, initial={"return_to": "close"})
        rows.append(row)
    context = {
        "committee": meeting.committee,
        "meeting": meeting,
        "rows": rows,
        "pending": [row for row in rows if row["item"].is_pending],
        "refusals": close_refusals(meeting),
    }
    return render(request, "committees/meeting_close.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_close(request: AuthenticatedHttpRequest, pk: int, meeting_id: int) -> HttpResponse:
    meeting = get_meeting(request, pk, meeting_id)
    require_manager(request, meeting.committee)
    if not workflow.is_open(meeting):
        messages.info(request, _("This meeting is already closed."))
        return redirect("committees:meeting_detail", pk=pk, meeting_id=meeting.pk)
    if request.method == "POST":
        try:
            services.meeting_close(meeting=meeting, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join([_("The meeting was not closed."), *error.messages]))
            meeting.refresh_from_db()
        else:
            messages.success(request, _("The meeting was closed. Its minutes are final."))
            return redirect("committees:meeting_detail", pk=pk, meeting_id=meeting.pk)
    return close_page(request, meeting)
