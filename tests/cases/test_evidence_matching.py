"""The same image across dossiers: found through re-encoding, resizing and small crops,
never between different pictures; told to coordinators once; shown by reference only to
those who may see the other dossier; erased with the files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.choices import NotificationKind, Status
from cases.matching import match_pending
from cases.models import Dossier, Evidence, EvidenceMatch, OutboxMessage
from cases.retention import dossier_anonymise
from cases.services import dossier_assign, evidence_attach
from cases.storage import files_removed_on_failure
from tests.factories import DossierFactory
from tests.intake.conftest import PDF
from tests.pictures import cropped, encoded, picture

pytestmark = pytest.mark.django_db

# What a re-upload of the same picture looks like (tests.pictures.picture, 640 by 480).
VARIANTS = {
    "JPEG quality 60": lambda image: encoded(image, quality=60),
    "half size": lambda image: encoded(image.resize((320, 240)), quality=95),
    "5 % cut at one edge": lambda image: encoded(cropped(image, right=0.05), quality=90),
    "5 % cut at the top": lambda image: encoded(cropped(image, top=0.05), quality=90),
    "2.5 % cut all round": lambda image: encoded(
        cropped(image, 0.025, 0.025, 0.025, 0.025), quality=90
    ),
}


def _report_with(*files: bytes, **fields) -> Dossier:
    dossier = DossierFactory(received_at=timezone.now(), **fields)
    with files_removed_on_failure() as saved:
        evidence_attach(
            dossier=dossier,
            uploads=[SimpleUploadedFile(f"file-{n}", content) for n, content in enumerate(files)],
            saved=saved,
        )
    return dossier


def _matched_dossiers(dossier: Dossier) -> set[int]:
    return set(
        EvidenceMatch.objects.filter(evidence__dossier=dossier).values_list(
            "other__dossier_id", flat=True
        )
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_same_picture_is_found_through_re_encoding_resizing_and_cropping(variant):
    pictures = [picture(seed) for seed in range(100, 106)]
    originals = [_report_with(encoded(image, quality=95)) for image in pictures]
    copies = [_report_with(VARIANTS[variant](image)) for image in pictures]
    match_pending()
    for original, copy in zip(originals, copies, strict=True):
        assert _matched_dossiers(copy) == {original.pk}, variant
        assert _matched_dossiers(original) == {copy.pk}, variant


def test_different_pictures_never_match():
    for seed in range(200, 240):
        _report_with(encoded(picture(seed), quality=85))
    match_pending()
    assert not EvidenceMatch.objects.exists()


def test_the_very_same_file_matches_by_sha256_even_when_it_is_no_picture():
    first, second = _report_with(PDF), _report_with(PDF)
    match_pending()
    match = EvidenceMatch.objects.get(evidence__dossier=second)
    assert (match.other.dossier_id, match.identical) == (first.pk, True)


def test_files_of_one_dossier_are_not_matches_of_each_other():
    image = picture(7)
    _report_with(encoded(image, quality=95), encoded(image, quality=60))
    match_pending()
    assert not EvidenceMatch.objects.exists()


def test_coordinators_are_told_once_and_never_about_a_surge(users):
    image = picture(8)
    first = _report_with(encoded(image, quality=95))
    match_pending()
    second = _report_with(encoded(image, quality=70), encoded(image, quality=60))
    match_pending()
    match_pending()  # a second sweep finds nothing new to say
    alerts = OutboxMessage.objects.filter(kind=NotificationKind.SAME_IMAGE)
    assert [a.dossier_id for a in alerts] == [second.pk]  # one coordinator, one alert
    assert alerts.get().recipient == users["coordinator"].email
    assert _matched_dossiers(first) == {second.pk}

    _report_with(encoded(image, quality=80), received_in_surge=True)
    match_pending()
    assert alerts.count() == 1


def test_matching_runs_after_the_commit_that_stores_the_files(
    users, django_capture_on_commit_callbacks
):
    image = picture(9)
    with django_capture_on_commit_callbacks(execute=True):
        first = _report_with(encoded(image, quality=95))
    with django_capture_on_commit_callbacks(execute=True):
        second = _report_with(encoded(image, quality=60))
    assert _matched_dossiers(second) == {first.pk}
    assert OutboxMessage.objects.filter(kind=NotificationKind.SAME_IMAGE).count() == 1


def test_the_other_reference_shows_only_to_those_who_may_see_that_dossier(client, users):
    image = picture(10)
    first = _report_with(encoded(image, quality=95))
    second = _report_with(encoded(image, quality=60))
    match_pending()
    dossier_assign(dossier_id=second.pk, to=users["caseworker"])
    dossier_assign(dossier_id=first.pk, to=users["caseworker2"])

    client.force_login(users["coordinator"])
    page = client.get(reverse("cases:dossier-detail", args=[second.pk])).content.decode()
    assert first.reference in page
    assert reverse("cases:dossier-detail", args=[first.pk]) in page

    client.force_login(users["caseworker"])
    page = client.get(reverse("cases:dossier-detail", args=[second.pk])).content.decode()
    assert "data-elsewhere" in page
    assert first.reference not in page
    assert reverse("cases:dossier-detail", args=[first.pk]) not in page


def test_retention_erases_the_matches_with_the_files():
    image = picture(11)
    first = _report_with(encoded(image, quality=95))
    second = _report_with(encoded(image, quality=60))
    match_pending()
    Dossier.objects.filter(pk=first.pk).update(
        status=Status.CLOSED, closure_reason="resolved", closed_at=timezone.now()
    )
    dossier_anonymise(first)
    assert not EvidenceMatch.objects.exists()
    assert _matched_dossiers(second) == set()


def test_a_file_sent_again_and_again_keeps_a_bounded_number_of_matches():
    """Thirty reports of the same file: each file names at most MATCHES_PER_FILE other
    dossiers, so the rows grow with the copies, not with their square."""
    from cases.matching import MATCHES_PER_FILE

    image = encoded(picture(12), quality=90)
    for _ in range(MATCHES_PER_FILE + 5):
        _report_with(image, image)  # two copies in each report
        match_pending(alert=False)
    counts = [EvidenceMatch.objects.filter(evidence=e).count() for e in Evidence.objects.all()]
    assert max(counts) == MATCHES_PER_FILE
    assert EvidenceMatch.objects.count() <= len(counts) * MATCHES_PER_FILE
    # Each file names dossiers, not files: one line per other dossier.
    for evidence in Evidence.objects.all():
        others = EvidenceMatch.objects.filter(evidence=evidence).values_list(
            "other__dossier_id", flat=True
        )
        assert len(others) == len(set(others))
