"""Ready-made messages: offered on the dossier page in the reporter's language, kept
by coordinators."""

from html import unescape

import pytest
from django.urls import reverse

from cases import receipts
from cases.choices import Language
from cases.models import MessageTemplate
from cases.services import dossier_assign
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db

TEMPLATES = reverse("cases:message-templates")


@pytest.fixture
def dossier(users):
    dossier = DossierFactory(
        language=Language.NL,
        contact_language=Language.FR,
        receipt_hash=receipts.receipt_hash(receipts.receipt_code_for("templates")),
        may_name_institute=False,
        safe_contact_instructions="Only after 17:00",
    )
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    return dossier


def _page(client, dossier, **params) -> str:
    url = reverse("cases:dossier-detail", args=[dossier.pk])
    return unescape(client.get(url, params, HTTP_ACCEPT_LANGUAGE="en").content.decode())


def test_every_language_starts_with_the_same_set_of_templates():
    counts = {code: MessageTemplate.objects.filter(language=code).count() for code in Language}
    assert set(counts.values()) == {5}, counts


def test_the_message_box_shows_how_to_write_to_this_reporter(client, users, dossier):
    client.force_login(users["caseworker"])
    html = _page(client, dossier)
    box = html[html.index("data-reporter-preferences") :]
    box = box[: box.index("</form>")]
    assert "Write in: French" in box and "language of the report: Dutch" in box
    assert "Do not name the Institute" in box and "Only after 17:00" in box
    # Only the templates in the reporter's language are offered.
    french = MessageTemplate.objects.filter(language="fr")
    assert all(t.title in box for t in french)
    assert not any(t.title in box for t in MessageTemplate.objects.exclude(language="fr"))
    # A case worker does not keep the list.
    assert TEMPLATES not in box


def test_a_template_chosen_fills_the_message_box(client, users, dossier):
    client.force_login(users["caseworker"])
    chosen = MessageTemplate.objects.filter(language="fr").first()
    html = _page(client, dossier, template=chosen.pk)
    box = html[html.index('data-form="message"') :]
    assert f">\n{chosen.text}</textarea>" in box or f">{chosen.text}</textarea>" in box
    assert '<details class="border rounded p-2 mb-2" id="message" open>' in html
    # A template in another language (or a withdrawn one) is not put in the box.
    german = MessageTemplate.objects.filter(language="de").first()
    assert german.text not in _page(client, dossier, template=german.pk)
    chosen.active = False
    chosen.save()
    assert chosen.text not in _page(client, dossier, template=chosen.pk).split("data-form")[-1]


def test_coordinators_keep_the_templates_and_others_may_not(client, users):
    client.force_login(users["caseworker"])
    assert client.get(TEMPLATES).status_code == 403
    assert client.post(reverse("cases:message-template-new"), {}).status_code == 403

    client.force_login(users["coordinator"])
    assert client.get(TEMPLATES).status_code == 200
    response = client.post(
        reverse("cases:message-template-new"),
        {
            "language": "de",
            "title": "Termin",
            "text": "Können wir Sie anrufen?",
            "position": 5,
            "active": "on",
        },
    )
    assert response.status_code == 302
    made = MessageTemplate.objects.get(title="Termin")
    assert made.history.count() == 1
    # Two templates of one language cannot share a title; nothing is saved.
    again = client.post(
        reverse("cases:message-template-new"),
        {"language": "de", "title": "Termin", "text": "Noch einmal", "position": 6},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert again.status_code == 400
    assert "There is already a template with this title in this language." in unescape(
        again.content.decode()
    )
    assert MessageTemplate.objects.filter(title="Termin").count() == 1
    client.post(
        reverse("cases:message-template-edit", args=[made.pk]),
        {"language": "de", "title": "Termin", "text": "Neu", "position": 5},
    )
    made.refresh_from_db()
    assert (made.text, made.active) == ("Neu", False)
