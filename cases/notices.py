"""Notices to platforms under Article 16 of the Digital Services Act.

A notice holds (a) a substantiated explanation of why the content is illegal, taken from
the legal explanations the Institute's lawyers keep in the admin, per form of abuse and
language; (b) the exact address of the content; (c) the notifier's name and email
address: always the Institute's, never the reporter's, and none at all when a minor is
on the images (Article 16(2)(c) exempts notices about the offences of Articles 3 to 7 of
Directive 2011/93/EU); (d) the statement of good faith. It says whether the Institute
notifies as a trusted flagger (Article 22, the ``NOTICE_TRUSTED_FLAGGER`` setting).

The text is plain text, composed in the platform's language. The same function composes
it for the page that shows it and for the record of the request, which stores it with
its SHA-256, so that what was sent can be shown and checked later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from institute.text import render_text

from .choices import Language, NoticeGround
from .errors import ActionRefused
from .models import ContentLocation, NoticeExplanation


@dataclass(frozen=True)
class Notice:
    language: str
    text: str
    trusted_flagger: bool
    minor_exception: bool

    @property
    def sha256(self) -> str:
        return text_sha256(self.text)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def notice_grounds(dossier) -> list[str]:
    """The subjects the notice explains: each form of abuse of the dossier, and a minor."""
    grounds = [
        ground
        for ground, applies in (
            (NoticeGround.NCII, dossier.form_ncii),
            (NoticeGround.VOYEURISM, dossier.form_voyeurism),
            (NoticeGround.SEXTORTION, dossier.form_sextortion),
            (NoticeGround.MINOR, dossier.concerns_a_minor),
        )
        if applies
    ]
    return [str(ground) for ground in grounds]


def default_language(location: ContentLocation) -> str:
    """The platform's language for notices when it is on the list; English otherwise."""
    return location.platform.language if location.platform_id else Language.EN


def notice_for(location: ContentLocation, language: str) -> Notice:
    """The notice for one content location in ``language``. Refused (ActionRefused, in the
    active language) when the legal explanation it needs is missing from the table."""
    if language not in Language.values:
        raise ActionRefused(_("Choose the language of the notice."))
    dossier = location.dossier
    grounds = notice_grounds(dossier)
    texts = dict(
        NoticeExplanation.objects.filter(ground__in=grounds, language=language).values_list(
            "ground", "text"
        )
    )
    missing = [
        NoticeGround(ground).label for ground in grounds if not texts.get(ground, "").strip()
    ]
    if missing:
        raise ActionRefused(
            _(
                "The legal explanation for “%(subject)s” in %(language)s is missing. Ask for "
                "it to be added in the admin (legal explanations for notices)."
            )
            % {"subject": missing[0], "language": Language(language).label}
        )
    minor = dossier.concerns_a_minor
    trusted = settings.NOTICE_TRUSTED_FLAGGER
    # Greeted by the list's name only: the name a reporter typed is never the Institute's
    # words in a legal notice.
    platform = location.platform.name if location.platform_id else ""
    context = {
        "reference": dossier.reference,
        "platform": platform,
        "url": location.url,
        "explanations": [texts[ground].strip() for ground in grounds],
        "minor": minor,
        "trusted_flagger": trusted,
        "notice_email": settings.NOTICE_EMAIL,
    }
    with translation.override(language):
        text = render_text("cases/notice.txt", context)
    return Notice(language=language, text=text, trusted_flagger=trusted, minor_exception=minor)
