from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from cases import receipts
from cases.choices import EventKind
from cases.models import Dossier
from institute.demo import (
    DEMO_DOSSIERS,
    DEMO_PASSWORD,
    DEMO_USERS,
    demo_receipt_code,
    demo_totp_base32,
    load_demo_data,
)


class Command(BaseCommand):
    help = "Create the demo staff accounts and demo dossiers (idempotent; never in production)."

    def handle(self, *args, **options):
        try:
            _users, added = load_demo_data()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Demo data: {added} dossiers added.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(
            "  Second step: add the key below to an authenticator app, or print the "
            "current code with `python manage.py demo_code USERNAME`."
        )
        for spec in DEMO_USERS:
            key = demo_totp_base32(spec.username)
            self.stdout.write(f"  {spec.username:<12} {spec.role.label:<26} key {key}")
        self.stdout.write(f"Demo receipt code for the follow-up page: {self._receipt_code()}")

    def _receipt_code(self) -> str:
        """The code of a demo dossier that has a message from staff to read."""
        with_message = set(
            Dossier.objects.filter(
                external_id__startswith="demo-", events__kind=EventKind.MESSAGE_TO_REPORTER
            ).values_list("receipt_hash", flat=True)
        )
        for index in range(DEMO_DOSSIERS):
            code = demo_receipt_code(index)
            if receipts.receipt_hash(code) in with_message:
                return receipts.display(code)
        return "-"
