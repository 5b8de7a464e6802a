"""The questions of a report, shared by the public form (intake) and the staff form
for reports that came another way (cases.forms), and the addresses where the content
is. Questions are put in everyday words; the answers map onto the dossier's fields."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from . import receipts
from .choices import (
    AgeBand,
    AuthorRelation,
    FormOfAbuse,
    Gender,
    ImagesMadeBy,
    Language,
    OrganisationKind,
    PlatformKind,
    ReporterType,
    StepTaken,
    YesNoUnknown,
)
from .evidence import check_evidence_files
from .models import ContentLocation, Dossier, moment_in_range

MAX_LOCATIONS = 5

FORM_CHOICES = [
    (
        FormOfAbuse.NCII,
        _("Intimate images (photos or videos) were shared, or someone threatens to share them"),
    ),
    (FormOfAbuse.VOYEURISM, _("Someone secretly watched or filmed the person")),
    (
        FormOfAbuse.SEXTORTION,
        _("Someone uses intimate images to demand money, more images or something else"),
    ),
]

REPORTER_CHOICES = [
    (ReporterType.PERSON_CONCERNED, _("It is about me")),
    (ReporterType.ON_BEHALF, _("I am reporting for someone else (my child, a friend, a pupil…)")),
    (ReporterType.ORGANISATION, _("I am reporting for an organisation")),
]

GENDER_CHOICES = [
    (Gender.WOMAN, _("Woman")),
    (Gender.MAN, _("Man")),
    (Gender.OTHER, _("Non-binary or another gender")),
    (Gender.NOT_GIVEN, _("I prefer not to say")),
]

PERSON_GENDER_CHOICES = [*GENDER_CHOICES[:3], (Gender.NOT_GIVEN, _("Not known or not given"))]

YES_NO_UNKNOWN = [
    (YesNoUnknown.YES, _("Yes")),
    (YesNoUnknown.NO, _("No")),
    (YesNoUnknown.UNKNOWN, _("I don't know")),
]

YES_NO = [("yes", _("Yes")), ("no", _("No"))]

CONTACT_CHOICES = [
    ("anonymous", _("No, I want to stay anonymous")),
    ("contact", _("Yes, you may contact me")),
]

# Lenient on purpose: people type numbers in many ways. Digits, spaces, dots, dashes,
# slashes, brackets and one leading plus; between 6 and 20 digits.
PHONE_RE = re.compile(r"^\+?[\d\s./()-]+$")


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def clean_phone(value: str) -> str:
    """A phone number as typed, checked leniently (``PHONE_RE``, 6 to 20 digits)."""
    phone = value.strip()
    digits = sum(ch.isdigit() for ch in phone)
    if phone and (not PHONE_RE.match(phone) or not 6 <= digits <= 20):
        raise ValidationError(_("Enter a phone number, for example +32 470 12 34 56."))
    return phone


def check_way_to_contact(form: forms.Form, *, no_way: str, no_address: str) -> None:
    """The rule of the contact questions, for every form that asks them (the report
    forms, the follow-up page's contact form): a person who wants to be contacted gives
    an email address or a phone number, and an email address if they want a
    confirmation. Reads the form's cleaned data; the error goes on the email field."""
    data = form.cleaned_data
    wants_contact = data.get("contact") == "contact"
    email_unanswered = not data.get("reporter_email") and "reporter_email" not in form.errors
    if wants_contact and email_unanswered and not data.get("reporter_phone"):
        form.add_error("reporter_email", no_way)
    elif wants_contact and email_unanswered and data.get("wants_acknowledgement"):
        form.add_error("reporter_email", no_address)


def contact_answers(data: dict) -> dict:
    """The dossier's contact fields from a form's cleaned contact answers (all but the
    acknowledgement). A person who chose to stay anonymous keeps nothing typed in the
    contact fields: each is then empty, or unanswered."""
    wants_contact = data["contact"] == "contact"
    return {
        "reporter_name": data["reporter_name"].strip() if wants_contact else "",
        "reporter_email": data["reporter_email"] if wants_contact else "",
        "reporter_phone": data["reporter_phone"] if wants_contact else "",
        "voicemail_allowed": _yes_no(data["voicemail_allowed"]) if wants_contact else None,
        "may_name_institute": _yes_no(data["may_name_institute"]) if wants_contact else None,
        "safe_contact_instructions": (
            data["safe_contact_instructions"].strip() if wants_contact else ""
        ),
        "contact_language": data["contact_language"],
    }


def contact_initial(dossier: Dossier) -> dict:
    """The contact answers a dossier holds, as the contact questions take them: the
    inverse of ``contact_answers``, to show a person what they chose."""
    yes_no = {True: "yes", False: "no", None: ""}
    given = (
        dossier.reporter_name,
        dossier.reporter_email,
        dossier.reporter_phone,
        dossier.safe_contact_instructions,
    )
    return {
        "contact": "contact" if any(given) else "anonymous",
        "reporter_name": dossier.reporter_name,
        "reporter_email": dossier.reporter_email,
        "reporter_phone": dossier.reporter_phone,
        "voicemail_allowed": yes_no[dossier.voicemail_allowed],
        "may_name_institute": yes_no[dossier.may_name_institute],
        "safe_contact_instructions": dossier.safe_contact_instructions,
        "contact_language": dossier.reply_language,
    }


def _optional_radio(label, choices, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, widget=forms.RadioSelect, required=False, **kwargs
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Zero or more files, checked by content (images and PDF only) and size."""

    widget = MultipleFileInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list:
        uploads = list(data) if isinstance(data, list | tuple) else [data]
        files = [super(EvidenceField, self).clean(f, initial) for f in uploads if f]
        check_evidence_files(files)
        return files


def input_id(field: forms.Field, auto_id: str) -> str:
    """The id of the input a field's answer goes in: for radio buttons and checkboxes,
    the first option's."""
    if isinstance(field.widget, forms.widgets.ChoiceWidget):
        return field.widget.id_for_label(auto_id, "0")
    return field.widget.id_for_label(auto_id)


def about_question(question, message) -> str:
    """An error message in a summary, after the question it is about."""
    return pgettext("error summary", "%(question)s — %(message)s") % {
        "question": question,
        "message": message,
    }


def names_its_question(field: forms.Field, error: ValidationError) -> bool:
    """Whether a message was written for its question ("Tick what happened (at least
    one).") rather than Django's or a validator's generic one ("Enter a valid date/time.").
    Messages a form raises itself carry no code; those it gives a field replace the
    field class's default."""
    if error.code is None:
        return True
    default = {}
    for cls in reversed(type(field).__mro__):
        default.update(getattr(cls, "default_error_messages", {}))
    return field.error_messages.get(error.code) not in (None, default.get(error.code))


class ErrorSummaryForm(forms.Form):
    """A form whose errors are announced once, in a summary at the top."""

    error_css_class = "has-error"

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) for each error, in the order of the form: the anchor is the
        input itself (a group's first option), so that following it puts the cursor
        where the answer goes. Each message says which question it is about: a generic
        one is put after the question's label."""
        items = [("", str(message)) for message in self.non_field_errors()]
        errors = self.errors.as_data()
        for name, field in self.fields.items():
            if name not in errors:
                continue
            anchor = "" if field.widget.is_hidden else input_id(field, self[name].auto_id)
            for error in errors[name]:
                for message in error:
                    if not names_its_question(field, error) and field.label:
                        message = about_question(field.label, message)
                    items.append((anchor, str(message)))
        return items


class ReportQuestionsForm(ErrorSummaryForm):
    """The questions about a report, answered by the person on the public form or by
    staff taking a report by phone, mail, letter or in person. The answers map onto the
    dossier's coded fields; personal answers are kept only when the person chose to be
    contacted: an anonymous report keeps nothing typed in the contact fields."""

    submission_token = forms.CharField(widget=forms.HiddenInput)

    # Who reports
    reporter_type = forms.ChoiceField(
        label=_("Who is this report about?"),
        choices=REPORTER_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say who this report is about.")},
    )
    reporter_gender = _optional_radio(
        _("Your gender"), GENDER_CHOICES, help_text=_("Only used for anonymous statistics.")
    )
    organisation_kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=[("", "—"), *OrganisationKind.choices],
        required=False,
    )
    organisation_name = forms.CharField(
        label=_("Name of the organisation"), max_length=200, required=False
    )

    # What happened
    forms_of_abuse = forms.MultipleChoiceField(
        label=_("What happened?"),
        choices=FORM_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick everything that applies."),
        error_messages={"required": _("Tick what happened (at least one).")},
    )
    description = forms.CharField(
        label=_("Tell us briefly what happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        help_text=_("A few sentences are enough. You can add more later with your receipt code."),
        error_messages={"required": _("Tell us briefly what happened.")},
    )
    threat_active = _optional_radio(
        _("Is someone threatening to share images, or demanding something, right now?"),
        YES_NO_UNKNOWN,
    )
    threat_deadline = forms.DateTimeField(
        label=_("Did they set a deadline? If so, when?"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        validators=[moment_in_range],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Enter the deadline as a date and a time.")},
    )

    # The person concerned
    person_age_band = forms.ChoiceField(
        label=_("How old is the person concerned now?"),
        choices=AgeBand.choices,
        initial=AgeBand.UNKNOWN,
        required=False,
    )
    person_minor_on_images = _optional_radio(
        _("Was the person under 18 on the images?"), YES_NO_UNKNOWN
    )
    person_gender = _optional_radio(_("The person concerned is"), PERSON_GENDER_CHOICES)

    # Where and how
    still_circulating = _optional_radio(
        _("Are the images still online or being passed around?"), YES_NO_UNKNOWN
    )
    author_relation = forms.ChoiceField(
        label=_("Who did it? Their relation to the person concerned"),
        choices=AuthorRelation.choices,
        initial=AuthorRelation.UNKNOWN,
        required=False,
    )
    images_made_by = forms.MultipleChoiceField(
        label=_("How were the images made?"),
        choices=ImagesMadeBy.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Several answers are possible. Making an image of yourself is not wrong."),
    )
    steps_taken = forms.MultipleChoiceField(
        label=_("What has already been done?"),
        choices=StepTaken.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    files = EvidenceField(
        label=_("Files (optional)"),
        help_text=_(
            "For example a screenshot of a threat. Please do not send intimate images: a link "
            "or a description is enough. Images or PDF only."
        ),
    )

    # Contact
    contact = forms.ChoiceField(
        label=_("May we contact you?"),
        choices=CONTACT_CHOICES,
        widget=forms.RadioSelect,
        initial="anonymous",
        error_messages={"required": _("Say whether we may contact you.")},
    )
    reporter_name = forms.CharField(label=_("Name or pseudonym"), max_length=200, required=False)
    reporter_email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        required=False,
        error_messages={"invalid": _("Enter an email address like name@example.be.")},
    )
    reporter_phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    wants_acknowledgement = forms.BooleanField(
        label=_("Send me an email to confirm that you received my report"),
        help_text=_("It will not say anything about what happened."),
        required=False,
    )
    voicemail_allowed = _optional_radio(_("May we leave a voicemail?"), YES_NO)
    may_name_institute = _optional_radio(
        _("May we say that we are calling or writing from the Institute?"), YES_NO
    )
    safe_contact_instructions = forms.CharField(
        label=_("When and how is it safe to contact you?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
        help_text=_("For example: only on weekdays after 4 pm, or only by email."),
    )
    contact_language = forms.ChoiceField(
        label=_("In which language should we contact you?"),
        choices=Language.choices,
        error_messages={"required": _("Choose the language we should contact you in.")},
    )

    field_order = None
    no_way_to_contact = _("Give an email address or a phone number, or choose to stay anonymous.")
    no_address_to_confirm = _("Give an email address to receive a confirmation.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs["accept"] = "image/*,application/pdf"
        self.fields["reporter_email"].widget.attrs["autocomplete"] = "email"
        self.fields["reporter_name"].widget.attrs["autocomplete"] = "nickname"

    def renew_token_if_invalid(self) -> None:
        """After an invalid token, the form shown again carries a fresh one."""
        if "submission_token" in self.errors:
            self.data = self.data.copy()
            self.data["submission_token"] = receipts.new_submission_token()

    def clean_submission_token(self) -> str:
        token = self.cleaned_data["submission_token"]
        if not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token):
            raise ValidationError(_("This form has expired. Please fill it in again."))
        return token

    def clean_reporter_phone(self) -> str:
        return clean_phone(self.cleaned_data["reporter_phone"])

    def clean(self) -> dict:
        data = super().clean()
        if data.get("reporter_type") == ReporterType.ORGANISATION and not data.get(
            "organisation_kind"
        ):
            self.add_error("organisation_kind", _("Choose the kind of organisation."))
        check_way_to_contact(
            self, no_way=self.no_way_to_contact, no_address=self.no_address_to_confirm
        )
        return data

    def _person_gender(self) -> str:
        data = self.cleaned_data
        if data["reporter_type"] == ReporterType.PERSON_CONCERNED:
            return data["reporter_gender"] or Gender.NOT_GIVEN  # "you are" answers it
        return data["person_gender"] or Gender.NOT_GIVEN

    def build_dossier(self) -> Dossier:
        """An unsaved dossier holding the answers (coded fields and personal fields)."""
        data = self.cleaned_data
        reporter_type = data["reporter_type"]
        dossier = Dossier(
            reporter_type=reporter_type,
            reporter_gender=(
                Gender.NOT_GIVEN
                if reporter_type == ReporterType.ORGANISATION
                else data["reporter_gender"] or Gender.NOT_GIVEN
            ),
            description=data["description"].strip(),
            threat_active=data["threat_active"] or YesNoUnknown.UNKNOWN,
            # Answers to questions that no longer apply (hidden once the person changed
            # an earlier answer) are not kept.
            threat_deadline=(
                data["threat_deadline"] if data["threat_active"] == YesNoUnknown.YES else None
            ),
            person_age_band=data["person_age_band"] or AgeBand.UNKNOWN,
            person_minor_on_images=data["person_minor_on_images"] or YesNoUnknown.UNKNOWN,
            person_gender=self._person_gender(),
            still_circulating=data["still_circulating"] or YesNoUnknown.UNKNOWN,
            author_relation=data["author_relation"] or AuthorRelation.UNKNOWN,
            images_made_by=data["images_made_by"],
            steps_taken=data["steps_taken"],
        )
        dossier.forms_of_abuse = data["forms_of_abuse"]
        if reporter_type == ReporterType.ORGANISATION:
            dossier.organisation_kind = data["organisation_kind"]
            dossier.organisation_name = data["organisation_name"].strip()
        for name, value in contact_answers(data).items():
            setattr(dossier, name, value)
        dossier.wants_acknowledgement = data["contact"] == "contact" and bool(
            data["wants_acknowledgement"]
        )
        return dossier


class LocationForm(forms.Form):
    """One place where the content is: the kind of platform, its name, its address."""

    platform_kind = forms.ChoiceField(
        label=_("Kind of platform"), choices=[("", "—"), *PlatformKind.choices], required=False
    )
    platform_name = forms.CharField(
        label=pgettext_lazy("platform name", "Name (for example Instagram)"),
        max_length=100,
        required=False,
    )
    url = forms.URLField(
        label=_("Address (link)"),
        max_length=2000,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        filled = data.get("platform_name") or data.get("url")
        if filled and not data.get("platform_kind"):
            self.add_error("platform_kind", _("Choose the kind of platform."))
        return data

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("platform_kind") or data.get("platform_name") or data.get("url"))

    def build_location(self) -> ContentLocation:
        return location_from(self.cleaned_data)


def location_from(data: dict) -> ContentLocation:
    """An unsaved content location from cleaned platform_kind, platform_name and url."""
    return ContentLocation(
        platform_kind=data["platform_kind"],
        platform_name=data["platform_name"].strip(),
        url=data["url"],
    )


class BaseLocationFormSet(forms.BaseFormSet):
    def build_locations(self) -> list[ContentLocation]:
        return [form.build_location() for form in self.forms if not form.is_blank()]

    def error_summary(self) -> list[tuple[str, str]]:
        items = [("", str(message)) for message in self.non_form_errors()]
        for number, form in enumerate(self.forms, start=1):
            for name, messages in form.errors.items():
                field = form[name]
                label = _("Address %(number)d") % {"number": number}
                anchor = input_id(field.field, field.auto_id)
                items += [(anchor, about_question(label, m)) for m in messages]
        return items


LocationFormSet = forms.formset_factory(
    LocationForm,
    formset=BaseLocationFormSet,
    extra=MAX_LOCATIONS,
    max_num=MAX_LOCATIONS,
    absolute_max=MAX_LOCATIONS,
    validate_max=True,
)
