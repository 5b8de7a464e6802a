"""Create a staff account with a role, from the server (the first coordinator, say).

The person signs in with the one-time password printed here, sets up their second step
at once, and should change the password on their security page. Run by someone with
access to the server, this is the one way a role that opens dossiers is given without a
coordinator's confirmation, and it goes to the security log like any other.
"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from institute.models import SecurityEventKind
from institute.roles import Role
from institute.security import security_log


class Command(BaseCommand):
    help = "Create a staff account with a role; prints a one-time password."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")

    @transaction.atomic
    def handle(self, *args, username: str, role: str, email: str, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"The account {username!r} exists already.")
        password = secrets.token_urlsafe(18)
        user = User.objects.create_user(
            username, email=email, password=password, is_staff=role == Role.ADMINISTRATOR
        )
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        security_log(SecurityEventKind.ROLE_GRANTED, user=user, detail=f"{role}:command")
        self.stdout.write(f"Account {username} created with the role {Role(role).label}.")
        self.stdout.write(f"One-time password (change it after signing in): {password}")
        self.stdout.write("At the first sign-in the account sets up its second step.")
