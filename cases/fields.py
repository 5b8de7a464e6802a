"""Model fields shared by the dossier and its children."""

from typing import Any

from django import forms
from django.core import checks, exceptions
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .encryption import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; plaintext exists only in memory.

    Only ``isnull`` can be queried: an equality lookup against a randomised ciphertext
    would silently match nothing, so it is refused instead. Empty strings are stored as
    empty strings (their absence of content is not personal data, and forms need it).
    """

    description = _("Encrypted text")

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if value is None or value == "":
            return value
        return encrypt(str(value).encode("utf-8")).decode("ascii")

    def from_db_value(self, value: Any, expression, connection) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value.encode("ascii")).decode("utf-8")

    def get_lookup(self, lookup_name: str):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str):
        return None


class EncryptedCharField(EncryptedTextField):
    """A one-line encrypted field. ``max_length`` limits the plaintext (in forms and
    validation); the stored token is longer, so the column itself is unbounded text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    def formfield(self, **kwargs: Any):
        return super().formfield(**{"widget": forms.TextInput, **kwargs})


class ChoiceListField(models.JSONField):
    """Several answers from a fixed list, stored as a JSON list of codes.

    Used for questions such as "who made the images" where more than one answer is
    true. Statistics never read these columns, so a JSON list is enough; the codes are
    validated against ``base_choices`` on every full_clean and by the form field.
    """

    def __init__(self, *args: Any, base_choices=None, **kwargs: Any) -> None:
        self.base_choices = list(base_choices or [])
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if not self.base_choices:
            errors.append(checks.Error("ChoiceListField needs base_choices.", obj=self))
        return errors

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["base_choices"] = [(code, str(label)) for code, label in self.base_choices]
        if kwargs.get("default") is list:
            del kwargs["default"]
        kwargs.pop("blank", None)
        if not self.blank:
            kwargs["blank"] = False
        return name, path, args, kwargs

    def validate(self, value: Any, model_instance: Any) -> None:
        super().validate(value, model_instance)
        if not isinstance(value, list):
            raise exceptions.ValidationError(_("Expected a list of answers."), code="invalid")
        allowed = {code for code, _label in self.base_choices}
        unknown = [item for item in value if item not in allowed]
        if unknown:
            raise exceptions.ValidationError(
                _("Unknown answer: %(value)s."), code="invalid_choice", params={"value": unknown[0]}
            )
        if len(set(value)) != len(value):
            raise exceptions.ValidationError(_("An answer is repeated."), code="duplicate")

    def formfield(self, **kwargs: Any):
        return forms.MultipleChoiceField(
            choices=self.base_choices,
            required=not self.blank,
            widget=forms.CheckboxSelectMultiple,
            label=kwargs.get("label", self.verbose_name),
            help_text=self.help_text,
        )
