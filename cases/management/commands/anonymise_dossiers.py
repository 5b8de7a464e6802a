import argparse
from datetime import date, datetime, time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.choices import Status
from cases.models import BRUSSELS, Dossier
from cases.retention import (
    anonymise_each,
    dossiers_closed_before,
    dossiers_due_for_anonymisation,
)
from institute.progress import progress


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {value!r}") from None


def _dossiers(count: int) -> str:
    return f"{count} dossier" if count == 1 else f"{count} dossiers"


class Command(BaseCommand):
    help = (
        "Erase the personal data of closed dossiers once RETENTION_DAYS_AFTER_CLOSURE days "
        "have passed since they were closed (or of those closed before --closed-before). "
        "Coded columns stay for the statistics. Prints counts only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--closed-before",
            type=_day,
            metavar="YYYY-MM-DD",
            help="Dossiers closed before this day (Brussels time) instead of the retention period.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the dossiers; change nothing."
        )

    def handle(self, *args, closed_before: date | None, dry_run: bool, **options):
        if closed_before is None:
            dossiers = dossiers_due_for_anonymisation()
            period = f"closed more than {settings.RETENTION_DAYS_AFTER_CLOSURE} days ago"
        else:
            if closed_before > timezone.localdate(timezone.now(), BRUSSELS):
                raise CommandError("--closed-before cannot be later than today.")
            dossiers = dossiers_closed_before(
                datetime.combine(closed_before, time.min, tzinfo=BRUSSELS)
            )
            period = f"closed before {closed_before.isoformat()}"
        # Ids only: each dossier is then locked, checked again and erased in its own
        # transaction, so a dossier reopened meanwhile is skipped, not erased.
        due = list(dossiers.order_by("closed_at", "pk").values_list("pk", flat=True))
        if dry_run:
            self.stdout.write(f"{_dossiers(len(due))} {period} would be anonymised (dry run).")
        else:
            with progress(self, total=len(due), what="dossiers") as bar:
                done, skipped = anonymise_each(due, advance=bar.update)
            self.stdout.write(self.style.SUCCESS(f"{_dossiers(done)} {period} anonymised."))
            if skipped:
                self.stdout.write(
                    f"{_dossiers(skipped)} skipped: reopened or anonymised meanwhile."
                )
        # Imported records (coded columns only) may lack a closing date; any other
        # closed dossier without one would never be selected, so it is pointed out.
        undated = Dossier.objects.filter(
            status=Status.CLOSED, anonymised_at__isnull=True, closed_at__isnull=True, imported=False
        ).count()
        if undated:
            self.stderr.write(
                f"{_dossiers(undated)} closed without a closing date: this command never "
                "selects them (see the README on retention)."
            )
