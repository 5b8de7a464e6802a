"""Factories: dossiers are saved through the real service, never around it."""

from __future__ import annotations

import factory
from django.utils import timezone

from cases.choices import Channel, Gender, Language, PlatformKind, ReporterType
from cases.models import ContentLocation, Dossier
from cases.services import dossier_create


class DossierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dossier

    received_at = factory.LazyFunction(timezone.now)
    channel = Channel.WEB
    language = Language.NL
    form_ncii = True
    reporter_type = ReporterType.PERSON_CONCERNED
    reporter_gender = Gender.WOMAN
    reporter_name = factory.Sequence(lambda n: f"Reporter {n}")
    reporter_email = factory.Sequence(lambda n: f"reporter{n}@example.invalid")
    description = "Photos were posted on a social network without my consent."

    @classmethod
    def _create(cls, model_class, *args, locations=(), **kwargs):
        return dossier_create(dossier=model_class(*args, **kwargs), locations=locations)


def location(**kwargs) -> ContentLocation:
    defaults = {
        "platform_kind": PlatformKind.SOCIAL_MEDIA,
        "platform_name": "Instagram",
        "url": "https://instagram.example/p/123",
    }
    return ContentLocation(**{**defaults, **kwargs})


def late_takedown(*, hours_ago: int = 30):
    """A dossier with one location whose takedown request, sent ``hours_ago`` hours ago,
    is still unanswered (late after TAKEDOWN_DEADLINE_HOURS)."""
    from datetime import timedelta

    from django.utils import timezone

    from cases.choices import LegalBasis, TakedownMethod
    from cases.services import takedown_request_record

    sent = timezone.now() - timedelta(hours=hours_ago)
    dossier = DossierFactory(received_at=sent - timedelta(days=1), locations=[location()])
    takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Abuse desk",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=sent,
    )
    return dossier
