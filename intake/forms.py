"""The public report form and the follow-up forms. The questions themselves are
shared with the staff side (cases.report_form)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases import receipts
from cases.models import ContentLocation
from cases.report_form import (
    ErrorSummaryForm,
    EvidenceField,
    LocationForm,
    ReportQuestionsForm,
    check_way_to_contact,
    clean_phone,
    contact_answers,
    location_from,
)


class ReportForm(ReportQuestionsForm):
    """The public report form: the questions, a trap for robots, and the consent."""

    # Honeypot: hidden from people (and from screen readers); robots fill it in.
    leave_empty = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    consent = forms.BooleanField(
        label=_("I agree that the Institute processes this report to help, as described above."),
        error_messages={"required": _("We can only handle your report with your agreement.")},
    )


class ReceiptCodeForm(ErrorSummaryForm):
    code = forms.CharField(
        label=_("Your receipt code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX-XXXX-XXXX",
            }
        ),
        help_text=_("The 16 characters you received after your report. Dashes are optional."),
    )

    def normalised_code(self) -> str | None:
        code = receipts.normalise(self.cleaned_data.get("code", ""))
        return code if receipts.is_well_formed(code) else None


class FollowUpForm(ErrorSummaryForm):
    message = forms.CharField(
        label=_("Your message or new information"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        required=False,
    )
    platform_kind = LocationForm.base_fields["platform_kind"]
    platform_name = LocationForm.base_fields["platform_name"]
    url = LocationForm.base_fields["url"]
    files = EvidenceField(
        label=_("Files (optional)"),
        help_text=ReportForm.base_fields["files"].help_text,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs["accept"] = "image/*,application/pdf"
        self.fields["url"].label = _("A new address (link) where the images are")

    def clean(self) -> dict:
        data = super().clean()
        if (data.get("platform_name") or data.get("url")) and not data.get("platform_kind"):
            self.add_error("platform_kind", _("Choose the kind of platform."))
        empty = not (
            data.get("message", "").strip()
            or data.get("url")
            or data.get("platform_name")
            or data.get("files")
        )
        if empty and not self.errors:
            raise ValidationError(_("Write a message, add an address or choose a file."))
        return data

    def build_location(self) -> ContentLocation | None:
        data = self.cleaned_data
        if not (data.get("url") or data.get("platform_name")):
            return None
        return location_from(data)


_CONTACT = ReportQuestionsForm.base_fields


class ContactChangeForm(ErrorSummaryForm):
    """How we may contact the reporter, changed on the follow-up page: the report form's
    own contact questions, with its rule (``check_way_to_contact``)."""

    contact = _CONTACT["contact"]
    reporter_name = _CONTACT["reporter_name"]
    reporter_email = _CONTACT["reporter_email"]
    reporter_phone = _CONTACT["reporter_phone"]
    voicemail_allowed = _CONTACT["voicemail_allowed"]
    may_name_institute = _CONTACT["may_name_institute"]
    safe_contact_instructions = _CONTACT["safe_contact_instructions"]
    contact_language = _CONTACT["contact_language"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reporter_email"].widget.attrs["autocomplete"] = "email"
        self.fields["reporter_name"].widget.attrs["autocomplete"] = "nickname"

    def clean_reporter_phone(self) -> str:
        return clean_phone(self.cleaned_data["reporter_phone"])

    def clean(self) -> dict:
        data = super().clean()
        check_way_to_contact(
            self,
            no_way=ReportQuestionsForm.no_way_to_contact,
            no_address=ReportQuestionsForm.no_address_to_confirm,
        )
        return data

    def contact_fields(self) -> dict:
        """The new answers, as the dossier's fields (reporter_contact_change takes them)."""
        return contact_answers(self.cleaned_data)
