"""The security log: who signed in, who failed, who changed whose access. Append-only in PostgreSQL."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django_otp.models import Device

from policy.roles import GRANTABLE_ROLES


class SecurityEventKind(models.TextChoices):
    SIGNED_IN = "signed_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out after repeated failures"
    SIGNED_OUT = "signed_out", "Signed out"
    SESSION_EXPIRED = "session_expired", "Signed out by the session limits"
    SECOND_STEP_PASSED = "second_step_passed", "Two-step verification passed"
    SECOND_STEP_FAILED = "second_step_failed", "Two-step verification failed"
    DEVICE_ADDED = "device_added", "Two-step device set up"
    DEVICE_REMOVED = "device_removed", "Two-step device removed"
    RECOVERY_CODES_RENEWED = "recovery_codes_renewed", "Recovery codes made"
    ROLE_ADDED = "role_added", "Role given"
    ROLE_REMOVED = "role_removed", "Role taken away"
    PERMISSION_CHANGED = "permission_changed", "Permissions changed"
    ACCOUNT_CHANGED = "account_changed", "Account flags changed"
    ADMIN_CHANGE = "admin_change", "Changed in the admin"
    POLICY_PUBLISHED = "policy_published", "Policy version published"
    DATA_DOWNLOADED = "data_downloaded", "Data downloaded"


class SecurityEvent(models.Model):
    """One security-relevant thing that happened. Never updated, deleted or truncated (a trigger refuses
    it, and the application's database role holds no such privilege); ``at`` is the database's clock
    at insert, whatever the caller sends."""

    at = models.DateTimeField(db_default=Now(), editable=False)
    kind = models.CharField(max_length=32, choices=SecurityEventKind.choices)
    # plain ids, no foreign keys: the log outlives the accounts it names
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    subject_label = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at"], name="securityevent_at"),
            models.Index(fields=["subject_id", "-at"], name="securityevent_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_label or self.actor_label}"


# --- Single sign-on (config/oidc.py) ---------------------------------------------------------------


class IdentityProviderGroupRole(models.Model):
    """One of the identity provider's groups, as its ``groups`` claim carries it, giving one of our roles.

    Entra ID sends each group's object id (a GUID) unless the app registration is told to send names;
    other providers send names. A person signing in with single sign-on holds exactly the roles their
    provider groups map to here, no more: roles are set again at every sign-in. Edited by superusers in
    the admin.
    """

    provider_group = models.CharField(
        "identity provider group",
        max_length=255,
        help_text="The group's id or name exactly as the provider's groups claim sends it "
        "(for Entra ID, the group's Object ID).",
    )
    role = models.ForeignKey(
        "auth.Group",
        on_delete=models.CASCADE,
        related_name="identity_provider_groups",
        limit_choices_to={"name__in": GRANTABLE_ROLES},
        help_text="The role people in that provider group hold here.",
    )
    description = models.CharField(max_length=200, blank=True, help_text="What the group is, for the next reader.")

    class Meta:
        verbose_name = "identity provider group"
        ordering = ["provider_group", "role__name"]
        constraints = [models.UniqueConstraint(fields=["provider_group", "role"], name="idp_group_role_once")]

    def __str__(self) -> str:
        return f"{self.description or self.provider_group} → {self.role.name}"


class IdentityProviderMFA(Device):
    """Marks a session whose second step the identity provider performed (``OIDC_TRUST_PROVIDER_MFA``).

    A django-otp device: ``django_otp.login`` records it in the session, so ``request.user.is_verified()``
    holds as after a code. It is never *confirmed*, so it never counts as a second step the person has
    set up (``user_has_device``), and no code verifies it (``verify_token`` is always false). One a person.
    """

    confirmed = models.BooleanField(default=False, editable=False, help_text="Always false: see above.")

    class Meta:
        verbose_name = "identity provider two-step verification"
        constraints = [models.UniqueConstraint(fields=["user"], name="idp_mfa_one_per_user")]
