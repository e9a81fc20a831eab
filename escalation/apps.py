from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "Escalation: what was decided"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from escalation import checks  # registers the ladder check
        from moderation.models import ElectionPeriod
        from policy import services as policy

        # a pre-election period saved or deleted in the admin shows (or stops showing) on the next page
        post_save.connect(_forget_notices, sender=ElectionPeriod, dispatch_uid="notices-election-saved")
        post_delete.connect(_forget_notices, sender=ElectionPeriod, dispatch_uid="notices-election-deleted")

        if checks.ladder_gaps not in policy.GAP_FINDERS:
            policy.GAP_FINDERS.append(checks.ladder_gaps)


def _forget_notices(**kwargs) -> None:
    from escalation.periods import forget_notices

    forget_notices()
