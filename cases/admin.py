"""Read-only technical view of dossiers: coded columns only, never personal fields.

Technical administrators fix accounts and look at system state; handling a dossier
happens in the staff interface, where access is scoped to the dossier and logged.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Dossier, NoticeExplanation, OutboxMessage, Platform, ReferenceCounter
from .outbox import outbox_retry_now


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "received_at",
        "channel",
        "language",
        "form_ncii",
        "form_voyeurism",
        "form_sextortion",
        "reporter_category",
        "status",
        "priority",
        "imported",
    ]
    list_filter = [
        "status",
        "priority",
        "channel",
        "language",
        "reporter_category",
        "imported",
        "received_in_surge",
    ]
    search_fields = ["reference", "external_id"]
    date_hierarchy = "received_at"
    fields = [
        "reference",
        "external_id",
        "imported",
        "received_in_surge",
        "received_at",
        "channel",
        "language",
        "form_ncii",
        "form_voyeurism",
        "form_sextortion",
        "reporter_type",
        "reporter_gender",
        "reporter_category",
        "organisation_kind",
        "person_age_band",
        "person_minor_on_images",
        "status",
        "closure_reason",
        "closed_at",
        "priority",
        "assignee",
        "created_at",
        "updated_at",
    ]


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdmin):
    list_display = ["year", "last"]


class DeliveryState(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("stuck", _("Stuck (administrators told)")),
            ("waiting", _("Not sent yet")),
            ("sent", _("Sent or settled")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "stuck":
            return queryset.filter(sent_at__isnull=True, stuck_reported_at__isnull=False)
        if value == "waiting":
            return queryset.filter(sent_at__isnull=True)
        if value == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Notifications and their delivery, to see what is stuck when mail is down and send
    it again once it is back. Never the recipient (it may be a reporter's address) nor
    the text (rendered at delivery)."""

    list_display = [
        "id",
        "kind",
        "reference",
        "created_at",
        "attempts",
        "last_error",
        "next_attempt_at",
        "stuck_reported_at",
        "sent_at",
    ]
    list_filter = [DeliveryState, "kind"]
    fields = list_display
    actions = ["retry_now", "stop_trying"]
    ordering = ["-created_at"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("dossier")

    @admin.display(description=_("dossier"))
    def reference(self, message: OutboxMessage) -> str:
        return message.dossier.reference if message.dossier_id else ""

    @admin.action(description=_("Retry now"))
    def retry_now(self, request: HttpRequest, queryset) -> None:
        count = outbox_retry_now(queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d notifications queued again.") % {"count": count})

    @admin.action(description=_("Stop trying (mark as settled without sending)"))
    def stop_trying(self, request: HttpRequest, queryset) -> None:
        count = queryset.filter(sent_at__isnull=True).update(sent_at=timezone.now())
        self.message_user(request, _("%(count)d notifications settled.") % {"count": count})


@admin.register(Platform)
class PlatformAdmin(SimpleHistoryAdmin):
    """The Institute's list of platforms: staff match the names people give to it, and
    the figures per platform follow it. A platform with requests cannot be deleted
    (mark it "not in use"); its name may be corrected."""

    list_display = ["name", "kind", "language", "very_large", "active", "notice_channel"]
    list_filter = ["kind", "very_large", "active", "language"]
    search_fields = ["name"]


@admin.register(NoticeExplanation)
class NoticeExplanationAdmin(SimpleHistoryAdmin):
    """Why content is illegal, per subject and language: notices quote the entries of
    the subjects of their dossier. Every change is kept in the history."""

    list_display = ["ground", "language", "text"]
    list_filter = ["ground", "language"]
