from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def public(request: HttpRequest) -> dict[str, object]:
    """What the public pages show on any page: where the quick exit goes, file limits."""
    return {
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "max_files": settings.EVIDENCE_MAX_FILES,
        "max_file_mb": settings.EVIDENCE_MAX_FILE_BYTES // (1024 * 1024),
    }


def staff(request: HttpRequest) -> dict[str, object]:
    """Which parts of the staff side the signed-in user's roles open, for the menu."""
    from cases.access import menu_counts

    from .roles import HANDLING_ROLES, Role, roles_of

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    return {
        # Counted only when a page shows the menu (the staff pages' header).
        "menu_counts": SimpleLazyObject(lambda: menu_counts(user)),
        "can_handle_dossiers": bool(roles & set(HANDLING_ROLES)),
        "can_see_statistics": bool(roles & {Role.MANAGEMENT, Role.COORDINATOR}),
        "is_coordinator": Role.COORDINATOR in roles,
    }
