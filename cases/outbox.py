"""Notifications through the outbox.

``notify_*`` functions only write rows, inside the caller's transaction, and ask for
delivery once that transaction commits. If the broker (Redis) is down at that moment,
nothing is lost: the periodic sweep delivers whatever is still pending.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation

from institute.clients import keyed_hash
from institute.models import mail_language
from institute.roles import Role, staff_with_roles
from institute.text import render_text

from .choices import NotificationKind
from .models import BRUSSELS, Dossier, OutboxMessage

logger = logging.getLogger(__name__)


def _queue_delivery(message_ids: list[int]) -> None:
    """One task for these messages (the sweep delivers them if it is lost)."""
    from .tasks import deliver_outbox_messages

    try:
        if deliver_outbox_messages.app.conf.task_always_eager:
            # No broker (development, make run): run it here, as Celery's eager mode
            # would, without the broker connection that mode still opens.
            deliver_outbox_messages.apply(args=(message_ids,))
        else:
            deliver_outbox_messages.delay(message_ids)
    except Exception as exc:  # any broker failure: the sweep retries
        logger.warning(
            "outbox messages %s not queued (%s); the periodic sweep will deliver them",
            message_ids,
            type(exc).__name__,
        )


class _DeliveryAfterCommit:
    """The messages one transaction wrote, handed to one task once it commits: a report
    that alerts three people publishes once, not three times."""

    def __init__(self) -> None:
        self.message_ids: list[int] = []

    def __call__(self) -> None:
        _queue_delivery(self.message_ids)


def _deliver_after_commit(message_id: int) -> None:
    """Add the message to the delivery this transaction (at this savepoint) already
    asked for, or ask for one. Only within one savepoint: Django forgets the callbacks
    of a savepoint rolled back, and with them the ids written there."""
    connection = transaction.get_connection()
    waiting = connection.run_on_commit
    if (
        connection.in_atomic_block
        and waiting
        and isinstance(waiting[-1][1], _DeliveryAfterCommit)
        and waiting[-1][0] == set(connection.savepoint_ids)
    ):
        waiting[-1][1].message_ids.append(message_id)
        return
    delivery = _DeliveryAfterCommit()
    delivery.message_ids.append(message_id)
    transaction.on_commit(delivery)


def outbox_enqueue(
    *,
    kind: str,
    recipient: str,
    language: str,
    dossier: Dossier | None = None,
    staff_member=None,
    once_key: str | None = None,
) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        kind=kind,
        recipient=recipient,
        language=language,
        dossier=dossier,
        staff_member=staff_member,
        once_key=once_key,
    )
    _deliver_after_commit(message.pk)
    return message


def _to_staff(kind: str, users, dossier: Dossier | None = None) -> list[OutboxMessage]:
    """One message per staff member, each in the language they read mail in."""
    return [
        outbox_enqueue(
            kind=kind, recipient=user.email, language=mail_language(user), dossier=dossier
        )
        for user in users
    ]


def coordinators_to_alert():
    return staff_with_roles(Role.COORDINATOR).exclude(email="")


def notify_new_report(*, dossier: Dossier, coordinators=None) -> list[OutboxMessage]:
    """Alert the coordinators (urgently if a minor is involved) and acknowledge to the
    reporter if they gave an email address and asked for it. ``coordinators``: the
    recipients when the caller read them already (before taking locks).

    A report received in a surge (a flood of reports) does not alert by itself: the
    coordinators get one alert per hour of surge, and no acknowledgement is mailed, so
    a flood cannot turn the form into a way to send mail to anyone's address. One
    involving a minor still raises the urgent alert, at most once an hour per
    coordinator during the surge (the list shows the others in red).
    """
    if dossier.received_in_surge:
        messages = _once_an_hour(NotificationKind.SURGE, at=dossier.received_at)
        if dossier.involves_minor:
            messages += _once_an_hour(
                NotificationKind.URGENT_REPORT, at=dossier.received_at, dossier=dossier
            )
        return messages
    kind = NotificationKind.URGENT_REPORT if dossier.involves_minor else NotificationKind.NEW_REPORT
    recipients = coordinators_to_alert() if coordinators is None else coordinators
    messages = _to_staff(kind, recipients, dossier)
    if dossier.wants_acknowledgement and dossier.reporter_email:
        messages.append(
            outbox_enqueue(
                kind=NotificationKind.ACKNOWLEDGEMENT,
                recipient=dossier.reporter_email,
                language=dossier.contact_language or dossier.language,
                dossier=dossier,
            )
        )
    return messages


# A reporter who posts again within this time after an alert does not cause another.
REPORTER_ALERT_QUIET = timedelta(minutes=15)


def notify_reporter_added(*, dossier: Dossier, at=None) -> list[OutboxMessage]:
    """Tell whoever handles the dossier that the reporter added to it: the assignee, or
    the coordinators while nobody is assigned. Once per burst: nothing if such an alert
    for this dossier was written in the last ``REPORTER_ALERT_QUIET`` (the caller holds
    the dossier's row lock, so two posts at once cannot both see none)."""
    at = at or timezone.now()
    recent = OutboxMessage.objects.filter(
        dossier=dossier,
        kind=NotificationKind.REPORTER_ADDED,
        created_at__gt=at - REPORTER_ALERT_QUIET,
    )
    if recent.exists():
        return []
    assignee = dossier.assignee
    if assignee is not None and assignee.is_active and assignee.email:
        recipients = [assignee]
    else:
        recipients = list(coordinators_to_alert())
    return _to_staff(NotificationKind.REPORTER_ADDED, recipients, dossier)


def notify_withdrawn(*, dossier: Dossier, handler=None) -> list[OutboxMessage]:
    """Tell whoever handled the dossier (its assignee, else the coordinators) that the
    reporter withdrew it and its personal data were erased."""
    return _to_handler(NotificationKind.REPORTER_WITHDREW, dossier, handler)


def notify_contact_changed(*, dossier: Dossier) -> list[OutboxMessage]:
    """Tell whoever handles the dossier that the reporter changed how they may be
    contacted (or asked not to be): before the next call or mail. Not what changed."""
    return _to_handler(NotificationKind.REPORTER_CONTACT_CHANGED, dossier, dossier.assignee)


def _to_handler(kind: str, dossier: Dossier, handler) -> list[OutboxMessage]:
    """To the dossier's handler if they can be mailed, else to the coordinators."""
    if handler is not None and handler.is_active and handler.email:
        recipients = [handler]
    else:
        recipients = list(coordinators_to_alert())
    return _to_staff(kind, recipients, dossier)


def notify_assigned(*, dossier: Dossier) -> list[OutboxMessage]:
    """Tell a staff member a dossier was given to them."""
    assignee = dossier.assignee
    if assignee is None or not assignee.email:
        return []
    return _to_staff(NotificationKind.ASSIGNED, [assignee], dossier)


def notify_reporter_message(*, dossier: Dossier) -> list[OutboxMessage]:
    """Tell a reporter who left an email address that a message waits for them on the
    follow-up page. The mail says nothing else."""
    if not dossier.reporter_email:
        return []
    return [
        outbox_enqueue(
            kind=NotificationKind.REPORTER_MESSAGE,
            recipient=dossier.reporter_email,
            language=dossier.contact_language or dossier.language,
            dossier=dossier,
        )
    ]


def _once_an_hour(kind: str, *, at, dossier: Dossier | None = None) -> list[OutboxMessage]:
    """An alert to each coordinator, at most once per hour (Brussels) for its kind."""
    hour = timezone.localtime(at, BRUSSELS).strftime("%Y-%m-%dT%H")
    return _to_coordinators_once(kind, dossier=dossier, key=f"{kind}:{hour}")


def _to_coordinators_once(kind: str, *, dossier: Dossier | None, key: str) -> list[OutboxMessage]:
    """One message of ``kind`` to each coordinator, once per ``key`` and coordinator."""
    queued = [
        _enqueue_once(
            kind=kind,
            recipient=user.email,
            language=mail_language(user),
            dossier=dossier,
            staff_member=user,
            once_key=f"{key}:{user.pk}",
        )
        for user in coordinators_to_alert()
    ]
    return [message for message in queued if message is not None]  # None: already queued


def notify_evidence_altered(*, dossier: Dossier, evidence_id: int) -> list[OutboxMessage]:
    """Tell each coordinator that a file of the dossier failed its integrity check
    (cases.custody): once per file and coordinator, however often it is asked for."""
    return _to_coordinators_once(
        NotificationKind.EVIDENCE_ALTERED, dossier=dossier, key=f"altered:{evidence_id}"
    )


def notify_same_image(*, dossier: Dossier, evidence_id: int) -> list[OutboxMessage]:
    """Tell each coordinator that a file just received in the dossier also appears in
    another dossier (cases.matching): once per file and coordinator. The mail names only
    this dossier; its page says where else (to those who may see it)."""
    return _to_coordinators_once(
        NotificationKind.SAME_IMAGE, dossier=dossier, key=f"same:{evidence_id}"
    )


def digest_key(user, day) -> str:
    return f"digest:{user.pk}:{day.isoformat()}"


def notify_daily_digest(*, user, day) -> OutboxMessage | None:
    """Queue today's digest for one staff member, once: a second call the same day (a
    beat that fired twice, a retried task) adds nothing."""
    return _enqueue_once(
        kind=NotificationKind.DAILY_DIGEST,
        recipient=user.email,
        language=mail_language(user),
        staff_member=user,
        once_key=digest_key(user, day),
    )


def _enqueue_once(**fields) -> OutboxMessage | None:
    """Queue a message whose ``once_key`` makes it unique; None if it is queued already."""
    try:
        with transaction.atomic():
            return outbox_enqueue(**fields)
    except IntegrityError:
        return None


# Mail to the reporter, which must not name the Institute where the reporter did not
# allow it (Dossier.discreet): a neutral sender, subject and body, no address of ours.
TO_REPORTER = frozenset({NotificationKind.ACKNOWLEDGEMENT, NotificationKind.REPORTER_MESSAGE})


def _addressed_now(message: OutboxMessage) -> bool:
    """Address a reporter's mail as the dossier says at delivery: its email address and
    reply language then, not those the row was written with, so that a change made
    after the mail was queued (the reporter's, on the follow-up page, or a staff
    correction) applies to it. False if the dossier holds no address any more: the
    reporter no longer wants mail, and it is settled unsent."""
    if message.kind not in TO_REPORTER:
        return True
    message.recipient = message.dossier.reporter_email
    message.language = message.dossier.reply_language
    return bool(message.recipient)


def outbox_follow_reporter_contact(*, dossier: Dossier, at) -> int:
    """The reporter changed how they may be contacted: their mail not sent yet is
    re-addressed at once (the old address is not kept for it), or, if they left no
    address, settled unsent. Delivery reads the address again (``_addressed_now``);
    this leaves nothing pending that names the old one. The caller holds the dossier's
    row lock. The mail already sent keeps no address but the current one: the reporter
    asked for the old one to be forgotten. How many unsent messages it changed."""
    to_reporter = OutboxMessage.objects.filter(dossier=dossier, kind__in=TO_REPORTER)
    sent = to_reporter.filter(sent_at__isnull=False).only("recipient")
    forgotten = [
        message.pk
        for message in sent
        if message.recipient and message.recipient != dossier.reporter_email
    ]
    OutboxMessage.objects.filter(pk__in=forgotten).update(recipient="")
    pending = to_reporter.filter(sent_at__isnull=True)
    if dossier.reporter_email:
        return pending.update(recipient=dossier.reporter_email, language=dossier.reply_language)
    return pending.update(recipient="", sent_at=at)


def _render(message: OutboxMessage) -> tuple[str, str, str | None] | None:
    """Subject, body and sender, in the message's language; None for a digest that has
    nothing left to say (its reader left, or every item was dealt with before it went).

    Whether a reporter's mail is discreet is read at delivery, so a correction made
    after the mail was queued still applies."""
    template, sender = f"cases/mail/{message.kind}", None  # None: DEFAULT_FROM_EMAIL
    if message.kind in TO_REPORTER and message.dossier.discreet:
        template, sender = f"{template}_discreet", settings.DISCREET_FROM_EMAIL
    context = {
        "reference": message.dossier.reference if message.dossier_id else "",
        "site_url": settings.SITE_URL,
    }
    if message.kind == NotificationKind.DAILY_DIGEST:
        from .digest import digest_for

        if message.staff_member is None or not message.staff_member.is_active:
            return None
        context["digest"] = digest_for(message.staff_member)
        if context["digest"].empty:
            return None
    with translation.override(message.language):
        subject = render_text(f"{template}_subject.txt", context)
        body = render_text(f"{template}.txt", context)
    return " ".join(subject.split()), body, sender


def message_id(message: OutboxMessage, sender: str) -> str:
    """The mail's Message-ID, the same at every attempt: delivery is at least once (a
    mail the server accepted is sent again if recording that fails), and a copy with the
    same Message-ID is one mail clients and servers can drop. Keyed, so it says nothing
    about the notification, and in the sender's own domain (a discreet mail's is not
    the Institute's)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{keyed_hash('outbox-message-id', str(message.pk))}@{domain}>"


def _send(message: OutboxMessage, subject: str, body: str, sender: str | None) -> None:
    """Send one mail; ``sender`` None is DEFAULT_FROM_EMAIL."""
    if sender is not None and not sender:
        # Never fall back to the Institute's own address for a discreet mail.
        raise ImproperlyConfigured("DISCREET_FROM_EMAIL is not set")
    sender = sender or settings.DEFAULT_FROM_EMAIL
    headers = {"Message-ID": message_id(message, sender)}
    EmailMessage(subject, body, sender, [message.recipient], headers=headers).send()


def retry_delay(attempts: int) -> timedelta:
    """How long the sweep waits after the ``attempts``-th failure: doubling from
    OUTBOX_RETRY_BASE_SECONDS, at most OUTBOX_RETRY_MAX_SECONDS."""
    base, ceiling = settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS
    return timedelta(seconds=min(base * 2 ** min(attempts - 1, 30), ceiling))


def _failed(message: OutboxMessage, exc: Exception) -> None:
    now = timezone.now()
    message.attempts += 1
    message.last_error = type(exc).__name__[:100]
    message.next_attempt_at = now + retry_delay(message.attempts)
    fields = ["attempts", "last_error", "next_attempt_at"]
    if (
        message.attempts >= settings.OUTBOX_STUCK_AFTER_ATTEMPTS
        and message.stuck_reported_at is None
    ):
        message.stuck_reported_at = now
        fields.append("stuck_reported_at")
        logger.error(
            "outbox message %s (%s) still unsent after %d attempts (%s); it is tried again "
            "until it goes: see the notifications in the admin",
            message.pk,
            message.kind,
            message.attempts,
            message.last_error,
        )
    else:
        logger.warning("outbox message %s not sent (%s)", message.pk, message.last_error)
    message.save(update_fields=fields)


def outbox_deliver(*, message_id: int) -> bool:
    """Send one message unless it was sent already; True if this call sent it.

    The row stays locked while the mail goes out, so two workers (a queued task and the
    sweep) never both send it; the second one skips the locked row.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("dossier", "staff_member")
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        rendered = _render(message) if _addressed_now(message) else None
        if rendered is None:  # nobody to tell, or nothing left to say: settled unsent
            message.sent_at = timezone.now()
            message.save(update_fields=["sent_at", "recipient", "language"])
            logger.info("outbox message %s (%s) settled unsent", message.pk, message.kind)
            return False
        subject, body, sender = rendered
        try:
            _send(message, subject, body, sender)
        except Exception as exc:  # recorded; the sweep retries after a while
            _failed(message, exc)
            return False
        message.sent_at = timezone.now()
        message.attempts += 1
        message.last_error = ""
        message.next_attempt_at = None
        message.save(
            update_fields=[
                "sent_at",
                "attempts",
                "last_error",
                "next_attempt_at",
                "recipient",
                "language",
            ]
        )
    logger.info("outbox message %s (%s) sent", message.pk, message.kind)
    return True


def outbox_settle(*, dossier: Dossier, at) -> int:
    """Mark a dossier's unsent messages as settled without sending them, as
    ``outbox_deliver`` settles a message with nothing left to say (an erased dossier's;
    the demo caseload's, which is history). A worker sending one right now holds its
    row; this waits for it."""
    return OutboxMessage.objects.filter(dossier=dossier, sent_at__isnull=True).update(sent_at=at)


def outbox_pending_ids(*, older_than: timedelta = timedelta(seconds=30)) -> list[int]:
    """Messages still unsent a while after they were written (their task was lost or
    failed) whose wait after a failure is over, oldest first. None is ever given up."""
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=now - older_than)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )


def outbox_retry_now(message_ids) -> int:
    """Try these unsent messages again now, without waiting for their next attempt (the
    administrators' "Retry now", once the mail server is back)."""
    ids = list(
        OutboxMessage.objects.filter(pk__in=message_ids, sent_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    OutboxMessage.objects.filter(pk__in=ids).update(next_attempt_at=None)
    if ids:
        transaction.on_commit(lambda: _queue_delivery(ids))
    return len(ids)
