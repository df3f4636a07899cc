"""Investigator-facing pages. Views are thin: they check access, bind forms,
call a service and render; every write happens in services."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.audit import access
from research_governance.protocols import permissions, selectors, services
from research_governance.protocols.application import REQUIRED_FIELDS, SECTIONS, snapshot_sections
from research_governance.protocols.assessment import Assessment, present
from research_governance.protocols.diff import diff_snapshots
from research_governance.protocols.forms import (
    ACCEPTED_EXTENSIONS,
    DocumentReplaceForm,
    DocumentUploadForm,
    ProtocolCreateForm,
    ProtocolDraftForm,
    RecipientForm,
    SiteForm,
    TeamMemberForm,
)
from research_governance.protocols.models import (
    DataRecipient,
    Document,
    DocumentVersion,
    Protocol,
    ProtocolStatus,
    Site,
    TeamMember,
)

PAGE_SIZE = 25


def get_protocol_for_viewer(request: AuthenticatedHttpRequest, pk: int) -> Protocol:
    """The protocol if the user may see it; 404 otherwise, so its existence is not disclosed."""
    protocol = get_object_or_404(Protocol.objects.select_related("principal_investigator", "institution"), pk=pk)
    if not permissions.can_view(request.user, protocol):
        raise Http404
    return protocol


def get_protocol_for_editor(request: AuthenticatedHttpRequest, pk: int) -> Protocol:
    protocol = get_protocol_for_viewer(request, pk)
    if not permissions.can_edit(request.user, protocol):
        raise PermissionDenied
    return protocol


DASHBOARD_CACHE_SECONDS = 600


def _dashboard_body(request: AuthenticatedHttpRequest) -> str:
    status = request.GET.get("status", "")
    if status not in ProtocolStatus.values:
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    protocols = selectors.protocol_list(user=request.user, status=status, query=query)
    page = Paginator(protocols, PAGE_SIZE).get_page(request.GET.get("page"))
    drafts = list(selectors.drafts_waiting_for(request.user).only("pk", "reference", "title_ja", "title_en")[:5])
    context = {"page": page, "status": status, "query": query, "statuses": ProtocolStatus.choices, "drafts": drafts}
    return render_to_string("protocols/partials/dashboard_body.html", context, request=request)


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My protocols. The unfiltered first page, the one people land on, is cached per user
    under a fingerprint of everything it shows (see selectors.dashboard_fingerprint), so any
    change to the user's protocols or access makes a new key and nothing stale is served."""
    if request.GET:
        body = _dashboard_body(request)
    else:
        key = f"dashboard:{request.user.pk}:{get_language()}:{selectors.dashboard_fingerprint(request.user)}"
        body = cache.get(key)
        if body is None:
            body = _dashboard_body(request)
            cache.set(key, body, DASHBOARD_CACHE_SECONDS)
    return render(request, "protocols/dashboard.html", {"body": mark_safe(body)})  # noqa: S308 (our rendered HTML)


@login_required
def protocol_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProtocolCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            protocol = services.protocol_create(
                by=request.user, title_ja=form.cleaned_data["title_ja"], title_en=form.cleaned_data["title_en"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Draft created. It is saved as you type."))
            return redirect("protocols:edit", pk=protocol.pk)
    return render(request, "protocols/create.html", {"form": form})


def _edit_context(request: AuthenticatedHttpRequest, protocol: Protocol, **forms: Any) -> dict[str, Any]:
    draft_form = forms.pop("draft_form", None) or ProtocolDraftForm(instance=protocol)
    section_fields = [
        {"slug": section.slug, "title": section.title, "fields": [draft_form[name] for name in section.fields]}
        for section in SECTIONS
    ]
    return {
        "protocol": protocol,
        "assessment": _assessment_for(protocol),
        "draft_form": draft_form,
        "sections": section_fields,
        "team": selectors.team(protocol),
        "sites": list(protocol.sites.select_related("institution")),
        "recipients": selectors.recipients(protocol),
        "documents": selectors.documents_with_history(protocol),
        "team_form": forms.get("team_form") or TeamMemberForm(),
        "site_form": forms.get("site_form") or SiteForm(),
        "recipient_form": forms.get("recipient_form") or RecipientForm(),
        "upload_form": forms.get("upload_form") or DocumentUploadForm(),
        "replace_errors": forms.get("replace_errors") or {},
        "accepted_extensions": ACCEPTED_EXTENSIONS,
        "required_fields": set(REQUIRED_FIELDS),
    }


def _assessment_for(protocol: Protocol) -> dict[str, Any]:
    return present(selectors.protocol_assessment(protocol), chosen=protocol.consent_procedure)


def _not_editable_redirect(request: AuthenticatedHttpRequest, protocol: Protocol) -> HttpResponse:
    message = str(services.DraftNotEditable())
    if request.htmx:
        return render(request, "protocols/partials/autosave_status.html", {"error": message}, status=200)
    messages.warning(request, message)
    return redirect("protocols:detail", pk=protocol.pk)


@login_required
def protocol_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The application form. A plain POST saves and redirects; htmx posts autosave in place."""
    protocol = get_protocol_for_editor(request, pk)
    if not protocol.is_editable:
        return _not_editable_redirect(request, protocol)
    if request.method != "POST":
        return render(request, "protocols/edit.html", _edit_context(request, protocol))

    form = ProtocolDraftForm(request.POST, instance=protocol)
    error = ""
    saved = None
    if form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "lock_version"}
        try:
            saved = services.protocol_update_draft(
                protocol=protocol, by=request.user, data=data, lock_version=form.cleaned_data["lock_version"]
            )
        except services.EditConflict as conflict:
            error = str(conflict)
        except services.DraftNotEditable:
            return _not_editable_redirect(request, protocol)
        except ValidationError as invalid:
            for field, field_errors in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
    if request.htmx:
        # The assessment panel follows the saved facts (an out-of-band swap of #assessment).
        return render(
            request,
            "protocols/partials/autosave_status.html",
            {
                "saved": saved,
                "error": error,
                "form_errors": form.errors if saved is None else None,
                "form": form,
                "oob_assessment": _assessment_for(saved) if saved is not None else None,
            },
        )
    if saved is not None:
        messages.success(request, _("Draft saved."))
        return redirect(reverse("protocols:edit", args=[protocol.pk]))
    if error:
        messages.error(request, error)
    else:
        messages.error(request, _("The draft was not saved. Correct the fields marked below."))
    return render(request, "protocols/edit.html", _edit_context(request, protocol, draft_form=form), status=200)


def _section_response(
    request: AuthenticatedHttpRequest, protocol: Protocol, section: str, **forms: Any
) -> HttpResponse:
    """After a change to a part of the form: the section alone for htmx, else back to the page."""
    if request.htmx:
        context = _edit_context(request, protocol, **forms)
        return render(request, f"protocols/partials/{section}_section.html", context)
    if forms:
        return render(request, "protocols/edit.html", _edit_context(request, protocol, **forms))
    return redirect(reverse("protocols:edit", args=[protocol.pk]) + f"#{section}")


def _service_call(request: AuthenticatedHttpRequest, func: Any, **kwargs: Any) -> str | None:
    """Run a service; return an error message for the user instead of raising."""
    try:
        func(by=request.user, **kwargs)
    except services.DraftNotEditable as error:
        return str(error)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def _add_part(
    request: AuthenticatedHttpRequest, pk: int, *, form_class: type, service: Any, section: str, arguments: Any = dict
) -> HttpResponse:
    """Add a team member, site or recipient; on error, the section comes back with the form as typed."""
    protocol = get_protocol_for_editor(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        error = _service_call(request, service, protocol=protocol, **arguments(form.cleaned_data))
        if error is None:
            return _section_response(request, protocol, section)
        form.add_error(None, error)
    return _section_response(request, protocol, section, **{f"{form.prefix}_form": form})


def _remove_part(
    request: AuthenticatedHttpRequest,
    pk: int,
    *,
    model: type[Model],
    object_id: int,
    service: Any,
    argument: str,
    section: str,
) -> HttpResponse:
    protocol = get_protocol_for_editor(request, pk)
    part = get_object_or_404(model, pk=object_id, protocol=protocol)
    error = _service_call(request, service, **{argument: part})
    if error:
        messages.error(request, error)
    return _section_response(request, protocol, section)


def _team_member_arguments(data: dict[str, Any]) -> dict[str, Any]:
    return {"user": data["user"], "role": data["role"], "can_edit": data["can_edit"]}


@login_required
@require_POST
def team_member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _add_part(
        request,
        pk,
        form_class=TeamMemberForm,
        service=services.team_member_add,
        section="team",
        arguments=_team_member_arguments,
    )


@login_required
@require_POST
def team_member_remove(request: AuthenticatedHttpRequest, pk: int, member_id: int) -> HttpResponse:
    return _remove_part(
        request,
        pk,
        model=TeamMember,
        object_id=member_id,
        service=services.team_member_remove,
        argument="member",
        section="team",
    )


@login_required
@require_POST
def site_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _add_part(request, pk, form_class=SiteForm, service=services.site_add, section="sites")


@login_required
@require_POST
def site_remove(request: AuthenticatedHttpRequest, pk: int, site_id: int) -> HttpResponse:
    return _remove_part(
        request, pk, model=Site, object_id=site_id, service=services.site_remove, argument="site", section="sites"
    )


@login_required
@require_POST
def recipient_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _add_part(request, pk, form_class=RecipientForm, service=services.recipient_add, section="recipients")


@login_required
@require_POST
def recipient_remove(request: AuthenticatedHttpRequest, pk: int, recipient_id: int) -> HttpResponse:
    return _remove_part(
        request,
        pk,
        model=DataRecipient,
        object_id=recipient_id,
        service=services.recipient_remove,
        argument="recipient",
        section="recipients",
    )


@login_required
@require_POST
def document_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    protocol = get_protocol_for_editor(request, pk)
    form = DocumentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.document_add(
                protocol=protocol,
                by=request.user,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                upload=upload,
                name=upload.name,
                size=upload.size,
            )
        except services.DraftNotEditable as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error("file", error)
        else:
            if not request.htmx:
                messages.success(request, _("Document uploaded."))
            return _section_response(request, protocol, "documents")
    return _section_response(request, protocol, "documents", upload_form=form)


@login_required
@require_POST
def document_replace(request: AuthenticatedHttpRequest, pk: int, document_id: int) -> HttpResponse:
    protocol = get_protocol_for_editor(request, pk)
    document = get_object_or_404(Document, pk=document_id, protocol=protocol)
    form = DocumentReplaceForm(request.POST, request.FILES)
    error = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        error = _service_call(
            request,
            services.document_replace,
            document=document,
            upload=upload,
            name=upload.name,
            size=upload.size,
        )
    else:
        error = " ".join(str(e) for e in form.errors.get("file", [_("Choose a file.")]))
    if error:
        return _section_response(request, protocol, "documents", replace_errors={document.pk: error})
    if not request.htmx:
        messages.success(request, _("New version uploaded; the earlier version is kept."))
    return _section_response(request, protocol, "documents")


@login_required
@require_POST
def document_withdraw(request: AuthenticatedHttpRequest, pk: int, document_id: int) -> HttpResponse:
    protocol = get_protocol_for_editor(request, pk)
    document = get_object_or_404(Document, pk=document_id, protocol=protocol)
    error = _service_call(request, services.document_withdraw, document=document)
    if error:
        messages.error(request, error)
    return _section_response(request, protocol, "documents")


@login_required
@require_GET
def document_download(request: AuthenticatedHttpRequest, pk: int, version_id: int) -> FileResponse:
    protocol = get_protocol_for_viewer(request, pk)
    version = get_object_or_404(DocumentVersion.objects.select_related("document"), pk=version_id)
    if version.document.protocol_id != protocol.pk:
        raise Http404
    access.document_downloaded(request, version)  # SEC-04
    response = FileResponse(
        version.file.open("rb"), as_attachment=True, filename=version.original_name, content_type=version.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def version_detail(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    protocol = get_protocol_for_viewer(request, pk)
    version = get_object_or_404(selectors.versions(protocol), number=number)
    snapshot = version.snapshot
    return render(
        request,
        "protocols/version_detail.html",
        {
            "protocol": protocol,
            "version": version,
            "snapshot": snapshot,
            "sections": snapshot_sections(snapshot),
            "assessment": present(
                Assessment(verdict=snapshot.get("assessment")), chosen=snapshot["form"].get("consent_procedure") or ""
            )
            if snapshot.get("assessment")
            else None,
            "team_roles": dict(TeamMember.Role.choices),
            "recipient_kinds": dict(DataRecipient.Kind.choices),
            "document_kinds": dict(Document._meta.get_field("kind").flatchoices),
        },
    )


@login_required
@require_GET
def version_diff(request: AuthenticatedHttpRequest, pk: int, number: int, other: int) -> HttpResponse:
    """What changed from version ``number`` to version ``other``; the same readers as the version page."""
    protocol = get_protocol_for_viewer(request, pk)
    pair = selectors.version_pair(protocol, number, other)
    if pair is None:
        raise Http404
    old, new = pair
    return render(
        request,
        "protocols/version_diff.html",
        {"protocol": protocol, "old": old, "new": new, "diff": diff_snapshots(old.snapshot, new.snapshot)},
    )
