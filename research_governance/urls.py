from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from research_governance.audit import urls as audit_urls
from research_governance.committees import urls as committee_urls
from research_governance.core import views as core_views
from research_governance.oversight import timeline
from research_governance.portal import views as portal_views
from research_governance.protocols import urls as protocol_urls
from research_governance.reviews import urls as review_urls

# SEC-02: the admin signs in through allauth's form (password, then the second factor), never
# through its own password-only form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # replacing it is the point

# The audit pages, and among them a protocol's timeline, whose view lives above the domain since
# audit does not import protocols (oversight/timeline.py).
audit_patterns = [
    *audit_urls.urlpatterns,
    path("protocols/<int:pk>/timeline/", timeline.protocol_timeline, name="protocol_timeline"),
]

urlpatterns = [
    # The site's address sends people to their home ("Waiting for you") or to sign in.
    path("", portal_views.root, name="home"),
    path("home/", include("research_governance.portal.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # A protocol's and a committee's pages that show their review live in the review engine
    # (reviews/urls.py); their paths and namespaces stay the protocol's and the committee's.
    path("protocols/", include((protocol_urls.urlpatterns + review_urls.protocol_urlpatterns, "protocols"))),
    path("reviews/", include("research_governance.reviews.urls")),
    path("notifications/", include("research_governance.notifications.urls")),
    path("committees/", include((committee_urls.urlpatterns + review_urls.committee_urlpatterns, "committees"))),
    path("letters/", include("research_governance.letters.urls")),
    path("data/", include("research_governance.agreements.urls")),
    # Public, no sign-in: opt-out notices and their refusal form (JP-IC-10).
    path("notices/", include("research_governance.notices.urls")),
    path("audit/", include((audit_patterns, audit_urls.app_name))),
    path("oversight/", include("research_governance.oversight.urls")),
    path("rules/", portal_views.rulebook, name="rulebook"),
    path("admin/", admin.site.urls),
]

handler404 = "research_governance.core.views.not_found"
handler403 = "research_governance.core.views.forbidden"
handler500 = "research_governance.core.views.server_error"

if settings.DEBUG:
    admin.site.site_header = "research-governance (development)"
