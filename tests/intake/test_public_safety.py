"""What every public page does for the safety of the person using it."""

import re

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from institute.middleware import CsrfViewMiddleware

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/{}/", "/{}/report/", "/{}/follow-up/"]
LANGUAGES = ["nl", "fr", "de", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_pages_are_not_cached_and_send_no_referrer(client, page, language):
    response = client.get(page.format(language))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_every_public_page_has_a_quick_exit_that_works_without_javascript(client, page, settings):
    settings.QUICK_EXIT_URL = "https://weather.example/"
    html = client.get(page.format("fr")).content.decode()
    link = re.search(r"<a [^>]*data-quick-exit[^>]*>", html).group(0)
    assert 'href="/exit/"' in link
    assert 'rel="noreferrer"' in link
    leaving = client.get("/exit/")
    assert (leaving.status_code, leaving["Location"]) == (302, "https://weather.example/")
    assert "/static/intake/public.js" in html


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_pages_load_nothing_from_another_site_and_have_no_inline_script(client, page):
    html = client.get(page.format("nl")).content.decode()
    loaded = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="([^"]+)"', html)
    assert loaded, "the page should load its own assets"
    assert all(url.startswith("/") or url == "data:," for url in loaded), loaded
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and " on" + "click=" not in html


def test_the_language_switcher_links_the_same_page_in_each_language(client):
    html = client.get("/de/follow-up/").content.decode()
    for language in ["nl", "fr", "en"]:
        assert f'href="/{language}/follow-up/" lang="{language}"' in html


def test_a_post_from_a_no_referrer_page_is_accepted_when_the_browser_says_same_origin():
    """Browsers send "Origin: null" with forms posted from a no-referrer page."""
    factory = RequestFactory()
    middleware = CsrfViewMiddleware(lambda request: None)

    def post(**headers):
        token_request = factory.get("/")
        token = get_token(token_request)
        request = factory.post("/en/report/", {"csrfmiddlewaretoken": token}, **headers)
        request.COOKIES["csrftoken"] = token_request.META["CSRF_COOKIE"]
        return middleware.process_view(request, lambda r: None, (), {})

    assert post(HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin") is None
    assert post(HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert post(HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-site").status_code == 403
    assert post(HTTP_ORIGIN="null") is None  # an older browser: the token decides
    assert post(HTTP_ORIGIN="https://evil.example").status_code == 403


def test_the_report_form_still_needs_its_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/report/", {}, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 403


def test_the_csrf_middleware_in_use_is_djangos_own_with_one_rule_added(settings):
    from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrf
    from django.utils.module_loading import import_string

    csrf = [m for m in settings.MIDDLEWARE if "Csrf" in m]
    assert csrf == ["institute.middleware.CsrfViewMiddleware"]
    assert issubclass(import_string(csrf[0]), DjangoCsrf)


def test_the_quick_exit_closes_an_open_follow_up(client):
    session = client.session
    session["intake_followup"] = {"id": 1, "until": 9e9}
    session.save()
    client.get("/exit/")
    assert "intake_followup" not in client.session


def test_an_expired_form_is_explained_in_the_page_language():
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="de")
    response = client.post("/de/report/", {})
    assert response.status_code == 403
    with translation.override("de"):
        expected = gettext("This page had expired")
    assert expected != "This page had expired"
    assert expected in response.content.decode()


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_help_for_images_follows_the_age_they_were_taken_at(client, language):
    """StopNCII.org only takes images taken at 18 or older: the landing page says so, and
    points to Take It Down for images of someone under 18."""
    from html import unescape

    page = unescape(client.get(f"/{language}/").content.decode())
    items = re.findall(r"<li>(.*?)</li>", page, re.S)
    stopncii = [item for item in items if "stopncii.org" in item]
    take_it_down = [item for item in items if "takeitdown.ncmec.org" in item]
    assert len(stopncii) == 1 and len(take_it_down) == 1
    assert "18" in re.sub(r"<[^>]+>", "", stopncii[0])
    assert "18" in re.sub(r"<[^>]+>", "", take_it_down[0])
