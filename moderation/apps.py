from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation: what happened"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_save

        from moderation import casecache, checks, fragments  # noqa: F401 - checks registers the system checks
        from moderation.models import Channel, HouseRule, ServiceArea
        from policy.signals import policy_published

        # the choice lists the cached fragments show (the queue's filter form)
        for model in (Channel, HouseRule, ServiceArea):
            for what, signal in (("save", post_save), ("delete", post_delete)):
                signal.connect(fragments.changed, sender=model, dispatch_uid=f"fragments.{model.__name__}.{what}")
        # a preset applied (house rules added, reordered or retired in bulk) or a policy published
        policy_published.connect(fragments.changed, dispatch_uid="fragments.policy_published")
        # every write to a table the queue's results are read from moves their generation on (casecache)
        connection_created.connect(casecache.watch_connection, dispatch_uid="casecache.watch_connection")
