"""Dossiers saved before deadlines existed get them when the workflow migration runs."""

from datetime import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.models import BRUSSELS

BEFORE = [("cases", "0003_access_log")]
AFTER = [("cases", "0004_workflow")]


@pytest.mark.django_db(transaction=True)
def test_the_workflow_migration_backfills_deadlines_and_first_contacts():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Dossier, Event = old.get_model("cases", "Dossier"), old.get_model("cases", "DossierEvent")
    common = {"channel": "web", "language": "nl", "form_ncii": True, "reporter_type": "on_behalf"}
    received = datetime(2026, 11, 26, 10, 0, tzinfo=BRUSSELS)  # a Thursday
    quiet = Dossier.objects.create(reference="2026-9001", received_at=received, **common)
    waiting = Dossier.objects.create(
        reference="2026-9002", received_at=received, status="waiting", **common
    )
    written = datetime(2026, 11, 27, 9, 0, tzinfo=BRUSSELS)
    Event.objects.create(dossier=waiting, kind="message_to_reporter", at=written)
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps.get_model("cases", "Dossier")
        quiet, waiting = new.objects.get(pk=quiet.pk), new.objects.get(pk=waiting.pk)
        assert quiet.first_contact_due == datetime(2026, 11, 30, 23, 59, 59, tzinfo=BRUSSELS)
        assert (quiet.first_contact_at, quiet.waiting_for) == (None, "")
        assert (waiting.first_contact_at, waiting.waiting_for) == (written, "other")
    finally:
        new_state = MigrationExecutor(connection)
        new_state.migrate(new_state.loader.graph.leaf_nodes())
