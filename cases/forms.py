"""Staff forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from institute.roles import Role

from .models import Channel, Dossier, FormOfAbuse, Language, Priority, Status

SORTS = {
    "-received_at": _("Newest first"),
    "received_at": _("Oldest first"),
    "reference": _("Reference"),
    "status": _("Status"),
}


def handlers() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[Role.COORDINATOR, Role.CASE_WORKER])
        .distinct()
        .order_by("first_name", "username")
    )


class DossierFilterForm(forms.Form):
    q = forms.CharField(label=_("Reference"), required=False, max_length=16)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Open")), ("all", _("All")), *Status.choices],
        required=False,
    )
    form = forms.ChoiceField(
        label=_("Form of abuse"), choices=[("", _("All")), *FormOfAbuse.choices], required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("All")), *Priority.choices], required=False
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("All")), *Language.choices], required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All")), *Channel.choices], required=False
    )
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(label=_("Sort"), choices=list(SORTS.items()), required=False)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Unassigned")),
            *[(str(u.pk), u.get_full_name() or u.get_username()) for u in handlers()],
        ]

    def filter(self, dossiers: QuerySet[Dossier]) -> QuerySet[Dossier]:
        if not self.is_valid():  # no filter asked (or a bad one): the open dossiers
            return dossiers.exclude(status=Status.CLOSED).order_by("-received_at", "-id")
        data = self.cleaned_data
        if data["q"]:
            dossiers = dossiers.filter(reference__icontains=data["q"].strip())
        if data["status"] == "":
            dossiers = dossiers.exclude(status=Status.CLOSED)
        elif data["status"] != "all":
            dossiers = dossiers.filter(status=data["status"])
        if data["form"]:
            dossiers = dossiers.filter(**{FormOfAbuse(data["form"]).column: True})
        for name in ["priority", "language", "channel"]:
            if data[name]:
                dossiers = dossiers.filter(**{name: data[name]})
        if data["assignee"] == "me":
            dossiers = dossiers.filter(assignee=self.user)
        elif data["assignee"] == "none":
            dossiers = dossiers.filter(assignee__isnull=True)
        elif data["assignee"]:
            dossiers = dossiers.filter(assignee_id=data["assignee"])
        if data["received_from"]:
            dossiers = dossiers.filter(received_at__date__gte=data["received_from"])
        if data["received_to"]:
            dossiers = dossiers.filter(received_at__date__lte=data["received_to"])
        order = data["sort"] or "-received_at"
        return dossiers.order_by(order, "-id")
