"""The committee's pages (queue, accept, return, assign, review, decide), the agreement's
(document, signing, terms, verification) and the grants' (my access, export). Views are thin:
every write is a service: the committee's of ``dac_services`` (the review engine's), the
agreement's and the grants' of ``agreement_services``; what they read is ``dac_selectors``.

Someone who may not see the request gets 404 (its existence is not disclosed); someone who may
see it but not do the thing gets 403, or is sent back to the request with a message when the
workflow refuses (wrong state)."""

import csv
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.reviews.engine.models import AssignmentStatus
from research_governance.reviews.workflow import TransitionRefused

from . import agreement_services, dac_selectors, dac_services, permissions
from .forms_review import AssignForm, ConflictForm, DecisionForm, ReturnForm, ReviewForm, SignForm
from .models import Agreement, DataAccessRequest
from .views_requests import get_request_for_viewer
from .workflow import AgreementStatus, RequestStatus

PAGE_SIZE = 25
EXPORT_CHUNK = 500


def _back(data_request: DataAccessRequest) -> HttpResponse:
    return redirect("agreements:request_detail", data_request.pk)


def _refused(request: AuthenticatedHttpRequest, data_request: DataAccessRequest, error: Exception) -> HttpResponse:
    texts = error.messages if isinstance(error, ValidationError) else [str(error)]
    for text in texts:
        messages.error(request, text)
    return _back(data_request)


def _act(
    request: AuthenticatedHttpRequest, data_request: DataAccessRequest, action: Callable[[], Any], done: str
) -> HttpResponse:
    """Run a service for a POST without a form page: refused by the workflow → back with a message."""
    try:
        action()
    except (TransitionRefused, ValidationError) as error:
        return _refused(request, data_request, error)
    messages.success(request, done)
    return _back(data_request)


def _form_page(
    request: AuthenticatedHttpRequest,
    data_request: DataAccessRequest,
    form: Any,
    *,
    heading: str,
    button: str,
    intro: str = "",
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "agreements/review/form.html",
        {
            "data_request": data_request,
            "form": form,
            "heading": heading,
            "button": button,
            "intro": intro,
            **(extra or {}),
        },
        status=status,
    )


def _form_errors(form: Any, error: Exception) -> None:
    for text in error.messages if isinstance(error, ValidationError) else [str(error)]:
        form.add_error(None, text)


def _written(request: AuthenticatedHttpRequest, form: Any, write: Callable[[dict[str, Any]], Any]) -> bool:
    """Whether a POSTed form was valid and its service took it; otherwise the form says why not."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except (TransitionRefused, ValidationError) as error:
        _form_errors(form, error)
        return False
    return True


# ---- the committee ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def dac_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Requests waiting for the committee, for its officers; 404 for everyone else."""
    if not permissions.is_officer_anywhere(request.user):
        raise Http404
    page = Paginator(dac_selectors.committee_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    heading = gettext("Data access committee: requests waiting")
    return render(request, "agreements/review/queue.html", {"page": page, "heading": heading})


def _officer_request(request: AuthenticatedHttpRequest, pk: int) -> DataAccessRequest:
    data_request = get_request_for_viewer(request, pk)
    if not permissions.can_act_as_officer(request.user, data_request):
        raise PermissionDenied
    return data_request


@login_required
@require_POST
def request_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    data_request = _officer_request(request, pk)
    return _act(
        request,
        data_request,
        lambda: dac_services.request_accept(data_request=data_request, by=request.user),
        gettext("The request is accepted for review. Assign reviewers."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_return(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    data_request = _officer_request(request, pk)
    if data_request.status != RequestStatus.SUBMITTED:
        messages.error(request, gettext("Only a request waiting for the committee's secretariat can be returned."))
        return _back(data_request)
    form = ReturnForm(request.POST or None)
    if _written(
        request,
        form,
        lambda data: dac_services.request_return(data_request=data_request, by=request.user, reasons=data["reasons"]),
    ):
        messages.success(request, gettext("The request is returned to the requester."))
        return _back(data_request)
    return _form_page(
        request,
        data_request,
        form,
        heading=gettext("Return the request to the requester"),
        button=gettext("Return the request"),
        extra={"checks": dac_selectors.checks(data_request)},
    )


@login_required
@require_POST
def reviewer_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    data_request = _officer_request(request, pk)
    form = AssignForm(request.POST, members=dac_selectors.dac_members(data_request.institution_id))
    if not form.is_valid():
        messages.error(request, gettext("Choose a member and a due date."))
        return _back(data_request)
    reviewer = form.cleaned_data["reviewer"]
    return _act(
        request,
        data_request,
        lambda: dac_services.reviewer_assign(
            data_request=data_request, by=request.user, reviewer=reviewer, due_date=form.cleaned_data["due_date"]
        ),
        gettext("%(name)s is assigned to review the request.") % {"name": reviewer.display_name},
    )


@login_required
@require_POST
def conflict_declare(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    data_request = get_request_for_viewer(request, pk)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Say briefly what the conflict is."))
        return _back(data_request)
    try:
        dac_services.conflict_declare(
            data_request=data_request, member=request.user, reason=form.cleaned_data["reason"]
        )
    except (TransitionRefused, ValidationError) as error:
        return _refused(request, data_request, error)
    messages.success(request, gettext("Your conflict of interest is recorded; you no longer see this request."))
    return redirect("agreements:request_list")


@login_required
@require_http_methods(["GET", "POST"])
def review_write(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The assigned reviewer's own review; nobody else opens it."""
    data_request = get_request_for_viewer(request, pk)
    own = dac_selectors.live_reviews(data_request).filter(reviewer=request.user).first()
    if own is None:
        raise PermissionDenied
    if own.status != AssignmentStatus.ASSIGNED or data_request.status != RequestStatus.ACCEPTED:
        messages.info(request, gettext("This review can no longer be written."))
        return _back(data_request)
    form = ReviewForm(request.POST or None)
    if _written(
        request,
        form,
        lambda data: dac_services.review_submit(
            review=own, by=request.user, recommendation=data["recommendation"], comments=data["comments"]
        ),
    ):
        messages.success(request, gettext("Your review is submitted to the committee."))
        return _back(data_request)
    return _form_page(
        request,
        data_request,
        form,
        heading=gettext("Write your review"),
        button=gettext("Submit your review"),
        extra={"checks": dac_selectors.checks(data_request), "due": own.due_date, "show_request": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def decision_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    data_request = _officer_request(request, pk)
    if data_request.status != RequestStatus.ACCEPTED:
        messages.error(
            request, gettext("A decision is recorded only on a request accepted for review and not yet decided.")
        )
        return _back(data_request)
    form = DecisionForm(request.POST or None)
    if _written(
        request,
        form,
        lambda data: dac_services.decision_record(
            data_request=data_request,
            by=request.user,
            outcome=data["outcome"],
            reasons=data["reasons"],
            conditions=data["conditions"],
        ),
    ):
        messages.success(request, gettext("The decision is recorded and the requester told."))
        return _back(data_request)
    submitted = list(
        data_request.reviews.filter(status=AssignmentStatus.COMPLETED)
        .select_related("reviewer")
        .order_by("completed_at")
    )
    return _form_page(
        request,
        data_request,
        form,
        heading=gettext("Record the committee's decision"),
        button=gettext("Record the decision"),
        extra={"checks": dac_selectors.checks(data_request), "submitted_reviews": submitted, "show_request": True},
    )


# ---- the agreement ---------------------------------------------------------------------------------------------------


def _agreement_for_viewer(request: AuthenticatedHttpRequest, pk: int) -> Agreement:
    agreement = get_object_or_404(Agreement.objects.select_related("request"), pk=pk)
    if not permissions.can_view_agreement(request.user, agreement):
        raise Http404
    return agreement


@login_required
@require_http_methods(["GET", "POST"])
def agreement_sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The requester signs for the recipient; an unconflicted officer of the committee for the provider."""
    agreement = _agreement_for_viewer(request, pk)
    data_request = agreement.request
    party = dac_selectors.party_for(request.user, data_request)
    if not party:
        raise PermissionDenied
    if agreement.status != AgreementStatus.AWAITING_SIGNATURES or agreement.signatures.filter(party=party).exists():
        messages.info(request, gettext("There is nothing for you to sign on this agreement."))
        return _back(data_request)
    form = SignForm(request.POST or None)
    if _written(
        request,
        form,
        lambda data: agreement_services.agreement_sign(agreement=agreement, by=request.user, password=data["password"]),
    ):
        messages.success(request, gettext("You have signed the agreement."))
        return _back(data_request)
    meaning = agreement_services.PARTY_MEANING[party]
    from research_governance.reviews.models import Condition

    return _form_page(
        request,
        data_request,
        form,
        heading=gettext("Sign the agreement"),
        button=gettext("Sign the agreement"),
        extra={
            "agreement": agreement,
            "sign": {
                "party": agreement.signatures.model.Party(party).label,
                "name": request.user.display_name,
                "meaning": Condition.Meaning(meaning).label,
            },
        },
    )


@login_required
@require_POST
def terms_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_for_viewer(request, pk)
    if not agreement.request.team.filter(user=request.user).exists():
        raise PermissionDenied
    return _act(
        request,
        agreement.request,
        lambda: agreement_services.terms_accept(agreement=agreement, by=request.user),
        gettext("You have accepted the terms of the agreement."),
    )


@login_required
@require_GET
def agreement_document(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The PDF, to whoever may view the agreement; 404 for everybody else."""
    agreement = _agreement_for_viewer(request, pk)
    if not agreement.document:
        messages.info(request, gettext("The agreement's document is being prepared; try again in a moment."))
        return _back(agreement.request)
    response = FileResponse(
        agreement.document.open("rb"),
        as_attachment=True,
        filename=f"{agreement.reference}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def agreement_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: the agreement's reference, status and the SHA-256 of its latest document; nothing
    about the data or the people. An unknown code is 404."""
    agreement = get_object_or_404(Agreement, verification_code=code)
    response = render(request, "agreements/review/verify.html", {"agreement": agreement})
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# ---- grants ----------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def my_access(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own grants, each active or ended as computed now (no job needed)."""
    page = Paginator(dac_selectors.my_grants(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(grant, grant.is_active(now)) for grant in page.object_list]
    return render(request, "agreements/review/my_access.html", {"page": page, "rows": rows, "now": now})


EXPORT_FIELDS = ("user", "email", "agreement", "datasets", "starts_at", "ends_at")


def _export_rows(grants: Any) -> Iterator[dict[str, str]]:
    for grant in grants.iterator(chunk_size=EXPORT_CHUNK):
        yield {
            "user": grant.user.display_name,
            "email": grant.user.email,
            "agreement": grant.agreement.reference,
            "datasets": "; ".join(dataset.title for dataset in grant.agreement.request.datasets.all()),
            "starts_at": timezone.localtime(grant.starts_at).isoformat(),
            "ends_at": timezone.localtime(grant.ends_at).isoformat(),
        }


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def grants_export(request: AuthenticatedHttpRequest, fmt: str) -> StreamingHttpResponse:
    """The grants in force now, for the committee's officers, auditors and administrators of the
    institution; streamed in chunks. 404 for everyone else."""
    institutions = dac_selectors.export_institutions(request.user)
    if not institutions or fmt not in ("csv", "json"):
        raise Http404
    now = timezone.now()
    grants = dac_selectors.grants_for_export(institutions, now)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        writer = csv.DictWriter(_Echo(), fieldnames=EXPORT_FIELDS)

        def csv_lines() -> Iterator[str]:
            yield writer.writeheader()
            for row in _export_rows(grants):
                yield writer.writerow(row)

        response = StreamingHttpResponse(csv_lines(), content_type="text/csv; charset=utf-8")
    else:

        def json_chunks() -> Iterator[str]:
            yield '{"exported_at": ' + json.dumps(timezone.localtime(now).isoformat()) + ', "grants": ['
            for index, row in enumerate(_export_rows(grants)):
                yield ("," if index else "") + json.dumps(row, ensure_ascii=False)
            yield "]}"

        response = StreamingHttpResponse(json_chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="access-grants-{stamp}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns: list[URLPattern] = [
    path("committee/queue/", dac_queue, name="dac_queue"),
    path("requests/<int:pk>/accept/", request_accept, name="request_accept"),
    path("requests/<int:pk>/return/", request_return, name="request_return"),
    path("requests/<int:pk>/assign/", reviewer_assign, name="reviewer_assign"),
    path("requests/<int:pk>/conflict/", conflict_declare, name="conflict_declare"),
    path("requests/<int:pk>/review/", review_write, name="review_write"),
    path("requests/<int:pk>/decide/", decision_record, name="decision_record"),
    path("agreements/<int:pk>/sign/", agreement_sign, name="agreement_sign"),
    path("agreements/<int:pk>/terms/", terms_accept, name="terms_accept"),
    path("agreements/<int:pk>/document/", agreement_document, name="agreement_document"),
    path("agreements/verify/<str:code>/", agreement_verify, name="agreement_verify"),
    path("access/", my_access, name="my_access"),
    path("access/export.<str:fmt>", grants_export, name="grants_export"),
]
