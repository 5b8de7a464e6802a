import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from cases.choices import AgeBand, Gender, Priority, ReporterCategory, ReporterType, YesNoUnknown
from cases.models import Dossier
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db

EXPECTED_CATEGORY = {
    (ReporterType.ORGANISATION, gender): ReporterCategory.ORGANISATION for gender in Gender
} | {
    (reporter_type, gender): ReporterCategory(gender.value)
    for reporter_type in ReporterType
    if reporter_type != ReporterType.ORGANISATION
    for gender in Gender
}


@pytest.mark.parametrize(("reporter_type", "gender"), sorted(EXPECTED_CATEGORY))
def test_reporter_category_is_derived_for_every_type_and_gender(reporter_type, gender):
    dossier = DossierFactory(reporter_type=reporter_type, reporter_gender=gender)
    assert dossier.reporter_category == EXPECTED_CATEGORY[(reporter_type, gender)]
    # Computed by the database, so it holds for rows written around the ORM's save() too.
    assert Dossier.objects.get(pk=dossier.pk).reporter_category == dossier.reporter_category


def test_reporter_category_follows_a_bulk_update():
    dossier = DossierFactory(reporter_type=ReporterType.PERSON_CONCERNED, reporter_gender="man")
    Dossier.objects.filter(pk=dossier.pk).update(reporter_type=ReporterType.ORGANISATION)
    dossier.refresh_from_db()
    assert dossier.reporter_category == ReporterCategory.ORGANISATION


def test_a_dossier_with_a_minor_on_the_images_is_urgent():
    dossier = DossierFactory(person_minor_on_images=YesNoUnknown.YES, priority=Priority.NORMAL)
    assert dossier.priority == Priority.URGENT
    assert DossierFactory(person_minor_on_images=YesNoUnknown.NO).priority == Priority.NORMAL


def test_the_database_refuses_a_minor_in_a_normal_priority_dossier():
    dossier = DossierFactory(person_minor_on_images=YesNoUnknown.YES)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dossier.objects.filter(pk=dossier.pk).update(priority=Priority.NORMAL)


def test_a_dossier_needs_at_least_one_form_of_abuse():
    with pytest.raises(ValidationError) as excinfo, translation.override("en"):
        DossierFactory(form_ncii=False)
    assert "at least one form of abuse" in str(excinfo.value)
    assert not Dossier.objects.exists()


def test_forms_property_reads_and_writes_the_coded_columns():
    dossier = Dossier()
    dossier.forms_of_abuse = ["sextortion", "ncii"]
    assert (dossier.form_ncii, dossier.form_voyeurism, dossier.form_sextortion) == (
        True,
        False,
        True,
    )
    assert dossier.forms_of_abuse == ["ncii", "sextortion"]
    with pytest.raises(ValueError):
        dossier.forms_of_abuse = ["revenge"]


def test_several_answers_are_checked_against_their_list():
    with pytest.raises(ValidationError) as excinfo:
        DossierFactory(images_made_by=["self", "aliens"])
    assert "images_made_by" in excinfo.value.message_dict
    dossier = DossierFactory(images_made_by=["self", "with_consent"], steps_taken=["stopncii"])
    assert Dossier.objects.get(pk=dossier.pk).images_made_by == ["self", "with_consent"]


def test_a_closed_dossier_needs_a_closure_reason():
    with pytest.raises(ValidationError):
        DossierFactory(status="closed")


def test_minor_age_bands():
    assert {band for band in AgeBand if band.is_minor} == {
        AgeBand.UNDER_14,
        AgeBand.FROM_14_TO_15,
        AgeBand.FROM_16_TO_17,
    }


def test_the_constraints_read_in_python_agree_with_the_database():
    """dossier_create checks the CHECK constraints in Python (no round trip); for every
    combination of the fields they read, Python and the database give one verdict."""
    import itertools

    from django.db import models

    from cases.choices import ClosureReason, Status, YesNoUnknown
    from cases.models.checks import holds

    checks = [c for c in Dossier._meta.constraints if isinstance(c, models.CheckConstraint)]
    assert len(checks) == 3
    values = itertools.product(
        [True, False],  # form_ncii
        [True, False],  # form_sextortion
        [YesNoUnknown.YES, YesNoUnknown.NO],
        [Priority.NORMAL, Priority.URGENT],
        [Status.CLOSED, Status.NEW],
        ["", ClosureReason.OTHER],
    )
    for ncii, sextortion, minor, priority, status, reason in values:
        dossier = Dossier(
            form_ncii=ncii,
            form_sextortion=sextortion,
            person_minor_on_images=minor,
            priority=priority,
            status=status,
            closure_reason=reason,
        )
        for check in checks:
            try:
                check.validate(Dossier, dossier)  # asks the database
                in_database = True
            except ValidationError:
                in_database = False
            assert holds(check.condition, dossier) == in_database, (check.name, dossier.__dict__)
