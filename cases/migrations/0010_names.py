from django.conf import settings
from django.db import migrations, models


def assignee_from_note(apps, schema_editor):
    """An assignment's event named its assignee by username in its note; it now points
    at the account, and the note (free text elsewhere) is left empty. A name that
    matches no account any more stays in the note, which the timeline then shows."""
    DossierEvent = apps.get_model("cases", "DossierEvent")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    users = {}
    for event in DossierEvent.objects.filter(kind="assigned").iterator():
        username = event.note
        if username and username not in users:
            users[username] = User.objects.filter(username=username).first()
        event.assignee = users.get(username) if username else None
        if event.assignee is not None or not username:
            event.note = ""
        event.save(update_fields=["assignee", "note"])


def note_from_assignee(apps, schema_editor):
    DossierEvent = apps.get_model("cases", "DossierEvent")
    for event in DossierEvent.objects.filter(kind="assigned").select_related("assignee"):
        if event.assignee is not None:
            event.note = event.assignee.username
        event.save(update_fields=["note"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_staffing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField("outboxmessage", "user", "staff_member"),
        migrations.RenameField("outboxmessage", "key", "once_key"),
        migrations.AddField(
            model_name="dossierevent",
            name="assignee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="assigned to",
            ),
        ),
        migrations.RunPython(assignee_from_note, note_from_assignee),
    ]
