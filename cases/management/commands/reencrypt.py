from django.core.management.base import BaseCommand

from cases.keyrotation import reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every personal field with the newest key in FIELD_ENCRYPTION_KEYS. "
        "Run after putting a new key first; remove the old key once nothing is left on it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        total = 0
        for result in reencrypt_all(batch_size=batch_size):
            total += result.rotated
            self.stdout.write(
                f"{result.label}.{result.field}: {result.checked} values checked, "
                f"{result.rotated} moved to the newest key"
            )
        self.stdout.write(self.style.SUCCESS(f"Done: {total} values re-encrypted."))
