"""``manage.py integration_create NAME [--channel HANDLE …]``: create an integration and print its token once.

For scripts and CI; administrators normally use the admin (Integrations → Add).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from moderation.models import Channel
from moderation.services import integration_create


class Command(BaseCommand):
    help = "Create an integration allowed to send posts for the given channels (all when none given); print its token."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--channel", action="append", default=[], help="A channel handle (repeatable).")

    def handle(self, *args, name, channel, **options):
        channels = list(Channel.objects.filter(handle__in=channel)) if channel else list(Channel.objects.all())
        if channel and len(channels) != len(set(channel)):
            raise CommandError("Unknown channel handle among: " + ", ".join(channel))
        try:
            _, token = integration_create(actor=None, name=name, channels=channels)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(token)
