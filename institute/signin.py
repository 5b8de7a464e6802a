"""Staff sign-in: a password, then a second factor, with lockout and a security log.

- ``sign_in``: the password (Django's form). It opens a session that can reach nothing
  but the second-factor pages (StaffSessionMiddleware).
- ``verify``: a code from the authenticator app (TOTP), a one-time recovery code
  (django-otp), or a passkey (``institute.passkeys``). Only then is the session
  verified, its id renewed, and the account's failure count reset. The same page asks a
  signed-in person again before they change a second factor, when their last second
  step is older than ``STAFF_RECHECK_MINUTES``.
- ``enrol``: an account without a second factor (new, or reset by an administrator) sets
  one up before it sees anything else: a QR code drawn here, a code to confirm it, and
  ten recovery codes shown once.
- Failures, password or code, count per account and per address (``institute.lockout``,
  django-axes). A refusal always reads like a wrong password.
- The person's own settings (password, authenticator, recovery codes, passkeys) are in
  ``institute.account``; passkeys in ``institute.passkeys``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from importlib import import_module
from urllib.parse import urlencode

import segno
from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from .lockout import SECOND_STEP_SENDER, allowed, attempted_username, hashed_username
from .models import SecurityEventKind, StaffSession
from .security import security_log

SIGNED_IN_AT = "staff_signed_in_at"
LAST_SEEN = "staff_last_seen"
# When this session last passed a second step (changing a factor asks for a recent one).
VERIFIED_AT = "staff_verified_at"
RECOVERY_CODES = 10

SIGN_IN_REFUSED = _(
    "Signing in did not work. Check your username, password and code. After several "
    "failed attempts, signing in is paused for a while: then wait and try again later."
)


class SignInForm(AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": SIGN_IN_REFUSED}


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).lower()


def _refused_page(request: HttpRequest) -> HttpResponse:
    """The sign-in page with the one refusal message, whatever the reason (a wrong
    password, a wrong code, a lockout): it never tells which, nor whether the account
    exists. The form is not validated again, which would count another attempt."""
    form = SignInForm(request, data={"username": attempted_username(request)})
    form.cleaned_data = {}
    form._errors = ErrorDict()  # what full_clean() starts from
    form.add_error(None, SIGN_IN_REFUSED)
    response = render(
        request, "registration/login.html", {"form": form, "next": safe_next(request)}
    )
    add_never_cache_headers(response)  # as the sign-in page's own answers have
    return response


def locked_out(request: HttpRequest, response, credentials) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: the page a wrong password gets, after
    as long a wait (the password is hashed once, as for a wrong one), so that neither the
    page nor its timing tells a lockout from a wrong password."""
    from django.contrib.auth import get_user_model

    if request.content_type == "application/json":  # the passkey script's requests
        return JsonResponse({"detail": str(SIGN_IN_REFUSED), "code": "refused"}, status=403)
    get_user_model()().set_password(request.POST.get("password", ""))
    return _refused_page(request)


def safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _with_next(name: str, request: HttpRequest) -> str:
    target = safe_next(request)
    return reverse(name) + (f"?{urlencode({'next': target})}" if target else "")


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = False

    def form_valid(self, form):
        if self.request.user.is_authenticated:
            # Someone signs in over a session (theirs or another account's): it ends
            # first, so that the new one starts from its password step, with its own id.
            logout(self.request)
        super().form_valid(form)  # django.contrib.auth.login: a new session id
        session = self.request.session
        if session.session_key is None:
            session.save()
        session[SIGNED_IN_AT] = session[LAST_SEEN] = timezone.now().timestamp()
        user = form.get_user()
        # Registered already, so that it can be ended from elsewhere (a password
        # change, an enrolment) before it has passed its second step.
        StaffSession.objects.create(session_key=session.session_key, user=user)
        security_log(SecurityEventKind.PASSWORD_ACCEPTED, request=self.request, user=user)
        if not user_has_device(user):
            return redirect(_with_next("staff-enrol", self.request))
        return redirect(_with_next("staff-verify", self.request))


def _signed_in(request: HttpRequest, device) -> None:
    """The second factor is verified: the session becomes a full one."""
    otp_login(request, device)
    before = request.session.session_key
    request.session.cycle_key()  # a new session id at the change of privilege
    session_renamed(request, before)
    request.session[VERIFIED_AT] = timezone.now().timestamp()
    axes_reset(username=hashed_username(request))
    security_log(SecurityEventKind.SIGNED_IN, request=request, user=request.user)


def session_renamed(request: HttpRequest, before: str | None) -> None:
    """The session got a new id (a sign-in step, a password change): its row in the
    register follows, so that it can still be listed and ended."""
    StaffSession.objects.update_or_create(
        session_key=before or "",
        defaults={"session_key": request.session.session_key, "user": request.user},
    )


def second_step_passed(request: HttpRequest, device) -> None:
    """A code or passkey was accepted: it signs the session in or, in a session signed in
    already, confirms that the person at the keyboard is still its owner."""
    if request.user.is_verified():
        request.session[VERIFIED_AT] = timezone.now().timestamp()
    else:
        _signed_in(request, device)


def recently_verified(request: HttpRequest) -> bool:
    """Whether this session passed a second step in the last STAFF_RECHECK_MINUTES."""
    at = request.session.get(VERIFIED_AT)
    return bool(
        request.user.is_verified()
        and at is not None
        and timezone.now().timestamp() - at <= settings.STAFF_RECHECK_MINUTES * 60
    )


def confirm_first(request: HttpRequest, then: str) -> HttpResponse:
    return redirect(f"{reverse('staff-verify')}?{urlencode({'next': then})}")


def _matching_device(user, code: str):
    """The device a code is for, if it is right. Six digits are an authenticator's code,
    anything else a recovery code: only that kind of device is tried, so that mistyped
    authenticator codes do not slow down the recovery codes (django-otp throttles each
    device it tries and fails), nor the other way round."""
    kind = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    for device in devices_for_user(user):
        if isinstance(device, kind) and device.verify_token(code):
            return device
    return None


class Locked(Exception):
    """Signing in is paused for this account or address; the session has ended."""


def check_second_step(request: HttpRequest, check: Callable[[], object | None]):
    """Run ``check`` (a code or passkey check: the device that matched, or None) while
    holding the account's row, so that attempts sent at the same moment take turns: a
    one-time code is accepted once, and no more attempts are checked than the lockout
    allows. A failure is counted before the row is released. Raises Locked, the session
    ended, when the account or its address is (or has just become) locked out."""
    user = request.user
    with transaction.atomic():
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        locked = not allowed(request)
        if not locked:
            device = check()
            if device is not None:
                return device
            security_log(SecurityEventKind.SECOND_FACTOR_FAILED, request=request, user=user)
            user_login_failed.send(
                sender=SECOND_STEP_SENDER,
                credentials={"username": user.get_username()},
                request=request,
            )
            locked = not allowed(request)
    if locked:
        logout(request)
        raise Locked
    return None


@require_http_methods(["GET", "POST"])
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step: after the password, or again before a change of second factor."""
    user = request.user
    confirming = user.is_verified()
    if confirming and recently_verified(request):
        return redirect(safe_next(request) or "staff-home")
    if not user_has_device(user):
        return redirect(_with_next("staff-enrol", request))
    if not allowed(request):
        logout(request)
        return _refused_page(request)
    passkeys = WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    form = CodeForm(request.POST or None)
    if passkeys:  # the passkey button comes first; the keyboard should not skip it
        form.fields["code"].widget.attrs.pop("autofocus", None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            device = check_second_step(request, lambda: _matching_device(user, code))
        except Locked:
            return _refused_page(request)
        if device is not None:
            second_step_passed(request, device)
            if isinstance(device, StaticDevice):
                security_log(SecurityEventKind.RECOVERY_CODE_USED, request=request, user=user)
                left = StaticToken.objects.filter(device=device).count()
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(left)d are left. "
                        "Renew them on your security page."
                    )
                    % {"left": left},
                )
            return redirect(safe_next(request) or "staff-home")
        form.add_error("code", _("This code did not work. Codes change every 30 seconds."))
    return render(
        request,
        "registration/verify.html",
        {
            "form": form,
            "next": safe_next(request),
            "confirming": confirming,
            "passkeys": passkeys,
        },
        status=400 if form.errors else 200,
    )


def new_recovery_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


ENROLLING = "staff_enrolling_device"


def _enrolling(request: HttpRequest, *, create: bool) -> TOTPDevice | None:
    """The authenticator this session is setting up. It belongs to this session alone:
    another session of the same account (someone else who knows the password) never sees
    its key, and gets one of its own, which dies unconfirmed."""
    device = TOTPDevice.objects.filter(
        user=request.user, confirmed=False, pk=request.session.get(ENROLLING) or 0
    ).first()
    if device is None and create:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
        request.session[ENROLLING] = device.pk
    return device


def _may_enrol(request: HttpRequest) -> bool:
    """An account without a second factor, or a session that has passed its own."""
    return request.user.is_verified() or not user_has_device(request.user)


@require_http_methods(["GET", "POST"])
@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: for an account without a second factor, or for a
    signed-in person replacing theirs."""
    user = request.user
    if not _may_enrol(request):
        return redirect(_with_next("staff-verify", request))
    if user.is_verified() and not recently_verified(request):
        return confirm_first(request, request.get_full_path())
    if not allowed(request):
        logout(request)
        return _refused_page(request)
    device = _enrolling(request, create=True)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            confirmed = check_second_step(
                request, lambda: device if device.verify_token(code) else None
            )
        except Locked:
            return _refused_page(request)
        if confirmed is not None:
            with transaction.atomic():
                # Only this session's authenticator stays: any other, confirmed or
                # being set up elsewhere, goes.
                TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = new_recovery_codes(user)
            replacing = user.is_verified()
            request.session.pop(ENROLLING, None)
            security_log(SecurityEventKind.FACTOR_ENROLLED, request=request, user=user)
            if replacing:
                otp_login(request, device)
                request.session[VERIFIED_AT] = timezone.now().timestamp()
            else:
                _signed_in(request, device)
            # Every other session of the account ends, those still at their password
            # step included: a new second factor is trusted from this browser only.
            end_other_sessions(request)
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": safe_next(request)},
            )
        form.add_error("code", _("This code did not work. Check the time on your phone."))
    return render(
        request,
        "registration/enrol.html",
        {"form": form, "secret": _base32(device), "next": safe_next(request)},
        status=400 if form.errors else 200,
    )


def _base32(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@require_GET
@login_required
def enrol_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the authenticator this session is setting up, drawn here as SVG."""
    device = _enrolling(request, create=False) if _may_enrol(request) else None
    if device is None:
        return HttpResponse(status=404)
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=5, border=2)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


def end_other_sessions(request: HttpRequest) -> int:
    """Sign the person out everywhere but in this browser."""
    return end_sessions(request.user, keep=request.session.session_key)


def end_sessions(user, *, keep: str | None = None) -> int:
    """End every session of ``user`` (but ``keep``): they are signed out everywhere."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for row in StaffSession.objects.filter(user=user).exclude(session_key=keep or ""):
        store(session_key=row.session_key).delete()
        row.delete()
        ended += 1
    return ended


@receiver(user_logged_out)
def _log_signed_out(sender, request=None, user=None, **kwargs) -> None:
    if user is None:
        return
    if request is not None and request.session.session_key:
        StaffSession.objects.filter(session_key=request.session.session_key).delete()
    security_log(SecurityEventKind.SIGNED_OUT, request=request, user=user)
