from django.apps import AppConfig


class PolicyConfig(AppConfig):
    """The organisation's published policy, as configuration: the base both casework apps read."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "policy"
    verbose_name = "Policy"
