"""What a person is told after reporting, on the receipt and the follow-up page: when
someone will read the report (the dossier's own first-contact deadline, so the page and
the staff's clock agree), what happens next, what to do meanwhile for the forms of abuse
they reported, where to get urgent help, and how to reach the Institute."""

from __future__ import annotations

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import get_language, pgettext

from cases.choices import Status
from cases.models import Dossier


def institute_contact() -> dict:
    """The Institute's public phone line and address, in the reader's language."""
    language = (get_language() or "").split("-")[0]
    email = settings.INSTITUTE_EMAIL_NL if language == "nl" else settings.INSTITUTE_EMAIL_FR
    return {
        "phone": settings.INSTITUTE_PHONE,
        "phone_hours": settings.INSTITUTE_PHONE_HOURS,
        "email": email,
    }


def next_steps(dossier: Dossier) -> dict:
    """The context of ``intake/_next_steps.html`` for one dossier."""
    read_by = None
    waiting = dossier.first_contact_at is None and dossier.status != Status.CLOSED
    if waiting and dossier.first_contact_due is not None:
        read_by = timezone.localdate(dossier.first_contact_due)
    return {
        "read_by": read_by,
        "read_today": read_by == timezone.localdate(),
        # A weekday and a date, written as the language writes them.
        "read_by_text": (
            formats.date_format(read_by, pgettext("weekday and date", "l j F")) if read_by else ""
        ),
        "forms": dossier.forms_of_abuse,
        "minor": dossier.concerns_a_minor,
        "contact": institute_contact(),
    }
