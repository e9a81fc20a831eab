"""Shipped presets: each organisation's published policy (``/work/shared/policies``) as configuration.

``manage.py policy_preset <slug>`` applies one (``policy.services.preset_apply``): it publishes a policy
version with the preset's settings and makes the preset's house rules the active ones. A preset
applied twice changes nothing.

A preset is written from its document: every removal category it lists is a house rule whose guidance
quotes the document's words; its targets, hours, roles and ladder are as the document says, and where
the document is silent ``notes`` says what was chosen and why. ``docs/policies.md`` maps each
operational sentence of each document to the setting or feature that carries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rule:
    """One house rule. ``guidance`` quotes the policy's own words."""

    code: str  # a slug, unique within the preset; the same code in two presets is the same rule
    title: str
    guidance: str
    severity: int = 2  # moderation.constants.Severity: 1 low, 2 medium, 3 high
    zero_tolerance: bool = False  # breaking it recommends a block at once (and needs no warning first)
    safeguarding: bool = False  # a risk to a child or an adult: the safeguarding procedure applies
    channel_only_ban: bool = False  # the author is banned from that channel only
    appeal_wait_months: int = 12  # calendar months after a block before an appeal is heard; 0 at once
    suspected_offence: bool = False  # breaking it may be a crime: a police report is suggested
    redact_on_delete: bool = False  # deleting a post under it keeps no copy of its text (personal data)
    party_political: bool = False  # offered first while a pre-election period is on


@dataclass(frozen=True)
class Preset:
    slug: str
    name: str  # the document's title, for the admin and the command's output
    document: str  # the file in /work/shared/policies it is written from
    # PolicyVersion field values; anything not given keeps the model's default (NHDC's process)
    settings: dict[str, Any]
    rules: tuple[Rule, ...]
    notes: str = ""  # where the document is silent, what the preset chose (shown in the admin)
    demo: dict[str, Any] = field(default_factory=dict)  # channels and service areas for `POLICY=… make run`


def presets() -> dict[str, Preset]:
    """Every shipped preset by slug: each module of this package with a ``PRESET``."""
    import importlib
    import pkgutil

    found = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        preset = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PRESET", None)
        if isinstance(preset, Preset):
            found[preset.slug] = preset
    return found
