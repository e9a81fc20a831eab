from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as BaseStaticFilesConfig


class StaticFilesConfig(BaseStaticFilesConfig):
    """collectstatic leaves out the front-end sources (static/src): only their build is served."""

    ignore_patterns = [*BaseStaticFilesConfig.ignore_patterns, "src"]


class SecurityConfig(AppConfig):
    """The edge's own wiring: the security log (config.audit, config.models) and sessions that end when a
    person's role or account changes (config.sessions)."""

    name = "config"
    label = "config_security"
    verbose_name = "Security"

    def ready(self):
        from django.db.models.signals import post_migrate

        # connect their receivers (metrics and requestlog: Celery's, in the web process and the worker)
        from config import audit, dbroles, history, metrics, navigation, requestlog, sessions  # noqa: F401

        history.register()
        post_migrate.connect(dbroles.after_migrate, sender=self, dispatch_uid="config.dbroles.after_migrate")
