"""Celery tasks: each loads what it needs by id and calls a service; all idempotent."""

import logging

from celery import shared_task

from .keyrotation import reencrypt_everything
from .outbox import outbox_deliver, outbox_pending_ids

logger = logging.getLogger(__name__)


@shared_task
def reencrypt_personal_data() -> int:
    """Move every encrypted value and evidence file to the newest key, in the background."""
    results = reencrypt_everything()
    files = sum(result.rotated for result in results if result.is_file_result)
    values = sum(result.rotated for result in results) - files
    unreadable = sum(result.unreadable for result in results)
    logger.info(
        "re-encryption finished: %d values and %d files moved to the newest key, %d unreadable",
        values,
        files,
        unreadable,
    )
    return values + files


@shared_task
def fingerprint_evidence() -> int:
    """Record the fingerprints of files received before they were recorded at upload."""
    from .custody import record_missing_fingerprints

    result = record_missing_fingerprints()
    logger.info(
        "fingerprints recorded for %d evidence files, %d unreadable",
        result.recorded,
        result.unreadable,
    )
    return result.recorded


@shared_task(ignore_result=True)
def anonymise_due_dossiers() -> int:
    """The daily retention run (Celery beat): erase the personal data of every dossier
    closed longer ago than RETENTION_DAYS_AFTER_CLOSURE, as ``manage.py
    anonymise_dossiers`` does. Counts go to the log; a failure is an ERROR line for the
    technical administrators (with the exception's class only: its message could quote
    a value) and fails the task, and the next day's run takes what is left."""
    from .retention import anonymise_due

    try:
        done, skipped = anonymise_due()
    except Exception as exc:
        logger.error(
            "retention run failed (%s): personal data past their retention period may "
            "still be stored; run manage.py anonymise_dossiers to finish",
            type(exc).__name__,
        )
        raise
    logger.info("retention run: %d dossiers anonymised, %d skipped", done, skipped)
    return done


@shared_task(ignore_result=True)
def match_evidence() -> int:
    """Compare the files not compared yet with those of other dossiers (cases.matching);
    after each upload's commit, and every few minutes as a sweep."""
    from .matching import match_pending

    return match_pending()


@shared_task(ignore_result=True)
def deliver_outbox_messages(message_ids: list[int]) -> None:
    """The messages one transaction wrote, each sent (or left to the sweep) on its own:
    one that fails in an unexpected way does not keep the others back."""
    for message_id in message_ids:
        try:
            outbox_deliver(message_id=message_id)
        except Exception as exc:  # the sweep tries it again
            logger.warning("outbox message %s not delivered (%s)", message_id, type(exc).__name__)


@shared_task(ignore_result=True)
def deliver_outbox_message(message_id: int) -> None:
    """One message: tasks queued by the version before deliver_outbox_messages."""
    outbox_deliver(message_id=message_id)


@shared_task(ignore_result=True)
def deliver_pending_outbox() -> int:
    """Periodic sweep (Celery beat): deliver whatever is still pending."""
    sent = sum(outbox_deliver(message_id=pk) for pk in outbox_pending_ids())
    if sent:
        logger.info("outbox sweep sent %d messages", sent)
    return sent


@shared_task(ignore_result=True)
def send_daily_digests() -> int:
    """Daily (Celery beat): overdue first contacts and due takedowns, per staff member."""
    from .digest import send_daily_digests as queue_digests

    queued = len(queue_digests())
    logger.info("daily digest queued for %d staff members", queued)
    return queued
