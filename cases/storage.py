"""Evidence files: encrypted on disk, outside any URL the web server publishes.

Files are written under ``PRIVATE_STORAGE_ROOT`` (a volume shared by all containers
in production) as Fernet tokens under the same keys as personal fields. The storage
has no URL: a file reaches a person only through a view that checks access and logs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

from .encryption import decrypt, encrypt


@deconstructible
class EncryptedFileSystemStorage(FileSystemStorage):
    def __init__(self) -> None:
        super().__init__(location=None, base_url=None)

    @property
    def base_location(self):  # read on every use, so tests can point it elsewhere
        return str(settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def file_permissions_mode(self):
        return 0o600

    @property
    def directory_permissions_mode(self):
        return 0o700

    def url(self, name):
        raise NotImplementedError("Evidence files have no URL; serve them through a view.")

    def _save(self, name: str, content: File) -> str:
        content.seek(0)
        token = encrypt(content.read())
        try:
            return super()._save(name, ContentFile(token))
        except BaseException:
            # A write that failed part-way (a full disk) leaves what it wrote, or an
            # empty file, under the final name: take it back before saying so.
            with suppress(FileNotFoundError):
                os.remove(self.path(name))
            raise

    def _open(self, name: str, mode: str = "rb") -> File:
        with super()._open(name, "rb") as stored:
            data = decrypt(stored.read())
        return ContentFile(data, name=name)


private_storage = EncryptedFileSystemStorage()


@contextmanager
def files_removed_on_failure() -> Iterator[list[str]]:
    """Collect the names of files saved inside a block; delete them if it fails.

    A database rollback cannot take back a file already written, so whoever saves
    files inside a transaction wraps it in this: nothing is left on disk for a report
    that was not saved.
    """
    saved: list[str] = []
    try:
        yield saved
    except BaseException:
        for name in saved:
            private_storage.delete(name)
        raise
