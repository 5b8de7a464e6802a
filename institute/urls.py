from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from intake import views as intake_views

from . import account, passkeys, signin, views

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("exit/", intake_views.quick_exit, name="quick-exit"),
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/dossiers/", include("cases.urls")),
    path("staff/statistics/", include("reporting.urls")),
    path("staff/login/", signin.SignInView.as_view(), name="login"),
    path("staff/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/security/", account.security_page, name="staff-security"),
    path("staff/roles/", views.staff_roles, name="staff-roles"),
    path("staff/settings/", views.staff_settings, name="staff-settings"),
    path("staff/healthz/", views.health_detail, name="staff-health"),
    path("staff/security/verify/", signin.verify, name="staff-verify"),
    path("staff/security/enrol/", signin.enrol, name="staff-enrol"),
    path("staff/security/enrol/qr.svg", signin.enrol_qr, name="staff-enrol-qr"),
    path(
        "staff/security/recovery-codes/",
        account.recovery_codes_renew,
        name="staff-recovery-codes",
    ),
    path("staff/security/password/", account.PasswordChangeView.as_view(), name="staff-password"),
    path("staff/security/passkeys/", include(passkeys)),
    path(
        "staff/security/passkeys/<int:pk>/remove/",
        account.passkey_remove,
        name="staff-passkey-remove",
    ),
    path("admin/", admin.site.urls),
]

urlpatterns += i18n_patterns(
    path("", include("intake.urls")),
    prefix_default_language=True,
)

handler400 = "institute.errors.bad_request"
handler403 = "institute.errors.permission_denied"
handler404 = "institute.errors.page_not_found"
handler500 = "institute.errors.server_error"
