"""Read-only technical view of dossiers: coded columns only, never personal fields.

Technical administrators fix accounts and look at system state; handling a dossier
happens in the staff interface, where access is scoped to the dossier and logged.
"""

from django.contrib import admin
from django.http import HttpRequest

from .models import Dossier, ReferenceCounter


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
