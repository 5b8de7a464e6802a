"""`export_statistics` reproduces the Institute's published figures, counts a report in
its Brussels day, and gives the same figures after personal data are erased."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from cases.choices import Status
from cases.models import Dossier
from cases.retention import dossier_anonymise
from cases.services import dossier_close, dossier_triage
from reporting.models import StatisticsAction, StatisticsLogEntry
from tests.factories import DossierFactory

from . import published

FORMS = ["ncii", "voyeurism", "sextortion"]
REPORTERS = ["woman", "man", "other", "organisation", "not_given"]
LANGUAGES = ["nl", "fr", "de", "en"]


def export(start: str, end: str, *extra: str) -> dict:
    out = io.StringIO()
    call_command("export_statistics", "--from", start, "--to", end, *extra, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def history(db, tmp_path):
    call_command(
        "import_reports",
        str(published.write_published_csv(tmp_path / "h.csv")),
        stdout=io.StringIO(),
    )


def test_published_figures_are_reproduced(history):
    h2_2020 = export("2020-07-01", "2020-12-31")
    year_2021 = export("2021-01-01", "2021-12-31")
    # DOMAIN.md: forms per period, and their total.
    for figures, period in ((h2_2020, "2020"), (year_2021, "2021")):
        assert figures["by_form"] == published.PUBLISHED_BY_FORM[period]
    both = export("2020-07-01", "2021-12-31")
    assert both["by_form"] == {"ncii": 153, "voyeurism": 30, "sextortion": 38}
    # 2021 by who reported: woman, man, and "other" = other + organisation + not given.
    for form, expected in published.PUBLISHED_2021_BY_FORM_AND_REPORTER.items():
        row = year_2021["by_form_and_reporter"][form]
        assert (
            row["woman"],
            row["man"],
            row["other"] + row["organisation"] + row["not_given"],
        ) == (
            expected["woman"],
            expected["man"],
            expected["other"],
        )
    # The finer figures the fixture was built with, and the dossiers counted once.
    assert year_2021["by_form_and_reporter"] == published.EXPECTED_2021_BY_FORM_AND_REPORTER
    assert year_2021["by_form_and_language"] == published.EXPECTED_2021_BY_FORM_AND_LANGUAGE
    assert h2_2020["by_form_and_reporter"] == published.EXPECTED_2020_BY_FORM_AND_REPORTER
    assert h2_2020["by_form_and_language"] == published.EXPECTED_2020_BY_FORM_AND_LANGUAGE
    assert (h2_2020["dossiers"], year_2021["dossiers"], both["dossiers"]) == (80, 130, 210)
    # The published description of 2021's languages.
    ncii, voyeurism = (
        year_2021["by_form_and_language"]["ncii"],
        year_2021["by_form_and_language"]["voyeurism"],
    )
    assert ncii["fr"] > ncii["nl"] and voyeurism["nl"] > 2 * voyeurism["fr"]


def test_json_has_every_key_with_zeros(db):
    figures = export("2019-01-01", "2019-12-31")
    assert figures["period"] == {"from": "2019-01-01", "to": "2019-12-31"}
    assert figures["dossiers"] == 0
    assert figures["by_form"] == dict.fromkeys(FORMS, 0)
    assert figures["by_form_and_reporter"] == {form: dict.fromkeys(REPORTERS, 0) for form in FORMS}
    assert figures["by_form_and_language"] == {form: dict.fromkeys(LANGUAGES, 0) for form in FORMS}


@pytest.mark.django_db
def test_a_report_counts_in_its_brussels_day():
    # 00:30 on 1 January in Brussels is still 31 December in UTC, and the other way round.
    DossierFactory(received_at=datetime(2020, 12, 31, 23, 30, tzinfo=UTC))  # 1 Jan 00:30
    DossierFactory(received_at=datetime(2021, 12, 31, 22, 30, tzinfo=UTC))  # 31 Dec 23:30
    DossierFactory(received_at=datetime(2021, 12, 31, 23, 0, tzinfo=UTC))  # 1 Jan 2022 00:00
    assert export("2020-01-01", "2020-12-31")["dossiers"] == 0
    year = export("2021-01-01", "2021-12-31")
    assert year["dossiers"] == 2
    assert year["by_form_and_month"]["ncii"]["2021-01"] == 1
    assert year["by_form_and_month"]["ncii"]["2021-12"] == 1
    assert export("2022-01-01", "2022-01-01")["dossiers"] == 1
    assert export("2021-12-31", "2021-12-31")["dossiers"] == 1


def test_figures_do_not_change_when_personal_data_are_erased(history, users):
    # Some dossiers of 2021 handled here, then closed and anonymised.
    handled = [
        DossierFactory(
            received_at=datetime(2021, 6, day, 9, tzinfo=UTC), reporter_email=f"p{day}@example.org"
        )
        for day in range(1, 6)
    ]
    for dossier in handled:
        dossier_triage(dossier_id=dossier.pk, accept=True, by=users["coordinator"])
        dossier_close(
            dossier_id=dossier.pk, by=users["coordinator"], closure_reason="content_removed"
        )
    before = [export("2021-01-01", "2021-12-31"), export("2020-07-01", "2020-12-31")]
    for dossier in Dossier.objects.filter(status=Status.CLOSED):
        dossier_anonymise(dossier, by=users["coordinator"])
    assert Dossier.objects.filter(anonymised_at__isnull=False).count() >= 5
    assert {Dossier.objects.get(pk=d.pk).reporter_email for d in handled} == {""}
    after = [export("2021-01-01", "2021-12-31"), export("2020-07-01", "2020-12-31")]
    assert after == before


def test_csv_and_xlsx_and_the_log(history, tmp_path):
    out = io.StringIO()
    call_command(
        "export_statistics",
        "--from",
        "2021-01-01",
        "--to",
        "2021-12-31",
        "--format",
        "csv",
        stdout=out,
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    by_key = {(r["table"], r["row"], r["column"]): r["value"] for r in rows}
    assert by_key[("by_form", "ncii", "dossiers")] == "95"
    assert by_key[("by_form", "all", "dossiers")] == "130"
    assert by_key[("by_form_and_reporter", "voyeurism", "woman")] == "10"
    assert {r["period_from"] for r in rows} == {"2021-01-01"}
    target = tmp_path / "annual.xlsx"
    call_command(
        "export_statistics",
        "--from",
        "2021-01-01",
        "--to",
        "2021-12-31",
        "--format",
        "xlsx",
        "--output",
        str(target),
        "--language",
        "en",
        "--suppress",
        "5",
    )
    workbook = load_workbook(target)
    sheet = workbook["Who reported"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["Voyeurism", "2021", 10, "<5", "<5", "<5", "<5", 15] in rows
    assert ["Voyeurism", "2020", 9, "<5", "<5", "<5", "<5", 15] in rows
    with pytest.raises(CommandError, match="--output"):
        call_command(
            "export_statistics",
            "--from",
            "2021-01-01",
            "--to",
            "2021-12-31",
            "--format",
            "xlsx",
            "--language",
            "en",
        )
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command(
            "export_statistics", "--from", "2021-13-01", "--to", "2021-12-31", "--language", "en"
        )
    assert list(
        StatisticsLogEntry.objects.order_by("id").values_list("action", "file_format", "threshold")
    ) == [
        (StatisticsAction.IMPORT, "", None),
        (StatisticsAction.EXPORT, "csv", None),
        (StatisticsAction.EXPORT, "xlsx", 5),
    ]
    assert StatisticsLogEntry.objects.get(action=StatisticsAction.IMPORT).rows == 210


def test_suppressed_json_for_publication(history):
    figures = export("2021-01-01", "2021-12-31", "--suppress", "5")
    assert figures["suppression"]["threshold"] == 5
    assert figures["by_form"] == {"ncii": 95, "voyeurism": 15, "sextortion": 26}
    voyeurism = figures["by_form_and_reporter"]["voyeurism"]
    assert voyeurism["woman"] == 10
    assert {voyeurism[c] for c in ("man", "other", "organisation", "not_given")} == {"<5"}
    assert "dossiers_by_reporter" not in figures
    exact = export("2021-01-01", "2021-12-31")
    assert exact["dossiers_by_reporter"]["woman"] >= 49


def _decimal_comma(cell: str) -> str:
    return cell.replace(".", ",") if re.fullmatch(r"\d+\.\d+", cell) else cell


@pytest.mark.django_db
def test_csv_for_excel_has_a_bom_semicolons_and_the_same_cells(tmp_path):
    # A median of 1.5 days: a decimal number.
    for day in (4, 5):
        received = datetime(2021, 3, day, 10, tzinfo=UTC)
        DossierFactory(received_at=received, first_contact_at=received + timedelta(days=1.5))
    period = ["--from", "2021-01-01", "--to", "2021-12-31"]
    standard, variant = io.StringIO(), io.StringIO()
    call_command("export_statistics", *period, "--format", "csv", stdout=standard)
    call_command("export_statistics", *period, "--format", "csv-excel", stdout=variant)
    target = tmp_path / "figures.csv"
    call_command("export_statistics", *period, "--format", "csv-excel", "--output", str(target))
    data = target.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8") == variant.getvalue()
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "period_from;period_to;table;row;column;value"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    expected = list(csv.reader(io.StringIO(standard.getvalue(), newline="")))
    assert len(rows) == len(expected) > 100
    assert rows == [[_decimal_comma(cell) for cell in row] for row in expected]
    # Decimals with a comma, as Excel in nl-BE and fr-BE reads numbers.
    assert ["2021-01-01", "2021-12-31", "first_contact", "all", "median_days", "1,5"] in rows
    assert not standard.getvalue().startswith("\ufeff")
    assert "1.5" in standard.getvalue()  # the standard CSV is unchanged
    # The log keeps the format in its 8 characters.
    assert list(
        StatisticsLogEntry.objects.order_by("id").values_list("file_format", flat=True)
    ) == [
        "csv",
        "csv-excel",
        "csv-excel",
    ]
