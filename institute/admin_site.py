"""The Django admin is for technical administrators only.

Staff handle dossiers in the staff interface, where access is scoped and logged; the
admin never shows a dossier's personal fields.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .roles import Role, has_role


class InstituteAdminSite(admin.AdminSite):
    site_header = _("Institute case system: technical administration")
    site_title = _("Technical administration")
    index_title = _("Administration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.is_superuser or has_role(user, Role.ADMINISTRATOR))
        )
