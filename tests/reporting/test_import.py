import csv
import io
from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from cases.choices import (
    ClosureReason,
    EventKind,
    Gender,
    Priority,
    ReporterType,
    Status,
    WaitingFor,
    YesNoUnknown,
)
from cases.models import Dossier, DossierEvent, ReferenceCounter
from cases.services import next_reference, reserve_references
from reporting.imports import ImportRejected, import_reports
from reporting.models import StatisticsAction, StatisticsLogEntry
from tests.factories import DossierFactory
from tests.helpers import at_once
from tests.reporting import published

BRUSSELS = ZoneInfo("Europe/Brussels")
HEADER = "external_id,received_at,forms,reporter,language,channel"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(tmp_path, text: str, *options: str, encoding: str = "utf-8"):
    """Import ``text`` with the command; (stdout, stderr), or CommandError with stderr."""
    path = tmp_path / "reports.csv"
    path.write_bytes(text.encode(encoding))
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_reports", str(path), *options, stdout=out, stderr=err)
    except CommandError as error:
        error.stderr = err.getvalue()
        raise
    return out.getvalue(), err.getvalue()


def errors_of(tmp_path, text: str, encoding: str = "utf-8") -> list[str]:
    with pytest.raises(CommandError) as raised:
        run(tmp_path, text, encoding=encoding)
    return raised.value.stderr.splitlines()


def summary(out: str) -> str:
    """The last line of the output (after the one saying how the file was read)."""
    return out.splitlines()[-1]


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def nothing_written() -> bool:
    return not (
        Dossier.objects.exists()
        or Dossier.history.exists()
        or DossierEvent.objects.exists()
        or ReferenceCounter.objects.exists()
    )


# The command, a valid file


def test_a_valid_file_is_imported_with_history_event_and_no_deadline(tmp_path):
    out, err = run(
        tmp_path,
        csv_text(
            "A-1,2021-03-04,ncii,woman,nl,web",
            "A-2,2021-03-05,voyeurism;ncii;ncii,man,fr,email",
            "A-3,2021-03-06,sextortion,other,de,phone",
            "A-4,2021-03-07,ncii,organisation,en,letter",
            "A-5,2021-03-08,ncii,not_given,nl,in_person",
        ),
    )
    assert out.splitlines() == ["Read as UTF-8.", "Imported 5 dossiers; 0 were already imported."]
    assert err == ""
    dossiers = {d.external_id: d for d in Dossier.objects.all()}
    assert sorted(dossiers) == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    for external_id, category in zip(
        ["A-1", "A-2", "A-3", "A-4", "A-5"],
        ["woman", "man", "other", "organisation", "not_given"],
        strict=True,
    ):
        dossier = dossiers[external_id]
        # Computed by the database from the type and gender the import wrote.
        assert dossier.reporter_category == category
        if category == "organisation":
            assert dossier.reporter_type == ReporterType.ORGANISATION
            assert dossier.reporter_gender == Gender.NOT_GIVEN
        else:
            assert dossier.reporter_type == ReporterType.NOT_RECORDED
            assert dossier.reporter_gender == category
        assert dossier.imported is True
        assert dossier.first_contact_due is None
        assert dossier.history.count() == 1
        [event] = dossier.events.all()
        assert (event.kind, event.detail, event.actor, event.new_status) == (
            EventKind.CREATED,
            "imported",
            None,
            Status.CLOSED,
        )
    a2 = dossiers["A-2"]
    assert a2.forms_of_abuse == ["ncii", "voyeurism"]
    assert (a2.language, a2.channel) == ("fr", "email")
    assert a2.received_at == datetime(2021, 3, 5, tzinfo=BRUSSELS)


def test_codes_tolerate_case_and_spaces_and_the_file_a_bom(tmp_path):
    text = csv_text(" B-1 , 2021-03-04 , NCII ; Voyeurism , Woman , NL , Web ")
    run(tmp_path, "\ufeff" + text)
    dossier = Dossier.objects.get()
    assert dossier.external_id == "B-1"
    assert (dossier.forms_of_abuse, dossier.reporter_gender, dossier.language, dossier.channel) == (
        ["ncii", "voyeurism"],
        "woman",
        "nl",
        "web",
    )


def test_windows_line_endings_keep_the_line_numbers(tmp_path):
    text = csv_text("CR-1,2021-03-04,ncii,woman,nl,web", "CR-2,2021-03-04,ncii,x,nl,web")
    assert errors_of(tmp_path, text.replace("\n", "\r\n")) == [
        'line 3, column "reporter": "x" is not one of woman, man, other, organisation, not_given.'
    ]


def test_the_service_reads_an_open_text_file_with_a_bom():
    result = import_reports(io.StringIO("\ufeff" + csv_text("TX-1,2021-03-04,ncii,man,fr,web")))
    assert (result.imported, result.already_imported, result.dry_run) == (1, 0, False)
    assert Dossier.objects.get().external_id == "TX-1"


def test_a_file_with_only_the_header_imports_nothing(tmp_path):
    out, _err = run(tmp_path, csv_text())
    assert summary(out) == "Imported 0 dossiers; 0 were already imported."
    assert nothing_written()


# Errors: every one, with line and column, and nothing written


def test_every_error_is_listed_with_line_and_column_and_nothing_is_written(tmp_path):
    text = csv_text(
        "C-1,2021-03-04,ncii,woman,nl,web",
        "C-2,2021-03-04,ncii,female,nl,web",
        ",2021-03-04,ncii;revenge,woman,es,fax",
        "C-4,2021-03-04T10:15:00,,woman,nl,web",
        "",
        "C-5,4 March 2021,ncii,woman,nl,web",
        "C-6,2021-03-04,ncii,woman,nl",
        "C-7,2999-01-01,ncii,man,nl,web",
    )
    assert errors_of(tmp_path, text) == [
        'line 3, column "reporter": "female" is not one of woman, man, other, organisation, '
        "not_given.",
        'line 4, column "external_id": a value is required.',
        'line 4, column "forms": "revenge" is not one of ncii, voyeurism, sextortion.',
        'line 4, column "language": "es" is not one of nl, fr, de, en.',
        'line 4, column "channel": "fax" is not one of web, email, phone, letter, in_person, '
        "other.",
        'line 5, column "received_at": "2021-03-04T10:15:00" has no offset from UTC: add one '
        "(2021-03-04T10:15:00+01:00, or Z for UTC) or give only the date.",
        'line 5, column "forms": give at least one of ncii, voyeurism, sextortion, separated by '
        "semicolons.",
        'line 7, column "received_at": "4 March 2021" is not a date (2021-03-04, or day first: '
        "04/03/2021) or a date and time with an offset from UTC (2021-03-04T10:15:00+01:00).",
        "line 8: this line has 5 values; the header has 6 columns.",
        'line 9, column "received_at": "2999-01-01" is in the future.',
    ]
    assert nothing_written()


def test_the_command_fails_with_the_number_of_errors(tmp_path):
    with pytest.raises(CommandError, match=r"^2 errors; nothing was imported\.$"):
        run(tmp_path, csv_text("D-1,2021-03-04,ncii,x,nl,web", "D-2,2021-03-04,ncii,y,nl,web"))


def test_the_service_raises_import_rejected_with_structured_errors():
    source = io.BytesIO(csv_text("E-1,2021-03-04,ncii,woman,nl,fax").encode())
    with pytest.raises(ImportRejected) as raised:
        import_reports(source)
    [error] = raised.value.errors
    assert (error.line, error.column) == (2, "channel")
    assert nothing_written()


def test_a_quoted_value_over_two_lines_keeps_later_line_numbers_right(tmp_path):
    text = csv_text(
        'F-1,2021-03-04,"ncii;\nvoyeurism",woman,nl,web', "F-2,2021-03-04,ncii,x,nl,web"
    )
    assert errors_of(tmp_path, text) == [
        'line 4, column "reporter": "x" is not one of woman, man, other, organisation, not_given.'
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            HEADER + ",notes",
            [
                'line 1, column "notes": unknown column; the columns are external_id, received_at, '
                "forms, reporter, language, channel, status, closed_at, closure_reason, "
                "minor_involved."
            ],
        ),
        (
            "external_id,received_at,reporter,language,channel",
            ['line 1, column "forms": this required column is missing.'],
        ),
        (
            HEADER + ",forms",
            ['line 1, column "forms": this column appears more than once.'],
        ),
        (
            HEADER.replace(",", "\t"),
            [
                "line 1: the first line must name the columns, separated by commas or by "
                "semicolons: external_id, received_at, forms, reporter, language, channel."
            ],
        ),
        (
            HEADER.replace(",", "|"),
            [
                "line 1: the first line must name the columns, separated by commas or by "
                "semicolons: external_id, received_at, forms, reporter, language, channel."
            ],
        ),
    ],
)
def test_header_errors(tmp_path, header, expected):
    assert errors_of(tmp_path, csv_text(header=header)) == expected
    assert nothing_written()


def test_an_unknown_column_does_not_hide_the_errors_in_the_rows(tmp_path):
    text = csv_text("G-1,2021-03-04,ncii,woman,nl,fax,x", header=HEADER + ",notes")
    errors = errors_of(tmp_path, text)
    assert errors[0].startswith('line 1, column "notes": unknown column')
    assert errors[1:] == [
        'line 2, column "channel": "fax" is not one of web, email, phone, letter, in_person, other.'
    ]


def test_an_empty_file_is_an_error(tmp_path):
    assert errors_of(tmp_path, "") == [
        "line 1: the first line must name the columns: external_id, received_at, forms, "
        "reporter, language, channel."
    ]


def test_a_file_neither_utf8_nor_windows_1252_is_refused_with_the_line(tmp_path):
    # 0x81 means nothing in Windows-1252; a NUL is in no text (here: UTF-16).
    path = tmp_path / "reports.csv"
    path.write_bytes(csv_text("H-1,2021-03-04,ncii,woman,nl,web").encode() + b"H\x81-2,2021-03-04")
    with pytest.raises(ImportRejected) as raised:
        import_reports(path)
    assert [str(e) for e in raised.value.errors] == [
        "line 3: the file is neither UTF-8 nor Windows-1252 text; save it as UTF-8."
    ]
    assert errors_of(tmp_path, csv_text("H-1,2021-03-04,ncii,woman,nl,web"), "utf-16") == [
        "line 1: the file is neither UTF-8 nor Windows-1252 text; save it as UTF-8."
    ]
    assert nothing_written()


def test_a_file_mixing_utf8_and_windows_1252_is_refused_with_the_line(tmp_path):
    # Read as Windows-1252, the UTF-8 "Zoë" of line 2 would be imported as "ZoÃ«".
    path = tmp_path / "reports.csv"
    path.write_bytes(
        csv_text("Zoë-1,2021-03-04,ncii,woman,nl,web").encode("utf-8")
        + "Zoë-2,2021-03-04,ncii,woman,nl,web\n".encode("cp1252")
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_reports", str(path), stdout=out, stderr=err)
    assert err.getvalue().splitlines() == [
        "line 3: the file mixes UTF-8 with another encoding (this line is not UTF-8); save the "
        "whole file as UTF-8."
    ]
    assert out.getvalue() == ""
    assert nothing_written()


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_reports", str(tmp_path / "missing.csv"))


# external_id: idempotent import, duplicates


def test_importing_the_same_file_again_adds_nothing(tmp_path):
    text = csv_text("I-1,2021-03-04,ncii,woman,nl,web", "I-2,2021-03-05,ncii,man,nl,web")
    run(tmp_path, text)
    counts = (Dossier.objects.count(), Dossier.history.count(), DossierEvent.objects.count())
    out, _err = run(tmp_path, text)
    assert summary(out) == "Imported 0 dossiers; 2 were already imported."
    assert (
        Dossier.objects.count(),
        Dossier.history.count(),
        DossierEvent.objects.count(),
    ) == counts
    assert ReferenceCounter.objects.get(year=2021).last == 2

    out, _err = run(tmp_path, text + "I-3,2021-03-06,ncii,man,nl,web\n")
    assert summary(out) == "Imported 1 dossier; 2 were already imported."
    assert Dossier.objects.get(external_id="I-3").reference == "2021-0003"
    # Each import is in the statistics log, with what it added.
    assert list(
        StatisticsLogEntry.objects.order_by("id").values_list("action", "user", "rows")
    ) == [
        (StatisticsAction.IMPORT, None, 2),
        (StatisticsAction.IMPORT, None, 0),
        (StatisticsAction.IMPORT, None, 1),
    ]


def test_a_duplicate_external_id_in_the_file_is_an_error_on_its_second_line(tmp_path):
    text = csv_text(
        "J-1,2021-03-04,ncii,woman,nl,web",
        "J-2,2021-03-04,ncii,woman,nl,web",
        "J-1,2021-03-05,voyeurism,man,fr,web",
    )
    assert errors_of(tmp_path, text) == [
        'line 4, column "external_id": "J-1" already appears on line 2.'
    ]
    assert nothing_written()


def test_an_external_id_imported_before_is_skipped_even_with_other_values(tmp_path):
    run(tmp_path, csv_text("K-1,2021-03-04,ncii,woman,nl,web"))
    out, _err = run(tmp_path, csv_text("K-1,2021-06-01,voyeurism,man,fr,email"))
    assert summary(out) == "Imported 0 dossiers; 1 was already imported."
    assert Dossier.objects.get().forms_of_abuse == ["ncii"]


# Dates and times


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2021-03-04", datetime(2021, 3, 3, 23, 0, tzinfo=UTC)),
        ("2021-07-04", datetime(2021, 7, 3, 22, 0, tzinfo=UTC)),  # summer time
        ("2021-03-04T10:15:00+01:00", datetime(2021, 3, 4, 9, 15, tzinfo=UTC)),
        ("2021-03-04T10:15:00Z", datetime(2021, 3, 4, 10, 15, tzinfo=UTC)),
        ("2021-03-04 10:15+02:00", datetime(2021, 3, 4, 8, 15, tzinfo=UTC)),
    ],
)
def test_a_date_is_that_day_in_brussels_and_a_datetime_keeps_its_offset(tmp_path, value, stored):
    run(tmp_path, csv_text(f"L-1,{value},ncii,woman,nl,web"))
    assert Dossier.objects.get().received_at == stored


@pytest.mark.parametrize("value", ["2021-03-04T10:15:00", "2021-03-04T10:15", "2021-03-04 10:15"])
def test_a_datetime_without_offset_is_refused(tmp_path, value):
    [error] = errors_of(tmp_path, csv_text(f"M-1,{value},ncii,woman,nl,web"))
    assert error.startswith(f'line 2, column "received_at": "{value}" has no offset from UTC')
    assert "give only the date" in error


@pytest.mark.parametrize("value", ["2021-02-30", "20210304", "2021-03-04T25:00+01:00", "soon"])
def test_a_value_that_is_not_a_date_is_refused(tmp_path, value):
    [error] = errors_of(tmp_path, csv_text(f"N-1,{value},ncii,woman,nl,web"))
    assert error.startswith(f'line 2, column "received_at": "{value}" is not a date')


def test_half_past_midnight_on_new_years_day_in_brussels_is_the_new_year(tmp_path):
    run(tmp_path, csv_text("O-1,2021-01-01T00:30:00+01:00,ncii,woman,nl,web"))
    dossier = Dossier.objects.get()
    assert dossier.received_at == datetime(2020, 12, 31, 23, 30, tzinfo=UTC)
    assert dossier.reference == "2021-0001"


@time_machine.travel(datetime(2024, 5, 10, 12, 0, tzinfo=BRUSSELS), tick=False)
def test_today_is_fine_but_later_today_or_tomorrow_is_in_the_future(tmp_path):
    errors = errors_of(
        tmp_path,
        csv_text(
            "P-1,2024-05-10,ncii,woman,nl,web",
            "P-2,2024-05-10T11:59:00+02:00,ncii,woman,nl,web",
            "P-3,2024-05-10T12:01:00+02:00,ncii,woman,nl,web",
            "P-4,2024-05-11,ncii,woman,nl,web",
        ),
    )
    assert errors == [
        'line 4, column "received_at": "2024-05-10T12:01:00+02:00" is in the future.',
        'line 5, column "received_at": "2024-05-11" is in the future.',
    ]


# Status and closure


def test_status_defaults_to_closed_with_the_reason_not_recorded(tmp_path):
    run(tmp_path, csv_text("Q-1,2021-03-04,ncii,woman,nl,web"))
    dossier = Dossier.objects.get()
    assert dossier.status == Status.CLOSED
    assert dossier.closure_reason == ClosureReason.NOT_RECORDED
    assert dossier.closed_at is None


def test_statuses_reasons_and_closing_moments(tmp_path):
    header = HEADER + ",status,closed_at,closure_reason"
    run(
        tmp_path,
        csv_text(
            "R-1,2021-03-04,ncii,woman,nl,web,closed,2021-04-01,referred",
            "R-2,2021-03-04,ncii,woman,nl,web,,,content_removed",
            "R-3,2021-03-04,ncii,woman,nl,web,closed,,",
            "R-4,2021-03-04T10:15:00+01:00,ncii,woman,nl,web,closed,2021-03-04,",
            "R-5,2021-03-04,ncii,woman,nl,web,waiting,,",
            "R-6,2021-03-04,ncii,woman,nl,web,in_progress,,",
            "R-7,2021-03-04,ncii,woman,nl,web,new,,",
            header=header,
        ),
    )
    d = {x.external_id: x for x in Dossier.objects.all()}
    assert (d["R-1"].status, d["R-1"].closure_reason) == ("closed", "referred")
    assert d["R-1"].closed_at == datetime(2021, 4, 1, tzinfo=BRUSSELS)
    assert (d["R-2"].status, d["R-2"].closure_reason) == ("closed", "content_removed")
    assert d["R-3"].closure_reason == ClosureReason.NOT_RECORDED
    # Closed on the day of receipt, given without a time: not before it was received.
    assert d["R-4"].closed_at == d["R-4"].received_at
    assert (d["R-5"].status, d["R-5"].waiting_for) == ("waiting", WaitingFor.OTHER)
    for key in ["R-5", "R-6", "R-7"]:
        assert (d[key].closure_reason, d[key].closed_at, d[key].first_contact_due) == (
            "",
            None,
            None,
        )
        assert d[key].events.get().new_status == d[key].status
    assert d["R-6"].waiting_for == ""
    # Imported history is never "overdue", even while open.
    assert not Dossier.objects.overdue().exists()


def test_closing_errors(tmp_path):
    header = HEADER + ",status,closed_at,closure_reason"
    errors = errors_of(
        tmp_path,
        csv_text(
            "S-1,2021-03-04,ncii,woman,nl,web,new,,referred",
            "S-2,2021-03-04,ncii,woman,nl,web,in_progress,2021-03-05,",
            "S-3,2021-03-04,ncii,woman,nl,web,closed,2021-03-03,",
            "S-4,2021-03-04T10:15:00+01:00,ncii,woman,nl,web,closed,2021-03-04T10:00:00+01:00,",
            "S-5,2021-03-04,ncii,woman,nl,web,closed,2999-01-01,",
            "S-6,2021-03-04,ncii,woman,nl,web,done,,",
            "S-7,2021-03-04,ncii,woman,nl,web,closed,,solved",
            header=header,
        ),
    )
    assert errors == [
        'line 2, column "closure_reason": only a closed dossier has a closure reason (the '
        'status is "new").',
        'line 3, column "closed_at": only a closed dossier has a closing date (the status is '
        '"in_progress").',
        'line 4, column "closed_at": the dossier cannot be closed before it was received.',
        'line 5, column "closed_at": the dossier cannot be closed before it was received.',
        'line 6, column "closed_at": "2999-01-01" is in the future.',
        'line 7, column "status": "done" is not one of new, in_progress, waiting, closed.',
        'line 8, column "closure_reason": "solved" is not one of content_removed, referred, '
        "no_further_action_wanted, no_contact_possible, not_competent, other, not_recorded, "
        "withdrawn.",
    ]
    assert nothing_written()


# A minor involved


@pytest.mark.parametrize(
    ("value", "minor", "priority"),
    [
        ("yes", YesNoUnknown.YES, Priority.URGENT),
        ("TRUE", YesNoUnknown.YES, Priority.URGENT),
        ("1", YesNoUnknown.YES, Priority.URGENT),
        ("no", YesNoUnknown.NO, Priority.NORMAL),
        ("false", YesNoUnknown.NO, Priority.NORMAL),
        ("0", YesNoUnknown.NO, Priority.NORMAL),
        ("unknown", YesNoUnknown.UNKNOWN, Priority.NORMAL),
        ("", YesNoUnknown.UNKNOWN, Priority.NORMAL),
    ],
)
def test_a_minor_involved_makes_the_dossier_urgent(tmp_path, value, minor, priority):
    run(
        tmp_path,
        csv_text(f"T-1,2021-03-04,ncii,woman,nl,web,{value}", header=HEADER + ",minor_involved"),
    )
    dossier = Dossier.objects.get()
    assert (dossier.person_minor_on_images, dossier.priority) == (minor, priority)


def test_an_unknown_minor_value_is_an_error(tmp_path):
    text = csv_text("U-1,2021-03-04,ncii,woman,nl,web,maybe", header=HEADER + ",minor_involved")
    assert errors_of(tmp_path, text) == [
        'line 2, column "minor_involved": "maybe" is not one of yes, no, unknown.'
    ]


# References


def test_references_are_numbered_per_brussels_year_in_order_and_do_not_collide(tmp_path):
    live = DossierFactory(received_at=datetime(2021, 2, 1, 12, tzinfo=BRUSSELS))
    assert live.reference == "2021-0001"
    run(
        tmp_path,
        csv_text(
            "V-1,2021-05-01,ncii,woman,nl,web",
            "V-2,2021-01-01T00:30:00+01:00,ncii,woman,nl,web",
            "V-3,2020-12-31T23:30:00+01:00,ncii,woman,nl,web",
            "V-4,2020-07-01,ncii,woman,nl,web",
            "V-5,2021-03-01T09:00:00Z,ncii,woman,nl,web",
            # The year is Brussels's, whatever offset the file uses.
            "V-6,2020-12-31T23:45:00Z,ncii,woman,nl,web",
            "V-7,2021-01-01T00:10:00+02:00,ncii,woman,nl,web",
        ),
    )
    references = dict(Dossier.objects.filter(imported=True).values_list("external_id", "reference"))
    assert references == {
        "V-4": "2020-0001",
        "V-7": "2020-0002",
        "V-3": "2020-0003",
        "V-2": "2021-0002",
        "V-6": "2021-0003",
        "V-5": "2021-0004",
        "V-1": "2021-0005",
    }
    later = DossierFactory(received_at=datetime(2021, 6, 1, 12, tzinfo=BRUSSELS))
    assert later.reference == "2021-0006"
    assert not later.imported


def test_reserve_references_hands_out_a_block_after_next_reference():
    assert next_reference(year=2030) == "2030-0001"
    assert reserve_references(year=2030, count=3) == ["2030-0002", "2030-0003", "2030-0004"]
    assert reserve_references(year=2030, count=0) == []
    assert next_reference(year=2030) == "2030-0005"
    assert reserve_references(year=2031, count=2) == ["2031-0001", "2031-0002"]
    with pytest.raises(ValueError):
        reserve_references(year=2030, count=-1)


def test_a_failing_write_leaves_nothing_and_gives_the_numbers_back(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(DossierEvent.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        run(tmp_path, csv_text("W-1,2021-03-04,ncii,woman,nl,web"))
    assert nothing_written()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_file_at_once_import_it_once(tmp_path):
    path = tmp_path / "reports.csv"
    path.write_text(
        csv_text(*[f"Z-{n},2021-03-04,ncii,woman,nl,web" for n in range(200)]), encoding="utf-8"
    )
    results = at_once(2, lambda n: import_reports(path), timeout=60)

    assert connection.vendor == "postgresql"
    assert sorted((r.imported, r.already_imported) for r in results) == [(0, 200), (200, 0)]
    assert Dossier.objects.count() == 200
    assert ReferenceCounter.objects.get(year=2021).last == 200


# Dry run


def test_dry_run_checks_and_counts_but_writes_nothing(tmp_path):
    text = csv_text("X-1,2021-03-04,ncii,woman,nl,web", "X-2,2021-03-05,ncii,man,nl,web")
    out, _err = run(tmp_path, text, "--dry-run")
    assert summary(out) == (
        "Dry run: 2 dossiers would be imported; 0 were already imported. Nothing was written."
    )
    assert nothing_written()
    with pytest.raises(CommandError):
        run(tmp_path, text + "X-3,2021-03-05,ncii,nobody,nl,web\n", "--dry-run")
    run(tmp_path, csv_text("X-1,2021-03-04,ncii,woman,nl,web"))
    out, _err = run(tmp_path, text, "--dry-run")
    assert summary(out) == (
        "Dry run: 1 dossier would be imported; 1 was already imported. Nothing was written."
    )
    assert Dossier.objects.count() == 1
    assert StatisticsLogEntry.objects.count() == 1  # the real import only


# Speed: writes in bulk, not one query per row


def test_the_number_of_queries_does_not_grow_with_each_row(tmp_path, django_assert_max_num_queries):
    lines = [f"Y-{n},2021-03-04,ncii,woman,nl,web" for n in range(300)]
    path = tmp_path / "many.csv"
    path.write_text(csv_text(*lines), encoding="utf-8")
    with django_assert_max_num_queries(60):
        import_reports(path)
    assert Dossier.objects.count() == 300
    assert DossierEvent.objects.count() == 300
    assert Dossier.history.count() == 300


# The published figures


def recount(rows: list[dict[str, str]]) -> dict:
    """The figures of the generated rows, counted in plain Python from the CSV values."""
    counts = {
        period: {"by_form": Counter(), "by_reporter": {}, "by_language": {}, "distinct": 0}
        for period in ("2020", "2021")
    }
    for row in rows:
        value = row["received_at"]
        if len(value) == 10:
            day = date.fromisoformat(value)
        else:
            day = datetime.fromisoformat(value).astimezone(BRUSSELS).date()
        period = str(day.year)
        assert day >= date(2020, 7, 1)
        figures = counts[period]
        figures["distinct"] += 1
        for form in set(row["forms"].split(";")):
            figures["by_form"][form] += 1
            figures["by_reporter"].setdefault(form, Counter())[row["reporter"]] += 1
            figures["by_language"].setdefault(form, Counter())[row["language"]] += 1
    return counts


def without_zeros(table: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {key: {k: v for k, v in row.items() if v} for key, row in table.items()}


def test_the_published_rows_recount_to_the_constants():
    rows = published.published_rows()
    assert rows == published.published_rows()  # deterministic
    counts = recount(rows)
    for period, expected in published.EXPECTED.items():
        assert dict(counts[period]["by_form"]) == expected["by_form"]
        assert counts[period]["distinct"] == expected["distinct"]
        for view in ("by_reporter", "by_language"):
            got = {form: dict(counter) for form, counter in counts[period][view].items()}
            assert got == without_zeros(expected[view])
    assert published.EXPECTED_DISTINCT_TOTAL == len(rows) == 210
    pairs = Counter(row["forms"] for row in rows if ";" in row["forms"])
    assert {key.replace(";", "+"): n for key, n in pairs.items()} == (
        published.EXPECTED_TWO_FORM_DOSSIERS
    )
    per_form_total = sum(sum(e["by_form"].values()) for e in published.EXPECTED.values())
    assert per_form_total > published.EXPECTED_DISTINCT_TOTAL


def test_the_published_split_of_other_adds_up_to_the_published_table():
    for form, published_row in published.PUBLISHED_2021_BY_FORM_AND_REPORTER.items():
        split = published.EXPECTED_2021_BY_FORM_AND_REPORTER[form]
        assert split["woman"] == published_row["woman"]
        assert split["man"] == published_row["man"]
        assert (
            split["other"] + split["organisation"] + split["not_given"] == (published_row["other"])
        )
    assert all(published.EXPECTED_2021_BY_FORM_AND_REPORTER["ncii"].values())
    for period in ("2020", "2021"):
        expected = published.EXPECTED[period]
        for view in ("by_reporter", "by_language"):
            assert {f: sum(row.values()) for f, row in expected[view].items()} == (
                expected["by_form"]
            )
    by_language = published.EXPECTED_2021_BY_FORM_AND_LANGUAGE
    assert by_language["ncii"]["nl"] < by_language["ncii"]["fr"] <= by_language["ncii"]["nl"] * 1.2
    voyeurism = by_language["voyeurism"]
    assert voyeurism["nl"] > 2 * (voyeurism["fr"] + voyeurism["de"] + voyeurism["en"])


def test_the_published_rows_include_the_edges_of_the_periods():
    received = {row["received_at"] for row in published.published_rows()}
    for value in [
        "2020-07-01",
        "2020-12-31",
        "2020-12-31T23:30:00+01:00",
        "2021-01-01T00:30:00+01:00",
        "2021-12-31",
    ]:
        assert value in received
    months = {value[:7] for value in received}
    assert len(months) == 18


def test_the_published_file_imports_and_the_orm_counts_equal_the_constants(tmp_path):
    path = published.write_published_csv(tmp_path / "published.csv")
    with path.open(encoding="utf-8", newline="") as file:
        assert list(csv.DictReader(file)) == published.published_rows()
    out = io.StringIO()
    call_command("import_reports", str(path), stdout=out)
    assert summary(out.getvalue()) == "Imported 210 dossiers; 0 were already imported."

    for expected in published.EXPECTED.values():
        start, end = expected["period"]
        in_period = Dossier.objects.filter(received_at__gte=start, received_at__lt=end)
        assert in_period.count() == expected["distinct"]
        for form, total in expected["by_form"].items():
            involving = in_period.filter(**{f"form_{form}": True})
            assert involving.count() == total
            for category, count in expected["by_reporter"][form].items():
                assert involving.filter(reporter_category=category).count() == count
            for language, count in expected["by_language"][form].items():
                assert involving.filter(language=language).count() == count
    assert (
        Dossier.objects.filter(
            form_ncii=True,
            received_at__gte=published.PERIOD_2021[0],
            received_at__lt=published.PERIOD_2021[1],
            reporter_category="woman",
        ).count()
        == 49
    )
    assert Dossier.objects.count() == published.EXPECTED_DISTINCT_TOTAL
    assert Dossier.objects.filter(form_ncii=True, form_voyeurism=True).count() == 6
    assert Dossier.objects.filter(form_ncii=True, form_sextortion=True).count() == 5
    # The references follow the Brussels year, 1 January 00:30 included.
    assert Dossier.objects.get(external_id="IGVM-2021-001").reference.startswith("2021-")
    assert ReferenceCounter.objects.get(year=2020).last == published.EXPECTED_2020_DISTINCT
    assert ReferenceCounter.objects.get(year=2021).last == published.EXPECTED_2021_DISTINCT
    # The mix of statuses came through with their constraints satisfied.
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert statuses == {"new", "in_progress", "waiting", "closed"}
    assert (
        Dossier.objects.urgent().count()
        == Dossier.objects.filter(person_minor_on_images=YesNoUnknown.YES).count()
        > 0
    )

    call_command("import_reports", str(path), stdout=(again := io.StringIO()))
    assert summary(again.getvalue()) == "Imported 0 dossiers; 210 were already imported."


def test_control_characters_from_the_file_are_shown_escaped(tmp_path):
    """A value or a column name quoting terminal escapes must not act in the terminal."""
    evil = "\x1b[2J\x1b]0;owned\x07"
    errors = errors_of(
        tmp_path,
        csv_text(
            f"ext-1,2021-03-01,ncii{evil},woman,nl,web",
            header=HEADER + f",bad{evil}\u202e",
        ),
    )
    text = "\n".join(errors)
    assert errors
    assert not any(char in text for char in "\x1b\x07\u202e")
    assert "\\x1b[2J" in text
    assert "\\u202e" in text
    assert nothing_written()
