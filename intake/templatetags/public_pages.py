"""Template helpers of the public pages."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse, translate_url
from django.utils import translation

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context) -> list[tuple[str, str]]:
    """(language code, address) for each language: this page in that language when the
    page has one (its own path arguments kept), the landing page otherwise. Works on
    any page that shows the public layout, a CSRF failure on a staff URL included."""
    request = context.get("request")
    path = request.path if request is not None else ""
    links = []
    for code, _name in settings.LANGUAGES:
        translated = translate_url(path, code) if path else ""
        if not translated or translated == path:
            with translation.override(code):
                translated = reverse("intake:landing")
        links.append((code, translated))
    return links
