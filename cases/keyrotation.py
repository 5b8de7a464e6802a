"""Moving every encrypted value to the newest key (``manage.py reencrypt``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from .encryption import is_on_newest_key, rotate
from .fields import EncryptedTextField


@dataclass
class RotationResult:
    label: str
    field: str
    checked: int
    rotated: int


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


def reencrypt_all(*, batch_size: int = 500) -> list[RotationResult]:
    """Re-encrypt every value not yet under the newest key; idempotent.

    Runs one short transaction per batch, so it can run while the app serves
    requests: each update applies only if the value is still the one read, so a value
    edited meanwhile (already under the newest key) is never overwritten.
    Updates go through ``QuerySet.update`` so no history rows are written.
    """
    results = []
    for model, fields in encrypted_fields():
        for field in fields:
            result = RotationResult(model._meta.label, field.name, 0, 0)
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
                    break
                last_pk = batch[-1][0]
                with transaction.atomic():
                    for pk, token in batch:
                        if not token:
                            continue
                        result.checked += 1
                        if is_on_newest_key(token.encode("ascii")):
                            continue
                        new_token = rotate(token.encode("ascii")).decode("ascii")
                        # Only if the value is still the one read: an edit made in the
                        # meantime is already under the newest key and must not be undone.
                        changed = (
                            model._base_manager.annotate(raw_token=_raw(field))
                            .filter(pk=pk, raw_token=token)
                            .update(
                                **{
                                    field.attname: models.Value(
                                        new_token, output_field=models.TextField()
                                    )
                                }
                            )
                        )
                        result.rotated += changed
            results.append(result)
    return results
