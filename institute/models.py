"""Staff settings that Django's user model does not hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import Role


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    language = models.CharField(
        _("language of mails from the case system"),
        max_length=2,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    # Evidence previews (blurred, grey) start hidden, for those who prefer to open each.
    hide_previews = models.BooleanField(
        _("start with the previews of images hidden"),
        default=False,
        help_text=_(
            "The dossier page then shows no preview until you open it; images are always "
            "blurred and grey until you choose to look."
        ),
    )

    class Meta:
        verbose_name = _("staff settings")
        verbose_name_plural = _("staff settings")

    def __str__(self) -> str:
        return self.user.get_username()


def mail_language(user) -> str:
    """The language a staff member reads the system's mails in."""
    try:
        return user.staff_profile.language
    except StaffProfile.DoesNotExist:
        return settings.LANGUAGE_CODE


def hides_previews(user) -> bool:
    """Whether a staff member chose to start with the previews of images hidden."""
    try:
        return user.staff_profile.hide_previews
    except StaffProfile.DoesNotExist:
        return False


class SecurityEventKind(models.TextChoices):
    PASSWORD_ACCEPTED = "password_accepted", _("Password accepted, second factor asked")
    SIGNED_IN = "signed_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SECOND_FACTOR_FAILED = "second_factor_failed", _("Second factor refused")
    LOCKED_OUT = "locked_out", _("Locked out after repeated failures")
    SIGNED_OUT = "signed_out", _("Signed out")
    SESSION_EXPIRED = "session_expired", _("Session ended (idle or too long)")
    SESSIONS_ENDED = "sessions_ended", _("Sessions ended by someone else")
    FACTOR_ENROLLED = "factor_enrolled", _("Second factor set up")
    FACTOR_REMOVED = "factor_removed", _("Second factor removed")
    FACTORS_RESET = "factors_reset", _("Second factors reset")
    RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
    RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("Recovery codes renewed")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    ROLE_REQUESTED = "role_requested", _("Role requested, awaiting a coordinator")
    ROLE_GRANTED = "role_granted", _("Role granted")
    ROLE_REFUSED = "role_refused", _("Role request refused")
    ROLE_REMOVED = "role_removed", _("Role removed")
    ACCESS_REFUSED = "access_refused", _("Access refused")
    EVIDENCE_ALTERED = "evidence_altered", _("Evidence file altered or unreadable")
    ACCOUNT_CREATED = "account_created", _("Account created")
    ACCOUNT_CHANGED = "account_changed", _("Account changed by an administrator")


class SecurityEvent(models.Model):
    """One security-relevant event: who (an account id), when, from where (a keyed hash
    of the address), what. Never a password, a code, or anything about a dossier but its
    id. Append-only; technical administrators read it in the admin, coordinators the
    refused accesses to dossiers on the dossier page."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("what"), max_length=32, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who did it, when that is someone else (an administrator resetting factors).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    address_hash = models.CharField(_("address (keyed hash)"), max_length=32, blank=True)
    # A code: a role, a view name, a reason. Never free text.
    detail = models.CharField(_("detail"), max_length=100, blank=True)
    dossier_id = models.PositiveBigIntegerField(_("dossier"), null=True, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["dossier_id", "at"], name="security_dossier_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d %H:%M})"


class StaffSession(models.Model):
    """A staff member's signed-in session, so that it can be ended from elsewhere: when
    their password or second factor changes, or by a coordinator."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    signed_in_at = models.DateTimeField(_("signed in at"), auto_now_add=True)
    # The last request, to the minute (the idle limit's precision): a session idle for
    # longer than STAFF_IDLE_MINUTES is over, its browser closed or not.
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("staff session")
        verbose_name_plural = _("staff sessions")
        ordering = ["-signed_in_at"]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.signed_in_at:%Y-%m-%d %H:%M})"


class RoleRequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting a coordinator")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class RoleRequest(models.Model):
    """A role that opens dossiers, given to an account outside the staff interface (in
    the admin): it takes effect only once a coordinator confirms it there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_requests"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=RoleRequestStatus.choices,
        default=RoleRequestStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("role request")
        verbose_name_plural = _("role requests")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.role} ({self.status})"
