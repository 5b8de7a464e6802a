"""A staff member's own sign-in settings (/staff/security/): their password, their
authenticator, recovery codes and passkeys. Changing a second factor needs a second step
done in the last STAFF_RECHECK_MINUTES; every change is logged and ends the person's
other sessions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django_otp.plugins.otp_static.models import StaticToken
from django_otp_webauthn.models import WebAuthnCredential

from .models import SecurityEventKind
from .security import security_log
from .signin import (
    confirm_first,
    end_other_sessions,
    new_recovery_codes,
    recently_verified,
    session_renamed,
)


@require_GET
@login_required
def security_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "registration/security.html",
        {
            "recovery_left": StaticToken.objects.filter(
                device__user=request.user, device__name="recovery"
            ).count(),
            "passkeys": WebAuthnCredential.objects.filter(
                user=request.user, confirmed=True
            ).order_by("created_at"),
            # Changing a second factor needs a recent second step; the page says so
            # instead of offering buttons that would only send the person to confirm.
            "may_change": recently_verified(request),
        },
    )


@require_POST
@login_required
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    if not recently_verified(request):
        return confirm_first(request, reverse("staff-security"))
    codes = new_recovery_codes(request.user)
    security_log(SecurityEventKind.RECOVERY_CODES_RENEWED, request=request, user=request.user)
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": ""})


@require_POST
@login_required
def passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    if not recently_verified(request):
        return confirm_first(request, reverse("staff-security"))
    removed, _rows = WebAuthnCredential.objects.filter(user=request.user, pk=pk).delete()
    if removed:
        security_log(
            SecurityEventKind.FACTOR_REMOVED, request=request, user=request.user, detail="passkey"
        )
        end_other_sessions(request)
        messages.success(
            request, _("The passkey has been removed; you are signed out everywhere else.")
        )
    return redirect("staff-security")


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "registration/password_change.html"

    def get_success_url(self):
        return reverse("staff-security")

    def form_valid(self, form):
        before = self.request.session.session_key
        # Keeps this session (update_session_auth_hash), under a new id.
        response = super().form_valid(form)
        session_renamed(self.request, before)
        end_other_sessions(self.request)
        security_log(SecurityEventKind.PASSWORD_CHANGED, request=self.request, user=form.user)
        messages.success(
            self.request, _("Your password has been changed; you are signed out everywhere else.")
        )
        return response
