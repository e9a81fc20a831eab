"""Applying a shipped preset (``policy.presets``): the policy version and the house rules, together.

It lives above both the policy (the base layer) and the house rules (``moderation``): the preset
publishes a policy version and makes its rules the active house rules, in one transaction. A preset
applied twice changes nothing and writes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict

from moderation.models import HouseRule
from policy import services as policy
from policy.models import PolicyVersion
from policy.presets import Preset, presets
from policy.signals import policy_published

RULE_FIELDS = (
    "title",
    "guidance",
    "severity",
    "zero_tolerance",
    "safeguarding",
    "channel_only_ban",
    "appeal_wait_months",
    "suspected_offence",
    "redact_on_delete",
    "party_political",
)


@dataclass
class PresetResult:
    preset: Preset
    version: PolicyVersion
    version_published: bool
    rules_added: list[str] = field(default_factory=list)
    rules_changed: list[str] = field(default_factory=list)
    rules_retired: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return self.version_published or bool(self.rules_added or self.rules_changed or self.rules_retired)


def preset_get(slug: str) -> Preset:
    found = presets()
    if slug not in found:
        raise ValidationError(f"No preset “{slug}”. The presets are: {', '.join(sorted(found))}.")
    return found[slug]


@transaction.atomic
def preset_apply(slug: str, *, by=None) -> PresetResult:
    """Make ``slug``'s policy the active one: a new policy version (unless it is already the active
    policy) and its house rules active, in the preset's order; rules it does not list are retired (kept
    for the cases that cite them, offered no more)."""
    preset = preset_get(slug)
    active = policy.current()
    # the product's defaults, the deployment's mailbox unless the preset names one, then the preset
    data = model_to_dict(policy.from_settings(), fields=policy.SETTINGS_FIELDS)
    data["team_email"] = active.team_email
    unknown = set(preset.settings) - set(data)
    if unknown:
        raise ValidationError(f"The preset sets what the policy does not hold: {', '.join(sorted(unknown))}.")
    data.update(preset.settings)
    before = active.number if active.pk else None
    version = policy.publish(
        version=PolicyVersion(**data, notes=preset.notes),
        by=by,
        reason=f"Preset applied: {preset.name}.",
        preset=preset.slug,
    )
    result = PresetResult(preset=preset, version=version, version_published=version.number != before)

    listed = {rule.code for rule in preset.rules}
    for position, rule in enumerate(preset.rules, start=1):
        wanted = {name: value for name, value in asdict(rule).items() if name in RULE_FIELDS}
        wanted.update(position=position, is_active=True)
        existing = HouseRule.objects.select_for_update().filter(code=rule.code).first()
        if existing is None:
            HouseRule.objects.create(code=rule.code, **wanted)
            result.rules_added.append(rule.code)
        elif any(getattr(existing, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(existing, name, value)
            existing.full_clean()
            existing.save()
            result.rules_changed.append(rule.code)
    retired = HouseRule.objects.filter(is_active=True).exclude(code__in=listed)
    result.rules_retired = sorted(retired.values_list("code", flat=True))
    retired.update(is_active=False)

    if result.rules_added or result.rules_changed or result.rules_retired:
        policy_published.send(
            sender=PolicyVersion,
            actor=by,
            detail={
                "preset": preset.slug,
                "version": version.number,
                "house_rules": {
                    "added": result.rules_added,
                    "changed": result.rules_changed,
                    "retired": result.rules_retired,
                },
            },
        )
    return result
