from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "Escalation: what was decided"
    default_auto_field = "django.db.models.BigAutoField"
