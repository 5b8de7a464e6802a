"""Changing a second factor, passkeys at the server, and the sign-in's quieter edges:
what django-axes stores, how long a lockout takes to answer, who is "signed in now",
and a refused admin."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import get_hasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp_webauthn.models import WebAuthnCredential

from institute.models import SecurityEvent, SecurityEventKind, StaffSession
from institute.passkeys import PASSKEY_FAILED
from institute.signin import SIGN_IN_REFUSED, new_recovery_codes
from institute.staffing import second_factors_reset
from tests.conftest import current_code
from tests.institute.test_signin import _change_password, _code, _password, _refused, _sign_in

pytestmark = pytest.mark.django_db


def _passkey(user, **fields) -> WebAuthnCredential:
    """A stored passkey (its public key is never used by these tests)."""
    return WebAuthnCredential.objects.create(
        user=user,
        name="passkey",
        confirmed=True,
        credential_id=fields.pop("credential_id", b"credential-1"),
        public_key=b"not-a-real-key",
        sign_count=0,
        **fields,
    )


def _json_post(client, name, body=None, **extra):
    return client.post(
        reverse(name), data=json.dumps(body or {}), content_type="application/json", **extra
    )


# --- Changing a second factor asks for a recent second step ---------------------------


def test_changing_a_factor_asks_for_the_second_step_again_after_ten_minutes(users, settings):
    coordinator = users["coordinator"]
    client = Client()
    _sign_in(client, coordinator)
    passkey = _passkey(coordinator)
    page = client.get(reverse("staff-security")).content.decode()
    assert "data-needs-confirmation" not in page
    assert reverse("staff-passkey-remove", args=[passkey.pk]) in page

    with time_machine.travel(
        timezone.now() + timedelta(minutes=settings.STAFF_RECHECK_MINUTES + 1)
    ):
        page = client.get(reverse("staff-security")).content.decode()
        assert "data-needs-confirmation" in page
        assert reverse("staff-passkey-remove", args=[passkey.pk]) not in page

        before = set(StaticToken.objects.values_list("token", flat=True))
        renew = client.post(reverse("staff-recovery-codes"))
        assert renew.status_code == 302
        assert renew["Location"].startswith(reverse("staff-verify"))
        assert set(StaticToken.objects.values_list("token", flat=True)) == before

        move = client.get(reverse("staff-enrol"))
        assert move["Location"].startswith(reverse("staff-verify"))
        remove = client.post(reverse("staff-passkey-remove", args=[passkey.pk]))
        assert remove["Location"].startswith(reverse("staff-verify"))
        assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
        add = _json_post(client, "otp_webauthn:credential-registration-begin")
        assert add.status_code == 403
        assert add.json()["code"] == "recheck_needed"

        # The verify page asks for a code, and then the change goes through.
        confirm = client.get(reverse("staff-verify"))
        assert confirm.status_code == 200
        assert "data-confirming" in confirm.content.decode()
        assert _code(client, current_code(coordinator)).status_code == 302
        assert client.post(reverse("staff-recovery-codes")).status_code == 200
        assert set(StaticToken.objects.values_list("token", flat=True)).isdisjoint(before)
        assert _json_post(client, "otp_webauthn:credential-registration-begin").status_code == 200


def test_a_wrong_code_when_confirming_counts_towards_the_lockout(users, settings):
    coordinator = users["coordinator"]
    client = Client()
    _sign_in(client, coordinator)
    with time_machine.travel(
        timezone.now() + timedelta(minutes=settings.STAFF_RECHECK_MINUTES + 1)
    ):
        for _ in range(settings.SIGN_IN_FAILURE_LIMIT - 1):
            assert _code(client, "000000").status_code == 400
        assert _refused(_code(client, "000000"))
        assert client.get("/staff/dossiers/").status_code == 302  # signed out


def test_removing_a_passkey_is_logged_and_signs_out_elsewhere(users):
    coordinator = users["coordinator"]
    elsewhere, client = Client(), Client()
    _sign_in(elsewhere, coordinator, address="192.0.2.20")
    # A code is good once: the second sign-in waits for the app's next code.
    time_machine.travel(timezone.now() + timedelta(seconds=31), tick=True).start()
    _sign_in(client, coordinator)
    passkey = _passkey(coordinator)
    someone_elses = _passkey(users["caseworker"], credential_id=b"credential-2")

    assert client.post(reverse("staff-passkey-remove", args=[someone_elses.pk])).status_code == 302
    assert WebAuthnCredential.objects.filter(pk=someone_elses.pk).exists()
    assert client.post(reverse("staff-passkey-remove", args=[passkey.pk])).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.FACTOR_REMOVED, user=coordinator, detail="passkey"
    ).exists()
    assert elsewhere.get("/staff/dossiers/").status_code == 302
    assert client.get("/staff/dossiers/").status_code == 200


# --- Passkeys at the server -----------------------------------------------------------


def test_a_passkey_is_never_the_first_step(client, users):
    _passkey(users["coordinator"])
    begin = _json_post(client, "otp_webauthn:credential-authentication-begin")
    assert begin.status_code == 403
    assert "challenge" not in begin.json()


def test_a_password_alone_can_start_a_passkey_check_but_not_add_one(users):
    coordinator = users["coordinator"]
    _passkey(coordinator)
    client = Client()
    assert _password(client).status_code == 302
    page = client.get(reverse("staff-verify")).content.decode()
    assert 'id="passkey-verification-button"' in page
    begin = _json_post(client, "otp_webauthn:credential-authentication-begin")
    assert begin.status_code == 200
    options = begin.json()
    assert options["challenge"]
    assert [c["id"] for c in options["allowCredentials"]] == ["Y3JlZGVudGlhbC0x"]
    add = _json_post(client, "otp_webauthn:credential-registration-begin")
    assert add.status_code == 302  # to the second step, as every staff page
    assert client.get("/staff/dossiers/").status_code == 302


def test_a_failed_passkey_counts_like_a_wrong_code_and_locks_out(users, settings):
    coordinator = users["coordinator"]
    _passkey(coordinator)
    client = Client()
    assert _password(client).status_code == 302
    forged = {
        "id": "Y3JlZGVudGlhbC0x",
        "rawId": "Y3JlZGVudGlhbC0x",
        "type": "public-key",
        "response": {
            "clientDataJSON": "e30",
            "authenticatorData": "AAAA",
            "signature": "AAAA",
            "userHandle": None,
        },
    }
    for _ in range(settings.SIGN_IN_FAILURE_LIMIT - 1):
        assert _json_post(client, "otp_webauthn:credential-authentication-begin").status_code == 200
        answer = _json_post(client, "otp_webauthn:credential-authentication-complete", forged)
        assert answer.status_code in (400, 422)
        assert answer.json()["detail"] == str(PASSKEY_FAILED)
    assert client.get("/staff/dossiers/").status_code == 302
    assert _json_post(client, "otp_webauthn:credential-authentication-begin").status_code == 200
    last = _json_post(client, "otp_webauthn:credential-authentication-complete", forged)
    assert last.status_code == 403
    assert last.json()["detail"] == str(SIGN_IN_REFUSED)
    assert (
        SecurityEvent.objects.filter(
            kind=SecurityEventKind.SECOND_FACTOR_FAILED, user=coordinator
        ).count()
        == settings.SIGN_IN_FAILURE_LIMIT
    )
    # Locked out and signed out: even the right password is refused for now.
    assert _refused(_password(client))


def test_a_passkey_check_after_the_state_was_used_is_refused(users):
    """The challenge is taken from the session when used: a replay finds none."""
    _passkey(users["coordinator"])
    client = Client()
    assert _password(client).status_code == 302
    assert _json_post(client, "otp_webauthn:credential-authentication-begin").status_code == 200
    first = _json_post(client, "otp_webauthn:credential-authentication-complete", {"id": "x"})
    second = _json_post(client, "otp_webauthn:credential-authentication-complete", {"id": "x"})
    assert first.status_code >= 400
    assert second.status_code == 400
    assert second.json()["detail"] == str(PASSKEY_FAILED)


def test_a_factor_reset_removes_passkeys_too(users):
    coordinator = users["coordinator"]
    _passkey(coordinator)
    second_factors_reset(user=coordinator, by=users["admin"])
    assert not WebAuthnCredential.objects.filter(user=coordinator).exists()


def test_passkeys_are_not_in_the_admin(users):
    admin = Client()
    _sign_in(admin, users["admin"])
    assert admin.get("/admin/").status_code == 200
    assert admin.get("/admin/django_otp_webauthn/webauthncredential/").status_code == 404


# --- Recovery codes are not slowed down by mistyped authenticator codes ----------------


def test_wrong_authenticator_codes_do_not_hold_up_a_recovery_code(users):
    coordinator = users["coordinator"]
    recovery = new_recovery_codes(coordinator)[0]
    client = Client()
    assert _password(client).status_code == 302
    for _ in range(3):
        assert _code(client, "000000").status_code == 400
    assert _code(client, recovery).status_code == 302
    assert client.get("/staff/dossiers/").status_code == 200


# --- What django-axes keeps, and how a lockout answers --------------------------------


def test_django_axes_never_stores_an_address_in_clear(users):
    client = Client()
    _password(client, password="wrong", address="203.0.113.7")
    _password(client, password="wrong", address="2001:db8:1:2::5")
    _password(client, password="wrong", address="2001:db8:1:2:ffff::9")
    stored = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert len(stored) == 2  # one IPv4 address, one IPv6 /64
    assert not stored & {"203.0.113.7", "2001:db8:1:2::5", "2001:db8:1:2::", "2001:db8:1:2:ffff::9"}
    assert all(":" in address for address in stored)


def test_a_locked_out_password_is_hashed_like_a_wrong_one(users, settings, monkeypatch):
    """A lockout answers after the same work as a wrong password, so its timing does not
    tell it apart."""
    hasher = type(get_hasher())
    encode = hasher.encode
    hashed = []

    def counting(self, password, salt, *args, **kwargs):
        hashed.append(password)
        return encode(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(hasher, "encode", counting)
    _password(Client(), password="wrong")
    per_wrong_password = len(hashed)
    assert per_wrong_password >= 1
    for _ in range(settings.SIGN_IN_FAILURE_LIMIT - 1):
        _password(Client(), password="wrong")
    hashed.clear()
    assert _refused(_password(Client()))  # locked out: the right password is refused
    assert len(hashed) == per_wrong_password


# --- "Signed in now", and a refused admin ---------------------------------------------


def test_signed_in_now_leaves_out_browsers_idle_past_the_limit(users, settings):
    coordinator, caseworker = users["coordinator"], users["caseworker"]
    _sign_in(Client(), caseworker, address="192.0.2.30")
    StaffSession.objects.filter(user=caseworker).update(
        last_seen=timezone.now() - timedelta(minutes=settings.STAFF_IDLE_MINUTES + 1)
    )
    present = Client()
    _sign_in(present, users["management"], address="192.0.2.31")
    client = Client()
    _sign_in(client, coordinator)
    page = client.get(reverse("staff-roles")).content.decode()
    assert f'data-session-user="{coordinator.get_username()}"' in page
    assert f'data-session-user="{users["management"].get_username()}"' in page
    assert f'data-session-user="{caseworker.get_username()}"' not in page


def test_a_session_records_when_it_was_last_seen(users):
    client = Client()
    _sign_in(client, users["coordinator"])
    row = StaffSession.objects.get(user=users["coordinator"])
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later):
        assert client.get("/staff/dossiers/").status_code == 200
    row.refresh_from_db()
    assert abs(row.last_seen - later) < timedelta(seconds=5)


def test_a_staff_member_opening_the_admin_is_refused_and_logged(users):
    client = Client()
    _sign_in(client, users["caseworker"])
    assert client.get("/admin/", follow=True).status_code == 403
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.ACCESS_REFUSED, user=users["caseworker"], detail="admin"
    ).exists()


# --- Found by an attacker-minded review ------------------------------------------------


def test_after_a_password_change_the_session_can_still_be_ended(users):
    coordinator, worker = users["coordinator"], users["caseworker"]
    desk = Client()
    _sign_in(desk, worker)
    new = "a much longer passphrase 2026"
    changed = _change_password(desk, new)
    assert changed.status_code == 302
    assert desk.get("/staff/dossiers/").status_code == 200
    coordinators = Client()
    coordinators.force_login(coordinator)
    page = coordinators.get(reverse("staff-roles")).content.decode()
    assert f'data-session-user="{worker.get_username()}"' in page
    coordinators.post(reverse("staff-roles"), {"end_sessions": worker.pk})
    assert desk.get("/staff/dossiers/").status_code == 302


def test_the_admin_password_change_page_leads_to_the_staff_one(users):
    admin = Client()
    _sign_in(admin, users["admin"])
    response = admin.get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff-password")


def test_django_axes_keeps_no_username_typed_and_no_browser(users, caplog):
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Firefox/140.0")
    with caplog.at_level("INFO"):
        _password(client, username="Sup3r-Secret-pw!", password="wrong")
        _sign_in(Client(), users["caseworker"], address="192.0.2.40")
    attempt = AccessAttempt.objects.get()
    stored = " ".join(
        str(value) for value in AccessAttempt.objects.values().get().values() if value
    )
    assert "Sup3r-Secret-pw!" not in stored
    assert "Firefox" not in stored and attempt.user_agent == ""
    assert "Sup3r-Secret-pw!" not in caplog.text
    assert 'username: "caseworker"' not in caplog.text and "caseworker," not in caplog.text


def test_signing_in_over_a_signed_in_session_starts_afresh(users):
    coordinator, worker = users["coordinator"], users["caseworker"]
    client = Client()
    _sign_in(client, coordinator)
    assert _password(client, worker.get_username()).status_code == 302
    # The new account is at its password step: nothing opens before its second step.
    assert client.get("/staff/dossiers/").status_code == 302
    assert client.get(reverse("staff-verify")).status_code == 200
    assert StaffSession.objects.filter(user=worker).count() == 1
    assert not StaffSession.objects.filter(user=coordinator).exists()
    # The same account entering its password again starts again too.
    again = Client()
    _sign_in(again, worker, address="192.0.2.41")
    assert _password(again, worker.get_username(), address="192.0.2.41").status_code == 302
    assert again.get("/staff/dossiers/").status_code == 302


def test_a_lockout_has_the_headers_of_a_wrong_password(users, settings):
    wrong = _password(Client(), password="wrong")
    for _ in range(settings.SIGN_IN_FAILURE_LIMIT):
        _password(Client(), password="wrong")
    locked = _password(Client())
    assert _refused(locked) and _refused(wrong)
    assert locked.status_code == wrong.status_code
    assert sorted(locked.headers) == sorted(wrong.headers)
    assert locked["Cache-Control"] == wrong["Cache-Control"]
