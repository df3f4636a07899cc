"""Who reads the oversight pages, and of which institutions.

Everything here is read-only: the app has no POST route. The register and the reports are for
the auditor, the administrator, the secretariat and the committee chair; the committee report
(JP-ERC-11) for the secretariat and the administrator, who submit it, and the auditor. Each sees
the institutions where they hold such a role today; anyone else gets 404."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from research_governance.accounts.models import Role, RoleMembership, User

OVERSIGHT_ROLES = (Role.AUDITOR, Role.ADMINISTRATOR, Role.SECRETARIAT, Role.CHAIR)
COMMITTEE_REPORT_ROLES = (Role.AUDITOR, Role.ADMINISTRATOR, Role.SECRETARIAT)


def institutions_for(user: User | AnonymousUser, roles: tuple[str, ...] = OVERSIGHT_ROLES) -> list[int]:
    """The institutions whose oversight pages the user may read (one query)."""
    if not (user.is_authenticated and user.is_active):
        return []
    return sorted(
        set(RoleMembership.objects.current().filter(user=user, role__in=roles).values_list("institution_id", flat=True))
    )


def require_institutions(user: User | AnonymousUser, roles: tuple[str, ...] = OVERSIGHT_ROLES) -> list[int]:
    institutions = institutions_for(user, roles)
    if not institutions:
        raise Http404
    return institutions
