"""Evidence files and their rows must match: a file with no row is an orphan left by a
failed write, a row with no file is evidence lost."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.models import Evidence


class Command(BaseCommand):
    help = (
        "List evidence files that no row points to and rows whose file is missing (storage "
        "names and row ids only, nothing personal). Exits with status 1 if it finds any. "
        "Files younger than --grace-minutes may belong to a report being saved right now "
        "and are not counted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grace-minutes", type=int, default=60)
        parser.add_argument(
            "--delete-orphans",
            action="store_true",
            help="delete the files no row points to (after the grace period)",
        )

    def handle(self, *args, grace_minutes: int, delete_orphans: bool, **options):
        root = Path(settings.PRIVATE_STORAGE_ROOT)
        cutoff = time.time() - grace_minutes * 60
        on_disk = {
            path.relative_to(root).as_posix(): path
            for path in (root / "evidence").rglob("*")
            if path.is_file()
        }
        rows = dict(Evidence.objects.values_list("file", "pk"))
        orphans = sorted(
            name for name, path in on_disk.items() if name not in rows and _older(path, cutoff)
        )
        missing = sorted((pk, name) for name, pk in rows.items() if name not in on_disk)
        for name in orphans:
            if delete_orphans:
                on_disk[name].unlink(missing_ok=True)
                self.stdout.write(f"deleted file without a row: {name}")
            else:
                self.stdout.write(f"file without a row: {name}")
        for pk, name in missing:
            self.stdout.write(f"row without a file: evidence {pk} ({name})")
        self.stdout.write(
            f"{len(on_disk)} files, {len(rows)} rows: {len(orphans)} without a row"
            f"{' (deleted)' if delete_orphans and orphans else ''}, {len(missing)} without a file"
        )
        if missing or (orphans and not delete_orphans):
            raise CommandError("evidence files and rows do not match", returncode=1)


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:  # removed meanwhile
        return False
