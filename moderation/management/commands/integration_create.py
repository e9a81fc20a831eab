"""``manage.py integration_create NAME [--channel [PLATFORM:]HANDLE …]``: a new integration; its token printed once.

For scripts and CI; administrators normally use the admin (Integrations → Add). A channel is
named as the API names it (``intake.channel_resolve``): its id or handle, without case or a
leading @ (``@North_Herts``); when channels on several platforms share the handle, say which
with the platform first (``instagram:northhertsdc``).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from moderation import intake
from moderation.models import Channel
from moderation.services import integration_create


def _channel(reference: str, channels: list[Channel]) -> Channel:
    platform = None
    word, colon, rest = reference.partition(":")
    if colon and intake.platform_of(word):
        platform, reference = intake.platform_of(word), rest
    try:
        return intake.channel_resolve(
            reference.strip(), channels=channels, platform=platform, choose="put the platform first, e.g. facebook:"
        )
    except intake.ChannelRefused as refused:
        raise CommandError(f"--channel {reference}: {refused}") from refused


class Command(BaseCommand):
    help = "Create an integration allowed to send posts for the given channels (all when none given); print its token."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--channel",
            action="append",
            default=[],
            help="A channel's handle or id, with its platform first when handles are shared "
            "(instagram:northhertsdc). Repeatable.",
        )

    def handle(self, *args, name, channel, **options):
        every = list(Channel.objects.all())
        channels = list({c.pk: c for c in (_channel(ref, every) for ref in channel)}.values()) if channel else every
        try:
            _, token = integration_create(actor=None, name=name, channels=channels)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(token)
