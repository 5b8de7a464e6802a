from celery import shared_task

from . import rollups


@shared_task(ignore_result=True)
def compact_daily_counts() -> int:
    """Fold the statistics' daily counts together (see ``reporting.rollups``)."""
    return rollups.compact()
