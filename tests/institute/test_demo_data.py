import base64

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.urls import reverse

from cases.choices import Status
from cases.models import Dossier, DossierEvent
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


def test_demo_users_sign_in_with_the_printed_password_and_key():
    import io

    from django.test import Client
    from django_otp.oath import totp

    from institute.demo import demo_totp_base32

    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    for spec in DEMO_USERS:
        key = demo_totp_base32(spec.username)
        assert key in out.getvalue()
        client = Client()
        answer = client.post(
            reverse("login"), {"username": spec.username, "password": DEMO_PASSWORD}
        )
        assert answer["Location"].startswith(reverse("staff-verify")), spec.username
        code = f"{totp(base64.b32decode(key)):06d}"  # what an app shows for the printed key
        assert client.post(reverse("staff-verify"), {"code": code}).status_code == 302
        assert client.get(reverse("staff-home")).status_code in {200, 302}
        user = get_user_model().objects.get(username=spec.username)
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
