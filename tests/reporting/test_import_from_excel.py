"""`import_reports` reads the CSV files staff really have: Excel's, with semicolons, a
byte order mark or Windows-1252, and day-first dates; and speaks the language asked for."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from cases.models import Dossier
from reporting.imports import UTF8, UTF8_BOM, WINDOWS_1252, ImportRejected, import_reports

BRUSSELS = ZoneInfo("Europe/Brussels")
BOM = b"\xef\xbb\xbf"
HEADER = "external_id,received_at,forms,reporter,language,channel"
SEMICOLONS = HEADER.replace(",", ";")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(tmp_path, data: bytes, *options: str) -> tuple[list[str], list[str]]:
    """Import the file ``data`` with the command: lines of (stdout, stderr); on a
    refusal, CommandError with ``stdout`` and ``stderr`` lines."""
    path = tmp_path / "reports.csv"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_reports", str(path), *options, stdout=out, stderr=err)
    except CommandError as error:
        error.stdout, error.stderr = out.getvalue().splitlines(), err.getvalue().splitlines()
        raise
    return out.getvalue().splitlines(), err.getvalue().splitlines()


def excel(*lines: str, header: str = SEMICOLONS, encoding: str = "utf-8") -> bytes:
    """What Excel writes: lines ending in CR LF."""
    return "".join(f"{line}\r\n" for line in [header, *lines]).encode(encoding)


def test_a_semicolon_file_with_a_bom_imports(tmp_path):
    out, err = run(
        tmp_path,
        BOM
        + excel(
            'XL-1;2021-03-04;"ncii;voyeurism";woman;nl;web',
            "XL-2;05/03/2021;sextortion;man;fr;email",
        ),
    )
    assert out == [
        "Read as UTF-8 (with a byte order mark).",
        "Imported 2 dossiers; 0 were already imported.",
    ]
    assert err == []
    dossiers = {d.external_id: d for d in Dossier.objects.all()}
    assert dossiers["XL-1"].forms_of_abuse == ["ncii", "voyeurism"]
    assert (dossiers["XL-2"].reporter_gender, dossiers["XL-2"].language) == ("man", "fr")
    assert dossiers["XL-2"].received_at == datetime(2021, 3, 5, tzinfo=BRUSSELS)


def test_a_comma_file_without_a_bom_imports(tmp_path):
    data = f'{HEADER}\nCO-1,2021-03-04,"ncii;sextortion",other,de,phone\n'.encode()
    out, _err = run(tmp_path, data)
    assert out == ["Read as UTF-8.", "Imported 1 dossier; 0 were already imported."]
    assert Dossier.objects.get().forms_of_abuse == ["ncii", "sextortion"]


def test_a_windows_1252_file_imports_and_the_output_names_the_encoding(tmp_path):
    lines = ("Zoë-1;2021-03-04;ncii;woman;nl;web", "Clément-2;2021-03-05;ncii;man;fr;web")
    data = excel(*lines, encoding="cp1252")
    assert "ë".encode("cp1252") in data  # one byte, not valid UTF-8
    out, _err = run(tmp_path, data)
    assert out == [
        "Read as Windows-1252 (the file is not UTF-8).",
        "Imported 2 dossiers; 0 were already imported.",
    ]
    assert sorted(Dossier.objects.values_list("external_id", flat=True)) == [
        "Clément-2",
        "Zoë-1",
    ]
    # The identifiers were read right: the same file saved as UTF-8 adds nothing.
    out, _err = run(tmp_path, BOM + excel(*lines))
    assert out[-1] == "Imported 0 dossiers; 2 were already imported."


def test_the_service_says_which_encoding_it_read():
    line = "Zoë-1;2021-03-04;ncii;woman;nl;web"
    for data, encoding in [
        (excel(line, encoding="cp1252"), WINDOWS_1252),
        (BOM + excel(line), UTF8_BOM),
        (excel(line), UTF8),
        (excel("SV-1;2021-03-04;ncii;woman;nl;web"), UTF8),  # ASCII is UTF-8 too
    ]:
        assert import_reports(io.BytesIO(data), dry_run=True).encoding == encoding
    assert import_reports(io.StringIO(excel(line).decode()), dry_run=True).encoding is None
    with pytest.raises(ImportRejected) as raised:
        import_reports(io.BytesIO(excel(line.replace("woman", "wömen"), encoding="cp1252")))
    assert raised.value.encoding == WINDOWS_1252
    assert [(e.line, e.column) for e in raised.value.errors] == [(2, "reporter")]


@pytest.mark.parametrize(
    "data",
    [
        excel("NO-1\t2021-03-04\tncii\twoman\tnl\tweb", header=HEADER.replace(",", "\t")),
        # No header: the first line is a row.
        excel("NO-2;2021-03-05;ncii;woman;nl;web", header="NO-1;2021-03-04;ncii;woman;nl;web"),
        BOM + excel(header="external_id|received_at|forms|reporter|language|channel"),
    ],
)
def test_a_file_split_by_neither_delimiter_is_refused(tmp_path, data):
    with pytest.raises(CommandError, match=r"^1 error; nothing was imported\.$") as raised:
        run(tmp_path, data)
    assert raised.value.stderr == [
        "line 1: the first line must name the columns, separated by commas or by semicolons: "
        "external_id, received_at, forms, reporter, language, channel."
    ]
    assert not Dossier.objects.exists()


def test_the_delimiter_comes_from_the_header_not_the_values(tmp_path):
    # Commas in the header; the values hold semicolons (the forms) and no commas at all.
    data = f'{HEADER}\nHD-1,2021-03-04,"ncii;voyeurism;sextortion",woman,nl,web\n'.encode()
    run(tmp_path, data)
    assert Dossier.objects.get().forms_of_abuse == ["ncii", "voyeurism", "sextortion"]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("03/04/2024", datetime(2024, 4, 3, tzinfo=BRUSSELS)),  # 3 April
        ("3/04/2024", datetime(2024, 4, 3, tzinfo=BRUSSELS)),  # Excel nl-BE: d/mm/yyyy
        ("13/4/2024", datetime(2024, 4, 13, tzinfo=BRUSSELS)),
        ("31/12/2020", datetime(2020, 12, 31, tzinfo=BRUSSELS)),
        ("03/04/2024 10:15+02:00", datetime(2024, 4, 3, 8, 15, tzinfo=UTC)),
        ("03/04/2024 9:05:30Z", datetime(2024, 4, 3, 9, 5, 30, tzinfo=UTC)),
    ],
)
def test_day_first_dates_import_to_the_right_day(tmp_path, value, stored):
    run(tmp_path, excel(f"DD-1;{value};ncii;woman;nl;web"))
    assert Dossier.objects.get().received_at == stored


def test_a_day_first_closing_date_on_the_day_of_receipt_is_not_before_it(tmp_path):
    header = SEMICOLONS + ";status;closed_at"
    run(
        tmp_path,
        excel("DC-1;2024-04-03T10:15:00+02:00;ncii;woman;nl;web;closed;03/04/2024", header=header),
    )
    dossier = Dossier.objects.get()
    assert dossier.closed_at == dossier.received_at


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("03/04/2024 10:15", "has no offset from UTC"),  # a wall-clock time: ambiguous
        ("31/02/2024", "is not a date"),
        ("03/04/24", "is not a date"),  # which century?
        ("2024/04/03", "is not a date"),
        ("03-04-2024", "is not a date"),
        ("003/04/2024", "is not a date"),
    ],
)
def test_day_first_dates_that_are_not_dates_are_refused(tmp_path, value, error):
    with pytest.raises(CommandError) as raised:
        run(tmp_path, excel(f"DR-1;{value};ncii;woman;nl;web"))
    [line] = raised.value.stderr
    assert line.startswith(f'line 2, column "received_at": "{value}" {error}')


def test_a_bad_row_in_a_semicolon_file_refuses_everything_with_its_line_and_column(tmp_path):
    # A BOM, a quoted value over two lines (as Excel writes a cell with a line break),
    # CR LF endings: the line numbers are still those an editor shows.
    data = BOM + excel(
        'BR-1;2021-03-04;"ncii;\r\nvoyeurism";woman;nl;web',
        "BR-2;04/03/2021;ncii;woman;nl;web",
        "BR-3;05/03/2021;ncii;nobody;nl;web",
        "BR-4;06/03/2021;ncii;woman;nl",
        "BR-5;31/02/2021;ncii;woman;nl;web",
    )
    with pytest.raises(CommandError, match=r"^3 errors; nothing was imported\.$") as raised:
        run(tmp_path, data)
    assert raised.value.stdout == ["Read as UTF-8 (with a byte order mark)."]
    assert raised.value.stderr == [
        'line 5, column "reporter": "nobody" is not one of woman, man, other, organisation, '
        "not_given.",
        "line 6: this line has 5 values; the header has 6 columns.",
        'line 7, column "received_at": "31/02/2021" is not a date (2021-03-04, or day first: '
        "04/03/2021) or a date and time with an offset from UTC (2021-03-04T10:15:00+01:00).",
    ]
    assert not Dossier.objects.exists()


def test_language_fr_gives_french_output(tmp_path):
    with pytest.raises(CommandError) as raised:
        run(tmp_path, excel("FR-1;2021-03-04;ncii;x;nl;web"), "--language", "fr")
    assert str(raised.value) == "1 erreur ; rien n'a été importé."
    assert raised.value.stderr == [
        'ligne 2, colonne "reporter" : "x" ne fait pas partie des valeurs suivantes : woman, '
        "man, other, organisation, not_given."
    ]
    out, _err = run(tmp_path, excel("FR-1;2021-03-04;ncii;woman;nl;web"), "--language", "fr")
    assert out[-1] == "1 dossier importé ; 0 avait déjà été importé."
    # The caller's language is back, and is the default.
    assert translation.get_language() == "en"
    out, _err = run(tmp_path, excel("FR-1;2021-03-04;ncii;woman;nl;web"))
    assert out[-1] == "Imported 0 dossiers; 1 was already imported."


def test_an_unknown_language_is_refused(tmp_path):
    with pytest.raises(CommandError, match="invalid choice"):
        run(tmp_path, excel(), "--language", "es")
