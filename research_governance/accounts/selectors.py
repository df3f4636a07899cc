from django.contrib.auth.models import AnonymousUser

from .models import Role, RoleMembership, User

_CACHE_ATTR = "_current_roles_cache"


def user_roles(user: User | AnonymousUser) -> frozenset[str]:
    """The roles the user holds today, read once per request (cached on the user object)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(RoleMembership.objects.current().filter(user=user).values_list("role", flat=True))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def user_has_role(user: User | AnonymousUser, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def is_secretariat(user: User | AnonymousUser) -> bool:
    return user_has_role(user, Role.SECRETARIAT, Role.ADMINISTRATOR)
