from dataclasses import astuple
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import BRUSSELS, Dossier
from reporting import rollups
from reporting.periods import Period
from reporting.statistics import compute


class Command(BaseCommand):
    help = (
        "Check that the daily counts the statistics read (kept by PostgreSQL's triggers) "
        "give every figure of every year exactly as counting the dossiers does; with "
        "--rebuild, count everything again first; with --compact, fold the counts' rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="count everything again")
        parser.add_argument("--compact", action="store_true", help="fold the counts' rows")

    def handle(self, *args, rebuild: bool, compact: bool, **options):
        if not rollups.available():
            self.stdout.write(
                _("This database keeps no daily counts: the statistics count the dossiers.")
            )
            return
        if rebuild:
            rollups.rebuild()
        if compact:
            rows = rollups.compact()
            self.stdout.write(_("%(rows)d rows of counts after folding.") % {"rows": rows})
        span = Dossier.objects.aggregate(first=Min("received_at"), last=Max("received_at"))
        if span["first"] is None:
            return
        first = timezone.localtime(span["first"], BRUSSELS).year
        last = max(timezone.localtime(span["last"], BRUSSELS).year, timezone.localdate().year)
        wrong = []
        for year in range(first, last + 1):
            period = Period(date(year, 1, 1), date(year, 12, 31))
            if astuple(compute(period)) != astuple(compute(period, direct=True)):
                wrong.append(str(year))
        if wrong:
            raise CommandError(
                _(
                    "The daily counts differ from the dossiers for %(years)s: run this "
                    "command again with --rebuild."
                )
                % {"years": ", ".join(wrong)}
            )
        self.stdout.write(
            _("The daily counts give the same figures as the dossiers, %(first)d to %(last)d.")
            % {"first": first, "last": last}
        )
