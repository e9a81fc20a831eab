"""What the base layer tells the layers above it, without importing them (ADR 10)."""

from django.dispatch import Signal

# Sent inside the publishing transaction when a policy version is published, or when a preset changes
# the house rules, with ``actor`` (the user, or None for the system) and ``detail`` (a dict). The security
# log listens (``config.audit``) and records it as "Policy version published", in the same transaction.
policy_published = Signal()
