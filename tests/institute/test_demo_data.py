import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db.models import Count

from cases.models import Dossier, DossierEvent, Status
from institute.demo import DEMO_DOSSIERS, DEMO_PASSWORD, DEMO_USERS, load_demo_data

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_realistic(capsys):
    call_command("load_demo_data")
    first = capsys.readouterr().out
    assert f"{DEMO_DOSSIERS} dossiers added" in first
    assert DEMO_PASSWORD in first
    references = set(Dossier.objects.values_list("reference", flat=True))
    events = DossierEvent.objects.count()

    call_command("load_demo_data")
    assert "0 dossiers added" in capsys.readouterr().out
    assert set(Dossier.objects.values_list("reference", flat=True)) == references
    assert DossierEvent.objects.count() == events

    assert Dossier.objects.count() == DEMO_DOSSIERS
    years = {d.received_at.year for d in Dossier.objects.all()}
    assert years >= {2020, 2021, 2022, 2023, 2024, 2025}
    assert set(Dossier.objects.values_list("language", flat=True)) == {"nl", "fr", "de", "en"}
    assert len(set(Dossier.objects.values_list("channel", flat=True))) >= 4
    assert set(Dossier.objects.values_list("status", flat=True)) >= {
        Status.NEW,
        Status.IN_PROGRESS,
        Status.CLOSED,
    }
    for form in ["ncii", "voyeurism", "sextortion"]:
        assert Dossier.objects.involving(form).exists()
    # Every move of a demo dossier went through the workflow and left events.
    assert Dossier.objects.annotate(n=Count("events")).filter(n=0).count() == 0


def test_demo_users_log_in_with_the_printed_password():
    load_demo_data()
    for spec in DEMO_USERS:
        user = authenticate(username=spec.username, password=DEMO_PASSWORD)
        assert user is not None, spec.username
        assert user.groups.filter(name=spec.role.value).exists()


def test_demo_data_is_refused_in_production(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(ImproperlyConfigured):
        load_demo_data()
    with pytest.raises(CommandError):
        call_command("load_demo_data")
    assert not Dossier.objects.exists()


def test_the_roles_exist_after_migrating():
    from django.contrib.auth.models import Group

    from institute.roles import Role

    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
