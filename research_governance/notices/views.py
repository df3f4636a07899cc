"""The public pages, no sign-in: the list of opt-out notices of studies with an approval in force,
each notice with its items (JP-IC-10) and its earlier versions, and the refusal form (JP-IC-11).

Nothing here tells a visitor anything about anyone else's refusal: no counts, no names, and a
receipt number that is random."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from research_governance.agreements.refusal_services import refusal_receive_public
from research_governance.reviews.models import Approval

from . import selectors
from .forms import RefusalForm
from .ratelimit import refusal_allowed

PAGE_SIZE = 20
RECEIPT_SESSION_KEY = "notices_refusal_receipt"


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.public_notices(query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/list.html", {"page": page, "query": query})


def _approval(reference: str) -> Approval:
    approval = selectors.notice_for_reference(reference)
    if approval is None:
        # A draft, a study not approved or no longer active, or one without a notice: not public.
        raise Http404
    return approval


def _render_notice(
    request: HttpRequest, approval: Approval, number: int | None, form: RefusalForm | None = None, status: int = 200
) -> HttpResponse:
    versions = selectors.notice_versions(approval)
    current = versions[0]
    shown = current if number is None else next((v for v in versions if v.number == number), None)
    if shown is None:
        raise Http404
    is_current = shown.number == current.number
    context = {
        "approval": approval,
        "notice": selectors.notice_content(approval, shown),
        "shown": shown,
        "current": current,
        "earlier": [v for v in versions if v.number != shown.number],
        "is_current": is_current,
        "form": (form or RefusalForm()) if is_current else None,
    }
    return render(request, "notices/detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
def notice_detail(request: HttpRequest, reference: str) -> HttpResponse:
    approval = _approval(reference)
    if request.method == "GET":
        return _render_notice(request, approval, None)
    form = RefusalForm(request.POST)
    if not refusal_allowed(request, reference):
        form.is_valid()
        form.add_error(None, _("Too many requests from your connection. Please try again in an hour."))
        return _render_notice(request, approval, None, form, status=429)
    if form.is_spam():
        # The honeypot was filled: a robot. Nothing is recorded.
        form.is_valid()
        form.add_error(None, _("Your request could not be accepted."))
        return _render_notice(request, approval, None, form, status=400)
    if not form.is_valid():
        return _render_notice(request, approval, None, form, status=400)
    try:
        refusal = refusal_receive_public(
            protocol=approval.protocol,
            contact_name=form.cleaned_data["contact_name"],
            contact_details=form.cleaned_data["contact_details"],
            details=form.cleaned_data["details"],
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, error.messages)
        return _render_notice(request, approval, None, form, status=400)
    request.session[RECEIPT_SESSION_KEY] = {"reference": reference, "receipt": refusal.receipt}
    return redirect("notices:thanks", reference=reference)


@require_GET
def notice_version(request: HttpRequest, reference: str, number: int) -> HttpResponse:
    return _render_notice(request, _approval(reference), number)


@require_GET
def refusal_thanks(request: HttpRequest, reference: str) -> HttpResponse:
    approval = _approval(reference)
    sent = request.session.get(RECEIPT_SESSION_KEY)
    if not sent or sent.get("reference") != reference:
        return redirect("notices:detail", reference=reference)
    content = selectors.notice_content(approval, selectors.notice_versions(approval)[0])
    return render(request, "notices/thanks.html", {"notice": content, "receipt": sent["receipt"]})


app_name = "notices"

urlpatterns: list[URLPattern] = [
    path("", notice_list, name="list"),
    path("<str:reference>/", notice_detail, name="detail"),
    path("<str:reference>/v<int:number>/", notice_version, name="version"),
    path("<str:reference>/thanks/", refusal_thanks, name="thanks"),
]
