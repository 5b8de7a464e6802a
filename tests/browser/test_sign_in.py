"""A new staff account in a real browser: password, setting up the authenticator from
the enrolment page's key, recovery codes, sign out, and back in with password and code."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.oath import totp

from institute.models import SecurityEvent, SecurityEventKind
from institute.roles import Role
from tests.browser.conftest import accessibility_violations
from tests.helpers import enter_password, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and private passphrase 2026"


def _code(secret: str, *, ahead: int = 0) -> str:
    """What an authenticator app shows for ``secret`` (as the page prints it), now or
    ``ahead`` periods later."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, t0=0, step=30, drift=ahead):06d}"


def test_a_new_account_enrols_signs_out_and_signs_in_with_a_code(desk, live_server, users):
    newcomer = get_user_model().objects.create_user("newcomer", password=PASSWORD)
    newcomer.groups.add(Group.objects.get(name=Role.CASE_WORKER))
    page = desk.page
    base = live_server.url

    page.goto(f"{base}/staff/login/")
    assert accessibility_violations(page) == []
    enter_password(page, base, "newcomer", PASSWORD)
    assert "/staff/security/enrol/" in page.url
    assert accessibility_violations(page) == []
    # The QR code is drawn by the site itself and loads under the CSP.
    assert page.evaluate("document.querySelector('[data-enrol-qr]').naturalWidth") > 0
    secret = page.text_content("[data-enrol-secret]").strip()
    page.fill("#id_code", _code(secret))
    with page.expect_navigation():
        page.click("form[data-form=enrol] button[type=submit]")
    codes = page.locator("[data-recovery-codes] li").all_text_contents()
    assert len(codes) == 10
    assert accessibility_violations(page) == []
    with page.expect_navigation():
        page.click("text=I have kept them: continue")
    assert "/staff/dossiers/" in page.url

    with page.expect_navigation():
        page.click("nav form[action='/staff/logout/'] button")
    page.goto(f"{base}/staff/dossiers/")
    assert "/staff/login/" in page.url

    enter_password(page, base, "newcomer", PASSWORD)
    assert "/staff/security/verify/" in page.url
    assert accessibility_violations(page) == []
    # A code is good once: the app's next one.
    page.fill("#id_code", _code(secret, ahead=1))
    with page.expect_navigation():
        page.click("form[data-form=verify] button[type=submit]")
    assert "/staff/dossiers/" in page.url
    assert page.locator("h1").first.text_content().strip()
    assert desk.foreign_requests == [] and desk.errors == []


def test_the_security_and_roles_pages_pass_axe(desk, live_server, users):
    from institute.models import RoleRequest

    RoleRequest.objects.create(user=users["caseworker2"], role=Role.COORDINATOR)
    staff_log_in(desk, "coordinator")
    for path in ("/staff/security/", "/staff/security/password/", "/staff/roles/"):
        desk.page.goto(live_server.url + path)
        assert accessibility_violations(desk.page) == [], path
    # A form sent back with its errors, too.
    desk.page.goto(live_server.url + "/staff/security/password/")
    with desk.page.expect_navigation():
        desk.page.click("form[data-form=password] button[type=submit]")
    assert accessibility_violations(desk.page) == []
    assert desk.foreign_requests == [] and desk.errors == []


def _virtual_authenticator(desk, live_server, settings, *, touched: bool = True):
    """Chromium's virtual authenticator in the desk's tab; ``touched=False``: a key that
    waits for a touch that never comes."""
    settings.OTP_WEBAUTHN_RP_ID = urlsplit(live_server.url).hostname
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    devtools = desk.context.new_cdp_session(desk.page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": touched,
            }
        },
    )


def test_a_passkey_added_on_the_security_page_is_the_second_step_next_time(
    desk, live_server, users, settings
):
    """Chromium's virtual authenticator stands in for a security key or a phone."""
    page = desk.page
    base = live_server.url
    _virtual_authenticator(desk, live_server, settings)
    staff_log_in(desk, "coordinator")
    page.goto(f"{base}/staff/security/")
    assert page.locator("[data-passkeys] li").count() == 0
    assert accessibility_violations(page) == []
    with page.expect_navigation():  # added: the page shows itself again, with the passkey
        page.click("#passkey-register-button")
    assert page.locator("[data-passkeys] li").count() == 1
    assert "Your passkey has been added" in page.text_content("main")
    assert accessibility_violations(page) == []

    with page.expect_navigation():
        page.click("nav form[action='/staff/logout/'] button")
    enter_password(page, base, "coordinator")
    assert "/staff/security/verify/" in page.url
    page.wait_for_selector("#passkey-verification-button")
    assert accessibility_violations(page) == []
    with page.expect_navigation():
        page.click("#passkey-verification-button")
    assert "/staff/security/verify/" not in page.url and "/staff/login/" not in page.url
    page.goto(f"{base}/staff/dossiers/")
    assert "/staff/dossiers/" in page.url
    assert (
        SecurityEvent.objects.filter(
            kind=SecurityEventKind.SIGNED_IN, user=users["coordinator"]
        ).count()
        == 2
    )
    assert desk.foreign_requests == [] and desk.errors == []


def test_waiting_for_a_key_is_said_and_keeps_the_keyboard_focus(desk, live_server, users, settings):
    _virtual_authenticator(desk, live_server, settings, touched=False)
    staff_log_in(desk, "coordinator")
    page = desk.page
    page.goto(f"{live_server.url}/staff/security/")
    page.focus("#passkey-register-button")
    page.keyboard.press("Enter")
    status = page.locator("#passkey-register-status-message")
    status.wait_for()
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'passkey-register-status-message'"
    )
    assert status.text_content().strip() == status.get_attribute("data-waiting")
    assert status.get_attribute("role") == "status"
    assert accessibility_violations(page) == []


def test_each_remove_button_says_which_passkey_it_removes(desk, live_server, users, settings):
    from django_otp_webauthn.models import WebAuthnCredential

    for n in (1, 2):
        WebAuthnCredential.objects.create(
            user=users["coordinator"],
            name="passkey",
            confirmed=True,
            credential_id=f"credential-{n}".encode(),
            public_key=b"-",
            sign_count=0,
        )
    staff_log_in(desk, "coordinator")
    page = desk.page
    page.goto(f"{live_server.url}/staff/security/")
    names = [
        button.evaluate("b => b.textContent.trim()")
        for button in page.locator("[data-passkeys] button").all()
    ]
    assert names == ["Remove passkey 1", "Remove passkey 2"]
    described = page.locator("[data-passkeys] button").first.get_attribute("aria-describedby")
    assert page.locator(f"#{described}").text_content().strip().startswith("Passkey 1:")
    assert accessibility_violations(page) == []
