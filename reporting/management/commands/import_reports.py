from contextlib import ExitStack

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from institute.progress import progress
from reporting.imports import ImportRejected, import_reports


class Command(BaseCommand):
    help = (
        "Import the Institute's earlier records from a CSV file, all or nothing. Rows whose "
        "external_id was imported before are skipped, so a file can be imported again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8) with a header line")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and count, write nothing"
        )

    def handle(self, *args, file: str, dry_run: bool, **options):
        try:
            source = open(file, "rb")  # noqa: SIM115 (closed below)
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s.") % {"file": file, "reason": error.strerror}
            ) from None
        try:
            with source, ExitStack() as bars:

                def bar_over(total: int):
                    return bars.enter_context(progress(self, total=total, what="lines")).update

                result = import_reports(source, dry_run=dry_run, progress=bar_over)
        except ImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            count = len(rejected.errors)
            raise CommandError(
                ngettext(
                    "%(count)d error; nothing was imported.",
                    "%(count)d errors; nothing was imported.",
                    count,
                )
                % {"count": count}
            ) from None
        new, old = result.imported, result.already_imported
        if dry_run:
            done = ngettext(
                "Dry run: %(count)d dossier would be imported",
                "Dry run: %(count)d dossiers would be imported",
                new,
            )
        else:
            done = ngettext("Imported %(count)d dossier", "Imported %(count)d dossiers", new)
        skipped = ngettext(
            "%(count)d was already imported.", "%(count)d were already imported.", old
        )
        summary = _("%(done)s; %(skipped)s") % {
            "done": done % {"count": new},
            "skipped": skipped % {"count": old},
        }
        if dry_run:
            summary = _("%(summary)s Nothing was written.") % {"summary": summary}
        self.stdout.write(self.style.SUCCESS(summary))
