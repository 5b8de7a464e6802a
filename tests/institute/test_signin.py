"""Staff sign-in: the second factor, lockout, session limits, own password, security log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from institute.demo import DEMO_PASSWORD
from institute.models import SecurityEvent, SecurityEventKind
from institute.signin import SIGN_IN_REFUSED
from tests.conftest import current_code

pytestmark = pytest.mark.django_db

PROTECTED = [
    "/staff/",
    "/staff/dossiers/",
    "/staff/dossiers/takedowns/",
    "/staff/statistics/",
    "/staff/security/",
    "/admin/",
    "/admin/cases/dossier/",
]


def _password(client, username="coordinator", password=DEMO_PASSWORD, address="192.0.2.10"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _code(client, code, address="192.0.2.10"):
    return client.post(reverse("staff-verify"), {"code": code}, REMOTE_ADDR=address)


def _sign_in(client, user, address="192.0.2.10"):
    assert _password(client, user.get_username(), address=address).status_code == 302
    assert _code(client, current_code(user), address=address).status_code == 302


def _change_password(client, new: str, old: str = DEMO_PASSWORD):
    return client.post(
        reverse("staff-password"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def _refused(response) -> bool:
    from django.utils.html import escape

    return escape(str(SIGN_IN_REFUSED)) in response.content.decode()


@pytest.mark.parametrize("url", PROTECTED)
def test_a_password_alone_opens_no_staff_or_admin_page(client, users, url):
    users["coordinator"].is_staff = True
    users["coordinator"].save()
    assert _password(client).status_code == 302
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff-verify"))


def test_password_and_code_open_the_staff_pages_and_a_code_works_once(users):
    coordinator = users["coordinator"]
    client = Client()
    assert _password(client)["Location"].startswith(reverse("staff-verify"))
    code = current_code(coordinator)
    assert _code(client, code).status_code == 302
    assert client.get("/staff/dossiers/").status_code == 200
    admin = Client()
    _sign_in(admin, users["admin"])
    assert admin.get("/admin/").status_code == 200

    again = Client()
    assert _password(again).status_code == 302
    reused = _code(again, code)
    assert reused.status_code == 400
    assert again.get("/staff/dossiers/").status_code == 302


def test_a_recovery_code_works_once(users):
    coordinator = users["coordinator"]
    client = Client()
    _sign_in(client, coordinator)
    page = client.post(reverse("staff-recovery-codes"))
    codes = page.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10

    first = Client()
    assert _password(first).status_code == 302
    assert _code(first, codes[0].upper()).status_code == 302
    assert first.get("/staff/dossiers/").status_code == 200
    assert StaticToken.objects.filter(device__user=coordinator).count() == 9

    second = Client()
    assert _password(second).status_code == 302
    assert _code(second, codes[0]).status_code == 400
    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {SecurityEventKind.RECOVERY_CODE_USED, SecurityEventKind.RECOVERY_CODES_RENEWED} <= kinds


def test_wrong_passwords_lock_the_account_until_the_cool_off_ends(users, settings):
    client = Client()
    wrong = _password(client, password="not-the-password")
    assert wrong.status_code == 200 and _refused(wrong)
    for _ in range(settings.SIGN_IN_FAILURE_LIMIT - 1):
        _password(client, password="not-the-password")
    # Locked: the right password, from another address too, reads like a wrong one.
    for address in ("192.0.2.10", "198.51.100.77"):
        locked = _password(Client(), address=address)
        assert locked.status_code == wrong.status_code
        assert _refused(locked)
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT).exists()

    with time_machine.travel(
        timezone.now() + timedelta(minutes=settings.SIGN_IN_COOLOFF_MINUTES + 1)
    ):
        fresh = Client()
        assert _password(fresh).status_code == 302
        assert _code(fresh, current_code(users["coordinator"])).status_code == 302


def test_failures_from_one_address_lock_that_address_for_every_account(users, settings):
    for n in range(settings.SIGN_IN_FAILURE_LIMIT):
        _password(Client(), username=f"nobody{n}", password="guess", address="203.0.113.5")
    assert _refused(_password(Client(), username="caseworker", address="203.0.113.5"))
    assert _password(Client(), username="caseworker", address="203.0.113.6").status_code == 302


def test_wrong_codes_count_too_and_lock_out(users, settings):
    coordinator = users["coordinator"]
    client = Client()
    assert _password(client).status_code == 302
    for _ in range(settings.SIGN_IN_FAILURE_LIMIT - 1):
        assert _code(client, "000000").status_code == 400
    last = _code(client, "000000")
    assert _refused(last)  # signed out, on the sign-in page
    again = Client()
    assert _refused(_password(again))
    assert again.get("/staff/dossiers/").status_code == 302
    failures = SecurityEvent.objects.filter(kind=SecurityEventKind.SECOND_FACTOR_FAILED)
    assert failures.count() == settings.SIGN_IN_FAILURE_LIMIT
    assert all(event.user == coordinator for event in failures)


def test_each_lockout_of_the_day_lasts_twice_as_long(users, settings):
    start = timezone.now()
    minutes = settings.SIGN_IN_COOLOFF_MINUTES
    for lockout, wait in enumerate([minutes, 2 * minutes]):
        moment = start + timedelta(minutes=3 * minutes * lockout)
        with time_machine.travel(moment):
            for _ in range(settings.SIGN_IN_FAILURE_LIMIT):
                _password(Client(), password="wrong")
        with time_machine.travel(moment + timedelta(minutes=wait - 1)):
            assert _refused(_password(Client())), lockout
        with time_machine.travel(moment + timedelta(minutes=wait + 1)):
            assert _password(Client()).status_code == 302, lockout


def test_an_idle_session_ends_after_31_minutes(users):
    client = Client()
    _sign_in(client, users["coordinator"])
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert client.get("/staff/dossiers/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 31)):
        response = client.get("/staff/dossiers/")
        assert response.status_code == 302
        assert response["Location"] == reverse("login") + "?expired=1"
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.SESSION_EXPIRED, detail="idle"
    ).exists()


def test_an_active_session_ends_after_8_hours(users):
    client = Client()
    start = timezone.now()
    _sign_in(client, users["coordinator"])
    for minutes in range(20, 8 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get("/staff/dossiers/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=8, minutes=1)):
        assert client.get("/staff/dossiers/").status_code == 302
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.SESSION_EXPIRED, detail="too_long"
    ).exists()


def test_changing_the_password_signs_out_everywhere_else(users):
    worker = users["caseworker"]
    phone, desk = Client(), Client()
    _sign_in(phone, worker)
    # A code is good once: the second sign-in waits for the app's next code.
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        _sign_in(desk, worker, address="192.0.2.11")
        new = "a much longer passphrase 2026"
        changed = _change_password(desk, new)
        assert changed.status_code == 302
        assert desk.get("/staff/dossiers/").status_code == 200
        assert phone.get("/staff/dossiers/").status_code == 302
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_CHANGED).count() == 1
    worker.refresh_from_db()
    assert worker.check_password(new)
    assert worker.password.startswith("argon2") or "md5" in worker.password  # test hasher


def test_a_weak_new_password_is_refused(users):
    client = Client()
    _sign_in(client, users["caseworker"])
    refused = client.post(
        reverse("staff-password"),
        {"old_password": DEMO_PASSWORD, "new_password1": "12345", "new_password2": "12345"},
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors["new_password2"]


def test_a_new_account_sets_up_its_second_step_before_anything_else(users):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    newcomer = get_user_model().objects.create_user("newcomer", password=DEMO_PASSWORD)
    client = Client()
    signed = _password(client, "newcomer")
    assert signed["Location"].startswith(reverse("staff-enrol"))
    assert client.get("/staff/dossiers/")["Location"].startswith(reverse("staff-verify"))
    page = client.get(reverse("staff-enrol"))
    assert page.status_code == 200
    qr = client.get(reverse("staff-enrol-qr"))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    assert page.context["secret"].replace(" ", "")  # shown for typing, too
    code = f"{totp(device.bin_key):06d}"
    done = client.post(reverse("staff-enrol"), {"code": code})
    assert done.status_code == 200
    assert len(done.context["codes"]) == 10
    assert client.get("/staff/").status_code == 200  # no role yet: the page says so
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.FACTOR_ENROLLED, user=newcomer
    ).exists()


def test_the_security_log_holds_no_secret(users):
    client = Client()
    _password(client, password="hunter2-secret-guess")
    _sign_in(client, users["coordinator"])
    client.post(reverse("logout"))
    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {
        SecurityEventKind.SIGN_IN_FAILED,
        SecurityEventKind.PASSWORD_ACCEPTED,
        SecurityEventKind.SIGNED_IN,
        SecurityEventKind.SIGNED_OUT,
    } <= kinds
    for event in SecurityEvent.objects.all():
        text = " ".join(
            str(value)
            for value in SecurityEvent.objects.filter(pk=event.pk).values().get().values()
        )
        assert "hunter2" not in text and DEMO_PASSWORD not in text
        assert "192.0.2.10" not in text
        assert len(event.address_hash) == 32


def test_refused_accesses_are_logged_and_shown_to_coordinators(users):
    from tests.factories import DossierFactory

    dossier = DossierFactory()
    dossier.assignee = users["caseworker2"]
    dossier.status = "in_progress"
    dossier.save()
    outsider = Client()
    outsider.force_login(users["caseworker"])
    assert outsider.get(reverse("cases:dossier-detail", args=[dossier.pk])).status_code == 404
    management = Client()
    management.force_login(users["management"])
    assert management.get(reverse("cases:dossier-detail", args=[dossier.pk])).status_code == 403

    refused = SecurityEvent.objects.filter(
        kind=SecurityEventKind.ACCESS_REFUSED, dossier_id=dossier.pk
    )
    assert {event.user for event in refused} == {users["caseworker"], users["management"]}
    coordinator = Client()
    coordinator.force_login(users["coordinator"])
    page = coordinator.get(reverse("cases:dossier-detail", args=[dossier.pk]))
    shown = page.context["refused_accesses"]
    assert {event.user for event in shown} == {users["caseworker"], users["management"]}
    # A case worker does not read them.
    worker = Client()
    worker.force_login(users["caseworker2"])
    assert (
        worker.get(reverse("cases:dossier-detail", args=[dossier.pk])).context["refused_accesses"]
        is None
    )


def test_a_deactivated_account_is_signed_out_at_its_next_request(users):
    worker = users["caseworker"]
    client = Client()
    _sign_in(client, worker)
    assert client.get("/staff/dossiers/").status_code == 200
    worker.is_active = False
    worker.save()
    assert client.get("/staff/dossiers/").status_code == 302


def test_a_url_prefix_does_not_skip_the_second_step(users):
    client = Client()
    assert _password(client).status_code == 302
    # A proxy (or a client a proxy trusts) may put a prefix in front of the path.
    response = client.get("/staff/dossiers/", SCRIPT_NAME="/x")
    assert response.status_code == 302
    assert "/staff/security/verify/" in response["Location"]


def test_a_password_alone_never_sees_a_key_someone_is_setting_up(users):
    worker = users["caseworker"]
    victim = Client()
    victim.force_login(worker)  # both steps: moving the authenticator to a new phone
    assert victim.get(reverse("staff-enrol")).status_code == 200
    assert victim.get(reverse("staff-enrol-qr")).status_code == 200
    attacker = Client()
    assert _password(attacker, "caseworker").status_code == 302
    assert attacker.get(reverse("staff-enrol-qr")).status_code == 404
    assert attacker.get(reverse("staff-enrol"))["Location"].startswith(reverse("staff-verify"))


def test_two_sessions_setting_up_one_account_get_their_own_keys(users):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    get_user_model().objects.create_user("newcomer", password=DEMO_PASSWORD)
    person, intruder = Client(), Client()
    for client in (person, intruder):
        assert _password(client, "newcomer")["Location"].startswith(reverse("staff-enrol"))
    mine = person.get(reverse("staff-enrol")).context["secret"]
    theirs = intruder.get(reverse("staff-enrol")).context["secret"]
    assert mine != theirs
    device = TOTPDevice.objects.get(pk=person.session["staff_enrolling_device"])
    assert (
        person.post(reverse("staff-enrol"), {"code": f"{totp(device.bin_key):06d}"}).status_code
        == 200
    )
    # The other session, still at its password step, is over, and its key is gone.
    assert intruder.get(reverse("staff-enrol"))["Location"].startswith(reverse("login"))
    assert list(TOTPDevice.objects.filter(user__username="newcomer")) == [device]


def test_the_admin_shows_no_session_key_and_roles_cannot_be_renamed(users):
    admin = Client()
    admin.force_login(users["admin"])
    assert admin.get("/admin/institute/staffsession/").status_code == 404
    group = Group.objects.get(name="coordinator")
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert admin.post(url, {"name": "renamed"}).status_code == 403
    assert admin.post(reverse("admin:auth_group_add"), {"name": "coordinator2"}).status_code == 403
    group.refresh_from_db()
    assert group.name == "coordinator"
