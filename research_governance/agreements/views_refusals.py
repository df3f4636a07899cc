"""Refusals and withdrawals: the study team's list (register, record what was done) and the
recipients' list of refusals to acknowledge. Every write is a service in ``refusal_services``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.protocols import permissions as protocol_permissions
from research_governance.protocols.models import Protocol

from . import refusal_services
from .forms_refusals import HandleRefusalForm, RegisterRefusalForm
from .models import RefusalAcknowledgement, SubjectRefusal

PAGE_SIZE = 25


def _protocol_for_team(request: AuthenticatedHttpRequest, pk: int) -> Protocol:
    """The study team's page: outsiders get 404, others who may see the study 403."""
    protocol = get_object_or_404(Protocol.objects.select_related("principal_investigator"), pk=pk)
    if refusal_services.is_study_team(request.user, protocol):
        return protocol
    if protocol_permissions.can_view(request.user, protocol):
        raise PermissionDenied
    raise Http404


def _apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)


def _render_list(
    request: AuthenticatedHttpRequest,
    protocol: Protocol,
    register_form: RegisterRefusalForm | None = None,
    failed_handle: HandleRefusalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    page = Paginator(refusal_services.protocol_refusals(protocol), PAGE_SIZE).get_page(request.GET.get("page"))
    is_pi = protocol.principal_investigator_id == request.user.pk
    now = timezone.now()
    rows = []
    for refusal in page.object_list:
        handle_form = None
        if is_pi and refusal.handled_at is None:
            handle_form = failed_handle if failed_handle is not None and failed_handle.refusal == refusal else None
            handle_form = handle_form or HandleRefusalForm(refusal=refusal)
        acks = [(ack, refusal_services.is_overdue(ack, now)) for ack in refusal.acknowledgements.all()]
        rows.append({"refusal": refusal, "acks": acks, "handle_form": handle_form})
    return render(
        request,
        "agreements/refusals/protocol_list.html",
        {
            "protocol": protocol,
            "page": page,
            "rows": rows,
            "register_form": register_form or RegisterRefusalForm(),
            "is_pi": is_pi,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def refusal_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    protocol = _protocol_for_team(request, pk)
    if request.method == "GET":
        return _render_list(request, protocol)
    form = RegisterRefusalForm(request.POST)
    if form.is_valid():
        try:
            refusal_services.refusal_register(
                protocol=protocol,
                by=request.user,
                kind=form.cleaned_data["kind"],
                subject_code=form.cleaned_data["subject_code"],
                details=form.cleaned_data["details"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, _("Registered. The principal investigator, the team and every recipient have been told.")
            )
            return redirect("agreements:refusal_list", pk=protocol.pk)
    return _render_list(request, protocol, register_form=form, status=400)


@login_required
@require_POST
def refusal_handle(request: AuthenticatedHttpRequest, refusal_id: int) -> HttpResponse:
    refusal = get_object_or_404(SubjectRefusal.objects.select_related("protocol"), pk=refusal_id)
    protocol = _protocol_for_team(request, refusal.protocol_id)
    if protocol.principal_investigator_id != request.user.pk:
        raise PermissionDenied
    form = HandleRefusalForm(request.POST, refusal=refusal)
    if form.is_valid():
        try:
            refusal_services.refusal_handle(
                refusal=refusal,
                by=request.user,
                note=form.cleaned_data["note"],
                subject_code=form.cleaned_data.get("subject_code", ""),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Recorded what was done."))
            return redirect("agreements:refusal_list", pk=protocol.pk)
    return _render_list(request, protocol, failed_handle=form, status=400)


@login_required
@require_GET
def refusals_to_acknowledge(request: AuthenticatedHttpRequest) -> HttpResponse:
    show = request.GET.get("show", "")
    acks = refusal_services.recipient_acknowledgements(request.user).defer(
        # A recipient never sees what the person wrote on the public form, nor the team's notes.
        "refusal__contact_name",
        "refusal__contact_details",
        "refusal__details",
        "refusal__handling_note",
    )
    if show != "all":
        acks = acks.filter(acknowledged_at__isnull=True)
    page = Paginator(acks, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(ack, refusal_services.is_overdue(ack, now)) for ack in page.object_list]
    return render(
        request,
        "agreements/refusals/to_acknowledge.html",
        {"page": page, "rows": rows, "show": show},
    )


@login_required
@require_POST
def refusal_acknowledge(request: AuthenticatedHttpRequest, ack_id: int) -> HttpResponse:
    ack = get_object_or_404(RefusalAcknowledgement.objects.select_related("agreement__request"), pk=ack_id)
    if not refusal_services.is_recipient(request.user, ack.agreement):
        raise Http404
    try:
        refusal_services.refusal_acknowledge(ack=ack, by=request.user)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, _("Acknowledged."))
    return redirect("agreements:refusals_to_acknowledge")


urlpatterns: list[URLPattern] = [
    path("protocols/<int:pk>/refusals/", refusal_list, name="refusal_list"),
    path("refusals/<int:refusal_id>/handle/", refusal_handle, name="refusal_handle"),
    path("refusals/to-acknowledge/", refusals_to_acknowledge, name="refusals_to_acknowledge"),
    path("refusals/acknowledgements/<int:ack_id>/acknowledge/", refusal_acknowledge, name="refusal_acknowledge"),
]
