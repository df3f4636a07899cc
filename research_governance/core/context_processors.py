from django.http import HttpRequest

from research_governance.accounts.selectors import is_secretariat


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_secretariat": is_secretariat(user)}
