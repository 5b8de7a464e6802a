"""Second steps sent at the same moment take turns (PostgreSQL, where requests really
run side by side): a one-time code is accepted once, and no more wrong codes are tried
than the lockout allows."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp import oath

from institute.signin import new_recovery_codes
from tests.conftest import current_code
from tests.helpers import at_once
from tests.institute.test_signin import _code, _password

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SESSIONS = 6


def _password_step_sessions(count: int) -> list[Client]:
    sessions = []
    for n in range(count):
        client = Client()
        assert _password(client, address=f"192.0.2.{n + 1}").status_code == 302
        sessions.append(client)
    return sessions


def _signed_in(sessions: list[Client]) -> int:
    return sum(client.get("/staff/dossiers/").status_code == 200 for client in sessions)


def test_one_recovery_code_sent_by_several_sessions_at_once_opens_one(users):
    code = new_recovery_codes(users["coordinator"])[0]
    sessions = _password_step_sessions(SESSIONS)
    at_once(SESSIONS, lambda n: _code(sessions[n], code, address=f"192.0.2.{n + 1}"))
    assert _signed_in(sessions) == 1


def test_one_authenticator_code_sent_by_several_sessions_at_once_opens_one(users):
    sessions = _password_step_sessions(SESSIONS)
    code = current_code(users["coordinator"])
    at_once(SESSIONS, lambda n: _code(sessions[n], code, address=f"192.0.2.{n + 1}"))
    assert _signed_in(sessions) == 1


def test_wrong_codes_sent_at_once_are_tried_no_more_than_the_lockout_allows(
    users, settings, monkeypatch
):
    tried = []
    verify = oath.TOTP.verify

    def counting(self, token, *args, **kwargs):
        tried.append(token)
        return verify(self, token, *args, **kwargs)

    monkeypatch.setattr(oath.TOTP, "verify", counting)
    device = users["coordinator"].totpdevice_set.get()
    right = {f"{oath.totp(device.bin_key, drift=d):06d}" for d in (-1, 0, 1)}
    wrong = [code for code in (f"{n:06d}" for n in range(30)) if code not in right][:20]
    client = Client()
    assert _password(client).status_code == 302
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    def guess(n: int) -> int:
        same_session = Client()
        same_session.cookies[settings.SESSION_COOKIE_NAME] = cookie
        return _code(same_session, wrong[n]).status_code

    at_once(len(wrong), guess)
    assert 0 < len(tried) <= settings.SIGN_IN_FAILURE_LIMIT
