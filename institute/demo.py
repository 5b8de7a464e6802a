"""Demo staff accounts and a realistic, fictional caseload for `make run`.

Idempotent: users are matched on username and dossiers on their ``external_id``
(``demo-NNN``), so running it again adds nothing. Refused in production.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from cases import receipts
from cases.choices import (
    AgeBand,
    AuthorRelation,
    Channel,
    ClosureReason,
    ComplaintOutcome,
    ContactMethod,
    Gender,
    ImagesMadeBy,
    Language,
    LegalBasis,
    OrganisationKind,
    PlatformKind,
    ReferralKind,
    ReferralOutcome,
    ReporterType,
    StepTaken,
    TakedownMethod,
    TakedownOutcome,
    WaitingFor,
    YesNoUnknown,
)
from cases.models import BRUSSELS, ContentLocation, Dossier, Platform
from cases.outbox import outbox_settle
from cases.services import (
    dossier_assign,
    dossier_close,
    dossier_contact_record,
    dossier_create,
    dossier_message_reporter,
    dossier_note_add,
    dossier_triage,
    dossier_wait,
    location_platform_set,
    referral_outcome_record,
    referral_record,
    referrals_suggested,
    takedown_answer_record,
    takedown_request_record,
)

from .roles import Role

DEMO_PASSWORD = "institute-demo"  # noqa: S105 (printed at start; demo only)
DEMO_DOSSIERS = 50
RECENT_DOSSIERS = 14


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    first_name: str
    superuser: bool = False


DEMO_USERS = [
    DemoUser("coordinator", Role.COORDINATOR, "Coordinator"),
    DemoUser("caseworker", Role.CASE_WORKER, "Case worker"),
    DemoUser("caseworker2", Role.CASE_WORKER, "Second case worker"),
    DemoUser("management", Role.MANAGEMENT, "Management"),
    DemoUser("admin", Role.ADMINISTRATOR, "Administrator", superuser=True),
]

# Fictional accounts of what people write, one set per language.
DESCRIPTIONS = {
    "nl": [
        "Mijn ex dreigt foto's van mij door te sturen naar mijn vrienden als ik niet terugkom.",
        "Iemand heeft een filmpje van mij in de kleedkamer gemaakt en het staat online.",
        "Ik krijg berichten dat ze mijn beelden naar mijn familie sturen als ik niet betaal.",
    ],
    "fr": [
        "Mon ancien compagnon a publié des photos intimes de moi sur un réseau social.",
        "Un inconnu me demande de l'argent sinon il diffuse une vidéo de moi.",
        "Des photos de ma fille circulent dans son école.",
    ],
    "de": [
        "Mein Ex-Partner hat private Bilder von mir in einer Chatgruppe geteilt.",
        "Jemand erpresst mich mit einem Video aus einem Videoanruf.",
    ],
    "en": [
        "Someone I met online is threatening to send my pictures to my colleagues.",
        "A friend told me my photos are on a porn site; I never agreed to that.",
    ],
}
PLATFORMS = [
    (PlatformKind.SOCIAL_MEDIA, "Instagram"),
    (PlatformKind.SOCIAL_MEDIA, "Facebook"),
    (PlatformKind.SOCIAL_MEDIA, "TikTok"),
    (PlatformKind.MESSAGING, "WhatsApp"),
    (PlatformKind.MESSAGING, "Snapchat"),
    (PlatformKind.MESSAGING, "Telegram"),
    (PlatformKind.PORN_SITE, "adult video site"),
    (PlatformKind.DATING, "dating app"),
    (PlatformKind.FORUM, "image board"),
]
# The Institute's platform list as the demo starts it: (name, kind, language of notices,
# very large online platform). Real entries and their notice addresses are kept in the
# admin by the Institute.
PLATFORM_LIST = [
    ("Instagram", PlatformKind.SOCIAL_MEDIA, "en", True),
    ("Facebook", PlatformKind.SOCIAL_MEDIA, "en", True),
    ("TikTok", PlatformKind.SOCIAL_MEDIA, "en", True),
    ("Snapchat", PlatformKind.MESSAGING, "en", True),
    ("WhatsApp", PlatformKind.MESSAGING, "en", False),
    ("Telegram", PlatformKind.MESSAGING, "en", False),
]
NOTES = [
    "Called back; the person prefers email from now on.",
    "Screenshots of the threats are in the files.",
    "Explained StopNCII.org and how the hashing works.",
    "The person does not want to file a complaint for now.",
]
# How often each closure reason occurs in the demo caseload. Explicit per reason, so that
# a new reason cannot silently shift the weights. NOT_RECORDED is left out on purpose: it
# is only for history imported from earlier records, never for a dossier closed here.
CLOSURE_REASON_WEIGHTS = {
    ClosureReason.CONTENT_REMOVED: 35,
    ClosureReason.REFERRED: 25,
    ClosureReason.NO_FURTHER_ACTION_WANTED: 15,
    ClosureReason.NO_CONTACT_POSSIBLE: 10,
    ClosureReason.NOT_COMPETENT: 10,
    ClosureReason.OTHER: 5,
}
FIRST_NAMES = ["Lotte", "Emma", "Inès", "Yasmine", "Lukas", "Noah", "Sam", "Chloé", "Milan", "Anna"]


def ensure_demo_users() -> dict[str, object]:
    User = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "email": f"{spec.username}@demo.invalid",
                "is_staff": spec.superuser,
                "is_superuser": spec.superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=spec.role.value)[0])
        ensure_demo_second_factor(user)
        users[spec.username] = user
    return users


def demo_totp_key(username: str) -> str:
    """The authenticator key (hex) of a demo account: fixed, so that a demo sign-in can
    be set up once in an authenticator app, and printed by load_demo_data. Demo data
    never exist in production (load_demo_data refuses)."""
    return hashlib.sha256(f"demo-totp:{username}".encode()).hexdigest()[:40]


def demo_totp_base32(username: str) -> str:
    return base64.b32encode(bytes.fromhex(demo_totp_key(username))).decode("ascii")


def ensure_demo_second_factor(user) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(
        user=user,
        name="authenticator",
        defaults={"key": demo_totp_key(user.get_username()), "confirmed": True},
    )


def demo_receipt_code(index: int) -> str:
    """The receipt code of the ``index``-th demo dossier (if it came through the web),
    fixed so that the follow-up page can be tried with it."""
    return receipts.receipt_code_for(f"demo-receipt-{index:03d}-{'x' * 32}")


def _received_at(rng: random.Random, index: int) -> datetime:
    """Most dossiers spread from 1 July 2020 on; the last RECENT ones in the last 90 days,
    so the staff side shows a live caseload next to the archive."""
    now = datetime.now(BRUSSELS)
    recent_from = now - timedelta(days=90)
    archive = DEMO_DOSSIERS - RECENT_DOSSIERS
    if index < archive:
        start, end, position = datetime(2020, 7, 1, tzinfo=BRUSSELS), recent_from, index
        count = archive
    else:
        start, end, position = recent_from, now - timedelta(hours=2), index - archive
        count = RECENT_DOSSIERS
    moment = start + (end - start) * ((position + rng.random()) / count)
    moment = moment.replace(hour=rng.randint(7, 22), minute=rng.randint(0, 59), second=0)
    return min(moment, now - timedelta(hours=1))


def _forms(rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < 0.55:
        return ["ncii"]
    if roll < 0.70:
        return ["voyeurism"]
    if roll < 0.85:
        return ["sextortion"]
    if roll < 0.93:
        return ["ncii", "sextortion"]
    return ["ncii", "voyeurism"]


def _build_dossier(rng: random.Random, index: int) -> tuple[Dossier, list[ContentLocation]]:
    language = rng.choices(Language.values, weights=[45, 40, 5, 10])[0]
    reporter_type = rng.choices(ReporterType.values[:3], weights=[70, 18, 12])[0]
    is_org = reporter_type == ReporterType.ORGANISATION
    age_band = rng.choice(AgeBand.values)
    minor = (
        YesNoUnknown.YES
        if AgeBand(age_band).is_minor
        else rng.choices(YesNoUnknown.values, weights=[5, 80, 15])[0]
    )
    name = rng.choice(FIRST_NAMES)
    dossier = Dossier(
        external_id=f"demo-{index + 1:03d}",
        received_at=_received_at(rng, index),
        channel=rng.choices(Channel.values, weights=[60, 20, 12, 2, 4, 2])[0],
        language=language,
        reporter_type=reporter_type,
        reporter_gender=(
            Gender.NOT_GIVEN if is_org else rng.choices(Gender.values, weights=[60, 25, 5, 10])[0]
        ),
        organisation_kind=rng.choice(OrganisationKind.values) if is_org else "",
        organisation_name="Demo organisation" if is_org else "",
        reporter_name="" if rng.random() < 0.3 else name,
        reporter_email=f"{name.lower()}.{index}@example.invalid" if rng.random() < 0.6 else "",
        reporter_phone="+32 470 00 00 00" if rng.random() < 0.3 else "",
        safe_contact_instructions=rng.choice(
            ["", "Only after 18:00.", "Do not leave a voicemail.", "Email only."]
        ),
        contact_language=language,
        voicemail_allowed=rng.choice([True, False, None]),
        may_name_institute=rng.choice([True, False, None]),
        wants_acknowledgement=rng.random() < 0.5,
        person_age_band=age_band,
        person_minor_on_images=minor,
        person_gender=rng.choices(Gender.values, weights=[70, 20, 4, 6])[0],
        description=rng.choice(DESCRIPTIONS[language]),
        author_relation=rng.choices(AuthorRelation.values, weights=[50, 5, 15, 10, 3, 4, 8, 5])[0],
        images_made_by=rng.sample(ImagesMadeBy.values[:4], k=rng.randint(1, 2)),
        still_circulating=rng.choices(YesNoUnknown.values, weights=[20, 10, 70])[0],
        steps_taken=rng.sample(StepTaken.values[:4], k=rng.randint(0, 2)) or [StepTaken.NONE],
    )
    if dossier.channel == Channel.WEB:
        dossier.receipt_hash = receipts.receipt_hash(demo_receipt_code(index))
    dossier.forms_of_abuse = _forms(rng)
    if "sextortion" in dossier.forms_of_abuse:
        dossier.threat_active = YesNoUnknown.YES
    locations = [
        ContentLocation(
            platform_kind=kind,
            platform_name=platform,
            url=f"https://{platform.lower().replace(' ', '-')}.example/{rng.randrange(10**8)}",
        )
        for kind, platform in rng.sample(PLATFORMS, k=rng.randint(0, 2))
    ]
    return dossier, locations


def _contact_and_help(rng: random.Random, dossier: Dossier, worker, step: datetime) -> datetime:
    """What staff do in a dossier: reach the reporter, request takedowns, refer, note.
    Returns the moment the last of it happened."""
    now = datetime.now(BRUSSELS)
    moment = min(step + timedelta(hours=rng.randint(1, 30)), now)
    if dossier.reporter_phone or dossier.reporter_email:
        method = ContactMethod.PHONE if dossier.reporter_phone else ContactMethod.EMAIL
        dossier_contact_record(dossier_id=dossier.pk, method=method, by=worker, at=moment)
    elif dossier.receipt_hash:
        dossier_message_reporter(
            dossier_id=dossier.pk,
            text="Thank you for your report. We are asking the platform to remove the images.",
            by=worker,
            at=moment,
        )
    dossier_note_add(
        dossier_id=dossier.pk,
        text=rng.choice(NOTES),
        by=worker,
        at=moment + timedelta(minutes=20),
    )
    moment = _takedowns(rng, dossier, worker, moment, now)
    _referrals(rng, dossier, worker, moment, now)
    return moment


def _takedowns(rng: random.Random, dossier: Dossier, worker, moment: datetime, now) -> datetime:
    """A notice to each platform (matched to the list when it is on it), most of them
    acknowledged and decided, a few refusals contested; the moment of the last one."""
    for location in dossier.locations.all():
        platform = Platform.objects.matching(location.platform_name)
        if platform is not None:
            location_platform_set(location_id=location.pk, platform_id=platform.pk, by=worker)
        sent = min(moment + timedelta(hours=rng.randint(1, 24)), now)
        takedown = takedown_request_record(
            location_id=location.pk,
            sent_to=f"abuse desk of {location.platform_name}",
            method=rng.choice([TakedownMethod.WEB_FORM, TakedownMethod.TRUSTED_FLAGGER]),
            legal_basis=rng.choice([LegalBasis.DSA_NOTICE, LegalBasis.CRIMINAL_CODE]),
            sent_at=sent,
            by=worker,
            notice_language="en",
        )
        _answer(rng, takedown, worker, sent, now)
        moment = max(moment, sent)
    return moment


def _answer(rng: random.Random, takedown, worker, sent: datetime, now) -> None:
    acknowledged = sent + timedelta(minutes=rng.randint(5, 60 * 20))
    if acknowledged < now and rng.random() < 0.9:
        takedown_answer_record(takedown_id=takedown.pk, acknowledged_at=acknowledged, by=worker)
    answered = sent + timedelta(hours=rng.randint(6, 72))
    if answered >= now - timedelta(hours=1) or rng.random() >= 0.85:
        return
    outcome = rng.choices(
        [
            TakedownOutcome.REMOVED,
            TakedownOutcome.RESTRICTED,
            TakedownOutcome.GEO_BLOCKED,
            TakedownOutcome.REFUSED,
            TakedownOutcome.NO_ANSWER,
        ],
        weights=[65, 5, 5, 15, 10],
    )[0]
    recent = (now - answered).days < 14
    takedown_answer_record(
        takedown_id=takedown.pk,
        outcome=outcome,
        outcome_at=answered,
        reasons_received_on=answered.date() if outcome != TakedownOutcome.NO_ANSWER else None,
        recheck_on=(answered + timedelta(days=7)).date() if recent else None,
        by=worker,
        at=answered,
    )
    later = answered + timedelta(days=rng.randint(2, 10))
    if later >= now:
        return
    if outcome == TakedownOutcome.REFUSED and rng.random() < 0.6:
        takedown_answer_record(
            takedown_id=takedown.pk,
            complaint_lodged_on=answered.date(),
            complaint_outcome=rng.choice([ComplaintOutcome.UPHELD, ComplaintOutcome.REJECTED]),
            complaint_outcome_on=later.date(),
            by=worker,
            at=later,
        )
    elif outcome == TakedownOutcome.REMOVED and rng.random() < 0.1:
        takedown_answer_record(
            takedown_id=takedown.pk, reuploaded_on=later.date(), by=worker, at=later
        )


def _referrals(rng: random.Random, dossier: Dossier, worker, moment: datetime, now) -> None:
    """The referrals the dossier page would suggest (StopNCII.org not always taken up),
    sometimes the police or victim support too, with an outcome after a week."""
    referred_on = moment.date()
    kinds = [
        kind
        for kind in referrals_suggested(dossier, [])
        if kind != ReferralKind.STOPNCII or rng.random() < 0.6
    ]
    if rng.random() < 0.3:
        kinds.append(rng.choice([ReferralKind.POLICE, ReferralKind.VICTIM_SUPPORT]))
    for kind in kinds:
        referral = referral_record(
            dossier_id=dossier.pk, kind=kind, referred_on=referred_on, by=worker, at=moment
        )
        if (now.date() - referred_on).days > 7:
            referral_outcome_record(
                referral_id=referral.pk,
                outcome=rng.choice(ReferralOutcome.values[1:]),
                outcome_on=referred_on + timedelta(days=rng.randint(1, 7)),
                by=worker,
                at=moment + timedelta(days=1),
            )


def _progress(rng: random.Random, dossier: Dossier, users: dict) -> None:
    """Move a dossier along the workflow as far as its age makes plausible."""
    age_days = (datetime.now(BRUSSELS) - dossier.received_at).days
    if age_days < 10 and rng.random() < 0.8:
        return  # still new and unassigned
    worker = users[rng.choice(["caseworker", "caseworker2"])]
    step = dossier.received_at + timedelta(hours=rng.randint(2, 40))
    dossier_assign(dossier_id=dossier.pk, to=worker, by=users["coordinator"], at=step)
    dossier_triage(dossier_id=dossier.pk, accept=True, by=worker, at=step)
    if age_days < 3:
        return  # taken on, nobody reached yet
    step = _contact_and_help(rng, dossier, worker, step)
    if age_days < 90 and rng.random() < 0.7:
        if rng.random() < 0.4:
            dossier_wait(
                dossier_id=dossier.pk,
                waiting_for=rng.choice(WaitingFor.values),
                by=worker,
                at=step + timedelta(hours=rng.randint(4, 48)),
                note="Waiting for an answer.",
            )
        return
    dossier_close(
        dossier_id=dossier.pk,
        by=worker,
        at=min(step + timedelta(days=rng.randint(3, 40)), datetime.now(BRUSSELS)),
        closure_reason=rng.choices(
            list(CLOSURE_REASON_WEIGHTS), weights=list(CLOSURE_REASON_WEIGHTS.values())
        )[0],
    )


def load_demo_data() -> tuple[dict, int]:
    """Create what is missing; return the demo users and how many dossiers were added."""
    if not settings.DEMO_DATA_ALLOWED:
        raise ImproperlyConfigured("Demo data is never loaded in production.")
    with transaction.atomic():
        users = ensure_demo_users()
        for name, kind, language, very_large in PLATFORM_LIST:
            Platform.objects.get_or_create(
                name=name, defaults={"kind": kind, "language": language, "very_large": very_large}
            )
    existing = set(
        Dossier.objects.filter(external_id__startswith="demo-").values_list(
            "external_id", flat=True
        )
    )
    return users, _load_dossiers(users, existing)


def _load_dossiers(users: dict, existing: set[str]) -> int:
    added = 0
    for index in range(DEMO_DOSSIERS):
        if f"demo-{index + 1:03d}" in existing:
            continue
        # One fixed seed per dossier: the same caseload on every machine and every run.
        rng = random.Random(f"demo-{index}")
        dossier, locations = _build_dossier(rng, index)
        with transaction.atomic():
            dossier = dossier_create(dossier=dossier, locations=locations, at=dossier.received_at)
            _progress(rng, dossier, users)
            # The demo caseload is history: what it notified is settled, not mailed.
            outbox_settle(dossier=dossier, at=dossier.received_at)
        added += 1
    return added
