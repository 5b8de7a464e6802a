from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from cases.admin import ReadOnlyAdmin

from .models import RoleRequest, SecurityEvent, SecurityEventKind, StaffProfile
from .security import security_log
from .staffing import (
    account_changed_by_admin,
    roles_changed_outside_staff_pages,
    second_factors_reset,
)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


# Second factors are never shown, not even to administrators: a reset is the only
# thing they can do with them (the "reset second factors" action on accounts).
for model in (TOTPDevice, StaticDevice, WebAuthnCredential):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Accounts. A role that opens dossiers given here becomes a request that a
    coordinator confirms in the staff interface (institute.staffing)."""

    actions = ["reset_second_factors"]
    # Changing one of these could hand the account to someone else.
    SENSITIVE_FIELDS = ("username", "email", "is_active", "is_staff", "is_superuser")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            security_log(
                SecurityEventKind.ACCOUNT_CREATED, request=request, user=obj, by=request.user
            )
            return
        changed = [name for name in self.SENSITIVE_FIELDS if name in form.changed_data]
        if changed:
            account_changed_by_admin(user=obj, by=request.user, what=changed, request=request)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            account_changed_by_admin(user=user, by=request.user, what=["password"], request=request)
        return response

    def save_related(self, request, form, formsets, change):
        user = form.instance
        before = set(user.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        pending = roles_changed_outside_staff_pages(
            user=user, before=before, by=request.user, request=request
        )
        if pending:
            self.message_user(
                request,
                _("A role that opens dossiers waits for a coordinator to confirm it."),
                messages.WARNING,
            )

    @admin.action(description=_("Reset second factors (the person sets up new ones)"))
    def reset_second_factors(self, request, queryset):
        for user in queryset:
            second_factors_reset(user=user, by=request.user, request=request)
        self.message_user(request, _("Second factors reset; the people concerned were told."))


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "user", "by", "detail", "dossier_id", "address_hash"]
    list_filter = ["kind"]
    list_select_related = ["user", "by"]
    search_fields = ["user__username", "detail"]
    date_hierarchy = "at"


@admin.register(RoleRequest)
class RoleRequestAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "user", "role", "status", "requested_by", "decided_by"]
    list_filter = ["status", "role"]


# Roles are groups with fixed names (created by a migration): renaming or deleting one,
# or changing its permissions, would move dossier access without any confirmation.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(ReadOnlyAdmin):
    list_display = ["name"]
