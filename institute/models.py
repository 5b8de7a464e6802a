"""Staff settings that Django's user model does not hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
