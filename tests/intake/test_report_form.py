"""The public report form, through the views, as a browser would post it."""

import logging
import re
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from cases import receipts
from cases.choices import Channel, NotificationKind, Priority
from cases.models import ContentLocation, Dossier, DossierEvent, Evidence, OutboxMessage
from tests.helpers import PNG
from tests.intake.conftest import PDF, report_data

pytestmark = pytest.mark.django_db


def _url(language: str = "en") -> str:
    with translation.override(language):
        return reverse("intake:report")


def _translated(language: str, message: str) -> str:
    """The message in that language, as HTML shows it; fails if the catalogue leaves it
    in English."""
    with translation.override(language):
        text = gettext(message)
    assert text != message or language == "en", f"untranslated in {language}: {message}"
    return escape(text)


def _files_on_disk(settings) -> list:
    root = settings.PRIVATE_STORAGE_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _receipt_code(response) -> str:
    html = response.content.decode()
    start = html.index("data-receipt-code>") + len("data-receipt-code>")
    return html[start : html.index("<", start)].strip()


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_form_is_served_in_each_language_with_a_fresh_token(client, language):
    first = client.get(_url(language))
    second = client.get(_url(language))
    assert first.status_code == 200
    assert f'<html lang="{language}">' in first.content.decode()
    pages = first.content.decode(), second.content.decode()
    tokens = [re.search(r'name="submission_token" value="([^"]+)"', page)[1] for page in pages]
    assert tokens[0] != tokens[1]
    for page in pages:  # the first rendered in full, the second from the process's copy
        chosen = re.search(r'name="contact_language"[^>]*>(.*?)</select>', page, re.S)[1]
        assert re.findall(r'<option value="(\w+)"[^>]*selected', chosen) == [language]
    assert _translated(language, "Send my report") in first.content.decode()


def test_a_report_is_saved_with_the_page_language_and_answers(client, users):
    response = client.post(_url("fr"), report_data(**{"locations-1-platform_kind": "porn_site"}))
    assert response.status_code == 200
    code = _receipt_code(response)
    assert receipts.is_well_formed(code)

    dossier = Dossier.objects.get()
    assert dossier.receipt_hash == receipts.receipt_hash(code)
    assert (dossier.channel, dossier.language, dossier.contact_language) == ("web", "fr", "nl")
    assert dossier.forms_of_abuse == ["ncii", "sextortion"]
    assert (dossier.reporter_type, dossier.reporter_gender) == ("person_concerned", "woman")
    assert dossier.person_gender == "woman"  # "it is about me": the reporter's answer
    assert dossier.reporter_email == "lotte@example.invalid"
    assert dossier.voicemail_allowed is False
    assert dossier.images_made_by == ["self"] and dossier.steps_taken == ["asked_author"]
    assert [(loc.platform_kind, loc.url) for loc in dossier.locations.all()] == [
        ("social_media", "https://www.instagram.com/p/abc123/"),
        ("porn_site", ""),
    ]
    assert list(dossier.events.values_list("kind", flat=True)) == ["created"]
    kinds = sorted(OutboxMessage.objects.values_list("kind", flat=True))
    assert kinds == [NotificationKind.ACKNOWLEDGEMENT, NotificationKind.NEW_REPORT]
    assert dossier.channel == Channel.WEB


def test_a_minor_on_the_images_makes_the_report_urgent_and_alerts_urgently(client, users):
    client.post(_url(), report_data(person_minor_on_images="yes", person_age_band="14_15"))
    dossier = Dossier.objects.get()
    assert dossier.priority == Priority.URGENT
    assert OutboxMessage.objects.filter(kind=NotificationKind.URGENT_REPORT).count() == 1


def test_an_anonymous_report_keeps_nothing_typed_in_the_contact_fields(client):
    response = client.post(_url(), report_data(contact="anonymous", wants_acknowledgement="on"))
    assert response.status_code == 200
    dossier = Dossier.objects.get()
    assert (dossier.reporter_name, dossier.reporter_email, dossier.reporter_phone) == ("", "", "")
    assert dossier.safe_contact_instructions == ""
    assert not dossier.wants_acknowledgement
    assert not OutboxMessage.objects.filter(kind=NotificationKind.ACKNOWLEDGEMENT).exists()


def test_an_organisation_reports_with_its_kind(client):
    client.post(
        _url(),
        report_data(
            reporter_type="organisation",
            reporter_gender="man",  # answered, then the type changed: not kept
            organisation_kind="school",
            organisation_name="Athénée royal",
        ),
    )
    dossier = Dossier.objects.get()
    assert (dossier.reporter_category, dossier.organisation_kind) == ("organisation", "school")
    assert dossier.organisation_name == "Athénée royal"
    assert dossier.reporter_gender == "not_given"


def test_posting_the_same_form_twice_saves_one_dossier_and_shows_the_same_receipt(client, users):
    data = report_data()
    first = client.post(_url(), data)
    second = client.post(_url(), data)
    assert Dossier.objects.count() == 1
    assert _receipt_code(first) == _receipt_code(second)
    assert OutboxMessage.objects.count() == 2  # not doubled


def test_evidence_files_are_stored_encrypted_and_out_of_reach(client, settings):
    photo = SimpleUploadedFile("threat.png", PNG, content_type="image/png")
    letter = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    response = client.post(_url(), report_data(files=[photo, letter]))
    assert response.status_code == 200
    evidence = list(Evidence.objects.order_by("id"))
    assert [e.content_type for e in evidence] == ["image/png", "application/pdf"]
    assert [e.original_name for e in evidence] == ["threat.png", "letter.pdf"]
    stored = _files_on_disk(settings)
    assert len(stored) == 2
    assert all(PNG not in p.read_bytes() and PDF not in p.read_bytes() for p in stored)
    assert not str(settings.PRIVATE_STORAGE_ROOT).startswith(str(settings.STATIC_ROOT or "//"))


# Bad input: a clear message in the page's language, and nothing left behind.

BAD_INPUT = [
    pytest.param({"reporter_type": None}, "Say who this report is about.", id="who-missing"),
    pytest.param({"forms_of_abuse": None}, "Tick what happened (at least one).", id="form-missing"),
    pytest.param({"description": ""}, "Tell us briefly what happened.", id="story-missing"),
    pytest.param(
        {"consent": None}, "We can only handle your report with your agreement.", id="no-consent"
    ),
    pytest.param(
        {"reporter_email": "lotte@"}, "Enter an email address like name@example.be.", id="bad-email"
    ),
    pytest.param(
        {"reporter_email": "", "reporter_phone": "", "wants_acknowledgement": None},
        "Give an email address or a phone number, or choose to stay anonymous.",
        id="no-way-to-contact",
    ),
    pytest.param(
        {"reporter_phone": "call me maybe"},
        "Enter a phone number, for example +32 470 12 34 56.",
        id="bad-phone",
    ),
    pytest.param({"locations-0-url": "not a link at all"}, "Enter a valid URL.", id="bad-url"),
    pytest.param(
        {"locations-0-platform_kind": ""}, "Choose the kind of platform.", id="url-without-kind"
    ),
    pytest.param(
        {"submission_token": "x"}, "This form has expired. Please fill it in again.", id="token"
    ),
]


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("change", "message"), BAD_INPUT)
def test_bad_input_is_explained_in_the_page_language_and_nothing_is_saved(
    client, settings, language, change, message
):
    response = client.post(_url(language), report_data(**change))
    assert response.status_code == 400
    html = response.content.decode()
    expected = _translated(language, message)
    # Next to the field and in the summary at the top (a hidden field: the summary only).
    assert html.count(expected) >= (1 if "submission_token" in change else 2)
    assert html.index("data-error-summary") < html.index("<form")
    assert not Dossier.objects.exists()
    assert not ContentLocation.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not _files_on_disk(settings)


def _summary(html: str) -> list[str]:
    start = html.index("data-error-summary")
    summary = html[start : html.index("</ul>", start)]
    return [
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", item))).strip()
        for item in summary.split("<li>")[1:]
    ]


def test_every_message_in_the_summary_says_which_question_it_is_about(client):
    """A message written for its question is shown as is; a generic one (a date out of
    range, a text too long, a bad link) follows the question's label."""
    response = client.post(
        _url("en"),
        report_data(
            forms_of_abuse=None,
            description="x" * 10001,
            threat_active="yes",
            threat_deadline="1999-12-31T10:00",
            **{"locations-0-url": "not a link at all"},
        ),
    )
    assert _summary(response.content.decode()) == [
        "Tick what happened (at least one).",
        "Tell us briefly what happened — Ensure this value has at most 10000 characters "
        "(it has 10001).",
        "Did they set a deadline? If so, when? — Enter a date from 1 January 2000 on, "
        "and at most ten years from now.",
        "Address 1 — Enter a valid URL.",
    ]


def test_a_groups_error_stands_between_its_question_and_its_options(client):
    html = client.post(_url("nl"), report_data(forms_of_abuse=None)).content.decode()
    group = html[html.index('id="div_id_forms_of_abuse"') :]
    legend, error, first_option = (
        group.index("<legend"),
        group.index('id="id_forms_of_abuse_error"'),
        group.index('id="id_forms_of_abuse_0"'),
    )
    assert legend < error < first_option
    assert 'aria-describedby="id_forms_of_abuse_helptext id_forms_of_abuse_error"' in group


def test_a_twenty_megabyte_file_is_refused_and_nothing_is_saved(client, settings):
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024))
    response = client.post(_url("nl"), report_data(files=[big]))
    assert response.status_code == 400
    _translated("nl", "“%(name)s” is larger than %(limit)s.")
    with translation.override("nl"):
        limit = filesizeformat(settings.EVIDENCE_MAX_FILE_BYTES)
        message = gettext("“%(name)s” is larger than %(limit)s.") % {
            "name": "big.jpg",
            "limit": limit,
        }
    assert escape(message) in response.content.decode()
    assert not Dossier.objects.exists() and not Evidence.objects.exists()
    assert not _files_on_disk(settings)


def test_an_executable_renamed_to_jpg_is_refused_and_nothing_is_saved(client, settings):
    program = SimpleUploadedFile("holiday.jpg", b"MZ\x90\x00" + b"\x00" * 512, "image/jpeg")
    ok = SimpleUploadedFile("ok.png", PNG, "image/png")
    response = client.post(_url("de"), report_data(files=[ok, program]))
    assert response.status_code == 400
    with translation.override("de"):
        expected = gettext(
            "“%(name)s” is not an image or a PDF. Only images and PDF files can be sent."
        ) % {"name": "holiday.jpg"}
    assert "holiday.jpg" in expected and "PDF" in expected and expected.startswith("„")
    assert escape(expected) in response.content.decode()
    assert not Dossier.objects.exists() and not Evidence.objects.exists()
    assert not _files_on_disk(settings)


def test_after_a_refused_post_the_person_is_told_to_choose_files_again(client):
    photo = SimpleUploadedFile("threat.png", PNG, content_type="image/png")
    response = client.post(_url("fr"), report_data(files=[photo], description=""))
    message = _translated("fr", "For your safety, files are not kept: choose them again.")
    assert message in response.content.decode()


def test_an_oversized_body_is_refused_before_it_is_read(client, settings):
    settings.MAX_REPORT_BODY_BYTES = 64 * 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (100 * 1024), content_type="image/png")
    response = client.post(_url("fr"), report_data(files=[big]))
    assert response.status_code == 413
    assert _translated("fr", "What you sent is too large") in response.content.decode()
    assert not Dossier.objects.exists()
    assert not _files_on_disk(settings)


def test_a_filled_honeypot_saves_nothing(client, caplog):
    with caplog.at_level(logging.INFO, logger="intake"):
        response = client.post(_url(), report_data(leave_empty="http://spam.example"))
    assert response.status_code == 400
    assert not Dossier.objects.exists()
    assert "honeypot" in caplog.text


def test_submissions_are_rate_limited_per_client(client, settings):
    for _ in range(5):
        assert client.post(_url(), report_data()).status_code == 200
    blocked = client.post(_url("nl"), report_data(description="Still here when I come back"))
    assert blocked.status_code == 429
    with translation.override("nl"):
        message = translation.gettext(
            "Too many reports were sent from this connection in a short time. %(wait)s"
        ) % {
            "wait": translation.ngettext(
                "Please try again in %(count)d hour.", "Please try again in %(count)d hours.", 1
            )
            % {"count": 1}
        }
    assert "uur" in message and escape(message) in blocked.content.decode()
    # What the person typed stays on the page, to send later.
    assert "Still here when I come back" in blocked.content.decode()
    assert Dossier.objects.count() == 5
    other = client.post(_url(), report_data(), REMOTE_ADDR="198.51.100.20")
    assert other.status_code == 200


def test_a_refresh_after_the_limit_still_shows_the_receipt(client):
    data = report_data()
    first = client.post(_url(), data)
    for _ in range(4):
        client.post(_url(), report_data())
    again = client.post(_url(), data)
    assert again.status_code == 200
    assert _receipt_code(again) == _receipt_code(first)


def test_a_report_is_accepted_when_the_rate_limit_store_is_down(client, settings, users, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/1",  # the discard port: nothing answers
        }
    }
    with caplog.at_level(logging.WARNING, logger="intake.throttle"):
        response = client.post(_url(), report_data())
    assert response.status_code == 200
    assert Dossier.objects.count() == 1
    assert OutboxMessage.objects.count() == 2
    assert "cache unreachable" in caplog.text


def test_no_personal_data_reaches_the_log_or_any_mail(
    client, users, caplog, django_capture_on_commit_callbacks
):
    data = report_data(
        reporter_name="Zoë Verhaegen",
        reporter_email="zoe.private@example.invalid",
        reporter_phone="+32 499 99 88 77",
        description="Secret story about Pieter and the party",
        person_minor_on_images="yes",
        **{"locations-0-url": "https://leak.example/zoe"},
    )
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(), data)
        assert response.status_code == 200
    assert {m.kind for m in OutboxMessage.objects.all()} == {"urgent_report", "acknowledgement"}
    assert all(m.sent_at for m in OutboxMessage.objects.all())  # eager delivery ran
    assert len(mail.outbox) == OutboxMessage.objects.count()
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {r.__dict__.get('exc_text')}" for r in caplog.records
    )
    texts = [logged] + [f"{m.subject}\n{m.body}" for m in mail.outbox]
    secrets = ["Zoë", "Verhaegen", "zoe.private", "499 99", "Secret story", "Pieter"]
    secrets.append("leak.example")
    for text in texts:
        for secret in secrets:
            assert secret not in text
    reference = Dossier.objects.get().reference
    assert any(reference in m.body for m in mail.outbox if m.to != ["zoe.private@example.invalid"])
    acknowledgement = next(m for m in mail.outbox if m.to == ["zoe.private@example.invalid"])
    assert reference not in acknowledgement.body  # nothing about the case, not even its number
    assert DossierEvent.objects.count() == 1


def test_a_resend_long_after_does_not_show_the_receipt_code_again(client):
    data = report_data()
    first = client.post(_url(), data)
    code = _receipt_code(first)
    Dossier.objects.update(received_at=timezone.now() - timedelta(minutes=11))
    again = client.post(_url(), data)
    assert again.status_code == 200
    assert code not in again.content.decode()
    assert "data-receipt-code" not in again.content.decode()
    assert Dossier.objects.count() == 1


def test_answers_to_questions_that_no_longer_apply_are_not_kept(client):
    client.post(
        _url(),
        report_data(
            reporter_gender="woman",
            person_gender="man",  # asked only when reporting for someone else
            threat_active="no",
            threat_deadline="2026-12-01T18:00",  # asked only when there is a threat
        ),
    )
    dossier = Dossier.objects.get()
    assert (dossier.person_gender, dossier.threat_deadline) == ("woman", None)


def test_a_tampered_address_list_is_refused_with_a_message(client):
    response = client.post(_url(), report_data(**{"locations-TOTAL_FORMS": None}))
    assert response.status_code == 400
    assert "data-error-summary" in response.content.decode()
    assert not Dossier.objects.exists()


def test_the_form_says_how_few_answers_it_needs(client):
    page = client.get("/en/report/").content.decode()
    assert 'data-required-count="6"' in page
    assert "only 6 questions, marked with *, are required" in page


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_blank_form_rendered_once_is_the_page_rendered_in_full(client, settings, language):
    """The blank form comes from the process's copy (intake.views._BLANK_PAGES): the
    page is the same, byte for byte, as one rendered in full, and its tokens are new
    on every request and accepted."""
    from intake import views

    token_values = re.compile(r'name="(?:csrfmiddlewaretoken|submission_token)" value="([^"]+)')

    def page() -> tuple[str, list[str]]:
        html = client.get(_url(language)).content.decode()
        return token_values.sub("", html), token_values.findall(html)

    views._BLANK_PAGES.clear()
    settings.DEBUG = True  # rendered in full, every time
    full, _tokens = page()
    settings.DEBUG = False
    (first, first_tokens), (cached, cached_tokens) = page(), page()
    assert full == first == cached
    assert any(key[1] == language for key in views._BLANK_PAGES)
    assert len(cached_tokens) == 2 and not set(first_tokens) & set(cached_tokens)
    # The copy's tokens work: a report sent from it is saved.
    csrf, submission = cached_tokens
    data = report_data(submission_token=submission, csrfmiddlewaretoken=csrf)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    answer = strict.post(_url(language), data)
    assert answer.status_code == 200 and "data-receipt-code" in answer.content.decode()
    # A form sent back with answers is rendered with them, never from the copy.
    answered = client.post(_url(language), report_data(description="", reporter_name="Zoë K"))
    assert answered.status_code == 400 and "Zoë K" in answered.content.decode()


def test_a_visitor_with_a_session_gets_the_page_rendered_in_full(client, settings):
    """A session may hold a message for the next page: the process's copy, which holds
    none, is only for visitors without one."""
    from django.contrib.messages import constants
    from django.contrib.messages.storage.session import SessionStorage
    from django.http import HttpRequest, HttpResponse

    from intake import views

    settings.DEBUG = False
    views._BLANK_PAGES.clear()
    client.get(_url("en"))
    assert views._BLANK_PAGES  # the copy is made
    request = HttpRequest()
    request.session = client.session  # a session, and its cookie in the client
    storage = SessionStorage(request)
    storage.add(constants.INFO, "Your message was sent.")
    storage.update(HttpResponse())
    request.session.save()
    assert "Your message was sent." in client.get(_url("en")).content.decode()


def test_a_report_is_saved_in_few_statements_with_the_counter_locked_last(client, users):
    """A report with one address: one look for an earlier post of the same form, the
    coordinators read before any lock, then only writes, the reference counter (whose
    row lock lasts until the commit) first among them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(_url("nl"))
    with CaptureQueriesContext(connection) as captured:
        assert client.post(_url("nl"), report_data()).status_code == 200
    statements = [
        q["sql"].split()[0].upper()
        for q in captured.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))
    ]
    counter = next(
        i for i, q in enumerate(captured.captured_queries) if "referencecounter" in q["sql"]
    )
    after_counter = [
        q["sql"].split()[0].upper()
        for q in captured.captured_queries[counter + 1 :]
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))
    ]
    assert len(statements) <= 10, statements
    assert set(after_counter) == {"INSERT"}, after_counter
