"""The ready-made messages to reporters: coordinators keep the list, everyone who
handles dossiers starts from one in the reporter's language."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from institute.roles import Role

from .access import staff_view
from .choices import Language
from .models import Dossier, MessageTemplate
from .report_form import ErrorSummaryForm

# Characters that reorder the text around them (bidirectional overrides and isolates):
# in a title they would make the lists and page titles read differently from what
# was typed.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


class MessageTemplateForm(ErrorSummaryForm, forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["language", "title", "text", "position", "active"]
        widgets = {"text": forms.Textarea(attrs={"rows": 8})}

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if BIDI_CONTROLS.search(title):
            raise ValidationError(
                _("Remove the invisible characters that change the direction of the text.")
            )
        return title

    def clean(self) -> dict:
        data = super().clean()
        same = MessageTemplate.objects.filter(
            language=data.get("language"), title__iexact=data.get("title", "")
        ).exclude(pk=self.instance.pk)
        if data.get("title") and same.exists():
            self.add_error(
                "title", _("There is already a template with this title in this language.")
            )
        return data


def offered(dossier: Dossier) -> QuerySet:
    """The templates offered on a dossier's message box: those in the reporter's
    language."""
    return MessageTemplate.objects.filter(active=True, language=dossier.reply_language)


def starting_text(dossier: Dossier, chosen: str | None) -> str:
    """The text of the template chosen on the dossier page (``?template=<id>``), if it
    is one offered there."""
    if not re.fullmatch(r"[0-9]{1,9}", chosen or ""):
        return ""
    template = offered(dossier).filter(pk=int(chosen)).first()
    return template.text if template else ""


@require_http_methods(["GET"])
@staff_view(Role.COORDINATOR)
def template_list(request):
    by_language = [
        (label, [t for t in MessageTemplate.objects.all() if t.language == code])
        for code, label in Language.choices
    ]
    return render(request, "cases/message_templates.html", {"by_language": by_language})


@require_http_methods(["GET", "POST"])
@staff_view(Role.COORDINATOR)
def template_edit(request, template_pk: int | None = None):
    template = get_object_or_404(MessageTemplate, pk=template_pk) if template_pk else None
    # As saved: the form writes what was posted onto the instance, valid or not.
    title = template.title if template else ""
    form = MessageTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The message template has been saved."))
        return redirect("cases:message-templates")
    return render(
        request,
        "cases/message_template_form.html",
        {
            "form": form,
            "title": title,
            "error_summary": form.error_summary() if form.is_bound else [],
        },
        status=400 if form.errors else 200,
    )
