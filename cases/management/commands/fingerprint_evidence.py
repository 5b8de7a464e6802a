from django.core.management.base import BaseCommand, CommandError

from cases.custody import missing_fingerprints, record_missing_fingerprints
from institute.progress import progress


class Command(BaseCommand):
    help = (
        "Record the fingerprints (SHA-256, and PDQ for images) of evidence files received "
        "before they were recorded at upload. Batched; can be stopped and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args, batch_size: int, **options):
        with progress(self, total=missing_fingerprints().count(), what="files") as bar:
            result = record_missing_fingerprints(batch_size=batch_size, advance=bar.update)
        self.stdout.write(
            f"Fingerprints recorded for {result.recorded} files; "
            f"{result.unreadable} files could not be read."
        )
        if result.unreadable:
            raise CommandError(
                "Some files could not be read: `manage.py check_evidence` lists them.",
                returncode=1,
            )
