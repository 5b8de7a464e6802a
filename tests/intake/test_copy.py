"""The reporter's copy of what they sent: their answers, addresses, files (name, size,
SHA-256; never the file), the messages both ways; never a staff note."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from cases import receipts
from cases.services import dossier_message_reporter, dossier_note_add, reporter_followup_add
from tests.factories import DossierFactory, location
from tests.helpers import PHOTO_PNG

pytestmark = pytest.mark.django_db


def _url(name: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name)


@pytest.fixture
def reported(users):
    code = receipts.receipt_code_for(receipts.new_submission_token())
    dossier = DossierFactory(
        receipt_hash=receipts.receipt_hash(code),
        received_at=timezone.now(),
        description="He sent them to <b>my class</b>",
        reporter_email="lotte@example.invalid",
        form_sextortion=True,
        locations=[location(url="https://leak.example/p/1", platform_name="PicShare")],
        assignee=users["caseworker"],
    )
    reporter_followup_add(
        dossier_id=dossier.pk,
        message="Here is the screenshot",
        location=None,
        uploads=[SimpleUploadedFile("screen.png", PHOTO_PNG)],
    )
    dossier_message_reporter(dossier_id=dossier.pk, text="We asked PicShare to remove them.")
    dossier_note_add(dossier_id=dossier.pk, text="Staff only: the author is her ex")
    return dossier, receipts.display(code)


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_copy_holds_what_the_reporter_sent_and_no_staff_note(client, reported, language):
    _dossier, code = reported
    client.post(_url("intake:followup-start", language), {"code": code})
    assert (
        _url("intake:followup-copy", language)
        in client.get(_url("intake:followup", language)).content.decode()
    )
    response = client.get(_url("intake:followup-copy", language))
    assert response.status_code == 200
    page = response.content.decode()
    with translation.override(language):
        assert escape(gettext("A copy of what you sent")) in page
        assert escape(gettext("Tell us briefly what happened")) in page  # the form's words
    assert "He sent them to &lt;b&gt;my class&lt;/b&gt;" in page  # text, never markup
    assert "lotte@example.invalid" in page
    assert "https://leak.example/p/1" in page and "PicShare" in page
    assert "screen.png" in page and hashlib.sha256(PHOTO_PNG).hexdigest() in page
    assert "Here is the screenshot" in page and "We asked PicShare to remove them." in page
    assert "Staff only" not in page and "her ex" not in page
    assert "/files/" not in page  # no way to the files themselves
    assert "no-store" in response["Cache-Control"]


def test_without_a_follow_up_open_there_is_no_copy(client, reported):
    response = client.get(_url("intake:followup-copy"))
    assert response["Location"] == _url("intake:followup-start")
