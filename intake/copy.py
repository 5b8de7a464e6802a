"""The reporter's copy of what they sent: their answers with the form's own questions,
the addresses they gave, their files (name, size, SHA-256; never the files themselves)
and the messages both ways. Never a staff note, nor anything staff wrote about them."""

from __future__ import annotations

from dataclasses import dataclass

from django.template.defaultfilters import date as format_date
from django.utils.translation import gettext as _

from cases.choices import EventKind
from cases.models import ContentLocation, Dossier, DossierEvent, Evidence
from cases.report_form import ReportQuestionsForm

# The answers, in the order the form asks the questions; each shown only when given.
QUESTIONS = [
    "reporter_type",
    "reporter_gender",
    "organisation_kind",
    "organisation_name",
    "forms_of_abuse",
    "description",
    "threat_active",
    "threat_deadline",
    "person_age_band",
    "person_minor_on_images",
    "person_gender",
    "still_circulating",
    "author_relation",
    "images_made_by",
    "steps_taken",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
    "wants_acknowledgement",
    "voicemail_allowed",
    "may_name_institute",
    "safe_contact_instructions",
    "contact_language",
]
# Answers a question left open comes back as; not worth a line of the copy.
NOT_ANSWERED = {"", "unknown", "not_given", None}

CONVERSATION = [
    EventKind.MESSAGE_TO_REPORTER,
    EventKind.MESSAGE_FROM_REPORTER,
    EventKind.LOCATION_ADDED,
    EventKind.EVIDENCE_ADDED,
]


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str


def _shown(field, value) -> str:
    """The answer as the form offered it: the choice's words, yes or no, a date."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if hasattr(value, "tzinfo"):
        return format_date(value, "DATETIME_FORMAT")
    choices = dict(getattr(field, "choices", []) or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(item, item)) for item in value)
    return str(choices.get(value, value))


def answers(dossier: Dossier) -> list[Answer]:
    fields = ReportQuestionsForm.base_fields
    result = []
    for name in QUESTIONS:
        value = getattr(dossier, name)
        if isinstance(value, list):
            if not value:
                continue
        elif value in NOT_ANSWERED or (name == "wants_acknowledgement" and not value):
            continue
        result.append(Answer(str(fields[name].label), _shown(fields[name], value)))
    return result


def copy_of(dossier: Dossier) -> dict:
    return {
        "answers": answers(dossier),
        "locations": ContentLocation.objects.filter(dossier=dossier),
        "files": Evidence.objects.filter(dossier=dossier, from_reporter=True),
        "conversation": DossierEvent.objects.filter(
            dossier=dossier, kind__in=CONVERSATION
        ).order_by("at", "id"),
    }
