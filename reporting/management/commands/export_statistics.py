from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from institute.routers import replica_reads
from reporting import exports
from reporting.models import StatisticsAction, StatisticsLogEntry
from reporting.periods import Period, PeriodError
from reporting.publication import Publication, tables
from reporting.statistics import compute

FORMATS = ("json", "csv", exports.CSV_EXCEL, "xlsx")


class Command(BaseCommand):
    help = (
        "Export the statistics of a period (both days included, in Brussels time): JSON or "
        "long CSV of every figure (csv-excel: the same CSV for Excel in a Belgian locale, "
        "with semicolons, decimal commas and a byte order mark), or the XLSX workbook of "
        "every table with the same period a year earlier beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="json",
            help="csv-excel: the CSV with semicolons, decimal commas and a byte order mark, "
            "which Excel in a Belgian locale opens as it is",
        )
        parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
        parser.add_argument(
            "--suppress",
            type=int,
            metavar="K",
            help="for publication: show counts from 1 to K-1 as <K and withhold what would "
            "give them away (K at least 3)",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the labels in the workbook",
        )

    def handle(self, *args, language, **options):
        # Messages and labels in the language asked for, whatever is active.
        with translation.override(language):
            self._export(**options)

    def _export(self, *, start, end, format, output, suppress, **options):
        try:
            period = Period.parse(start, end)
        except PeriodError as error:
            raise CommandError(str(error)) from None
        if suppress is not None and suppress < 3:
            raise CommandError(_("The suppression threshold must be at least 3."))
        if format == "xlsx" and not output:
            raise CommandError(_("A workbook is a file: give it a name with --output."))
        # The figures from the replica when there is one (institute.routers); the log
        # below is written on the primary.
        with replica_reads():
            current = Publication(compute(period), suppress)
        if format == "json":
            content = exports.figures_json(current)
        elif format in ("csv", exports.CSV_EXCEL):
            content = exports.figures_csv(current, excel=format == exports.CSV_EXCEL)
        else:
            with replica_reads():
                previous = Publication(compute(period.previous()), suppress)
            content = exports.workbook_xlsx(tables(current, previous), current, previous)
        if output:
            with open(output, "wb") as file:
                file.write(content.encode("utf-8") if isinstance(content, str) else content)
        else:
            self.stdout.write(content, ending="")
        StatisticsLogEntry.objects.create(
            action=StatisticsAction.EXPORT,
            period_from=period.start,
            period_to=period.end,
            threshold=suppress,
            file_format=format,
        )
