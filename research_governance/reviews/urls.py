"""The review engine's pages. Those of a protocol keep their /protocols/ paths and the
"protocols" namespace, and a committee's meetings their /committees/ paths and the "committees"
namespace: the project's urls.py composes ``protocol_urlpatterns`` and ``committee_urlpatterns``
into those apps' patterns, so neither app imports the review engine."""

from .assignment import urls as assignment
from .conditions import urls as conditions
from .decision import urls as decision
from .meeting import urls as meeting
from .permission import urls as permission
from .post_approval import urls as post_approval
from .prescreen import urls as prescreen
from .review import urls as review
from .submission import urls as submission

app_name = "reviews"

urlpatterns = [
    *post_approval.urlpatterns,
    *prescreen.urlpatterns,
    *assignment.urlpatterns,
    *review.urlpatterns,
    *permission.urlpatterns,
    *conditions.urlpatterns,
    *decision.urlpatterns,
]

protocol_urlpatterns = [
    *submission.protocol_urlpatterns,
    *prescreen.protocol_urlpatterns,
    *assignment.protocol_urlpatterns,
]

committee_urlpatterns = meeting.committee_urlpatterns
