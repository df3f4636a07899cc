"""URLs of data sharing. Each area's views module declares its own ``urlpatterns``."""

from . import views_records, views_refusals, views_requests, views_review

app_name = "agreements"

urlpatterns = [
    *views_requests.urlpatterns,
    *views_review.urlpatterns,
    *views_records.urlpatterns,
    *views_refusals.urlpatterns,
]
