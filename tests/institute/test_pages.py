import pytest
from django.urls import reverse

from institute.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("accept", "expected"), [("fr-BE,fr;q=0.9", "/fr/"), ("de", "/de/"), ("", "/nl/")]
)
def test_the_bare_address_opens_the_public_pages_in_the_browsers_language(client, accept, expected):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 302
    assert response["Location"] == expected


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_public_landing_answers_in_each_language(client, language):
    response = client.get(f"/{language}/")
    assert response.status_code == 200
    assert f'lang="{language}"'.encode() in response.content


def test_the_admin_has_no_sign_in_of_its_own(client):
    response = client.get("/admin/login/?next=/admin/cases/dossier/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=/admin/cases/dossier/" in response["Location"]


def test_only_technical_administrators_enter_the_admin(client, users):
    from django.contrib.auth.models import Group

    from institute.roles import Role

    coordinator = users["coordinator"]
    coordinator.is_staff = True  # even with the staff flag, the role decides
    coordinator.save()
    client.force_login(coordinator)
    assert client.get("/admin/").status_code == 302  # back to the admin login

    technician = type(coordinator).objects.create_user("technician", is_staff=True)
    technician.groups.add(Group.objects.get_or_create(name=Role.ADMINISTRATOR)[0])
    client.force_login(technician)
    assert client.get("/admin/").status_code == 200


def test_admin_dossier_page_shows_no_personal_fields(client, users):
    from tests.factories import DossierFactory

    dossier = DossierFactory(reporter_email="hidden@example.invalid", description="hidden story")
    client.force_login(users["admin"])
    response = client.get(reverse("admin:cases_dossier_change", args=[dossier.pk]))
    assert response.status_code == 200
    assert dossier.reference.encode() in response.content
    assert b"hidden@example.invalid" not in response.content
    assert b"hidden story" not in response.content


def test_staff_log_in_with_their_password_and_code(client, users):
    from tests.conftest import current_code

    response = client.post(reverse("login"), {"username": "caseworker", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    verify = client.post(reverse("staff-verify"), {"code": current_code(users["caseworker"])})
    assert verify.status_code == 302
    # Case workers land on their own dossiers and coordinators on every open one,
    # urgent and overdue first; management on the statistics; others on a page saying
    # their roles.
    landing = client.get(reverse("staff-home"))
    assert landing["Location"] == reverse("cases:dossier-list") + "?assignee=me&sort=attention"
    page = client.get(landing["Location"])
    assert page.status_code == 200
    assert 'href="/staff/dossiers/?assignee=me&amp;sort=attention" aria-current="page"' in (
        page.content.decode()
    )
    client.force_login(users["coordinator"])
    landing = client.get(reverse("staff-home"))
    assert landing["Location"] == reverse("cases:dossier-list") + "?sort=attention"
    client.force_login(users["management"])
    landing = client.get(reverse("staff-home"))
    assert landing["Location"] == reverse("reporting:statistics")
    assert client.get(landing["Location"]).status_code == 200
    client.force_login(users["admin"])
    assert client.get(reverse("staff-home")).status_code == 200


def test_staff_home_needs_a_login(client):
    response = client.get(reverse("staff-home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_health_check(client):
    response = client.get("/healthz")
    assert response.json() == {"status": "ok"}


def test_the_containers_probe_passes_under_production_host_and_https_rules(client, settings):
    settings.ALLOWED_HOSTS = ["cases.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    probe = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert probe.status_code == 200
    # Everything else still gets host validation.
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_argon2_is_the_password_hasher_outside_tests():
    from django.conf import settings as real_settings  # noqa: F401

    import institute.settings as module

    assert module.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_public_pages_are_compressed_and_staff_pages_never(client, users):
    import gzip

    public = client.get("/fr/report/", HTTP_ACCEPT_ENCODING="gzip")
    assert public["Content-Encoding"] == "gzip"
    html = gzip.decompress(public.content).decode()
    assert "data-report-form" in html and len(public.content) < len(html) / 3
    client.force_login(users["coordinator"])
    staff = client.get("/staff/dossiers/", HTTP_ACCEPT_ENCODING="gzip")
    assert staff.status_code == 200 and not staff.has_header("Content-Encoding")
