from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "Escalation: what was decided"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escalation import checks  # registers the ladder check
        from policy import services as policy

        if checks.ladder_gaps not in policy.GAP_FINDERS:
            policy.GAP_FINDERS.append(checks.ladder_gaps)
