from django.core.management.base import BaseCommand, CommandError

from cases.keyrotation import reencrypt_everything, reencrypt_total
from institute.progress import progress


class Command(BaseCommand):
    help = (
        "Re-encrypt every personal field and evidence file with the newest key in "
        "FIELD_ENCRYPTION_KEYS. Run after putting a new key first; remove the old key "
        "once `reencrypt --check` reports nothing left on it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit with status 1 while any value or file is still "
            "under an older key (or under none of the configured keys).",
        )

    def handle(self, *args, batch_size: int, check: bool, **options):
        with progress(self, total=reencrypt_total(), what="values and files") as bar:
            results = reencrypt_everything(batch_size=batch_size, check=check, advance=bar.update)
        values = sum(r.rotated for r in results if not r.is_file_result)
        files = sum(r.rotated for r in results if r.is_file_result)
        unreadable = sum(r.unreadable for r in results)
        verb = "still under an older key" if check else "moved to the newest key"
        for result in results:
            name = result.label if result.is_file_result else f"{result.label}.{result.field}"
            line = f"{name}: {result.checked} checked, {result.rotated} {verb}"
            if result.unreadable:
                line += f", {result.unreadable} unreadable"
            if result.leftovers:
                verb_left = "found" if check else "removed"
                line += f", {result.leftovers} copies left by an interrupted run {verb_left}"
            self.stdout.write(line)
        if unreadable:
            self.stderr.write(
                f"{unreadable} values or files are missing or under none of the configured "
                "keys: do not remove any key before finding out why."
            )
        leftovers = sum(r.leftovers for r in results)
        if check:
            if leftovers:
                self.stderr.write(
                    f"{leftovers} copies left by an interrupted run: run `manage.py reencrypt`."
                )
            if values or files or unreadable or leftovers:
                raise CommandError(
                    f"{values} values and {files} files are still under an older key; "
                    "run `manage.py reencrypt` before removing it.",
                    returncode=1,
                )
            self.stdout.write(self.style.SUCCESS("Everything is under the newest key."))
            return
        self.stdout.write(
            self.style.SUCCESS(f"Done: {values} values and {files} files re-encrypted.")
        )
        if unreadable:
            raise CommandError("Some values or files could not be read.", returncode=1)
