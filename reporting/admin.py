from django.contrib import admin

from cases.admin import ReadOnlyAdmin

from .models import StatisticsLogEntry


@admin.register(StatisticsLogEntry)
class StatisticsLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "period_from", "period_to", "threshold", "item"]
    list_filter = ["action"]
    date_hierarchy = "at"
