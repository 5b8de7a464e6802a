"""Passkeys and security keys (WebAuthn) as a second step, from django-otp-webauthn.

The library checks the browser's signatures (py_webauthn) and stores the public keys;
this module fits its four endpoints into the staff sign-in:

- a passkey is only ever a second step, after the password (no passwordless sign-in);
- a failed passkey counts towards the lockout like a wrong code, and a locked-out
  account or address is refused whatever it presents;
- a passkey that passes signs the session in exactly as a code does (new session id,
  failure count reset, security log);
- adding one needs a second step done in the last ``STAFF_RECHECK_MINUTES``, and ends
  the account's other sessions, as any change of second factor does;
- errors answer in the person's language with one message that tells an attacker
  nothing (the library's detailed English errors stay in the log).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn
from django_otp_webauthn.models import WebAuthnCredential

from . import lockout, signin
from .models import SecurityEventKind
from .security import security_log

logger = logging.getLogger(__name__)

PASSKEY_FAILED = _(
    "This passkey did not work. Try again, or use the code from your authenticator app."
)


class Refused(exceptions.OTPWebAuthnApiError):
    """Signing in is paused for this account or address (or was just paused)."""

    status_code = 403
    default_detail = signin.SIGN_IN_REFUSED
    default_code = "refused"


class RecheckNeeded(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = _("For your safety, confirm it is you first, then add the passkey.")
    default_code = "recheck_needed"


class _Answers:
    """Every refusal as JSON in the person's language; the library's own detail (in
    English, and telling which check failed) goes to the log only."""

    def handle_exception(self, exc):
        if isinstance(exc, Refused | RecheckNeeded):
            return JsonResponse({"detail": str(exc.detail), "code": exc.code}, status=403)
        if isinstance(exc, exceptions.OTPWebAuthnApiError):
            logger.info("passkey refused: %s", exc.code)
            return JsonResponse(
                {"detail": str(PASSKEY_FAILED), "code": "failed"}, status=exc.status_code
            )
        return super().handle_exception(exc)


class _SecondStep:
    """Only for a session past its password step, and never while locked out."""

    def check_can_authenticate(self) -> None:
        request = self.request
        if not request.user.is_authenticated:
            raise exceptions.PasswordlessLoginDisabled()
        if not lockout.allowed(request):
            logout(request)
            raise Refused()


class VerifyBegin(_Answers, _SecondStep, webauthn.BeginCredentialAuthenticationView):
    pass


class VerifyComplete(_Answers, _SecondStep, webauthn.CompleteCredentialAuthenticationView):
    def post(self, request: HttpRequest, *args, **kwargs):
        outcome = {}

        def check():
            # The library's error is kept, not raised here: raised, it would undo the
            # transaction, and with it the removal of the used challenge from the session.
            try:
                outcome["response"] = super(VerifyComplete, self).post(request, *args, **kwargs)
            except exceptions.OTPWebAuthnApiError as error:
                outcome["error"] = error
                return None
            return True

        try:
            signin.check_second_step(request, check)
        except signin.Locked:
            raise Refused() from None
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]

    def complete_auth(self, device: WebAuthnCredential) -> None:
        signin.second_step_passed(self.request, device)

    def get_success_url(self) -> str:
        return signin.safe_next(self.request) or reverse("staff-home")


class _Adding:
    """Adding a passkey is a change of second factor: only shortly after a second step."""

    def check_can_register(self) -> None:
        if not signin.recently_verified(self.request):
            raise RecheckNeeded()


class AddBegin(_Answers, _Adding, webauthn.BeginCredentialRegistrationView):
    pass


class AddComplete(_Answers, _Adding, webauthn.CompleteCredentialRegistrationView):
    def post(self, request: HttpRequest, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        security_log(
            SecurityEventKind.FACTOR_ENROLLED, request=request, user=request.user, detail="passkey"
        )
        signin.end_other_sessions(request)
        messages.success(
            request, _("Your passkey has been added; you are signed out everywhere else.")
        )
        return response


class Catalog(JavaScriptCatalog):
    """The passkey script's messages: the library's translations, and the project's
    where the library has none (French)."""

    packages = ["django_otp_webauthn"]


app_name = "otp_webauthn"  # the name the library's templates and script look up

urlpatterns = [
    path("add/begin/", AddBegin.as_view(), name="credential-registration-begin"),
    path("add/complete/", AddComplete.as_view(), name="credential-registration-complete"),
    path("verify/begin/", VerifyBegin.as_view(), name="credential-authentication-begin"),
    path("verify/complete/", VerifyComplete.as_view(), name="credential-authentication-complete"),
    path("messages.js", Catalog.as_view(), name="js-i18n-catalog"),
]

# Pages a session that has not passed its second step may open.
SECOND_STEP_VIEWS = (
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:js-i18n-catalog",
)
