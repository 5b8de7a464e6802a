"""Encryption at rest for personal fields and evidence files.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under a MultiFernet built
from ``settings.FIELD_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts.
Rotation is therefore: put a new key first, deploy, run ``manage.py reencrypt``, then
drop the old key once the command reports nothing left on it.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = ["DecryptionError", "decrypt", "encrypt", "is_on_newest_key", "rotate"]


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@cache
def _fernets() -> tuple[MultiFernet, Fernet]:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds no key.")
    # Each key's format is checked when the settings load.
    fernets = [Fernet(key) for key in keys]
    return MultiFernet(fernets), fernets[0]


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernets.cache_clear()


def encrypt(data: bytes) -> bytes:
    return _fernets()[0].encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return _fernets()[0].decrypt(token)
    except InvalidToken as exc:
        # Never include the token or any part of it: it would end up in logs.
        raise DecryptionError("Stored value cannot be decrypted with the configured keys.") from exc


def rotate(token: bytes) -> bytes:
    """Re-encrypt a token under the newest key."""
    try:
        return _fernets()[0].rotate(token)
    except InvalidToken as exc:
        raise DecryptionError("Stored value cannot be decrypted with the configured keys.") from exc


def is_on_newest_key(token: bytes) -> bool:
    try:
        _fernets()[1].decrypt(token)
    except InvalidToken:
        return False
    return True
