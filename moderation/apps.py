from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation: what happened"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moderation import checks  # noqa: F401 - registers the system checks
