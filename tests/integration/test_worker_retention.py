"""The retention task, as beat queues it, run by a real worker on the test database."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from cases.choices import Status
from cases.models import Dossier
from cases.tasks import anonymise_due_dossiers
from tests.factories import DossierFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_runs_the_retention_task(celery_worker):
    due = DossierFactory(
        status=Status.CLOSED,
        closure_reason="other",
        closed_at=timezone.now() - timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSURE + 1),
        description="told nobody yet",
    )
    queue = celery_worker()
    anonymise_due_dossiers.apply_async(queue=queue)

    def erased() -> bool:
        return Dossier.objects.filter(pk=due.pk, anonymised_at__isnull=False).exists()

    assert wait_for(erased), "the worker did not run retention"
    assert Dossier.objects.get(pk=due.pk).description == ""
