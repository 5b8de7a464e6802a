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


@pytest.mark.parametrize("chosen", ["²", "9" * 5000, "-1", "1e3", "../", ""])
def test_a_template_number_that_is_not_one_is_ignored(client, users, dossier, chosen):
    client.force_login(users["caseworker"])
    url = reverse("cases:dossier-detail", args=[dossier.pk])
    assert client.get(url, {"template": chosen}).status_code == 200


def test_a_refusal_on_a_template_page_is_not_logged_against_a_dossier(client, users):
    from institute.models import SecurityEvent, SecurityEventKind

    template = MessageTemplate.objects.first()
    client.force_login(users["caseworker"])
    edit = reverse("cases:message-template-edit", args=[template.pk])
    assert client.get(edit).status_code == 403
    refusal = SecurityEvent.objects.filter(kind=SecurityEventKind.ACCESS_REFUSED).get()
    assert refusal.dossier_id is None


def test_a_duplicate_title_is_refused_on_its_field_whatever_its_case(client, users):
    template = MessageTemplate.objects.get(language="en", title="Report read")
    other = MessageTemplate.objects.get(language="en", title="Images removed")
    client.force_login(users["coordinator"])
    edit = reverse("cases:message-template-edit", args=[other.pk])
    response = client.post(
        edit,
        {"language": "en", "title": "report READ", "text": "x", "position": 1},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    html = unescape(response.content.decode())
    # In the summary at the top, which leads to the title's input, and on the field.
    assert 'href="#id_title"' in html and 'aria-invalid="true"' in html
    assert "There is already a template with this title in this language." in html
    # The page names the template as it is saved, not as it was mistyped.
    assert "<title>Error: Images removed" in html
    other.refresh_from_db()
    assert other.title == "Images removed" and template.title == "Report read"


def test_a_title_with_direction_overrides_is_refused(client, users):
    client.force_login(users["coordinator"])
    response = client.post(
        reverse("cases:message-template-new"),
        {"language": "en", "title": "Report\u202eread", "text": "x", "position": 1},
    )
    assert response.status_code == 400
    assert not MessageTemplate.objects.filter(title__contains="\u202e").exists()


def test_coordinators_find_the_templates_in_the_menu(client, users):
    client.force_login(users["coordinator"])
    assert f'href="{TEMPLATES}"' in client.get(reverse("cases:dossier-list")).content.decode()
    client.force_login(users["caseworker"])
    assert f'href="{TEMPLATES}"' not in client.get(reverse("cases:dossier-list")).content.decode()
