from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from institute.demo import DEMO_PASSWORD, DEMO_USERS, load_demo_data


class Command(BaseCommand):
    help = "Create the demo staff accounts and demo dossiers (idempotent; never in production)."

    def handle(self, *args, **options):
        try:
            _users, added = load_demo_data()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Demo data: {added} dossiers added.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for spec in DEMO_USERS:
            self.stdout.write(f"  {spec.username:<12} {spec.role.label}")
