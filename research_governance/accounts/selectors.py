"""The roles a user holds, and where.

Every role is held at an institution and acts only there (SEC-01; docs/architecture.md). Access
decisions ask *where* a role is held (``institutions_with_role``, ``has_role_at``,
``is_secretariat``); only the navigation and the second-factor rule ask whether a role is held
anywhere (``user_roles``, ``user_has_role``).
"""

from django.contrib.auth.models import AnonymousUser

from .models import Role, RoleMembership, User

_CACHE_ATTR = "_current_role_grants_cache"

# The secretariat's powers over the institution's protocols; the administrator has them too.
SECRETARIAT_ROLES = (Role.SECRETARIAT, Role.ADMINISTRATOR)


def role_grants(user: User | AnonymousUser) -> frozenset[tuple[str, int]]:
    """(role, institution id) for every role the user holds today, read once per request
    (cached on the user object; a role change takes effect on the next request)."""
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    cached: frozenset[tuple[str, int]] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(RoleMembership.objects.current().filter(user=user).values_list("role", "institution_id"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_role_grants(user: User) -> None:
    """Drop the cached grants (after a role change inside one request or test)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def institutions_with_role(user: User | AnonymousUser, *roles: str) -> frozenset[int]:
    """The institutions where the user holds one of ``roles`` today."""
    wanted = set(roles)
    return frozenset(institution for role, institution in role_grants(user) if role in wanted)


def has_role_at(user: User | AnonymousUser, institution_id: int | None, *roles: str) -> bool:
    return institution_id is not None and institution_id in institutions_with_role(user, *roles)


def user_roles(user: User | AnonymousUser) -> frozenset[str]:
    """The roles held today at any institution: for the navigation and SEC-02, never for access."""
    return frozenset(role for role, _institution in role_grants(user))


def user_has_role(user: User | AnonymousUser, *roles: str) -> bool:
    """Whether a role is held anywhere: for the navigation and SEC-02, never for access."""
    return bool(user_roles(user) & set(roles))


def secretariat_institutions(user: User | AnonymousUser) -> frozenset[int]:
    return institutions_with_role(user, *SECRETARIAT_ROLES)


def is_secretariat(user: User | AnonymousUser, institution_id: int | None) -> bool:
    """The secretariat (or an administrator) of this institution."""
    return has_role_at(user, institution_id, *SECRETARIAT_ROLES)


def is_secretariat_anywhere(user: User | AnonymousUser) -> bool:
    """For the navigation and the landing page only."""
    return bool(secretariat_institutions(user))
