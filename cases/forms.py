"""Staff forms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, F, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from institute.roles import HANDLING_ROLES, staff_with_roles

from .choices import (
    TAKEDOWN_ACTED,
    TAKEDOWN_COMPLAINABLE,
    Channel,
    ClosureReason,
    ComplaintOutcome,
    ContactMethod,
    FormOfAbuse,
    Gender,
    Language,
    LegalBasis,
    Priority,
    ReferralKind,
    ReferralOutcome,
    ReporterType,
    Status,
    TakedownMethod,
    TakedownOutcome,
    WaitingFor,
    YesNoUnknown,
)
from .models import Dossier, Platform, TakedownRequest, day_in_range, moment_in_range
from .report_form import ReportQuestionsForm
from .services import DETAIL_FIELDS

# What needs someone first: urgent dossiers, then those whose first contact is late,
# then the oldest.
ATTENTION = "attention"
SORTS = {
    ATTENTION: _("Most urgent first"),  # urgent, then overdue, then the oldest
    "-received_at": _("Newest first"),
    "received_at": _("Oldest first"),
    "reference": _("Reference"),
    "status": _("Status"),
    "first_contact_due": _("First contact due"),
}


def handlers() -> QuerySet:
    return staff_with_roles(*HANDLING_ROLES).order_by("first_name", "username")


class DayField(forms.DateField):
    """A day, from 2000 to ten years ahead (a year 1 or 9999 is a typing error)."""

    default_validators = [day_in_range]


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
    received_from = DayField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = DayField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)
    surge = forms.BooleanField(label=_("Only received in a surge"), required=False)
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
            return dossiers.open().order_by("-received_at", "-id")
        data = self.cleaned_data
        if data["q"]:
            dossiers = dossiers.filter(reference__icontains=data["q"].strip())
        if data["status"] == "":
            dossiers = dossiers.open()
        elif data["status"] != "all":
            dossiers = dossiers.filter(status=data["status"])
        if data["form"]:
            dossiers = dossiers.involving(data["form"])
        for name in ["priority", "language", "channel"]:
            if data[name]:
                dossiers = dossiers.filter(**{name: data[name]})
        if data["assignee"] == "me":
            dossiers = dossiers.filter(assignee=self.user)
        elif data["assignee"] == "none":
            dossiers = dossiers.filter(assignee__isnull=True)
        elif data["assignee"]:
            dossiers = dossiers.filter(assignee_id=data["assignee"])
        if data["overdue"]:
            dossiers = dossiers.overdue()
        if data["surge"]:
            dossiers = dossiers.filter(received_in_surge=True)
        if data["received_from"]:
            dossiers = dossiers.filter(received_at__date__gte=data["received_from"])
        if data["received_to"]:
            dossiers = dossiers.filter(received_at__date__lte=data["received_to"])
        order = data["sort"] or "-received_at"
        if order == ATTENTION:
            urgent_first = Case(When(priority=Priority.URGENT, then=0), default=1)
            return dossiers.order_by(urgent_first, F("is_overdue").desc(), "received_at", "id")
        return dossiers.order_by(order, "-id")


# Workflow forms. Each one only gathers input; the service decides whether the move is
# allowed and says why not (cases.services.ActionRefused).

TEXTAREA = forms.Textarea(attrs={"rows": 3})
TODAY_INPUT = forms.DateInput(attrs={"type": "date"})
MOMENT_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class MomentField(forms.DateTimeField):
    """A date and time to the minute, typed in Brussels time.

    In the hour that repeats when the clocks go back, a local time is ambiguous; Django
    refuses it. Here a value shown unchanged counts as unchanged, and a new ambiguous
    value is taken as its first occurrence."""

    widget = MOMENT_INPUT
    default_validators = [moment_in_range]

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("input_formats", MOMENT_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code != "ambiguous_timezone":
                raise
            for input_format in self.input_formats:
                try:
                    naive = self.strptime(value.strip(), input_format)
                except ValueError:
                    continue
                return naive.replace(tzinfo=timezone.get_current_timezone())
            raise

    def has_changed(self, initial, data) -> bool:
        if initial and data == self.widget.format_value(timezone.localtime(initial)):
            return False
        return super().has_changed(initial, data)


def _note(label=None, *, required=False) -> forms.CharField:
    return forms.CharField(
        label=label or _("Note"), widget=TEXTAREA, max_length=10000, required=required
    )


class TriageForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("accept", _("Take into progress")),
            ("not_competent", _("Close: the Institute is not competent")),
        ],
        widget=forms.RadioSelect,
    )
    note = _note(_("Reason or note (required when closing)"))


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.handlers = {str(u.pk): u for u in handlers()}
        self.fields["assignee"].choices = [
            ("", _("Nobody")),
            *[(pk, u.get_full_name() or u.get_username()) for pk, u in self.handlers.items()],
        ]
        self.fields["assignee"].required = False

    def clean_assignee(self):
        """The chosen staff member, or None for nobody."""
        return self.handlers.get(self.cleaned_data["assignee"])


class StatusForm(forms.Form):
    waiting_for = forms.ChoiceField(
        label=_("Waiting for"), choices=[("", "—"), *WaitingFor.choices], required=False
    )
    closure_reason = forms.ChoiceField(
        label=_("Reason for closing"),
        # "Not recorded" exists only for imported history: staff always give a reason.
        choices=[
            ("", "—"),
            *(
                (c, n)
                for c, n in ClosureReason.choices
                if c not in (ClosureReason.NOT_RECORDED, ClosureReason.WITHDRAWN)
            ),
        ],
        required=False,
    )
    note = _note()


class NoteForm(forms.Form):
    text = _note(_("Internal note (never shown to the reporter)"), required=True)


class MessageForm(forms.Form):
    text = _note(_("Message to the reporter"), required=True)


class ContactForm(forms.Form):
    method = forms.ChoiceField(label=_("How"), choices=ContactMethod.choices)
    at = MomentField(label=_("When (empty: now)"), required=False)
    note = _note()


class TakedownForm(forms.Form):
    location = forms.TypedChoiceField(label=_("Content location"), coerce=int)
    sent_to = forms.CharField(
        label=_("Sent to"),
        max_length=200,
        help_text=_("For example the platform's abuse desk or its address."),
    )
    method = forms.ChoiceField(label=_("How"), choices=TakedownMethod.choices)
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=LegalBasis.choices)
    sent_at = MomentField(label=_("Sent at (empty: now)"), required=False)
    deadline = MomentField(label=_("Decision due (empty: the usual deadline)"), required=False)
    note = _note()
    # Set by the notice page: the language of the notice sent, and the hash of its text
    # as the staff member saw it (the record refuses a text that changed since).
    notice_language = forms.ChoiceField(
        choices=[("", ""), *Language.choices], required=False, widget=forms.HiddenInput
    )
    notice_sha256 = forms.RegexField(
        regex=r"^[0-9a-f]{64}$", required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, locations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [
            (location.pk, f"{index}. {location}") for index, location in enumerate(locations, 1)
        ]

    def clean(self) -> dict:
        data = super().clean()
        # A notice is recorded only as the text someone was shown: both or neither.
        if bool(data.get("notice_language")) != bool(data.get("notice_sha256")):
            raise ValidationError(_("Open the notice again and record it from its page."))
        return data


def _no_choice(choices) -> list:
    return [("", "—"), *choices]


class TakedownAnswerForm(forms.Form):
    """The platform's answer, step by step; empty fields change nothing. Shown with the
    steps that fit where the request stands (``takedown``), checked in full by the
    service."""

    acknowledged_at = MomentField(label=_("Acknowledged at"), required=False)
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=_no_choice(c for c in TakedownOutcome.choices if c[0] != TakedownOutcome.PENDING),
        required=False,
    )
    outcome_at = MomentField(label=_("Decision received at (empty: now)"), required=False)
    reasons_received_on = DayField(
        label=_("Statement of reasons received on"), required=False, widget=TODAY_INPUT
    )
    complaint_lodged_on = DayField(
        label=_("Internal complaint lodged on"), required=False, widget=TODAY_INPUT
    )
    complaint_outcome = forms.ChoiceField(
        label=_("Outcome of the complaint"),
        choices=_no_choice(c for c in ComplaintOutcome.choices if c[0] != ComplaintOutcome.PENDING),
        required=False,
    )
    complaint_outcome_on = DayField(
        label=_("Complaint answered on (empty: today)"), required=False, widget=TODAY_INPUT
    )
    out_of_court_body = forms.CharField(
        label=_("Out-of-court dispute settlement body"), max_length=200, required=False
    )
    out_of_court_on = DayField(label=_("Seized on"), required=False, widget=TODAY_INPUT)
    reuploaded_on = DayField(label=_("Seen online again on"), required=False, widget=TODAY_INPUT)
    recheck_on = DayField(label=_("Check again on"), required=False, widget=TODAY_INPUT)
    note = _note()

    def __init__(self, *args, takedown: TakedownRequest | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if takedown is not None:
            for name in set(self.fields) - set(self.steps_for(takedown)) - {"note"}:
                del self.fields[name]

    @staticmethod
    def steps_for(takedown: TakedownRequest) -> list[str]:
        """The steps that can come next for the request as it stands."""
        outcome = takedown.outcome
        if outcome == TakedownOutcome.PENDING:
            steps = ["outcome", "outcome_at", "recheck_on"]
            return (["acknowledged_at"] if takedown.acknowledged_at is None else []) + steps
        steps = ["outcome", "outcome_at"]
        if outcome != TakedownOutcome.NO_ANSWER:
            steps += ["reasons_received_on"]
        if outcome in TAKEDOWN_COMPLAINABLE:
            steps += ["complaint_lodged_on"]
            if takedown.complaint_lodged_on:
                steps += ["complaint_outcome", "complaint_outcome_on"]
        if outcome != TakedownOutcome.NO_ANSWER:
            steps += ["out_of_court_body", "out_of_court_on"]
        if outcome in TAKEDOWN_ACTED:
            steps += ["reuploaded_on"]
        return [*steps, "recheck_on"]

    @staticmethod
    def steps_from(data: dict) -> dict:
        """The steps filled in, as the service takes them. A decision comes with its day
        to check again, empty or not (recording "still gone" ends the checks)."""
        steps = {
            name: value
            for name, value in data.items()
            if name != "note" and value not in (None, "")
        }
        if data.get("outcome"):
            steps["recheck_on"] = data.get("recheck_on")
        return steps


class LocationPlatformForm(forms.Form):
    platform = forms.TypedChoiceField(
        label=_("Platform in the list"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, platforms: list[tuple[int, str]], **kwargs) -> None:
        """``platforms``: (id, name) of the list's active entries, read once per page."""
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = [("", _("Not on the list")), *platforms]


def active_platforms() -> list[tuple[int, str]]:
    return list(Platform.objects.filter(active=True).values_list("pk", "name"))


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(label=_("Referred to"), choices=ReferralKind.choices)
    referred_on = DayField(label=_("Date"), widget=TODAY_INPUT, initial=timezone.localdate)
    note = _note()


class ReferralOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in ReferralOutcome.choices if c[0] != ReferralOutcome.PENDING],
    )
    outcome_on = DayField(label=_("Date (empty: today)"), required=False, widget=TODAY_INPUT)
    note = _note()


class DetailsForm(forms.ModelForm):
    """Corrections to what was recorded at intake (cases.services.DETAIL_FIELDS).

    It carries the version of the dossier it was filled in on: saving a form opened
    before someone else changed the dossier is refused rather than undoing their work."""

    version = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = Dossier
        fields = DETAIL_FIELDS
        field_classes = {"received_at": MomentField, "threat_deadline": MomentField}
        widgets = {
            "safe_contact_instructions": TEXTAREA,
            "description": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.updated_at.isoformat()
        for name in ["received_at", "threat_deadline"]:
            # A callable model default makes Django compare with a hidden "initial"
            # input instead; compare with the dossier itself.
            self.fields[name].show_hidden_initial = False
            # The input has minutes only: compare at that precision, so that saving the
            # form unchanged does not move the date by its seconds.
            if self.initial.get(name):
                self.initial[name] = self.initial[name].replace(second=0, microsecond=0)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}

    def _post_clean(self) -> None:
        # The service validates the whole dossier under its lock; the form does not
        # write to the instance, so a refused change leaves nothing half-applied.
        pass


NOT_KNOWN = {YesNoUnknown.UNKNOWN: _("Not known")}

# The public form speaks to the person reporting ("It is about me", "May we contact
# you?"). Staff fill in the same questions about someone else, so they read them in
# their own words: about "the reporter" and "the person concerned".
STAFF_WORDING: dict[str, dict] = {
    "reporter_type": {
        "label": _("Who made the report?"),
        "choices": {
            ReporterType.PERSON_CONCERNED: _("The person concerned"),
            ReporterType.ON_BEHALF: _(
                "Someone for the person concerned (parent, friend, teacher…)"
            ),
            ReporterType.ORGANISATION: _("An organisation"),
        },
        "error_messages": {"required": _("Say who made the report.")},
    },
    "reporter_gender": {
        "label": _("Gender of the reporter"),
        "choices": {Gender.NOT_GIVEN: _("Not given")},
    },
    "description": {
        "label": _("What happened, as the reporter told it"),
        "help_text": _("In the reporter's words where possible. More can be added later."),
        "error_messages": {"required": _("Write down what the reporter told.")},
    },
    "threat_active": {"choices": NOT_KNOWN},
    "threat_deadline": {"label": _("Deadline set by the person threatening, if any")},
    "person_minor_on_images": {"choices": NOT_KNOWN},
    "person_gender": {"label": _("Gender of the person concerned")},
    "still_circulating": {"choices": NOT_KNOWN},
    "author_relation": {"label": _("Relation of the person responsible to the person concerned")},
    "images_made_by": {"help_text": _("Several answers are possible.")},
    "files": {
        "label": _("Files the reporter sent (optional)"),
        "help_text": _("For example a screenshot of a threat. Images or PDF only."),
    },
    "contact": {
        "label": _("May the Institute contact the reporter?"),
        "choices": {"anonymous": _("No: the reporter stays anonymous"), "contact": _("Yes")},
        "error_messages": {"required": _("Say whether the Institute may contact the reporter.")},
    },
    "reporter_name": {"label": _("Reporter's name or pseudonym")},
    "reporter_email": {"label": _("Reporter's email address")},
    "reporter_phone": {"label": _("Reporter's phone number")},
    "wants_acknowledgement": {"label": _("Send an acknowledgement by email")},
    "voicemail_allowed": {"label": _("May the Institute leave a voicemail?")},
    "may_name_institute": {
        "label": _("May staff say they are calling or writing from the Institute?")
    },
    "safe_contact_instructions": {"label": _("When and how it is safe to contact the reporter")},
    "contact_language": {
        "label": _("Language for contacting the reporter"),
        "error_messages": {"required": _("Choose the language for contacting the reporter.")},
    },
}


class StaffReportForm(ReportQuestionsForm):
    """The public form's questions, for a report that came by phone, mail, letter or in
    person, plus how and when it arrived."""

    channel = forms.ChoiceField(
        label=_("Received by"), choices=[c for c in Channel.choices if c[0] != Channel.WEB]
    )
    received_at = MomentField(
        label=_("Received at"),
        initial=lambda: timezone.localtime().replace(second=0, microsecond=0),
    )
    language = forms.ChoiceField(label=_("Language of the report"), choices=Language.choices)

    field_order = ["channel", "received_at", "language"]
    no_way_to_contact = _(
        "Give the reporter's email address or phone number, or record them as anonymous."
    )
    no_address_to_confirm = _("Give the reporter's email address to send the acknowledgement.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, wording in STAFF_WORDING.items():
            field = self.fields[name]
            for attribute in ("label", "help_text"):
                if attribute in wording:
                    setattr(field, attribute, wording[attribute])
            if "choices" in wording:
                field.choices = [(v, wording["choices"].get(v, text)) for v, text in field.choices]
            field.error_messages.update(wording.get("error_messages", {}))

    def clean_received_at(self):
        received_at = self.cleaned_data["received_at"]
        if received_at > timezone.now():
            raise ValidationError(_("The date received cannot be in the future."))
        return received_at
