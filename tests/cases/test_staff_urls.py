"""Every staff URL, for every persona: those allowed succeed, the others get 404 (a
dossier they may not see), 403 (a role without dossiers) or the login page, and no
answer to them carries anything personal."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.choices import AccessAction, LegalBasis, ReferralKind, TakedownMethod
from cases.models import AccessLogEntry, Dossier, Platform
from cases.services import (
    dossier_assign,
    dossier_triage,
    evidence_attach,
    referral_record,
    takedown_request_record,
)
from cases.storage import files_removed_on_failure
from tests.factories import DossierFactory, location
from tests.helpers import PHOTO_PNG as PNG
from tests.intake.conftest import report_data

pytestmark = pytest.mark.django_db

SECRETS = ["secret.reporter@example.invalid", "a private story", "leak.example", "Lotte"]


@pytest.fixture
def world(users):
    dossier = DossierFactory(
        received_at=timezone.now() - timedelta(days=3),
        receipt_hash="c" * 64,
        reporter_email="secret.reporter@example.invalid",
        description="a private story",
        locations=[location(url="https://leak.example/p/1")],
    )
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    with files_removed_on_failure() as saved:
        (evidence,) = evidence_attach(
            dossier=dossier,
            uploads=[SimpleUploadedFile("threat-from-Lotte.png", PNG, "image/png")],
            saved=saved,
        )
    takedown = takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Desk",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=timezone.now() - timedelta(days=2),
        notice_language="en",
    )
    Platform.objects.create(name="Listed", kind="social_media")
    referral = referral_record(
        dossier_id=dossier.pk, kind=ReferralKind.POLICE, referred_on=timezone.localdate()
    )
    return {
        "dossier": dossier,
        "evidence": evidence,
        "takedown": takedown,
        "referral": referral,
        "location": dossier.locations.get(),
    }


def _staff_report_post() -> dict:
    return report_data(
        channel="phone",
        received_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        language="fr",
        consent=None,
    )


# (name, method, url builder, post data builder, kind): kind "dossier" URLs belong to
# one dossier; "general" ones are lists and forms any handler may open.
URLS = [
    ("list", "get", lambda w: reverse("cases:dossier-list"), None, "general"),
    ("takedowns", "get", lambda w: reverse("cases:takedowns-due"), None, "general"),
    ("staff-report", "get", lambda w: reverse("cases:staff-report"), None, "general"),
    (
        "staff-report-post",
        "post",
        lambda w: reverse("cases:staff-report"),
        _staff_report_post,
        "general",
    ),
    (
        "detail",
        "get",
        lambda w: reverse("cases:dossier-detail", args=[w["dossier"].pk]),
        None,
        "dossier",
    ),
    (
        "details",
        "get",
        lambda w: reverse("cases:dossier-details", args=[w["dossier"].pk]),
        None,
        "dossier",
    ),
    (
        "details-post",
        "post",
        lambda w: reverse("cases:dossier-details", args=[w["dossier"].pk]),
        lambda: {
            "version": "VERSION",
            "form_ncii": "on",
            "priority": "normal",
            "channel": "web",
            "language": "fr",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "reporter_type": "person_concerned",
            "reporter_gender": "woman",
            "person_age_band": "unknown",
            "person_minor_on_images": "unknown",
            "person_gender": "not_given",
            "author_relation": "unknown",
            "still_circulating": "unknown",
            "threat_active": "unknown",
        },
        "dossier",
    ),
    (
        "download",
        "get",
        lambda w: reverse("cases:evidence-download", args=[w["dossier"].pk, w["evidence"].pk]),
        None,
        "dossier",
    ),
    *[
        (
            name,
            "get",
            lambda w, name=name: reverse(
                f"cases:evidence-{name}", args=[w["dossier"].pk, w["evidence"].pk]
            ),
            None,
            "dossier",
        )
        for name in ("preview", "reveal", "safe-copy")
    ],
    *[
        (
            f"hashes-{fmt}",
            "get",
            lambda w, fmt=fmt: reverse(
                "cases:takedown-hashes", args=[w["dossier"].pk, w["takedown"].pk, fmt]
            ),
            None,
            "dossier",
        )
        for fmt in ("csv", "json")
    ],
    (
        "request-text",
        "get",
        lambda w: reverse("cases:takedown-notice", args=[w["dossier"].pk, w["location"].pk]),
        None,
        "dossier",
    ),
    (
        "triage",
        "post",
        lambda w: reverse("cases:dossier-triage", args=[w["dossier"].pk]),
        lambda: {"triage-decision": "accept"},
        "dossier",
    ),
    (
        "assign",
        "post",
        lambda w: reverse("cases:dossier-assign", args=[w["dossier"].pk]),
        lambda: {"assign-assignee": ""},
        "coordinator",
    ),
    (
        "close",
        "post",
        lambda w: reverse("cases:dossier-status", args=[w["dossier"].pk, "close"]),
        lambda: {"close-closure_reason": "other"},
        "dossier",
    ),
    (
        "note",
        "post",
        lambda w: reverse("cases:dossier-note", args=[w["dossier"].pk]),
        lambda: {"note-text": "A note"},
        "dossier",
    ),
    (
        "message",
        "post",
        lambda w: reverse("cases:dossier-message", args=[w["dossier"].pk]),
        lambda: {"message-text": "Hello"},
        "dossier",
    ),
    (
        "contact",
        "post",
        lambda w: reverse("cases:dossier-contact", args=[w["dossier"].pk]),
        lambda: {"contact-method": "phone"},
        "dossier",
    ),
    (
        "takedown",
        "post",
        lambda w: reverse("cases:takedown-create", args=[w["dossier"].pk]),
        lambda: {
            "takedown-location": "LOCATION",
            "takedown-sent_to": "Desk",
            "takedown-method": "email",
            "takedown-legal_basis": "dsa_notice",
        },
        "dossier",
    ),
    (
        "takedown-answer",
        "post",
        lambda w: reverse("cases:takedown-answer", args=[w["dossier"].pk, w["takedown"].pk]),
        lambda: {"takedown-TAKEDOWN-outcome": "removed"},
        "dossier",
    ),
    (
        "location-platform",
        "post",
        lambda w: reverse("cases:location-platform", args=[w["dossier"].pk, w["location"].pk]),
        lambda: {"location-LOCATION-platform": "PLATFORM"},
        "dossier",
    ),
    (
        "notice-sent",
        "get",
        lambda w: reverse("cases:takedown-notice-sent", args=[w["dossier"].pk, w["takedown"].pk]),
        None,
        "dossier",
    ),
    (
        "referral",
        "post",
        lambda w: reverse("cases:referral-create", args=[w["dossier"].pk]),
        lambda: {
            "referral-kind": "legal_aid",
            "referral-referred_on": timezone.localdate().isoformat(),
        },
        "dossier",
    ),
    (
        "referral-outcome",
        "post",
        lambda w: reverse("cases:referral-outcome", args=[w["dossier"].pk, w["referral"].pk]),
        lambda: {"referral-REFERRAL-outcome": "taken_up"},
        "dossier",
    ),
]

# What each persona gets, by kind of URL. The assigned case worker handles the dossier;
# caseworker2 is another case worker, for whom it does not exist.
EXPECTED = {
    "coordinator": {"general": "ok", "dossier": "ok", "coordinator": "ok"},
    "caseworker": {"general": "ok", "dossier": "ok", "coordinator": 403},
    "caseworker2": {"general": "ok", "dossier": 404, "coordinator": 403},
    "management": {"general": 403, "dossier": 403, "coordinator": 403},
    "admin": {"general": 403, "dossier": 403, "coordinator": 403},
    "anonymous": {"general": "login", "dossier": "login", "coordinator": "login"},
}


def _data(builder, world) -> dict | None:
    if builder is None:
        return None
    data = builder()
    replacements = {
        "VERSION": Dossier.objects.get(pk=world["dossier"].pk).updated_at.isoformat(),
        "LOCATION": str(world["location"].pk),
        "TAKEDOWN": str(world["takedown"].pk),
        "REFERRAL": str(world["referral"].pk),
        "PLATFORM": str(Platform.objects.get(name="Listed").pk),
    }
    fixed = {}
    for key, value in data.items():
        for placeholder, real in replacements.items():
            key = key.replace(placeholder, real)
            value = value.replace(placeholder, real) if isinstance(value, str) else value
        fixed[key] = value
    return fixed


@pytest.mark.parametrize("persona", list(EXPECTED))
@pytest.mark.parametrize(("name", "method", "url", "data", "kind"), URLS, ids=[u[0] for u in URLS])
def test_every_staff_url_for_every_persona(
    client, users, world, persona, name, method, url, data, kind
):
    if persona != "anonymous":
        client.force_login(users[persona])
    if name == "close":  # a dossier is closed this way once it has been triaged
        dossier_triage(dossier_id=world["dossier"].pk, accept=True)
    events_before = world["dossier"].events.count()
    address = url(world)
    send = client.get if method == "get" else client.post
    response = send(address, _data(data, world))
    expected = EXPECTED[persona][kind]

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif expected == "ok":
        assert response.status_code in (200, 302), response.content[:500]
        if response.status_code == 302:  # an action: back to the dossier, done
            assert response["Location"] == reverse(
                "cases:dossier-detail", args=[world["dossier"].pk]
            )
            assert world["dossier"].events.count() > events_before
    else:
        assert response.status_code == expected
    if expected != "ok":
        body = b"".join(response) if response.streaming else response.content
        for secret in SECRETS:
            assert secret.encode() not in body
        assert world["dossier"].events.count() == events_before
        assert not AccessLogEntry.objects.filter(user__username=persona).exists()


def test_a_download_is_the_file_as_an_attachment_and_is_logged(client, users, world):
    client.force_login(users["caseworker"])
    response = client.get(
        reverse("cases:evidence-download", args=[world["dossier"].pk, world["evidence"].pk])
    )
    assert b"".join(response) == PNG
    # Never opened by the browser: a file checked by its first bytes may be HTML further on.
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Security-Policy"].startswith("sandbox")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert world["dossier"].reference in disposition and "Lotte" not in disposition
    entry = AccessLogEntry.objects.get(user=users["caseworker"])
    assert (entry.action, entry.evidence, entry.dossier) == (
        AccessAction.DOWNLOAD,
        world["evidence"],
        world["dossier"],
    )


def test_a_file_of_another_dossier_is_not_found_through_this_one(client, users, world):
    other = DossierFactory()
    dossier_assign(dossier_id=other.pk, to=users["caseworker"])
    client.force_login(users["caseworker"])
    response = client.get(reverse("cases:evidence-download", args=[other.pk, world["evidence"].pk]))
    assert response.status_code == 404
    assert not AccessLogEntry.objects.filter(action=AccessAction.DOWNLOAD).exists()


def test_the_list_shows_what_is_overdue(client, users):
    late = DossierFactory(received_at=timezone.now() - timedelta(days=9))
    DossierFactory()
    client.force_login(users["coordinator"])
    html = client.get(reverse("cases:dossier-list"), {"overdue": "on"}).content.decode()
    assert late.reference in html and html.count("data-dossier=") == 1
    assert "data-overdue" in html
