from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from institute.demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print the current second-step code of a demo account (development only)."

    def add_arguments(self, parser):
        parser.add_argument("username", choices=[spec.username for spec in DEMO_USERS])

    def handle(self, *args, username: str, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo accounts do not exist in production.")
        user = get_user_model().objects.filter(username=username).first()
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            raise CommandError("Run `make demo` first.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
