"""Create the application's database role and grant it what the app needs (run as the owner)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config import dbroles


class Command(BaseCommand):
    help = "Create (--create) and grant the role the application connects as; it owns nothing."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", default=None, help="the role (default: DATABASE_APP_ROLE)")
        parser.add_argument("--create", action="store_true", help="create the role if it does not exist")
        parser.add_argument("--password", default=None, help="its password (none: trust or peer auth)")

    def handle(self, *args, name=None, create=False, password=None, **options):
        name = name or settings.DATABASE_APP_ROLE
        if not name:
            raise CommandError("Name the role, or set DATABASE_APP_ROLE.")
        if create and dbroles.create_app_role(name, password):
            self.stdout.write(f"Created the database role {name}.")
        try:
            dbroles.grant_app_role(name)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Granted {name}: read and write the tables; never UPDATE/DELETE/TRUNCATE the "
            f"append-only ones; owns nothing."
        )
