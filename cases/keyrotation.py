"""Moving every encrypted value and evidence file to the newest key (``manage.py reencrypt``).

Both live under ``FIELD_ENCRYPTION_KEYS``: database columns (``EncryptedTextField``) and
the evidence files under ``PRIVATE_STORAGE_ROOT``. An old key can be removed only when
neither holds anything under it any more; ``reencrypt --check`` says so without
changing anything.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from .encryption import DecryptionError, is_on_newest_key, rotate
from .fields import EncryptedTextField
from .models import Evidence
from .storage import private_storage

logger = logging.getLogger(__name__)

FILES_LABEL = "evidence files"


@dataclass
class RotationResult:
    label: str
    field: str
    checked: int = 0
    # In check mode: how many are still under an older key. Otherwise: how many moved.
    rotated: int = 0
    # Under no configured key at all (or, for a file, missing from disk).
    unreadable: int = 0
    # Files: copies left by a run stopped in the middle of a swap (found, or removed).
    leftovers: int = 0

    @property
    def is_file_result(self) -> bool:
        return self.label == FILES_LABEL


def _nothing(count: int) -> None:
    """No progress to report."""


def encrypted_fields() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


def _raw(field: EncryptedTextField) -> Cast:
    # Cast to plain text so the stored token is read as it is, without decryption.
    return Cast(field.attname, output_field=models.TextField())


def _rotated(token: bytes, result: RotationResult) -> bytes | None:
    """The token under the newest key, or None if it already is or cannot be read."""
    if is_on_newest_key(token):
        return None
    try:
        return rotate(token)
    except DecryptionError:
        result.unreadable += 1
        return None


def _reencrypt_field(
    model: type[models.Model],
    field: EncryptedTextField,
    *,
    batch_size: int,
    check: bool,
    advance: Callable[[int], object],
) -> RotationResult:
    result = RotationResult(model._meta.label, field.name)
    last_pk = None
    while True:
        rows = (
            model._base_manager.order_by("pk")
            .exclude(**{f"{field.attname}__isnull": True})
            .annotate(raw_token=_raw(field))
            .values_list("pk", "raw_token")
        )
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        batch = list(rows[:batch_size])
        if not batch:
            return result
        advance(len(batch))
        last_pk = batch[-1][0]
        with transaction.atomic():
            for pk, token in batch:
                if not token:
                    continue
                result.checked += 1
                new_token = _rotated(token.encode("ascii"), result)
                if new_token is None:
                    continue
                if check:
                    result.rotated += 1
                    continue
                # Only if the value is still the one read: an edit made in the
                # meantime is already under the newest key and must not be undone.
                result.rotated += (
                    model._base_manager.annotate(raw_token=_raw(field))
                    .filter(pk=pk, raw_token=token)
                    .update(
                        **{
                            field.attname: models.Value(
                                new_token.decode("ascii"), output_field=models.TextField()
                            )
                        }
                    )
                )


def reencrypt_all(
    *, batch_size: int = 500, check: bool = False, advance: Callable[[int], object] = _nothing
) -> list[RotationResult]:
    """Re-encrypt every value not yet under the newest key; idempotent.

    Runs one short transaction per batch, so it can run while the app serves
    requests: each update applies only if the value is still the one read, so a value
    edited meanwhile (already under the newest key) is never overwritten.
    Updates go through ``QuerySet.update`` so no history rows are written.
    With ``check``, nothing changes: ``rotated`` counts what is still to move.
    """
    return [
        _reencrypt_field(model, field, batch_size=batch_size, check=check, advance=advance)
        for model, fields in encrypted_fields()
        for field in fields
    ]


# The copy a swap writes beside a file. A fixed name, so a run stopped in the middle
# (a crash, a kill) leaves at most one per file, which the next run removes.
SWAP_SUFFIX = ".rotating"
# A copy this old belongs to no run still going.
STALE_SWAP_SECONDS = 10 * 60


def _replace_file(path: str, data: bytes) -> None:
    """Put ``data`` at ``path`` in one step: written and flushed to a copy beside it,
    then renamed over it. A reader opens the old file or the new one, never a
    half-written one, and a crash leaves the old file whole."""
    temporary = path + SWAP_SUFFIX
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    directory_descriptor = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)  # the rename itself survives a crash
    finally:
        os.close(directory_descriptor)


def stale_swap_copies() -> list[Path]:
    """Copies left by a run that was stopped in the middle of a swap."""
    root = Path(private_storage.location)
    if not root.is_dir():
        return []
    cutoff = time.time() - STALE_SWAP_SECONDS
    return [path for path in root.rglob(f"*{SWAP_SUFFIX}") if path.stat().st_mtime < cutoff]


def _reencrypt_file(pk: int, result: RotationResult, *, check: bool) -> None:
    # The evidence row is locked while its file is swapped: retention, which deletes
    # the row and then (after commit) the file, waits for the swap or has already
    # removed the row, so a deleted file is never written back.
    with transaction.atomic():
        evidence = Evidence.objects.select_for_update().filter(pk=pk).first()
        if evidence is None or not evidence.file.name:
            return
        result.checked += 1
        path = private_storage.path(evidence.file.name)
        try:
            with open(path, "rb") as stream:
                token = stream.read()
        except FileNotFoundError:
            # The name is random (cases.models.evidence_path), never personal data.
            logger.warning("evidence file of evidence %s is missing from storage", pk)
            result.unreadable += 1
            return
        new_token = _rotated(token, result)
        if new_token is None:
            return
        result.rotated += 1
        if not check:
            _replace_file(path, new_token)


def reencrypt_files(
    *, check: bool = False, advance: Callable[[int], object] = _nothing
) -> RotationResult:
    """Re-encrypt every evidence file not yet under the newest key; idempotent and safe
    while the app runs (files are written once and only ever replaced whole)."""
    result = RotationResult(FILES_LABEL, "")
    # A stopped run's copies: evidence in a second place that nothing points to. The
    # check counts them (remove them before the key: run reencrypt); a run removes them.
    for copy in stale_swap_copies():
        result.leftovers += 1
        if not check:
            copy.unlink(missing_ok=True)
    pks = Evidence.objects.exclude(file="").order_by("pk").values_list("pk", flat=True)
    for pk in pks.iterator():
        _reencrypt_file(pk, result, check=check)
        advance(1)
    return result


def reencrypt_everything(
    *, batch_size: int = 500, check: bool = False, advance: Callable[[int], object] = _nothing
) -> list[RotationResult]:
    """Every encrypted column, then every evidence file; ``advance(n)`` is told after
    each batch of values and each file (a progress bar over ``reencrypt_total()``)."""
    return [
        *reencrypt_all(batch_size=batch_size, check=check, advance=advance),
        reencrypt_files(check=check, advance=advance),
    ]


def reencrypt_total() -> int:
    """How many values and files a run looks at."""
    values = sum(
        model._base_manager.exclude(**{f"{field.attname}__isnull": True}).count()
        for model, fields in encrypted_fields()
        for field in fields
    )
    return values + Evidence.objects.exclude(file="").count()
