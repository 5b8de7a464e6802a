"""Retention runs on its own: a daily Celery beat entry erases what is due, logs the
counts, and tells the technical administrators (an ERROR line) when it fails."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from cases import tasks
from cases.choices import Status
from cases.models import Dossier
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db


def _closed(days_ago: int, **fields) -> Dossier:
    return DossierFactory(
        status=Status.CLOSED,
        closure_reason="other",
        closed_at=timezone.now() - timedelta(days=days_ago),
        description="what happened to Lotte",
        **fields,
    )


def test_the_beat_schedule_runs_retention_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["anonymise-due-dossiers"]
    assert entry["task"] == "cases.tasks.anonymise_due_dossiers"
    from institute.celery import app

    assert entry["task"] in app.tasks
    schedule = entry["schedule"]
    assert schedule.hour == {2} and schedule.minute == {15}
    assert schedule.day_of_week == set(range(7))


def test_the_task_erases_what_is_due_and_logs_counts_only(caplog):
    due = _closed(settings.RETENTION_DAYS_AFTER_CLOSURE + 1)
    kept = _closed(settings.RETENTION_DAYS_AFTER_CLOSURE - 1)
    with caplog.at_level(logging.INFO, logger="cases.tasks"):
        assert tasks.anonymise_due_dossiers.delay().get() == 1
    due.refresh_from_db()
    kept.refresh_from_db()
    assert due.anonymised_at is not None and due.description == ""
    assert kept.anonymised_at is None and kept.description == "what happened to Lotte"
    assert "retention run: 1 dossiers anonymised, 0 skipped" in caplog.text
    assert "Lotte" not in caplog.text


def test_a_failed_run_is_an_error_line_for_the_administrators(caplog, monkeypatch):
    from cases import retention

    _closed(settings.RETENTION_DAYS_AFTER_CLOSURE + 1)

    def broken(*args, **kwargs):
        raise RuntimeError("value 'what happened to Lotte' could not be written")

    monkeypatch.setattr(retention, "dossier_anonymise", broken)
    with caplog.at_level(logging.INFO, logger="cases.tasks"), pytest.raises(RuntimeError):
        tasks.anonymise_due_dossiers.delay().get()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "cases.tasks"]
    assert len(errors) == 1 and "retention run failed (RuntimeError)" in errors[0].getMessage()
    assert "Lotte" not in caplog.text
