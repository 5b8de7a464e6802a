import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from cases import receipts
from cases.choices import Channel, ReporterType
from cases.models import Dossier, DossierEvent, Evidence, OutboxMessage, ReferenceCounter
from cases.services import report_submit
from tests.factories import location
from tests.helpers import PNG, at_once

pytestmark = pytest.mark.django_db


def _dossier() -> Dossier:
    dossier = Dossier(
        reporter_type=ReporterType.PERSON_CONCERNED,
        reporter_email="lotte@example.invalid",
        wants_acknowledgement=True,
        description="He sends my photos around in a group chat.",
    )
    dossier.forms_of_abuse = ["ncii"]
    return dossier


def _submit(token: str, uploads=(), **kwargs):
    return report_submit(
        dossier=_dossier(),
        locations=kwargs.pop("locations", [location()]),
        uploads=list(uploads),
        submission_token=token,
        language=kwargs.pop("language", "fr"),
    )


def _files_on_disk(settings) -> list:
    root = settings.PRIVATE_STORAGE_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_report_is_saved_whole(users, settings):
    token = receipts.new_submission_token()
    result = _submit(token, uploads=[SimpleUploadedFile("proof.png", PNG)])
    dossier = Dossier.objects.get()
    assert result.dossier == dossier and not result.repeated
    assert (dossier.channel, dossier.language) == (Channel.WEB, "fr")
    assert dossier.receipt_hash == receipts.receipt_hash(result.receipt_code)
    assert receipts.is_well_formed(result.receipt_code)
    assert dossier.locations.count() == 1
    assert dossier.evidence.get().original_name == "proof.png"
    assert DossierEvent.objects.filter(dossier=dossier, kind="created").count() == 1
    assert OutboxMessage.objects.filter(dossier=dossier).count() == 2  # alert + acknowledgement
    assert len(_files_on_disk(settings)) == 1


def test_posting_the_same_form_twice_saves_one_report_with_one_receipt(users):
    token = receipts.new_submission_token()
    first = _submit(token)
    second = _submit(token)
    assert second.repeated and second.dossier == first.dossier
    assert second.receipt_code == first.receipt_code
    assert Dossier.objects.count() == 1
    assert OutboxMessage.objects.count() == 2


def test_a_bad_file_leaves_nothing_behind(users, settings):
    token = receipts.new_submission_token()
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 64)
    with pytest.raises(ValidationError):
        _submit(token, uploads=[SimpleUploadedFile("ok.png", PNG), exe])
    assert not Dossier.objects.exists()
    assert not Evidence.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert _files_on_disk(settings) == []
    # The reference number was given back with the rollback.
    assert _submit(receipts.new_submission_token()).dossier.reference.endswith("-0001")


def test_a_failure_after_the_files_were_written_removes_them(users, settings, monkeypatch):
    from cases.services import receiving

    def broken_notification(**kwargs):
        raise RuntimeError("notification table unavailable")

    monkeypatch.setattr(receiving, "notify_new_report", broken_notification)
    with pytest.raises(RuntimeError):
        _submit(receipts.new_submission_token(), uploads=[SimpleUploadedFile("a.png", PNG)])
    assert not Dossier.objects.exists()
    assert _files_on_disk(settings) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_posts_of_the_same_form_save_one_report(users):
    token = receipts.new_submission_token()
    results = at_once(2, lambda n: _submit(token))
    assert Dossier.objects.count() == 1
    assert {r.receipt_code for r in results} == {receipts.receipt_code_for(token)}
    assert {r.dossier.pk for r in results} == {Dossier.objects.get().pk}
    assert OutboxMessage.objects.count() == 2
    assert ReferenceCounter.objects.get().last >= 1


# A report sent on Friday 4 December 2026 at 20:00 in Brussels: with two working days
# for first contact, someone reads it by Tuesday 8 December; an urgent one the same day.
FRIDAY_EVENING = "2026-12-04T20:00:00+01:00"
TUESDAY = {
    "nl": "dinsdag 8 december",
    "fr": "mardi 8 décembre",
    "de": "Dienstag, 8. Dezember",
    "en": "Tuesday 8 December",
}


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_receipt_says_by_when_someone_will_read_the_report(client, language, settings):
    import time_machine
    from django.urls import reverse
    from django.utils import translation

    from tests.intake.conftest import report_data

    settings.FIRST_CONTACT_WORKING_DAYS = 2
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        with translation.override(language):
            url = reverse("intake:report")
        normal = client.post(url, report_data(forms_of_abuse=["sextortion"]))
        page = normal.content.decode()
        assert 'data-read-by="2026-12-08"' in page
        assert TUESDAY[language] in page
        assert 'data-advice="sextortion"' in page and 'data-advice="ncii"' not in page
        assert "0800 12 800" in page
        urgent = client.post(url, report_data(person_minor_on_images="yes"))
        page = urgent.content.decode()
        assert 'data-read-by="2026-12-04"' in page
        assert 'data-advice="minor"' in page
    with translation.override(language):
        today = translation.gettext("Someone from our team will read your report today.")
    assert escape(today) in page
