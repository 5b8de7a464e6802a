"""Staff roles. Each is a Django group created by a migration (institute 0001)."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    CASE_WORKER = "case_worker", _("Case worker")
    MANAGEMENT = "management", _("Management")
    ADMINISTRATOR = "administrator", _("Technical administrator")


# Those who handle dossiers (as opposed to reading statistics or running the system).
HANDLING_ROLES = (Role.COORDINATOR, Role.CASE_WORKER)


def staff_with_roles(*roles: Role):
    """Active users holding any of ``roles``, each once, with their staff settings."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles)
        .select_related("staff_profile")
        .distinct()
    )


def roles_of(user: Any) -> set[Role]:
    """The roles a user holds; cached on the user object for the request."""
    if not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_institute_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = {role for role in Role if role.value in names}
        user._institute_roles = cached
    return cached


def has_role(user: Any, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))
