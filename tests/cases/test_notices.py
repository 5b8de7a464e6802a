"""Notices to platforms (Article 16 of the Digital Services Act): every element in every
language, the legal explanations from the Institute's table, the exception for minors,
the trusted-flagger statement, and the text stored as sent with its hash."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from cases.choices import (
    EventKind,
    Language,
    LegalBasis,
    NoticeGround,
    ReferralKind,
    TakedownMethod,
    YesNoUnknown,
)
from cases.errors import ActionRefused
from cases.models import NoticeExplanation, Platform, TakedownRequest
from cases.notices import notice_for
from cases.services import dossier_assign, location_platform_set, takedown_request_record
from tests.factories import DossierFactory, location

pytestmark = pytest.mark.django_db

URL = "https://leak.example/v/5521"
NAME, EMAIL, PHONE = "Mira Janssens", "mira.private@example.invalid", "+32 470 12 34 56"


@pytest.fixture
def worker(client, users):
    client.force_login(users["caseworker"])
    return users["caseworker"]


def _dossier(users, **fields):
    dossier = DossierFactory(
        locations=[location(platform_name="ClipHost", url=URL)],
        reporter_name=NAME,
        reporter_email=EMAIL,
        reporter_phone=PHONE,
        **fields,
    )
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    return dossier


def _words(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


GOOD_FAITH = (
    "We confirm our bona fide belief that the information and allegations contained in "
    "this notice are accurate and complete."
)
INSTITUTE = "Institute for the Equality of Women and Men"
MINOR_EXCEPTION = (
    "The content involves a minor and offences referred to in Articles 3 to 7 of Directive "
    "2011/93/EU: as Article 16(2)(c) allows, this notice does not give the notifier's name "
    "and email address."
)
TRUSTED = (
    "This notice is submitted by a trusted flagger under Article 22 of the Digital Services "
    "Act: please process it and decide on it with priority."
)


@pytest.mark.parametrize("language", Language.values)
def test_a_notice_holds_every_element_of_article_16_2_in_its_language(users, settings, language):
    settings.NOTICE_EMAIL = "notices@institute.example"
    dossier = _dossier(users, form_ncii=True, form_sextortion=True)
    notice = notice_for(dossier.locations.get(), language)
    text = notice.text
    # (a) the substantiated explanation: the table's entries for the dossier's forms, in
    # this language, and no other form's.
    table = dict(NoticeExplanation.objects.filter(language=language).values_list("ground", "text"))
    assert table[NoticeGround.NCII] in text and table[NoticeGround.SEXTORTION] in text
    assert table[NoticeGround.VOYEURISM] not in text and table[NoticeGround.MINOR] not in text
    assert "417/9" in text
    # (b) the exact location.
    assert URL in text
    # (c) the Institute as the notifier, with its address for notices.
    assert f"{_words(language, INSTITUTE)}, notices@institute.example" in text
    # (d) the statement of good faith.
    assert _words(language, GOOD_FAITH) in text
    assert dossier.reference in text
    # In the platform's language: every heading translated (English is the source).
    assert (language == "en") == (_words(language, GOOD_FAITH) == GOOD_FAITH)
    # Never the reporter.
    for personal in (NAME, EMAIL, PHONE, "Mira"):
        assert personal not in text
    assert not notice.trusted_flagger and not notice.minor_exception
    assert _words(language, TRUSTED) not in text


def test_the_notice_follows_the_legal_explanations_table(users):
    dossier = _dossier(users, form_ncii=False, form_voyeurism=True)
    place = dossier.locations.get()
    before = notice_for(place, "fr")
    NoticeExplanation.objects.filter(ground=NoticeGround.VOYEURISM, language="fr").update(
        text="Texte revu par les juristes : article 417/8 du Code pénal."
    )
    after = notice_for(place, "fr")
    assert "Texte revu par les juristes : article 417/8 du Code pénal." in after.text
    assert after.sha256 != before.sha256
    # Other languages do not move.
    assert "Texte revu" not in notice_for(place, "nl").text


def test_a_missing_explanation_is_said_and_nothing_is_recorded(client, worker, users):
    dossier = _dossier(users, form_ncii=False, form_voyeurism=True)
    NoticeExplanation.objects.filter(ground=NoticeGround.VOYEURISM, language="de").delete()
    place = dossier.locations.get()
    url = reverse("cases:takedown-notice", args=[dossier.pk, place.pk])
    page = client.get(url, {"language": "de"})
    assert page.context["notice"] is None and page.context["form"] is None
    assert page.context["problem"] and 'role="alert"' in page.content.decode()
    with pytest.raises(ActionRefused):
        takedown_request_record(
            location_id=place.pk,
            sent_to="desk",
            method=TakedownMethod.WEB_FORM,
            legal_basis=LegalBasis.DSA_NOTICE,
            notice_language="de",
        )
    assert not TakedownRequest.objects.exists()


def test_with_a_minor_the_notice_names_no_notifier_and_child_protection_is_suggested(
    client, worker, users, settings
):
    settings.NOTICE_EMAIL = "notices@institute.example"
    dossier = _dossier(users, person_minor_on_images=YesNoUnknown.YES)
    place = dossier.locations.get()
    for language in Language.values:
        notice = notice_for(place, language)
        assert notice.minor_exception
        assert _words(language, MINOR_EXCEPTION) in notice.text
        assert "notices@institute.example" not in notice.text
        assert _words(language, INSTITUTE) not in notice.text
        minor = NoticeExplanation.objects.get(ground=NoticeGround.MINOR, language=language)
        assert minor.text in notice.text and "2011/93" in minor.text
    page = client.get(reverse("cases:takedown-notice", args=[dossier.pk, place.pk]))
    assert ReferralKind.CHILD_PROTECTION in page.context["suggested"]
    assert b'data-suggested="child_protection"' in page.content
    takedown = takedown_request_record(
        location_id=place.pk,
        sent_to="desk",
        method=TakedownMethod.WEB_FORM,
        legal_basis=LegalBasis.DSA_NOTICE,
        notice_language="en",
    )
    assert takedown.minor_exception


def test_as_a_trusted_flagger_the_notice_says_so_and_the_channel_is_offered(
    client, worker, users, settings
):
    settings.NOTICE_TRUSTED_FLAGGER = True
    dossier = _dossier(users)
    place = dossier.locations.get()
    page = client.get(
        reverse("cases:takedown-notice", args=[dossier.pk, place.pk]), {"language": "nl"}
    )
    assert _words("nl", TRUSTED) in page.context["notice"].text
    assert page.context["form"].initial["method"] == TakedownMethod.TRUSTED_FLAGGER
    takedown = takedown_request_record(
        location_id=place.pk,
        sent_to="desk",
        method=TakedownMethod.TRUSTED_FLAGGER,
        legal_basis=LegalBasis.DSA_NOTICE,
        notice_language="nl",
    )
    assert takedown.trusted_flagger


def test_the_notice_is_stored_as_sent_with_its_hash_and_shown_later(client, worker, users):
    dossier = _dossier(users)
    place = dossier.locations.get()
    platform = Platform.objects.create(
        name="ClipHost", kind="porn_site", language="de", notice_channel="https://clip.example/dsa"
    )
    location_platform_set(location_id=place.pk, platform_id=platform.pk)
    page = client.get(reverse("cases:takedown-notice", args=[dossier.pk, place.pk]))
    shown = page.context["notice"]
    assert shown.language == "de"  # the platform's language
    initial = page.context["form"].initial
    assert initial["sent_to"] == "https://clip.example/dsa"
    assert initial["legal_basis"] == LegalBasis.DSA_NOTICE
    response = client.post(
        reverse("cases:takedown-create", args=[dossier.pk]),
        {
            "takedown-location": place.pk,
            "takedown-sent_to": initial["sent_to"],
            "takedown-method": initial["method"],
            "takedown-legal_basis": initial["legal_basis"],
            "takedown-notice_language": "de",
            "takedown-notice_sha256": shown.sha256,
        },
    )
    assert response.status_code == 302
    takedown = TakedownRequest.objects.get()
    assert takedown.notice_text == shown.text
    assert takedown.notice_sha256 == hashlib.sha256(shown.text.encode()).hexdigest()
    assert takedown.notice_language == "de"
    # Encrypted at rest: the address is not in the row as stored.
    with connection.cursor() as cursor:
        cursor.execute("SELECT notice_text FROM cases_takedownrequest WHERE id = %s", [takedown.pk])
        (raw,) = cursor.fetchone()
    assert URL not in raw and "Mira" not in raw
    sent = reverse("cases:takedown-notice-sent", args=[dossier.pk, takedown.pk])
    shown_later = client.get(sent)
    assert shown_later.context["intact"] is True
    assert shown.sha256.encode() in shown_later.content
    assert b'data-intact="yes"' in shown_later.content
    # Changed behind the system's back: the page says so.
    TakedownRequest.objects.filter(pk=takedown.pk).update(notice_text=shown.text + "PS")
    altered = client.get(sent)
    assert altered.context["intact"] is False and b'data-intact="no"' in altered.content


def test_a_notice_changed_since_it_was_shown_is_not_recorded(client, worker, users):
    dossier = _dossier(users)
    place = dossier.locations.get()
    shown = notice_for(place, "en")
    NoticeExplanation.objects.filter(ground=NoticeGround.NCII, language="en").update(
        text="A newer explanation."
    )
    response = client.post(
        reverse("cases:takedown-create", args=[dossier.pk]),
        {
            "takedown-location": place.pk,
            "takedown-sent_to": "desk",
            "takedown-method": TakedownMethod.WEB_FORM,
            "takedown-legal_basis": LegalBasis.DSA_NOTICE,
            "takedown-notice_language": "en",
            "takedown-notice_sha256": shown.sha256,
        },
        follow=True,
    )
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        said = translation.gettext(
            "The notice text has changed since you opened it. Open it again, check it, and "
            "send that text."
        )
    assert said in response.content.decode()
    assert not TakedownRequest.objects.exists()
    assert not dossier.events.filter(kind=EventKind.TAKEDOWN_REQUESTED).exists()


def test_a_request_without_a_notice_stores_none(users):
    dossier = _dossier(users)
    takedown = takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="the author, by letter",
        method=TakedownMethod.LETTER,
        legal_basis=LegalBasis.CRIMINAL_CODE,
    )
    assert (takedown.notice_text, takedown.notice_sha256, takedown.notice_language) == ("", "", "")


def test_the_name_a_reporter_typed_never_reaches_the_notice(users):
    """A platform not on the list is greeted as "Sir or Madam": the reporter's own words
    (a line break and an instruction, here) are never the Institute's."""
    typed = "Forum\r\n\r\nPlease send your decision to reply@evil.example only."
    dossier = DossierFactory(locations=[location(platform_name=typed, url=URL)])
    place = dossier.locations.get()
    text = notice_for(place, "en").text
    assert "evil.example" not in text and "Forum" not in text
    assert "Dear Sir or Madam," in text
    listed = Platform.objects.create(name="Forum Listed", kind="forum")
    location_platform_set(location_id=place.pk, platform_id=listed.pk)
    place.refresh_from_db()
    assert "To Forum Listed," in notice_for(place, "en").text
