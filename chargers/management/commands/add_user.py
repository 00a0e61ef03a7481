import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from chargers.roles import ADMIN, ROLES


class Command(BaseCommand):
    help = "Create a user with a role (viewer, engineer, admin) and print its password once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=ROLES, default="engineer")
        parser.add_argument("--password", help="default: a random one, printed")

    def handle(self, username, role, password, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"User {username!r} exists already.")
        password = password or secrets.token_urlsafe(12)
        user = User.objects.create_user(username=username, password=password, is_staff=role == ADMIN)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        self.stdout.write(f"{username} ({role}): {password}")
