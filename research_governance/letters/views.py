from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from research_governance.protocols.permissions import can_view

from .forms import VerifyForm
from .models import Letter
from .services import VERIFY_MAX_BYTES, letter_check

# Room for the multipart envelope and the CSRF token around the file.
_ENVELOPE_BYTES = 64 * 1024


@login_required
@require_GET
def letter_download(request: HttpRequest, letter_id: int) -> FileResponse:
    """The PDF, to whoever may view the protocol; 404 for everybody else (the letter's existence is
    not disclosed)."""
    letter = get_object_or_404(Letter.objects.select_related("protocol"), pk=letter_id)
    if not can_view(request.user, letter.protocol):
        raise Http404
    response = FileResponse(
        letter.file.open("rb"), as_attachment=True, filename=letter.file_name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# CSRF-exempt: checking a copy changes nothing, so a forged request gains nothing; and being exempt,
# the CSRF middleware does not parse the body, so an oversized upload is refused before anything
# reads it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def letter_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: the letter's reference, date, kind and hash, and a check of a copy against the hash.
    Nothing about the protocol is shown; an unknown code is 404."""
    letter = get_object_or_404(Letter.objects.select_related("replaced_by"), verification_code=code)
    check = None
    form = VerifyForm()
    status = 200
    too_large = False
    if request.method == "POST":
        if int(request.META.get("CONTENT_LENGTH") or 0) > VERIFY_MAX_BYTES + _ENVELOPE_BYTES:
            too_large = True
            status = 413
        else:
            form = VerifyForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    check = letter_check(letter=letter, upload=form.cleaned_data["file"])
                except ValidationError as error:
                    form.add_error("file", error)
    response = render(
        request,
        "letters/verify.html",
        {
            "letter": letter,
            "replaced_by": getattr(letter, "replaced_by", None),
            "form": form,
            "check": check,
            "too_large": too_large,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
