from django.contrib import admin

from .models import StaffProfile


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
