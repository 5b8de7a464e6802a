"""Celery tasks: each loads what it needs by id and calls a service; all idempotent."""

import logging

from celery import shared_task

from .keyrotation import reencrypt_all

logger = logging.getLogger(__name__)


@shared_task
def reencrypt_personal_data() -> int:
    """Move every encrypted value to the newest key, in the background."""
    rotated = sum(result.rotated for result in reencrypt_all())
    logger.info("re-encryption finished: %d values moved to the newest key", rotated)
    return rotated
