"""Property-based: whatever a client sends to the public report form and the follow-up
page (any field values, broken encodings, NUL bytes, huge or duplicated fields, odd
content types, many files), the answer is never a server error, and nothing is half
saved: every dossier is whole (its first event, its receipt, its notifications) and
every evidence row has its file, every file its row."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cases import receipts
from cases.choices import EventKind
from cases.models import ContentLocation, Dossier, DossierEvent, Evidence, OutboxMessage
from tests.factories import DossierFactory
from tests.helpers import png
from tests.intake.conftest import PDF, report_data

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Values: text of every kind (NUL, controls, right-to-left, emoji), raw bytes that are
# not UTF-8, the valid answers, and a few very long ones.
TEXT = st.text(max_size=40)
RAW = st.binary(max_size=40)
LONG = st.integers(min_value=1_000, max_value=120_000).map(lambda n: b"x" * n)
CHOICES = st.sampled_from(
    [b"", b"yes", b"no", b"unknown", b"on", b"ncii", b"person_concerned", b"0", b"-1", b"5"]
)
VALUE = st.one_of(TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), RAW, LONG, CHOICES)
FILE_BODY = st.sampled_from([png(), PDF, b"", b"MZ\x90\x00", b"\x00" * 100, b"GIF89a"])


def _encode(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


@st.composite
def fields(draw, base: dict) -> list[tuple[bytes, bytes]]:
    """A valid post, then changed: lightly (one field replaced, repeated or added, so
    that many posts still get saved) or heavily (fields dropped, replaced, added)."""
    pairs = [
        (_encode(name), _encode(item))
        for name, value in base.items()
        for item in (value if isinstance(value, list) else [value])
    ]
    if draw(st.booleans()):
        position = draw(st.integers(0, len(pairs) - 1))
        name, value = pairs[position]
        change = draw(st.sampled_from(["replace", "repeat", "add"]))
        if change == "replace":
            pairs[position] = (name, draw(VALUE))
        elif change == "repeat":
            pairs.append((name, draw(st.one_of(st.just(value), VALUE))))
        else:
            pairs.append((draw(RAW), draw(VALUE)))
        return pairs
    pairs = [pair for pair in pairs if draw(st.integers(0, 9))]  # nine in ten kept
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.one_of(st.sampled_from([n.encode() for n in base]), RAW))
        pairs.append((name, draw(VALUE)))
    return pairs


def _urlencoded(pairs) -> bytes:
    return b"&".join(
        quote_from_bytes(k).encode() + b"=" + quote_from_bytes(v).encode() for k, v in pairs
    )


@st.composite
def multipart(draw, pairs) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in pairs:
        parts.append(
            b'Content-Disposition: form-data; name="'
            + name.replace(b'"', b"")
            + b'"\r\n\r\n'
            + value
        )
    for _ in range(draw(st.one_of(st.just(0), st.integers(1, 5), st.integers(6, 50)))):
        filename = draw(st.one_of(st.just(b"a.png"), RAW, st.just(b"../../etc/passwd")))
        kind = draw(st.sampled_from([b"image/png", b"application/pdf", b"text/html", b""]))
        parts.append(
            b'Content-Disposition: form-data; name="files"; filename="'
            + filename.replace(b'"', b"").replace(b"\r", b"").replace(b"\n", b"")
            + b'"\r\nContent-Type: '
            + kind
            + b"\r\n\r\n"
            + draw(FILE_BODY)
        )
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]  # cut off mid-way
    content_type = draw(
        st.sampled_from(
            [f"multipart/form-data; boundary={boundary}", "multipart/form-data", "multipart/x"]
        )
    )
    return body, content_type


@st.composite
def request_bodies(draw, base: dict) -> tuple[bytes, str]:
    pairs = draw(fields(base))
    shape = draw(st.sampled_from(["urlencoded", "multipart", "other"]))
    if shape == "multipart":
        return draw(multipart(pairs))
    if shape == "other":
        kind = draw(st.sampled_from(["application/json", "text/plain", "", "application/xml"]))
        return draw(st.one_of(RAW, st.just(_urlencoded(pairs)))), kind
    charset = draw(st.sampled_from(["", "; charset=utf-8", "; charset=latin-1", "; charset=x"]))
    return _urlencoded(pairs), f"application/x-www-form-urlencoded{charset}"


def _nothing_half_saved() -> None:
    for dossier in Dossier.objects.all():
        assert dossier.receipt_hash and dossier.reference
        assert DossierEvent.objects.filter(dossier=dossier, kind=EventKind.CREATED).count() == 1
        if dossier.submission_hash:  # sent through the form: the coordinators were told
            assert OutboxMessage.objects.filter(dossier=dossier).exists()
    assert not ContentLocation.objects.filter(dossier__isnull=True).exists()
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert on_disk == set(Evidence.objects.values_list("file", flat=True))


@given(data=st.data())
@FUZZ
def test_no_post_of_the_report_form_is_a_server_error_or_half_saved(data, users):
    cache.clear()  # the limits per client would soon answer 429 to everything
    body, content_type = data.draw(request_bodies(report_data()))
    language = data.draw(st.sampled_from(["nl", "fr", "de", "en"]))
    response = Client().generic("POST", f"/{language}/report/", body, content_type=content_type)
    assert response.status_code < 500
    event("saved" if response.status_code == 200 else f"answered {response.status_code}")
    _nothing_half_saved()


@pytest.fixture
def followup_client(users):
    code = receipts.receipt_code_for(receipts.new_submission_token())
    DossierFactory(receipt_hash=receipts.receipt_hash(code))
    client = Client()
    assert client.post("/en/follow-up/", {"code": receipts.display(code)}).status_code == 302
    return client


FOLLOW_UP = {
    "message": "Here is more.",
    "platform_kind": "social_media",
    "platform_name": "Instagram",
    "url": "https://instagram.example/p/1",
}


@given(data=st.data())
@FUZZ
def test_no_post_of_the_follow_up_page_is_a_server_error_or_half_saved(data, followup_client):
    cache.clear()
    body, content_type = data.draw(request_bodies(FOLLOW_UP))
    response = followup_client.generic(
        "POST", "/en/follow-up/dossier/", body, content_type=content_type
    )
    assert response.status_code < 500
    event("added" if response.status_code == 302 else f"answered {response.status_code}")
    _nothing_half_saved()


CONTACT = {
    "contact": "contact",
    "reporter_name": "Lotte",
    "reporter_email": "lotte@example.invalid",
    "reporter_phone": "+32 470 12 34 56",
    "voicemail_allowed": "no",
    "may_name_institute": "no",
    "safe_contact_instructions": "Weekdays after school",
    "contact_language": "fr",
}


@given(data=st.data())
@FUZZ
def test_no_post_of_the_contact_page_is_a_server_error_or_half_saved(data, followup_client):
    """Whatever is posted, the dossier's contact answers are either as they were or
    wholly the new ones, with the event that says so."""
    cache.clear()
    before = Dossier.objects.get()
    changes = DossierEvent.objects.filter(kind=EventKind.CONTACT_CHANGED).count()
    body, content_type = data.draw(request_bodies(CONTACT))
    response = followup_client.generic(
        "POST", "/en/follow-up/contact/", body, content_type=content_type
    )
    assert response.status_code < 500
    event("changed" if response.status_code == 302 else f"answered {response.status_code}")
    after = Dossier.objects.get()
    now = DossierEvent.objects.filter(kind=EventKind.CONTACT_CHANGED).count()
    contact = ["reporter_name", "reporter_email", "reporter_phone", "contact_language"]
    if response.status_code != 302:
        assert [getattr(after, f) for f in contact] == [getattr(before, f) for f in contact]
        assert now == changes
    if after.reporter_name or after.safe_contact_instructions:
        assert after.reporter_email or after.reporter_phone  # never details without a way
    _nothing_half_saved()
