"""Markup a reporter (or anyone) might type, and a check that a page never lets it act.

Used by the server-side test of every page that shows a dossier
(tests/cases/test_reporter_text_is_text.py) and by its browser run
(tests/browser/test_reporter_text_is_text.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

# Each one would act if a page put it into its HTML unescaped. Numbered, so a failure
# says which one got through.
PAYLOADS = [
    '</textarea><meta http-equiv=refresh content="0;url=https://evil.example/">',
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(2)>',
    "'><script>alert(3)</script>",
    "<b>bold4</b>",
    "javascript:alert(5)",
    "<iframe src=https://evil.example/6></iframe>",
]
# Addresses that pass URL validation and still carry markup.
URL_PAYLOADS = [
    'https://evil.example/"><svg/onload=alert(7)>',
    "https://evil.example/</textarea><meta/http-equiv=refresh/content=0;url=https://evil.example/>",
]
# A valid email address (a quoted local part) that carries markup.
EMAIL_PAYLOAD = '"<svg/onload=alert(8)>"@evil.example'

# Every one of these appearing in a page means markup got through: they are the
# payloads' markup, which no template of ours writes.
RAW_FRAGMENTS = [
    *(payload for payload in PAYLOADS if "<" in payload),
    *(url.removeprefix("https://evil.example/") for url in URL_PAYLOADS),
    "<svg/onload=alert(8)>",
]


def text_payload(max_length: int) -> str:
    """As many of the payloads as fit in ``max_length`` characters, at least one."""
    text = ""
    for payload in PAYLOADS:
        candidate = f"{text} {payload}".strip()
        if len(candidate) > max_length:
            break
        text = candidate
    return text or PAYLOADS[1][:max_length]


class PageScan(HTMLParser):
    """What in a page could act: event handler attributes, inline scripts, script-URLs,
    refresh meta tags, embedded frames and SVG; and the text of each textarea."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.textareas: list[str] = []
        self._in_textarea = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            script_url = (value or "").strip().lower().startswith(("javascript:", "data:text"))
            if script_url and name in {"href", "src", "action", "formaction", "data", "srcdoc"}:
                self.problems.append(f"<{tag} {name}={value!r}>")
        # (Images and SVG of our own are fine; a payload's carry an on… handler.)
        if tag in {"iframe", "object", "embed", "base", "frame"}:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"<meta http-equiv={values['http-equiv']!r}>")
        if tag == "script":
            source = values.get("src") or ""
            if not source.startswith("/") or source.startswith("//"):
                self.problems.append(f"<script src={source!r}>: not from this site")
            self._in_script = True
        if tag == "textarea":
            self._in_textarea = True
            self.textareas.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._in_textarea = False
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_textarea:
            self.textareas[-1] += data
        if self._in_script and data.strip():
            self.problems.append("inline script")


def scan(html: str) -> PageScan:
    """Parse a page; ``problems`` lists whatever could act, raw payloads included."""
    page = PageScan()
    page.feed(html)
    page.close()
    page.problems += [f"unescaped {raw!r}" for raw in RAW_FRAGMENTS if raw in html]
    return page


# A dossier in which every free-text field holds markup, put there the way people do:
# the public form, the follow-up page, every staff form.


@dataclass
class Scenario:
    dossier: object  # cases.models.Dossier
    staff_dossier: object  # the one registered by staff (/staff/dossiers/new/)
    code: str  # the reporter's receipt code
    staff_pages: list[str]  # addresses a coordinator opens
    rejected_pages: list[str]  # HTML of forms sent back with errors, payloads in them


def _location_fields(prefix: str, kind: str, name_length: int, url: str) -> dict:
    return {
        f"{prefix}platform_kind": kind,
        f"{prefix}platform_name": text_payload(name_length),
        f"{prefix}url": url,
    }


def today_iso() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()


def build_scenario(users) -> Scenario:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone, translation

    from cases.models import ContentLocation, Dossier, Referral, TakedownRequest
    from cases.notices import notice_for
    from cases.services import dossier_update_details
    from tests.intake.conftest import report_data

    with translation.override("en"):
        report_url = reverse("intake:report")
        followup_start = reverse("intake:followup-start")
        followup = reverse("intake:followup")

    markup = {
        "reporter_type": "organisation",
        "organisation_kind": "ngo",
        "organisation_name": text_payload(200),
        "description": text_payload(10000),
        "reporter_name": text_payload(200),
        "reporter_email": EMAIL_PAYLOAD,
        "safe_contact_instructions": text_payload(1000),
        **_location_fields("locations-0-", "social_media", 100, URL_PAYLOADS[0]),
        **_location_fields("locations-1-", "other", 100, URL_PAYLOADS[1]),
    }
    reporter = Client()
    rejected = [reporter.post(report_url, report_data(**markup, consent=None))]
    assert rejected[0].status_code == 400
    response = reporter.post(report_url, report_data(**markup))
    assert response.status_code == 200, response.content[:2000]
    code = response.context["code"]
    dossier = Dossier.objects.latest("id")

    assert reporter.post(followup_start, {"code": code}).status_code == 302
    added = {"message": text_payload(10000), **_location_fields("", "forum", 100, URL_PAYLOADS[1])}
    assert reporter.post(followup, added).status_code == 302

    staff = Client()
    staff.force_login(users["coordinator"])
    worker = users["caseworker"]

    def post(name: str, data: dict, *args) -> None:
        url = reverse(f"cases:{name}", args=[dossier.pk, *args])
        answer = staff.post(url, data)
        assert answer.status_code == 302, (name, answer.content[:3000])

    note = text_payload(10000)
    post("dossier-triage", {"triage-decision": "accept", "triage-note": note})
    post("dossier-assign", {"assign-assignee": worker.pk})
    post("dossier-note", {"note-text": note})
    post("dossier-message", {"message-text": note})
    post("dossier-contact", {"contact-method": "phone", "contact-note": note})
    locations = list(ContentLocation.objects.filter(dossier=dossier).order_by("id"))
    for location in locations:
        post(
            "takedown-create",
            {
                "takedown-location": location.pk,
                "takedown-sent_to": text_payload(200),
                "takedown-method": "email",
                "takedown-legal_basis": "dsa_notice",
                "takedown-note": note,
                # The notice, with the reporter's addresses in it, is stored as sent.
                "takedown-notice_language": "fr",
                "takedown-notice_sha256": notice_for(location, "fr").sha256,
            },
        )
    takedown = TakedownRequest.objects.filter(dossier=dossier).first()
    post(
        "takedown-answer",
        {
            f"takedown-{takedown.pk}-outcome": "removed",
            f"takedown-{takedown.pk}-recheck_on": today_iso(),
            f"takedown-{takedown.pk}-note": note,
        },
        takedown.pk,
    )
    today = timezone.localdate().isoformat()
    post(
        "referral-create",
        {"referral-kind": "police", "referral-referred_on": today, "referral-note": note},
    )
    referral = Referral.objects.get(dossier=dossier)
    post(
        "referral-outcome",
        {f"referral-{referral.pk}-outcome": "taken_up", f"referral-{referral.pk}-note": note},
        referral.pk,
    )
    post("dossier-status", {"wait-waiting_for": "reporter", "wait-note": note}, "wait")
    post("dossier-status", {"resume-note": note}, "resume")
    post("dossier-status", {"close-closure_reason": "other", "close-note": note}, "close")
    post("dossier-status", {"reopen-note": note}, "reopen")
    dossier_update_details(
        dossier_id=dossier.pk,
        changes={
            "reporter_name": text_payload(200),
            "reporter_phone": text_payload(40),
            "organisation_name": text_payload(200),
            "safe_contact_instructions": text_payload(1000),
            "description": text_payload(10000),
        },
        by=users["coordinator"],
    )
    # A staff form sent back with its errors shows what was typed, escaped.
    rejected.append(
        staff.post(
            reverse("cases:takedown-create", args=[dossier.pk]),
            {"takedown-sent_to": text_payload(200), "takedown-note": note},
        )
    )
    assert rejected[-1].status_code == 400

    staff_report = report_data(
        **markup,
        channel="phone",
        received_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        language="fr",
        consent=None,
    )
    registered = staff.post(reverse("cases:staff-report"), staff_report)
    assert registered.status_code == 200, registered.content[:3000]
    staff_dossier = Dossier.objects.latest("id")
    assert staff_dossier.pk != dossier.pk

    pages = [reverse("cases:dossier-list"), reverse("cases:takedowns-due")]
    for each in (dossier, staff_dossier):
        pages += [
            reverse("cases:dossier-detail", args=[each.pk]),
            reverse("cases:dossier-details", args=[each.pk]),
        ]
        pages += [
            reverse("cases:takedown-notice", args=[each.pk, location.pk])
            for location in ContentLocation.objects.filter(dossier=each)
        ]
        pages += [
            reverse("cases:takedown-notice-sent", args=[each.pk, takedown.pk])
            for takedown in TakedownRequest.objects.filter(dossier=each).exclude(notice_sha256="")
        ]
    return Scenario(
        dossier=Dossier.objects.get(pk=dossier.pk),
        staff_dossier=staff_dossier,
        code=code,
        staff_pages=pages,
        rejected_pages=[answer.content.decode() for answer in rejected],
    )
