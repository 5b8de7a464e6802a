from contextlib import ExitStack, nullcontext

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from institute.progress import progress
from reporting.imports import UTF8, UTF8_BOM, WINDOWS_1252, ImportRejected, import_reports


def _read_as(encoding: str) -> str:
    return {
        UTF8: _("Read as UTF-8."),
        UTF8_BOM: _("Read as UTF-8 (with a byte order mark)."),
        WINDOWS_1252: _("Read as Windows-1252 (the file is not UTF-8)."),
    }[encoding]


class Command(BaseCommand):
    help = (
        "Import the Institute's earlier records from a CSV file, all or nothing. Rows whose "
        "external_id was imported before are skipped, so a file can be imported again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="CSV file with a header line: columns separated by commas or semicolons, "
            "UTF-8 (with or without a byte order mark) or Windows-1252",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and count, write nothing"
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the messages (default: the active language, which from the "
            f"shell is {settings.LANGUAGE_CODE})",
        )

    def handle(self, *args, language: str | None, **options):
        # Messages in the language asked for; without --language, the active one (a
        # caller in Python keeps its own).
        with translation.override(language) if language else nullcontext():
            self._import(**options)

    def _import(self, *, file: str, dry_run: bool, **options):
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
            if rejected.encoding:
                self.stdout.write(_read_as(rejected.encoding))
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
        self.stdout.write(_read_as(result.encoding))
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
