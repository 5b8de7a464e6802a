"""The Django admin is for technical administrators only.

Staff handle dossiers in the staff interface, where access is scoped and logged; the
admin never shows a dossier's personal fields.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .roles import Role, has_role


class InstituteAdminSite(admin.AdminSite):
    site_header = _("Institute case system: technical administration")
    site_title = _("Technical administration")
    index_title = _("Administration")

    def login(self, request: HttpRequest, extra_context=None):
        """The admin has no sign-in of its own: the staff sign-in, second factor and
        lockout included, is the only way in. A signed-in person who is not a
        technical administrator is refused, and the refusal logged."""
        from django.contrib.auth.views import redirect_to_login

        from .models import SecurityEventKind
        from .security import security_log

        user = request.user
        if user.is_authenticated and user.is_verified():
            security_log(
                SecurityEventKind.ACCESS_REFUSED, request=request, user=user, detail="admin"
            )
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next", reverse("admin:index")))

    def password_change(self, request: HttpRequest, extra_context=None):
        """One's own password changes on the staff side, where the change is logged and
        ends one's other sessions."""
        return redirect("staff-password")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_verified()
            and user.is_staff
            and (user.is_superuser or has_role(user, Role.ADMINISTRATOR))
        )
