from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from research_governance.core import views as core_views

# SEC-02: the admin signs in through allauth's form (password, then the second factor), never
# through its own password-only form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # replacing it is the point

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("protocols/", include("research_governance.protocols.urls")),
    path("reviews/", include("research_governance.reviews.urls")),
    path("notifications/", include("research_governance.notifications.urls")),
    path("committees/", include("research_governance.committees.urls")),
    path("letters/", include("research_governance.letters.urls")),
    path("data/", include("research_governance.agreements.urls")),
    # Public, no sign-in: opt-out notices and their refusal form (JP-IC-10).
    path("notices/", include("research_governance.notices.urls")),
    path("audit/", include("research_governance.audit.urls")),
    path("oversight/", include("research_governance.oversight.urls")),
    path("rules/", core_views.rulebook, name="rulebook"),
    path("admin/", admin.site.urls),
]

handler404 = "research_governance.core.views.not_found"
handler403 = "research_governance.core.views.forbidden"
handler500 = "research_governance.core.views.server_error"

if settings.DEBUG:
    admin.site.site_header = "research-governance (development)"
