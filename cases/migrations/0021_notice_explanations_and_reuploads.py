"""The legal explanations notices start with (the Institute's lawyers keep them in the
admin), and re-uploads moved out of the decision: a request once marked "uploaded
again" keeps the removal that came before, with the day it was seen again."""

from zoneinfo import ZoneInfo

from django.db import migrations

from cases.notice_defaults import ensure_notice_explanations

BRUSSELS = ZoneInfo("Europe/Brussels")

def seed_explanations(apps, schema_editor):
    ensure_notice_explanations(apps.get_model("cases", "NoticeExplanation"))


def move_reuploads(apps, schema_editor):
    TakedownRequest = apps.get_model("cases", "TakedownRequest")
    for takedown in TakedownRequest.objects.filter(outcome="reuploaded"):
        seen = takedown.outcome_at or takedown.sent_at
        takedown.reuploaded_on = seen.astimezone(BRUSSELS).date()
        takedown.outcome = "removed"
        takedown.save(update_fields=["reuploaded_on", "outcome"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0020_platforms_and_notices")]

    operations = [
        migrations.RunPython(seed_explanations, migrations.RunPython.noop),
        migrations.RunPython(move_reuploads, migrations.RunPython.noop),
    ]
