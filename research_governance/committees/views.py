"""Committee pages. Everyone who may see a committee sees its roster and the rules
engine's verdict on it; the secretariat and administrators also get the forms that
change the roster and the settings. Views check access, bind forms, call a service
and render; every write happens in services."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.accounts.models import localized
from research_governance.rules import check_committee

from . import selectors, services
from .forms import (
    CommitteeSettingsForm,
    MembershipAddForm,
    MembershipEditForm,
    MembershipEndForm,
)
from .models import Committee, CommitteeMembership


def get_committee_for_viewer(request: AuthenticatedHttpRequest, pk: int) -> Committee:
    """The committee if the user may see it; 404 otherwise, so its existence is not disclosed."""
    return get_object_or_404(selectors.committees_visible_to(request.user), pk=pk)


def get_committee_for_manager(request: AuthenticatedHttpRequest, pk: int) -> Committee:
    committee = get_committee_for_viewer(request, pk)
    if not selectors.can_manage_committee(request.user, committee):
        raise PermissionDenied
    return committee


def get_membership(committee: Committee, membership_id: int) -> CommitteeMembership:
    return get_object_or_404(CommitteeMembership.objects.select_related("user"), pk=membership_id, committee=committee)


def add_service_errors(form: Form, error: ValidationError) -> None:
    """A service's ValidationError, shown on the field it names or above the form."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


@login_required
@require_GET
def committee_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    committees = selectors.committees_visible_to(request.user).select_related("institution").order_by("code")
    return render(request, "committees/list.html", {"committees": committees})


def _detail_response(
    request: AuthenticatedHttpRequest,
    committee: Committee,
    *,
    add_form: MembershipAddForm | None = None,
    settings_form: CommitteeSettingsForm | None = None,
    end_form: MembershipEndForm | None = None,
    end_membership_id: int | None = None,
) -> HttpResponse:
    """The committee page; a form that failed comes back as typed, with its errors."""
    seats = selectors.committee_seats(committee)
    # Computed on every request, so a change to the roster shows in its verdict at once.
    verdict = check_committee(selectors.roster_as_engine_input(committee, seats.roster))
    violations = [
        {"rule_id": violation["rule_id"], "text": localized(violation["ja"], violation["en"])}
        for violation in verdict["composition"]["violations"]
    ]
    can_manage = selectors.can_manage_committee(request.user, committee)
    context: dict[str, Any] = {
        "committee": committee,
        "roster": seats.roster,
        "secretariat_seats": seats.secretariat,
        "upcoming": seats.upcoming,
        "former": seats.former,
        "valid": verdict["composition"]["valid"],
        "violations": violations,
        "rule_ids": verdict["composition"]["rule_ids"],
        "rulebook_version": verdict["rulebook_version"],
        "can_manage": can_manage,
    }
    if can_manage:
        for membership in [*seats.roster, *seats.secretariat]:
            bound = end_form if membership.pk == end_membership_id else None
            membership.end_form = bound or MembershipEndForm(membership=membership)  # type: ignore[attr-defined]  # for the template
        context["add_form"] = add_form or MembershipAddForm()
        context["settings_form"] = settings_form or CommitteeSettingsForm(
            committee=committee, can_change_rule_set=selectors.can_change_rule_set(request.user, committee)
        )
    return render(request, "committees/detail.html", context)


@login_required
@require_GET
def committee_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail_response(request, get_committee_for_viewer(request, pk))


@login_required
@require_POST
def member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    committee = get_committee_for_manager(request, pk)
    form = MembershipAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.membership_add(
                committee=committee,
                by=request.user,
                user=data["user"],
                role=data["role"],
                category=data["category"],
                is_external=data["is_external"],
                sex=data["sex"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s was added to the committee as %(role)s.")
                % {"name": membership.user.display_name, "role": membership.get_role_display()},
            )
            return redirect("committees:detail", pk=committee.pk)
    messages.error(request, _("The member was not added. Correct the fields marked below."))
    return _detail_response(request, committee, add_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: AuthenticatedHttpRequest, pk: int, membership_id: int) -> HttpResponse:
    committee = get_committee_for_manager(request, pk)
    membership = get_membership(committee, membership_id)
    if request.method == "POST":
        form = MembershipEditForm.for_membership(membership, request.POST)
        if form.is_valid():
            try:
                services.membership_update(membership=membership, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("%(name)s's seat was saved.") % {"name": membership.user.display_name})
                return redirect("committees:detail", pk=committee.pk)
    else:
        form = MembershipEditForm.for_membership(membership)
    return render(
        request, "committees/member_edit.html", {"committee": committee, "membership": membership, "form": form}
    )


@login_required
@require_POST
def member_end(request: AuthenticatedHttpRequest, pk: int, membership_id: int) -> HttpResponse:
    committee = get_committee_for_manager(request, pk)
    membership = get_membership(committee, membership_id)
    form = MembershipEndForm(request.POST, membership=membership)
    if form.is_valid():
        try:
            ended = services.membership_end(
                membership=membership, by=request.user, valid_to=form.cleaned_data["valid_to"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s's term ends on %(date)s.")
                % {"name": ended.user.display_name, "date": ended.valid_to.isoformat() if ended.valid_to else ""},
            )
            return redirect("committees:detail", pk=committee.pk)
    messages.error(
        request,
        _("%(name)s's term was not ended: %(errors)s")
        % {"name": membership.user.display_name, "errors": " ".join(form_error_messages(form))},
    )
    return _detail_response(request, committee, end_form=form, end_membership_id=membership.pk)


def form_error_messages(form: Form) -> list[str]:
    return [str(message) for errors in form.errors.values() for message in errors]


@login_required
@require_POST
def committee_settings(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    committee = get_committee_for_manager(request, pk)
    form = CommitteeSettingsForm(
        request.POST, committee=committee, can_change_rule_set=selectors.can_change_rule_set(request.user, committee)
    )
    if form.is_valid():
        try:
            services.committee_update_settings(
                committee=committee,
                by=request.user,
                decision_rule=form.cleaned_data["decision_rule"],
                rule_set=form.cleaned_data.get("rule_set"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The committee's settings were saved."))
            return redirect("committees:detail", pk=committee.pk)
    messages.error(request, _("The settings were not saved. Correct the fields marked below."))
    return _detail_response(request, committee, settings_form=form)
