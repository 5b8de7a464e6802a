"""Migration cases 0010: an assignment's event pointed at its assignee by username in a
free-text note; it now points at the account."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("cases", "0009_staffing")]
AFTER = [("cases", "0010_names")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_assignments_move_from_the_note_to_the_account_and_back(users):
    old = _migrate(BEFORE)
    try:
        Dossier = old.get_model("cases", "Dossier")
        Event = old.get_model("cases", "DossierEvent")
        dossier = Dossier.objects.create(
            reference="2026-9999", received_at="2026-01-05T10:00:00Z", form_ncii=True
        )
        known = Event.objects.create(dossier=dossier, kind="assigned", note="caseworker")
        gone = Event.objects.create(dossier=dossier, kind="assigned", note="renamed-since")
        back = Event.objects.create(dossier=dossier, kind="assigned", note="")

        new = _migrate(AFTER)
        Event = new.get_model("cases", "DossierEvent")
        assert Event.objects.get(pk=known.pk).assignee_id == users["caseworker"].pk
        assert Event.objects.get(pk=known.pk).note == ""
        # A name that matches no account any more stays where the timeline shows it.
        assert (Event.objects.get(pk=gone.pk).assignee_id, Event.objects.get(pk=gone.pk).note) == (
            None,
            "renamed-since",
        )
        assert Event.objects.get(pk=back.pk).assignee_id is None

        old = _migrate(BEFORE)
        Event = old.get_model("cases", "DossierEvent")
        assert [Event.objects.get(pk=e.pk).note for e in (known, gone, back)] == [
            "caseworker",
            "renamed-since",
            "",
        ]
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
