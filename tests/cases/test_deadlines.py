"""First contact in Belgian working days, and the daily digest of what is late."""

from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cases.choices import ContactMethod, LegalBasis, NotificationKind, Priority, TakedownMethod
from cases.deadlines import add_working_days, belgian_public_holidays, easter_sunday
from cases.digest import digest_for, send_daily_digests
from cases.models import BRUSSELS, Dossier, OutboxMessage
from cases.outbox import outbox_deliver
from cases.services import dossier_assign, dossier_contact_record, takedown_request_record
from institute.models import StaffProfile
from tests.factories import DossierFactory, location


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2020, date(2020, 4, 12)),
        (2021, date(2021, 4, 4)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter(year, easter):
    assert easter_sunday(year) == easter


def test_the_belgian_public_holidays_of_2026():
    assert sorted(belgian_public_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 7, 21),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
    ]


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2026, 11, 23), 2, date(2026, 11, 25)),  # Monday → Wednesday
        (date(2026, 11, 26), 2, date(2026, 11, 30)),  # Thursday → over the weekend
        (date(2026, 11, 28), 2, date(2026, 12, 1)),  # Saturday → Tuesday
        (date(2026, 12, 23), 2, date(2026, 12, 28)),  # Christmas in between
        (date(2026, 11, 9), 2, date(2026, 11, 12)),  # 11 November in between
        (date(2026, 7, 20), 1, date(2026, 7, 22)),  # National Day in between
        (date(2026, 11, 23), 0, date(2026, 11, 23)),
    ],
)
def test_working_days_skip_weekends_and_holidays(day, count, expected):
    assert add_working_days(day, count) == expected


@pytest.mark.django_db
def test_first_contact_is_due_at_the_end_of_the_second_working_day(settings):
    dossier = DossierFactory(received_at=_at(2026, 11, 26, 22, 30))  # a Thursday night
    assert timezone.localtime(dossier.first_contact_due, BRUSSELS) == _at(2026, 11, 30, 23, 59, 59)
    settings.FIRST_CONTACT_WORKING_DAYS = 5
    later = DossierFactory(received_at=_at(2026, 11, 26, 22, 30))
    assert timezone.localtime(later.first_contact_due, BRUSSELS).date() == date(2026, 12, 3)


@pytest.mark.django_db
def test_an_urgent_dossier_is_due_the_same_day():
    dossier = DossierFactory(received_at=_at(2026, 11, 28, 9, 0), priority=Priority.URGENT)
    assert timezone.localtime(dossier.first_contact_due, BRUSSELS) == _at(2026, 11, 28, 23, 59, 59)


@pytest.mark.django_db
def test_a_dossier_is_overdue_until_contact_is_made(users):
    dossier = DossierFactory(received_at=timezone.now() - timedelta(days=7))
    fresh = DossierFactory()
    assert list(Dossier.objects.overdue()) == [dossier]
    flags = dict(Dossier.objects.with_overdue().values_list("pk", "is_overdue"))
    assert flags == {dossier.pk: True, fresh.pk: False}
    dossier_contact_record(dossier_id=dossier.pk, method=ContactMethod.PHONE)
    assert not Dossier.objects.overdue().exists()
    assert not Dossier.objects.with_overdue().get(pk=dossier.pk).is_overdue


def _late_takedown(dossier) -> None:
    takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Desk",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=timezone.now() - timedelta(days=2),
    )


@pytest.mark.django_db
def test_each_handler_gets_one_digest_a_day_of_what_is_theirs(users):
    week_ago = timezone.now() - timedelta(days=7)
    mine = DossierFactory(received_at=week_ago, locations=[location()])
    dossier_assign(dossier_id=mine.pk, to=users["caseworker"])
    _late_takedown(mine)
    unassigned = DossierFactory(received_at=week_ago)
    OutboxMessage.objects.all().delete()

    digests = send_daily_digests()
    recipients = {message.staff_member.username for message in digests}
    # caseworker2 has nothing late; management and the administrator handle no dossier.
    assert recipients == {"caseworker", "coordinator"}
    assert send_daily_digests() == []  # the same day again: nothing new
    assert OutboxMessage.objects.filter(kind=NotificationKind.DAILY_DIGEST).count() == 2

    worker = digest_for(users["caseworker"])
    assert (worker.overdue, len(worker.takedowns)) == ([mine], 1)
    coordinator = digest_for(users["coordinator"])
    assert set(coordinator.overdue) == {mine, unassigned}


@pytest.mark.django_db
def test_the_digest_mail_lists_references_only_in_the_reader_s_language(users):
    StaffProfile.objects.create(user=users["caseworker"], language="en")
    dossier = DossierFactory(
        received_at=timezone.now() - timedelta(days=7),
        reporter_email="hidden@example.invalid",
        description="a private story",
        locations=[location(url="https://site.example/secret")],
    )
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    _late_takedown(dossier)
    OutboxMessage.objects.all().delete()
    (message,) = [m for m in send_daily_digests() if m.staff_member == users["caseworker"]]
    assert message.language == "en"
    mail.outbox.clear()
    assert outbox_deliver(message_id=message.pk)
    (sent,) = mail.outbox
    assert sent.to == [users["caseworker"].email]
    assert dossier.reference in sent.body
    assert "1 dossier is waiting for first contact" in sent.body
    assert "1 takedown request is late or needs a check" in sent.body
    assert "decision due" in sent.body
    for secret in ["hidden@example.invalid", "a private story", "site.example", "Instagram"]:
        assert secret not in sent.body + sent.subject


def test_celery_beat_sends_the_digest_daily(settings):
    from cases import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["daily-digest"]
    assert entry["task"] == tasks.send_daily_digests.name
    assert entry["schedule"].hour == {settings.DIGEST_HOUR}
    assert entry["schedule"].minute == {0}


@pytest.mark.django_db
def test_a_digest_whose_items_were_dealt_with_is_settled_without_a_mail(users):
    late = DossierFactory(received_at=timezone.now() - timedelta(days=7))
    OutboxMessage.objects.all().delete()
    (message,) = send_daily_digests()
    dossier_contact_record(dossier_id=late.pk, method=ContactMethod.PHONE)
    mail.outbox.clear()
    assert not outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.sent_at is not None and mail.outbox == []


@pytest.mark.django_db
def test_a_late_request_shows_as_due_on_the_dossier_page_only_while_the_dossier_is_open(
    client, users
):
    from cases.choices import ClosureReason
    from cases.services import dossier_close, dossier_triage
    from tests.factories import late_takedown

    dossier = late_takedown()
    client.force_login(users["coordinator"])
    url = f"/staff/dossiers/{dossier.pk}/"
    due = 'class="text-danger fw-semibold" data-outcome="pending"'
    assert due in client.get(url).content.decode()
    dossier_triage(dossier_id=dossier.pk, accept=True)
    dossier_close(dossier_id=dossier.pk, closure_reason=ClosureReason.CONTENT_REMOVED)
    assert due not in client.get(url).content.decode()
