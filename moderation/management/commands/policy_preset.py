"""``manage.py policy_preset nhdc|hmcts|cafcass|hmpps|hart``: run an organisation's published policy."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from moderation.policy_presets import preset_apply
from policy.presets import presets


class Command(BaseCommand):
    help = "Apply a shipped policy preset: a new policy version and the preset's house rules (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("preset", help=f"one of: {', '.join(sorted(presets()))}")

    def handle(self, *args, preset: str, **options):
        try:
            result = preset_apply(preset.strip().lower())
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if not result.changed_anything:
            self.stdout.write(f"{result.preset.name}: already the active policy (version {result.version.number}).")
            return
        self.stdout.write(self.style.SUCCESS(f"{result.preset.name}: policy version {result.version.number}."))
        for label, codes in (
            ("House rules added", result.rules_added),
            ("House rules changed", result.rules_changed),
            ("House rules retired", result.rules_retired),
        ):
            if codes:
                self.stdout.write(f"{label}: {', '.join(codes)}")
        if result.preset.notes:
            self.stdout.write(f"Where the policy is silent: {result.preset.notes}")
